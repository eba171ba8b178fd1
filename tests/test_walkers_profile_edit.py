"""The walker's own profile page: bio, photo and new documents."""

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from walkers.models import WalkerDocument, WalkerProfile

PROFILE = reverse("walkers:edit-profile")
UPLOAD = reverse("walkers:upload-document")
ROLES = ["anonymous", "owner", "walker", "partner", "staff"]


@pytest.fixture(autouse=True)
def _english(settings: Any, tmp_path: Path) -> Any:
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with translation.override("en"):
        yield


@pytest.fixture
def walker_client(client: Any, walker: Any) -> Any:
    client.force_login(walker.user)
    return client


def jpeg(name: str = "me.jpg") -> SimpleUploadedFile:
    output = io.BytesIO()
    Image.new("RGB", (300, 300), (10, 120, 60)).save(output, "JPEG")
    return SimpleUploadedFile(name, output.getvalue(), content_type="image/jpeg")


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "skck.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf"
    )


def log_in(client: Any, request: Any, role: str) -> None:
    if role != "anonymous":
        persona = request.getfixturevalue(role)
        client.force_login(persona.user if role == "walker" else persona)


@pytest.mark.parametrize("role", ROLES)
def test_profile_page_access(db, client, request, role):
    log_in(client, request, role)
    response = client.get(PROFILE)
    expected = {"anonymous": 302, "walker": 200}.get(role, 403)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_upload_access(db, client, request, role):
    log_in(client, request, role)
    response = client.post(UPLOAD, {"kind": "skck", "file": pdf()})
    expected = {"anonymous": 302, "walker": 302}.get(role, 403)
    assert response.status_code == expected
    assert WalkerDocument.objects.exists() is (role == "walker")


def test_profile_saves_bio_and_photo(walker_client, walker):
    response = walker_client.post(
        PROFILE,
        {
            "bio": "Morning walks in Menteng.",
            "years_of_experience": "7",
            "new_photo": jpeg(),
        },
    )
    assert response.status_code == 302
    walker.refresh_from_db()
    assert walker.bio == "Morning walks in Menteng."
    assert walker.years_of_experience == 7
    assert walker.photo.name.startswith("walkers/")
    assert walker.photo.name.endswith(".jpg")


def test_new_photo_replaces_the_old_file(walker_client, walker):
    walker_client.post(
        PROFILE, {"bio": "", "years_of_experience": "1", "new_photo": jpeg()}
    )
    walker.refresh_from_db()
    first = Path(walker.photo.path)
    walker_client.post(
        PROFILE, {"bio": "", "years_of_experience": "1", "new_photo": jpeg()}
    )
    walker.refresh_from_db()
    assert not first.exists()
    assert Path(walker.photo.path).exists()


def test_profile_ignores_staff_fields(walker_client, walker):
    stages_before = list(walker.stages.values_list("stage", "outcome"))
    walker_client.post(
        PROFILE,
        {
            "bio": "Hi",
            "years_of_experience": "2",
            "level": "mentor",
            "is_active": "",
            "id_number": "9999999999999999",
            "stage": "training",
        },
    )
    walker.refresh_from_db()
    assert walker.level == WalkerProfile.Level.NEW
    assert walker.is_active
    assert walker.id_number == ""
    assert list(walker.stages.values_list("stage", "outcome")) == stages_before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"new_photo": SimpleUploadedFile("me.jpg", b"not an image")}, "not a photo"),
        ({"years_of_experience": "61"}, "less than or equal to 60"),
        ({"years_of_experience": "-1"}, "greater than or equal to 0"),
    ],
)
def test_bad_profile_saves_nothing(walker_client, walker, changes, message):
    data = {"bio": "Changed", "years_of_experience": "3", **changes}
    response = walker_client.post(PROFILE, data)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors)
    walker.refresh_from_db()
    assert walker.bio == ""
    assert not walker.photo


def test_new_skck_is_added(walker_client, walker):
    walker_client.post(UPLOAD, {"kind": "skck", "file": pdf()})
    document = walker.documents.get()
    assert document.kind == "skck"
    assert document.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "ktp", "file": pdf()}, "not a PDF"),
        (
            {"kind": "skck", "file": SimpleUploadedFile("x.pdf", b"hello")},
            "neither a PDF",
        ),
        ({"kind": "passport", "file": jpeg()}, "valid choice"),
        ({"kind": "ktp"}, "required"),
    ],
)
def test_bad_document_upload_saves_nothing(walker_client, walker, data, message):
    response = walker_client.post(UPLOAD, data)
    assert response.status_code == 200
    assert message in str(response.context["document_form"].errors)
    assert not walker.documents.exists()


def test_oversized_document_saves_nothing(walker_client, walker, settings):
    settings.WALKER_PDF_MAX_BYTES = 10
    response = walker_client.post(UPLOAD, {"kind": "skck", "file": pdf()})
    assert "maximum" in str(response.context["document_form"].errors)
    assert not walker.documents.exists()
