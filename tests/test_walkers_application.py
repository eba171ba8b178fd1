"""The "become a walker" application: the form, its documents, what it saves."""

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import User
from bookings.models import Area, District
from pompygo.lib.timezones import local_today
from tests.factories import BookingFactory, DogFactory, UserFactory
from walkers.models import WalkerDocument, WalkerProfile, WalkerStage

FIXTURES = Path(__file__).parent / "fixtures"
APPLY = reverse("walkers:apply")


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def private_root(settings: Any, tmp_path: Path) -> Path:
    """Keep the uploads of these tests in fresh folders, private and public."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return tmp_path / "private"


def stored_files(root: Path) -> list[Path]:
    return (
        sorted(path for path in root.rglob("*") if path.is_file())
        if root.exists()
        else []
    )


def jpeg(
    name: str = "ktp.jpg", size: tuple[int, int] = (400, 250)
) -> SimpleUploadedFile:
    output = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(output, "JPEG")
    return SimpleUploadedFile(name, output.getvalue(), content_type="image/jpeg")


def pdf(name: str = "skck.pdf", padding: int = 0) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n" + b"0" * padding + b"\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@pytest.fixture
def applicant(db: Any) -> User:
    """Wulan: just signed up, no dogs and no bookings."""
    return UserFactory(email="wulan@contoh.co.id", first_name="", last_name="")


@pytest.fixture
def applicant_client(client: Any, applicant: User) -> Any:
    client.force_login(applicant)
    return client


def application(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Wulan",
        "last_name": "Sari",
        "phone": "0812-3456-7890",
        "date_of_birth": "1998-07-21",
        "has_smartphone": "on",
        "bio": "I grew up with dogs.",
        "home_district": District.objects.get(name="Tebet").pk,
        "areas": [Area.objects.get(slug="jakarta").pk],
        "years_of_experience": "4",
        "experience": "Walked my neighbours' two huskies every morning for four years.",
        "dog_sizes": ["small", "medium", "large"],
        "id_number": "3174012107980002",
        "references": "Ibu Ratna 0812-1111-2222",
        "consent": "on",
        "day1_0_start": "06:00",
        "day1_0_end": "10:00",
        "day1_1_start": "15:00",
        "day1_1_end": "19:00",
        "day6_0_start": "07:00",
        "day6_0_end": "12:00",
        "ktp_photo": jpeg(),
        "skck": pdf(),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_logged_out_visitor_sees_how_to_start(client, db):
    response = client.get(APPLY)
    assert response.status_code == 200
    assert b'data-testid="apply-signup"' in response.content
    assert b"walker-application" not in response.content


def test_new_account_sees_the_form(applicant_client):
    response = applicant_client.get(APPLY)
    assert response.status_code == 200
    assert b"walker-application" in response.content


def test_application_saves_everything(applicant_client, applicant, private_root):
    response = applicant_client.post(APPLY, application(profile_photo=jpeg("me.jpg")))
    assert response.status_code == 302
    assert response["Location"] == reverse("walkers:dashboard")
    walker = WalkerProfile.objects.get(user=applicant)
    applicant.refresh_from_db()
    assert applicant.role == User.Role.WALKER
    assert applicant.phone == "+6281234567890"
    assert applicant.last_name == "Sari"
    assert walker.id_number == "3174012107980002"
    assert walker.dog_size_list == ["small", "medium", "large"]
    assert list(walker.areas.values_list("slug", flat=True)) == ["jakarta"]
    assert walker.home_latitude == District.objects.get(name="Tebet").latitude
    windows = list(
        walker.weekly_availability.values_list("weekday", "start_time", "end_time")
    )
    assert windows == [
        (1, dt.time(6), dt.time(10)),
        (1, dt.time(15), dt.time(19)),
        (6, dt.time(7), dt.time(12)),
    ]
    kinds = dict(walker.documents.values_list("kind", "content_type"))
    assert kinds == {"ktp": "image/jpeg", "skck": "application/pdf"}
    assert walker.photo.name.startswith("walkers/")
    assert not walker.is_verified


def test_documents_stored_privately(applicant_client, settings, private_root):
    applicant_client.post(APPLY, application(skck=pdf("SKCK Wulan Sari.pdf")))
    files = stored_files(private_root)
    assert len(files) == 2
    assert all("Wulan" not in path.name and "ktp" not in path.name for path in files)
    assert not stored_files(Path(settings.MEDIA_ROOT) / "walker-documents")
    document = WalkerDocument.objects.get(kind="skck")
    with pytest.raises(NotImplementedError):
        document.file.url  # noqa: B018


def test_forged_status_fields_ignored(applicant_client, applicant):
    forged = application(
        is_active="on",
        level="mentor",
        stage="training",
        outcome="passed",
        stages="training",
        is_verified="on",
        verified="on",
        passed_stage_count="5",
        max_walks_per_day="12",
        service_radius_km="50",
    )
    applicant_client.post(APPLY, forged)
    walker = WalkerProfile.objects.get(user=applicant)
    assert walker.level == WalkerProfile.Level.NEW
    assert not WalkerStage.objects.filter(walker=walker).exists()
    assert not walker.is_verified
    assert walker.max_walks_per_day == 4
    assert walker.service_radius_km == 5
    assert not WalkerProfile.objects.verified_active().filter(pk=walker.pk).exists()


def _rejected(
    client: Any, data: dict[str, Any], field: str, message: str, private_root: Path
) -> None:
    response = client.post(APPLY, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not WalkerProfile.objects.exists()
    assert not WalkerDocument.objects.exists()
    assert stored_files(private_root) == []


@pytest.mark.parametrize(
    ("field", "upload", "message"),
    [
        (
            "ktp_photo",
            SimpleUploadedFile("ktp.jpg", b"just some text", "image/jpeg"),
            "not a photo",
        ),
        ("ktp_photo", None, "required"),
        (
            "skck",
            SimpleUploadedFile("skck.pdf", b"PK\x03\x04 a zip file", "application/pdf"),
            "neither a PDF",
        ),
        ("skck", SimpleUploadedFile("skck.jpg", b"", "image/jpeg"), "empty"),
    ],
)
def test_bad_document_is_rejected(
    applicant_client, private_root, field, upload, message
):
    data = application(**{field: upload})
    _rejected(applicant_client, data, field, message, private_root)


def test_pdf_is_rejected_for_the_ktp(applicant_client, private_root):
    _rejected(
        applicant_client,
        application(ktp_photo=pdf("ktp.pdf")),
        "ktp_photo",
        "not a PDF",
        private_root,
    )


def test_pdf_is_accepted_for_the_skck(applicant_client, private_root):
    applicant_client.post(APPLY, application(skck=pdf()))
    assert WalkerDocument.objects.get(kind="skck").content_type == "application/pdf"


def test_skck_photo_is_accepted(applicant_client):
    applicant_client.post(APPLY, application(skck=jpeg("skck.jpg")))
    assert WalkerDocument.objects.get(kind="skck").content_type == "image/jpeg"


def test_broken_image_is_rejected(applicant_client, private_root):
    whole = jpeg().read()
    broken = SimpleUploadedFile("ktp.jpg", whole[: len(whole) // 2], "image/jpeg")
    _rejected(
        applicant_client,
        application(ktp_photo=broken),
        "ktp_photo",
        "damaged",
        private_root,
    )


def test_broken_heic_is_rejected(applicant_client, private_root):
    broken = SimpleUploadedFile("ktp.heic", (FIXTURES / "corrupted.heic").read_bytes())
    response = applicant_client.post(APPLY, application(ktp_photo=broken))
    assert "ktp_photo" in response.context["form"].errors
    assert not WalkerDocument.objects.exists()


def test_oversized_photo_is_rejected(applicant_client, private_root, settings):
    settings.PHOTO_MAX_BYTES = 1000
    big = jpeg(size=(800, 800))
    _rejected(
        applicant_client,
        application(ktp_photo=big),
        "ktp_photo",
        "maximum",
        private_root,
    )


def test_oversized_pdf_is_rejected(applicant_client, private_root, settings):
    settings.WALKER_PDF_MAX_BYTES = 2000
    _rejected(
        applicant_client,
        application(skck=pdf(padding=5000)),
        "skck",
        "maximum",
        private_root,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "date_of_birth",
            (local_today() - dt.timedelta(days=17 * 365)).isoformat(),
            "18 or over",
        ),
        ("id_number", "31740121", "16 digits"),
        ("id_number", "31740121079800AB", "16 digits"),
        ("phone", "021-555-1234", "Indonesian mobile"),
        ("areas", [], "at least one area"),
        ("dog_sizes", [], "at least one dog size"),
        ("experience", "", "required"),
        ("consent", None, "background"),
    ],
)
def test_bad_details_are_rejected(
    applicant_client, private_root, field, value, message
):
    data = application(**{field: value})
    _rejected(applicant_client, data, field, message, private_root)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"day1_0_end": ""}, "both a start and an end"),
        ({"day1_0_start": "10:00", "day1_0_end": "09:00"}, "after the start"),
        ({"day1_1_start": "09:00"}, "overlap"),
    ],
)
def test_bad_weekly_pattern_is_rejected(applicant_client, changes, message):
    response = applicant_client.post(APPLY, application(**changes))
    assert response.status_code == 200
    assert message in " ".join(
        str(e) for e in response.context["pattern"].errors.values()
    )
    assert not WalkerProfile.objects.exists()


def test_empty_weekly_pattern_is_rejected(applicant_client):
    data = application()
    for key in [k for k in data if k.startswith("day")]:
        data.pop(key)
    response = applicant_client.post(APPLY, data)
    assert "at least one time" in " ".join(
        response.context["pattern"].non_field_errors()
    )
    assert not WalkerProfile.objects.exists()


def test_existing_walker_is_sent_to_their_page(client, walker):
    client.force_login(walker.user)
    response = client.get(APPLY)
    assert response.status_code == 302
    assert response["Location"] == reverse("walkers:dashboard")


def test_owner_with_dogs_needs_new_account(owner_client, owner):
    DogFactory(owner=owner)
    response = owner_client.get(APPLY)
    assert b"separate account" in response.content
    response = owner_client.post(APPLY, application())
    assert not WalkerProfile.objects.exists()
    owner.refresh_from_db()
    assert owner.role == User.Role.OWNER


def test_owner_with_bookings_needs_new_account(owner_client, owner):
    BookingFactory(owner=owner)
    owner_client.post(APPLY, application())
    assert not WalkerProfile.objects.exists()


@pytest.mark.parametrize("persona", ["partner", "staff"])
def test_partner_and_staff_cannot_apply(db, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(APPLY).status_code == 403
    assert client.post(APPLY, application()).status_code == 403
    assert not WalkerProfile.objects.exists()


def test_sign_up_from_the_start_page_leads_to_the_form(client, db):
    start = client.get(APPLY).content.decode()
    signup_url = re.search(r'href="([^"]+)" data-testid="apply-signup"', start).group(1)
    password = "anjing-jalan-pagi-42"
    response = client.post(
        signup_url.replace("&amp;", "&"),
        {
            "email": "wulan@contoh.co.id",
            "password1": password,
            "password2": password,
            "next": APPLY,
        },
    )
    assert response.status_code == 302
    link = re.search(
        r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", mail.outbox[0].body
    )
    assert link, mail.outbox[0].body
    response = client.post(link.group(1))
    assert response["Location"] == APPLY
    assert b"walker-application" in client.get(APPLY).content


def test_truncated_pdf_is_rejected(applicant_client, private_root):
    cut = SimpleUploadedFile("skck.pdf", b"%PDF-1.4\n1 0 obj <<", "application/pdf")
    _rejected(
        applicant_client,
        application(skck=cut),
        "skck",
        "incomplete or damaged",
        private_root,
    )
