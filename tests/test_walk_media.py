"""Walk photos and videos: the upload endpoint, the stored files, access to them."""

import io
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from PIL import Image

from reports.models import ShareLink, WalkMedia
from reports.videos import sniff_video
from tests.factories import WalkerProfileFactory
from tests.test_walk_support import (
    jpeg_bytes,
    mp4_bytes,
    running_walk,
    upload,
    webm_bytes,
)

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path, english: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def walk(owner, walker, dog, django_capture_on_commit_callbacks):
    # The resizing task is queued on commit, and runs eagerly here.
    with django_capture_on_commit_callbacks(execute=True):
        return running_walk(owner, walker, dog)


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks: Any) -> None:
    global capture_commits
    capture_commits = django_capture_on_commit_callbacks


capture_commits: Any = None


@pytest.fixture
def walker_client(walker) -> Client:
    client = Client()
    client.force_login(walker.user)
    return client


def post_update(client: Client, walk, data: bytes, name: str, **extra: Any):
    with capture_commits(execute=True):
        return client.post(
            reverse("reports:upload", args=[walk.reference]),
            {"file": upload(data, name), "caption": "Di taman", **extra},
            HTTP_ACCEPT="application/json",
        )


def stored_image(media: WalkMedia, field: str = "file") -> tuple[bytes, Image.Image]:
    with getattr(media, field).open("rb") as stored:
        data = stored.read()
    return data, Image.open(io.BytesIO(data))


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def heic_bytes() -> bytes:
    return (FIXTURES / "dog-small.heic").read_bytes()


# The pipeline ---------------------------------------------------------------


def test_sideways_gps_photo_stored_upright_and_clean(walker_client, walk):
    response = post_update(walker_client, walk, jpeg_bytes((120, 80), 6, True), "a.jpg")

    assert response.status_code == 201
    media = WalkMedia.objects.get(pk=response.json()["id"])
    for field in ("file", "display", "thumbnail"):
        data, image = stored_image(media, field)
        assert image.format == "JPEG"
        assert image.size == (80, 120), field
        gray = image.convert("L")
        # Orientation 6 means "turn 90 degrees clockwise to view": the
        # stored bright top ends up on the right.
        left = gray.crop((0, 0, 30, 120)).resize((1, 1)).getpixel((0, 0))
        right = gray.crop((50, 0, 80, 120)).resize((1, 1)).getpixel((0, 0))
        assert right > left + 100, field
        assert not image.getexif(), field
        assert b"SERIAL-123456" not in data
        assert b"PhoneMaker" not in data
        assert b"Exif" not in data


