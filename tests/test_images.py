"""Photo processing: real camera files, and hostile files made in the test."""

import io
import logging
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageFile, ImageStat
from PIL.JpegImagePlugin import JpegImageFile

from pompygo.lib.images import process_photo

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _english() -> Any:
    # The assertions compare the English messages.
    with translation.override("en"):
        yield


def fixture_upload(name: str, upload_name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(upload_name or name, (FIXTURES / name).read_bytes())


def made_image(
    image_format: str, size: tuple[int, int] = (120, 80), **params: Any
) -> bytes:
    mode = "RGBA" if image_format in ("PNG", "WEBP") else "RGB"
    output = io.BytesIO()
    Image.new(mode, size, (200, 60, 30, 255)).save(output, image_format, **params)
    return output.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """Return a small PNG that declares a size but contains no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def processed(upload: SimpleUploadedFile, **kwargs: Any) -> tuple[bytes, Image.Image]:
    data = process_photo(upload, **kwargs).read()
    return data, Image.open(io.BytesIO(data))


def brightness(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    return ImageStat.Stat(image.convert("L").crop(box)).mean[0]


def rejection_code(upload: SimpleUploadedFile) -> str:
    with pytest.raises(ValidationError) as caught:
        process_photo(upload)
    return str(caught.value.code)


# Orientation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected_size"),
    [
        ("orientation-Portrait_1.jpg", (1067, 1600)),
        ("orientation-Portrait_6.jpg", (1067, 1600)),
        ("orientation-Portrait_8.jpg", (1067, 1600)),
        ("orientation-Landscape_3.jpg", (1600, 1067)),
    ],
)
def test_orientation_applied(name: str, expected_size: tuple[int, int]) -> None:
    _data, image = processed(fixture_upload(name))
    width, height = image.size

    assert image.size == expected_size
    # The upright pictures are 1200x1800 or 1800x1200, a 2:3 ratio.
    assert min(width, height) / max(width, height) == pytest.approx(2 / 3, abs=0.01)
    # Bright sky on top, dark ground at the bottom.
    top = brightness(image, (0, 0, width, height // 4))
    bottom = brightness(image, (0, height * 3 // 4, width, height))
    assert top > bottom + 40


@pytest.mark.parametrize(
    "name", ["orientation-Portrait_6.jpg", "orientation-Portrait_8.jpg"]
)
def test_rotated_portraits_match_upright(name: str) -> None:
    _data, upright = processed(fixture_upload("orientation-Portrait_1.jpg"))
    _data, rotated = processed(fixture_upload(name))

    difference = ImageStat.Stat(ImageChops.difference(upright, rotated).convert("L"))
    # Re-encoding differs by a few levels, and a 180 degree turn by about 60.
    assert difference.mean[0] < 10


def test_max_side_parameter() -> None:
    _data, image = processed(fixture_upload("orientation-Portrait_6.jpg"), max_side=600)

    assert image.size == (400, 600)


def test_small_photo_keeps_size() -> None:
    _data, image = processed(fixture_upload("gps-nikon-DSCN0010.jpg"))

    assert image.size == (640, 480)


def test_large_jpeg_decoded_in_draft_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    draft_sizes: list[tuple[int, int]] = []
    original_draft = JpegImageFile.draft

    def recording_draft(self: JpegImageFile, mode: Any, size: Any) -> Any:
        result = original_draft(self, mode, size)
        draft_sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImageFile, "draft", recording_draft)
    upload = SimpleUploadedFile("big.jpg", made_image("JPEG", (6400, 4800)))

    _data, image = processed(upload)

    # libjpeg decoded at 1/4 scale, and the result was then resized exactly.
    assert draft_sizes == [(1600, 1200)]
    assert image.size == (1600, 1200)


# Metadata ------------------------------------------------------------------


def test_gps_photo_loses_all_metadata() -> None:
    original = (FIXTURES / "gps-nikon-DSCN0010.jpg").read_bytes()
    original_exif = Image.open(io.BytesIO(original)).getexif()
    assert original_exif.get_ifd(ExifTags.IFD.GPSInfo), "the fixture must have GPS"

    data, image = processed(fixture_upload("gps-nikon-DSCN0010.jpg"))

    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert b"Exif" not in data
    assert b"GPS" not in data
    assert b"WGS-84" not in data
    assert b"NIKON" not in data
    assert b"http://ns.adobe.com/xap/" not in data
    assert "icc_profile" not in image.info


def test_jpeg_comment_dropped() -> None:
    upload = SimpleUploadedFile(
        "note.jpg", made_image("JPEG", comment=b"Jl. Teuku Umar 10")
    )

    data, image = processed(upload)

    assert b"Teuku Umar" not in data
    assert "comment" not in image.info


def test_icc_profile_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = SimpleUploadedFile("profile.png", made_image("PNG", icc_profile=srgb))

    data, image = processed(upload)

    assert "icc_profile" not in image.info
    assert b"ICC_PROFILE" not in data


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_corrupt_exif_still_accepted() -> None:
    broken_exif = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff\x01\x12"
    upload = SimpleUploadedFile("edited.jpg", made_image("JPEG", exif=broken_exif))

    data, image = processed(upload)

    assert image.size == (120, 80)
    assert b"Exif" not in data


# Accepted formats ----------------------------------------------------------


def test_heic_stored_as_jpeg() -> None:
    data, image = processed(fixture_upload("dog-small.heic"))

    assert data.startswith(b"\xff\xd8\xff")
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (64, 64)


def test_jpeg_named_heic_accepted() -> None:
    _data, image = processed(fixture_upload("gps-nikon-DSCN0010.jpg", "IMG_0001.HEIC"))

    assert image.format == "JPEG"
    assert image.size == (640, 480)


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_png_and_webp_accepted(image_format: str) -> None:
    upload = SimpleUploadedFile("photo.bin", made_image(image_format))

    _data, image = processed(upload)

    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (120, 80)


def test_transparency_becomes_white() -> None:
    output = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(output, "PNG")
    upload = SimpleUploadedFile("clear.png", output.getvalue())

    _data, image = processed(upload)

    red, green, blue = image.getpixel((5, 5))  # type: ignore[misc]
    assert min(red, green, blue) > 245


# Rejected files ------------------------------------------------------------

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
    b'height="10"><rect width="10" height="10" fill="red"/></svg>'
)


@pytest.mark.parametrize(
    ("upload_name", "content", "expected_code"),
    [
        ("scan.jpg", PDF, "photo_unsupported"),
        ("logo.svg", SVG, "photo_unsupported"),
        ("logo.png", SVG, "photo_unsupported"),
        (
            "notes.png",
            b"Milo likes chicken and hates the vacuum cleaner.\n",
            "photo_unsupported",
        ),
        ("anim.gif", made_image("GIF"), "photo_unsupported"),
        ("photo.bmp", made_image("BMP"), "photo_unsupported"),
        ("photo.tiff", made_image("TIFF"), "photo_unsupported"),
        ("empty.jpg", b"", "photo_empty"),
        ("bomb.png", png_header_only(30000, 30000), "photo_too_many_pixels"),
    ],
)
def test_file_rejected(upload_name: str, content: bytes, expected_code: str) -> None:
    assert rejection_code(SimpleUploadedFile(upload_name, content)) == expected_code


def test_corrupted_heic_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        process_photo(fixture_upload("corrupted.heic"))

    assert caught.value.code == "photo_unsupported"
    assert "Upload a JPEG, PNG, WebP or HEIC image" in caught.value.messages[0]


@pytest.mark.parametrize("kept_fraction", [0.5, 0.9])
def test_truncated_jpeg_rejected(kept_fraction: float) -> None:
    whole = (FIXTURES / "orientation-Portrait_1.jpg").read_bytes()
    upload = SimpleUploadedFile("cut.jpg", whole[: int(len(whole) * kept_fraction)])

    with pytest.raises(ValidationError) as caught:
        process_photo(upload)

    assert caught.value.code == "photo_damaged"
    assert "damaged or incomplete" in caught.value.messages[0]


def test_jpeg_header_only_rejected() -> None:
    whole = (FIXTURES / "orientation-Portrait_1.jpg").read_bytes()

    assert (
        rejection_code(SimpleUploadedFile("cut.jpg", whole[:2000])) == "photo_damaged"
    )


def test_empty_file_message() -> None:
    with pytest.raises(ValidationError) as caught:
        process_photo(SimpleUploadedFile("empty.jpg", b""))

    assert caught.value.messages == ["The photo file is empty. Choose another photo."]


class UnreadableUpload(SimpleUploadedFile):
    """An upload that fails the test if anything reads its content."""

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("the file was read before its size was checked")


def test_oversized_file_rejected_unread(settings: Any) -> None:
    settings.PHOTO_MAX_BYTES = 1000
    upload = UnreadableUpload("big.jpg", b"\xff\xd8" + b"\x00" * 5000)

    with pytest.raises(ValidationError) as caught:
        process_photo(upload)

    assert caught.value.code == "photo_too_many_bytes"
    assert "maximum is 1000" in caught.value.messages[0]


def test_oversized_real_photo_rejected(settings: Any) -> None:
    settings.PHOTO_MAX_BYTES = 100_000

    assert (
        rejection_code(fixture_upload("orientation-Portrait_1.jpg"))
        == "photo_too_many_bytes"
    )


def test_pixel_bomb_never_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_load(self: Any) -> Any:
        raise AssertionError("the pixel data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", failing_load)
    upload = SimpleUploadedFile("bomb.png", png_header_only(30000, 30000))

    with pytest.raises(ValidationError) as caught:
        process_photo(upload)

    assert caught.value.code == "photo_too_many_pixels"
    assert "megapixels" in caught.value.messages[0]


def test_own_pixel_limit_checked_before_decoding(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PHOTO_MAX_PIXELS = 1_000_000

    def failing_load(self: Any) -> Any:
        raise AssertionError("the pixel data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", failing_load)
    # 1200x1800 is 2.16 million pixels, under Pillow's limit and over ours.
    with pytest.raises(ValidationError) as caught:
        process_photo(fixture_upload("orientation-Portrait_1.jpg"))

    assert caught.value.code == "photo_too_many_pixels"
    assert "more than 1 megapixels" in caught.value.messages[0]


def test_pillow_bomb_warning_rejected(settings: Any) -> None:
    # Our limit is set above Pillow's, so its DecompressionBombWarning (over
    # about 89 million pixels) is the check that must reject this one.
    settings.PHOTO_MAX_PIXELS = 10**9
    upload = SimpleUploadedFile("bomb.png", png_header_only(10000, 10000))

    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS < 10000 * 10000
    assert rejection_code(upload) == "photo_too_many_pixels"


def test_rejection_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pompygo.lib.images"):
        rejection_code(SimpleUploadedFile("scan.jpg", PDF))

    assert "Photo rejected: photo_unsupported" in caplog.text
    assert "scan.jpg" not in caplog.text