def test_orientation_fixture_comes_out_upright(walker_client, walk):
    data = (FIXTURES / "orientation-Portrait_6.jpg").read_bytes()

    response = post_update(walker_client, walk, data, "p.jpg")

    media = WalkMedia.objects.get(pk=response.json()["id"])
    _data, image = stored_image(media)
    width, height = image.size
    assert height > width
    gray = image.convert("L")
    sky = gray.crop((0, 0, width, height // 5)).resize((1, 1)).getpixel((0, 0))
    ground = (
        gray.crop((0, height * 4 // 5, width, height)).resize((1, 1)).getpixel((0, 0))
    )
    assert sky > ground


def test_real_gps_photo_loses_its_position(walker_client, walk):
    original = (FIXTURES / "gps-nikon-DSCN0010.jpg").read_bytes()
    assert b"GPS" in original or Image.open(io.BytesIO(original)).getexif().get_ifd(
        0x8825
    )

    response = post_update(walker_client, walk, original, "nikon.jpg")

    media = WalkMedia.objects.get(pk=response.json()["id"])
    data, image = stored_image(media)
    assert not image.getexif()
    assert not image.getexif().get_ifd(0x8825)
    assert b"NIKON" not in data.upper()


@pytest.mark.parametrize("name", ["dog.heic", "dog.jpg"])
def test_heic_converted_to_jpeg(walker_client, walk, name):
    response = post_update(walker_client, walk, heic_bytes(), name)

    assert response.status_code == 201
    media = WalkMedia.objects.get(pk=response.json()["id"])
    assert media.content_type == "image/jpeg"
    assert media.file.name.endswith(".jpg")
    _data, image = stored_image(media)
    assert image.format == "JPEG"
    assert image.size == (64, 64)


def test_jpeg_named_heic_accepted_as_jpeg(walker_client, walk):
    response = post_update(walker_client, walk, jpeg_bytes(), "photo.heic")

    assert response.status_code == 201
    media = WalkMedia.objects.get(pk=response.json()["id"])
    assert stored_image(media)[1].format == "JPEG"


def corrupt_exif_jpeg() -> bytes:
    data = jpeg_bytes(orientation=6)
    start = data.index(b"Exif\x00\x00") + 6
    # Keep the TIFF header, break every IFD offset after it.
    return data[: start + 4] + b"\xff\xff\xff\x7f" + b"\x00" * 40 + data[start + 48 :]


BAD_FILES = [
    ("empty.jpg", b"", "The photo file is empty"),
    ("bomb.png", png_header_only(30000, 30000), "more than"),
    ("cut.jpg", jpeg_bytes((400, 300))[:600], "damaged or incomplete"),
    (
        "x.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "neither a photo nor a video",
    ),
    ("doc.jpg", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n", "neither a photo"),
    ("heic.heic", (FIXTURES / "corrupted.heic").read_bytes(), "neither a photo"),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD_FILES)
def test_bad_file_rejected_with_message(walker_client, walk, name, data, message):
    before = WalkMedia.objects.count()

    response = post_update(walker_client, walk, data, name)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert WalkMedia.objects.count() == before
    stored = list((Path(django_settings.PRIVATE_MEDIA_ROOT) / "walks").rglob("*"))
    assert len([p for p in stored if p.is_file()]) == before * 3


def test_corrupt_exif_photo_kept_without_metadata(walker_client, walk):
    response = post_update(walker_client, walk, corrupt_exif_jpeg(), "broken.jpg")

    assert response.status_code in (201, 400)
    if response.status_code == 400:
        assert "damaged" in response.json()["error"]
    else:
        media = WalkMedia.objects.get(pk=response.json()["id"])
        assert not stored_image(media)[1].getexif()


def test_oversized_photo_rejected(walker_client, walk, settings):
    settings.PHOTO_MAX_BYTES = 1000

    response = post_update(walker_client, walk, jpeg_bytes((400, 300)), "big.jpg")

    assert response.status_code == 400
    assert "the maximum is 1000" in response.json()["error"]


def test_form_post_without_script_redirects_with_message(walker_client, walk):
    response = walker_client.post(
        reverse("reports:upload", args=[walk.reference]),
        {"file": upload(b"", "empty.jpg")},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse(
        "reports:run", args=[walk.reference]
    )
    assert "The photo file is empty" in response.content.decode()


def test_retried_upload_stored_once(walker_client, walk):
    client_id = "3f0c1f4e-8a55-4a4b-9f0e-2b1d6c7e9a10"

    first = post_update(walker_client, walk, jpeg_bytes(), "a.jpg", client_id=client_id)
    second = post_update(
        walker_client, walk, jpeg_bytes(), "a.jpg", client_id=client_id
    )

    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert walk.walk_media.filter(phase="update").count() == 1


# Videos ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (mp4_bytes(), "clip.mp4", "video/mp4"),
        (mp4_bytes(brand=b"qt  "), "clip.mov", "video/quicktime"),
        (mp4_bytes(), "clip.jpg", "video/mp4"),
        (webm_bytes(), "clip.webm", "video/webm"),
    ],
)
def test_video_detected_and_metadata_blanked(
    walker_client, walk, data, name, content_type
):
    response = post_update(walker_client, walk, data, name)

    assert response.status_code == 201
    media = WalkMedia.objects.get(pk=response.json()["id"])
    assert media.kind == "video"
    assert media.content_type == content_type
    with media.file.open("rb") as stored:
        stored_data = stored.read()
    assert len(stored_data) == len(data)
    assert b"106.83" not in stored_data
    assert b"Serial" not in stored_data
    assert sniff_video(stored_data[:64]) == content_type


def test_oversized_video_rejected(walker_client, walk, settings):
    settings.VIDEO_MAX_BYTES = 2000

    response = post_update(walker_client, walk, mp4_bytes(payload=5000), "long.mp4")

    assert response.status_code == 400
    assert "The video is 5.2" in response.json()["error"]
    assert "maximum is 2.0" in response.json()["error"]
    assert not WalkMedia.objects.filter(kind="video").exists()


def test_heic_is_not_taken_for_a_video():
    assert sniff_video(heic_bytes()[:64]) is None


def test_nginx_body_limit_fits_a_video():
    nginx = (ROOT / "docs" / "nginx.conf").read_text()
    sizes = re.findall(r"^\s*client_max_body_size\s+(\d+)m;", nginx, re.MULTILINE)
    assert sizes
    largest = (
        django_settings.VIDEO_MAX_BYTES + django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )
    for size in sizes:
        assert int(size) * 1024 * 1024 > largest


def test_run_page_publishes_the_limits(walker_client, walk):
    response = walker_client.get(reverse("reports:run", args=[walk.reference]))

    content = response.content.decode()
    assert f'data-video-max-bytes="{django_settings.VIDEO_MAX_BYTES}"' in content
    assert "videos up to 50.0" in content


# Access -----------------------------------------------------------------------


@pytest.fixture
def photo(walk) -> WalkMedia:
    return walk.walk_media.get(phase="pickup")


def media_url(media: WalkMedia, variant: str = "display") -> str:
    return reverse("reports:media", args=[media.token, variant])


@pytest.mark.parametrize("role", ["owner", "walker", "staff"])
def test_media_served_to_walk_members(role, photo, owner, walker, staff):
    user = {"owner": owner, "walker": walker.user, "staff": staff}[role]
    client = Client()
    client.force_login(user)

    response = client.get(media_url(photo))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


@pytest.mark.parametrize("role", ["other_owner", "other_walker", "partner"])
def test_media_hidden_from_others(role, photo, other_owner, partner):
    user = {
        "other_owner": other_owner,
        "other_walker": None,
        "partner": partner,
    }[role] or WalkerProfileFactory().user
    client = Client()
    client.force_login(user)

    assert client.get(media_url(photo)).status_code == 404


def test_media_logged_out_sent_to_log_in(client, photo):
    response = client.get(media_url(photo))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_media_unknown_token_and_size_404(owner_client, photo):
    assert (
        owner_client.get(reverse("reports:media", args=["x" * 22, "full"])).status_code
        == 404
    )
    assert owner_client.get(media_url(photo, "huge")).status_code == 404


def test_media_x_accel_redirect(owner_client, photo, settings):
    settings.WALK_MEDIA_ACCEL_PREFIX = "/private-walk-media/"

    response = owner_client.get(media_url(photo, "full"))

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/private-walk-media/" + photo.file.name
    assert response.content == b""


def test_shared_media_until_revoked(photo, client):
    link = ShareLink.objects.create(booking=photo.booking)
    url = reverse("reports:shared-media", args=[link.token, photo.token, "thumb"])

    assert client.get(url).status_code == 200
    link.revoked_at = link.created_at
    link.save()
    assert client.get(url).status_code == 404


def test_share_link_cannot_fetch_another_walks_media(
    photo, client, other_owner, walker
):
    from tests.factories import DogFactory

    other_walk = running_walk(
        other_owner, walker, DogFactory(owner=other_owner), minutes_ago=200
    )
    link = ShareLink.objects.create(booking=other_walk)
    url = reverse("reports:shared-media", args=[link.token, photo.token, "full"])

    assert client.get(url).status_code == 404


def test_media_files_live_outside_public_media(photo):
    path = Path(photo.file.path).resolve()
    assert path.is_relative_to(Path(django_settings.PRIVATE_MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(django_settings.MEDIA_ROOT).resolve())
    assert len(photo.token) >= 22
