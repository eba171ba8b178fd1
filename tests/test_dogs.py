"""Dog profiles: the owner's list, add, edit and remove pages and the form."""

import datetime as dt
import io
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from bookings.dog_forms import DogForm, format_phone, normalize_phone, years_before
from bookings.models import Booking, Dog
from pompygo.lib.timezones import local_today
from tests.factories import BookingFactory, DogFactory

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    # The assertions compare English messages, and Django's own are translated.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Store every uploaded file of these tests in a fresh folder."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def fixture_upload(name: str, upload_name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(upload_name or name, (FIXTURES / name).read_bytes())


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Mochi",
        "breed": "Pomeranian",
        "size": Dog.Size.SMALL,
        "sex": Dog.Sex.FEMALE,
        "neutered": "on",
        "birth_date": "2022-03-14",
        "age_years": "",
        "temperament": "Friendly with people, barks at motorbikes.",
        "leash_behaviour": Dog.Leash.PULLS,
        "medical_notes": "Allergic to chicken.",
        "vaccination_date": "2025-01-10",
        "vet_name": "Klinik Hewan Menteng",
        "vet_phone": "(021) 7654321",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def new_dog(**fields: Any) -> Dog:
    return cast(Dog, DogFactory(**fields))


def url(name: str, dog: Dog | None = None) -> str:
    return reverse(f"dogs:{name}", args=[dog.pk] if dog else [])


# Access for every role --------------------------------------------------------

PAGES = ["list", "add", "edit", "remove"]


def page_url(page: str, dog: Dog) -> str:
    return url(page, dog if page in ("edit", "remove") else None)


@pytest.mark.parametrize("page", PAGES)
def test_logged_out_redirected_to_login(client: Any, dog: Dog, page: str) -> None:
    response = client.get(page_url(page, dog))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", ["walker", "partner", "staff"])
def test_other_roles_forbidden(
    client: Any, dog: Dog, page: str, persona: str, request: pytest.FixtureRequest
) -> None:
    person = request.getfixturevalue(persona)
    client.force_login(getattr(person, "user", person))

    assert client.get(page_url(page, dog)).status_code == 403
    assert client.post(page_url(page, dog), form_data()).status_code == 403
    dog.refresh_from_db()
    assert dog.removed_at is None
    assert dog.name == "Milo"


@pytest.mark.parametrize("page", PAGES)
def test_owner_pages_load(owner_client: Any, dog: Dog, page: str) -> None:
    assert owner_client.get(page_url(page, dog)).status_code == 200


@pytest.mark.parametrize("page", ["edit", "remove"])
def test_other_owner_gets_404(
    client: Any, other_owner: Any, dog: Dog, page: str
) -> None:
    client.force_login(other_owner)

    assert client.get(url(page, dog)).status_code == 404
    assert client.post(url(page, dog), form_data(name="Stolen")).status_code == 404
    dog.refresh_from_db()
    assert dog.name == "Milo"
    assert dog.removed_at is None


def test_other_owner_list_excludes_dog(client: Any, other_owner: Any, dog: Dog) -> None:
    DogFactory(owner=other_owner, name="Bruno")
    client.force_login(other_owner)

    response = client.get(url("list"))

    assert [listed.name for listed in response.context["dogs"]] == ["Bruno"]
    assert "Milo" not in response.content.decode()


@pytest.mark.parametrize("page", ["edit", "remove"])
def test_removed_dog_gets_404(owner_client: Any, dog: Dog, page: str) -> None:
    dog.removed_at = timezone.now()
    dog.save()

    assert owner_client.get(url(page, dog)).status_code == 404


def test_remove_rejects_other_methods(owner_client: Any, dog: Dog) -> None:
    assert owner_client.put(url("remove", dog)).status_code == 405
    dog.refresh_from_db()
    assert dog.removed_at is None


# List -------------------------------------------------------------------------


def test_list_shows_age_size_photo(owner_client: Any, owner: Any, dog: Dog) -> None:
    with_photo = new_dog(owner=owner, name="Luna", size=Dog.Size.LARGE)
    with_photo.photo.save("x.jpg", fixture_upload("gps-nikon-DSCN0010.jpg"))
    expected_age = dog.age_years

    page = owner_client.get(url("list")).content.decode()

    assert f"{expected_age} years" in page
    assert "Medium (10 to 25 kg)" in page
    assert "Large (25 to 40 kg)" in page
    assert f'src="{with_photo.photo.url}"' in page
    assert 'loading="lazy"' in page
    assert url("edit", dog) in page
    assert url("remove", dog) in page


def test_list_shows_estimated_age(owner_client: Any, owner: Any) -> None:
    DogFactory(
        owner=owner,
        name="Kiki",
        birth_date=years_before(local_today(), 4),
        birth_date_is_estimate=True,
    )

    page = owner_client.get(url("list")).content.decode()

    assert "About 4 years" in page


def test_list_without_dogs(owner_client: Any) -> None:
    page = owner_client.get(url("list")).content.decode()

    assert 'data-testid="no-dogs"' in page
    assert url("add") in page


def test_removed_dogs_not_listed(owner_client: Any, owner: Any, dog: Dog) -> None:
    DogFactory(owner=owner, name="Coco", removed_at=timezone.now())

    response = owner_client.get(url("list"))

    assert [listed.name for listed in response.context["dogs"]] == ["Milo"]
    assert "Coco" not in response.content.decode()


@pytest.mark.parametrize("dog_count", [5, 50])
def test_list_query_count(
    owner_client: Any, owner: Any, dog_count: int, django_assert_max_num_queries: Any
) -> None:
    DogFactory.create_batch(dog_count, owner=owner, photo="dogs/example.jpg")

    # The session, the user and the dogs, however many dogs there are.
    with django_assert_max_num_queries(3):
        response = owner_client.get(url("list"))

    assert len(response.context["dogs"]) == dog_count


# Add --------------------------------------------------------------------------


def test_add_dog(owner_client: Any, owner: Any) -> None:
    response = owner_client.post(url("add"), form_data())

    assert response.status_code == 302
    assert response.url == url("list")
    dog = Dog.objects.get()
    assert dog.owner == owner
    assert dog.name == "Mochi"
    assert dog.size == Dog.Size.SMALL
    assert dog.sex == Dog.Sex.FEMALE
    assert dog.neutered is True
    assert dog.birth_date == dt.date(2022, 3, 14)
    assert dog.birth_date_is_estimate is False
    assert dog.leash_behaviour == Dog.Leash.PULLS
    assert dog.medical_notes == "Allergic to chicken."
    assert dog.vaccination_date == dt.date(2025, 1, 10)
    assert dog.vet_name == "Klinik Hewan Menteng"
    assert dog.vet_phone == "+62217654321"
    assert dog.photo.name == ""


def test_add_with_age_estimates_birth_date(owner_client: Any) -> None:
    owner_client.post(url("add"), form_data(birth_date="", age_years="3"))

    dog = Dog.objects.get()
    assert dog.birth_date == years_before(local_today(), 3)
    assert dog.birth_date_is_estimate is True
    assert dog.age_years == 3


def test_add_puppy_age_zero(owner_client: Any) -> None:
    owner_client.post(url("add"), form_data(birth_date="", age_years="0"))

    dog = Dog.objects.get()
    assert dog.birth_date == local_today()
    assert dog.age_years == 0


def test_add_with_photo_stores_clean_jpeg(owner_client: Any, media_root: Path) -> None:
    photo = fixture_upload("gps-nikon-DSCN0010.jpg", "rumah-saya.jpg")

    owner_client.post(url("add"), form_data(photo=photo))

    dog = Dog.objects.get()
    assert dog.photo.name.startswith("dogs/")
    assert dog.photo.name.endswith(".jpg")
    assert "rumah" not in dog.photo.name
    assert len(Path(dog.photo.name).stem) == 32
    files = stored_files(media_root)
    assert files == [media_root / dog.photo.name]
    data = files[0].read_bytes()
    assert b"Exif" not in data
    assert dict(Image.open(io.BytesIO(data)).getexif()) == {}


def test_add_with_heic_stores_jpeg(owner_client: Any, media_root: Path) -> None:
    owner_client.post(url("add"), form_data(photo=fixture_upload("dog-small.heic")))

    dog = Dog.objects.get()
    assert dog.photo.name.endswith(".jpg")
    with Image.open(media_root / dog.photo.name) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (64, 64)


def test_add_with_rotated_photo_stores_upright(
    owner_client: Any, media_root: Path
) -> None:
    owner_client.post(
        url("add"), form_data(photo=fixture_upload("orientation-Portrait_6.jpg"))
    )

    dog = Dog.objects.get()
    with Image.open(media_root / dog.photo.name) as stored:
        assert stored.size == (1067, 1600)


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("(021) 7654321", "+62217654321"),
        ("021-2992-1234", "+622129921234"),
        ("(0274) 512345", "+62274512345"),
        ("+65 6123 4567", "+6561234567"),
        ("", ""),
    ],
)
def test_vet_phone_forms_accepted(owner_client: Any, phone: str, stored: str) -> None:
    owner_client.post(url("add"), form_data(vet_phone=phone))

    assert Dog.objects.get().vet_phone == stored


def test_add_form_offers_camera(owner_client: Any) -> None:
    page = owner_client.get(url("add")).content.decode()

    assert 'accept="image/*"' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'type="date"' in page
    assert 'type="tel"' in page


# Bad input: a clear message, no dog and no file -------------------------------

TOMORROW = (local_today() + dt.timedelta(days=1)).isoformat()
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


def truncated_jpeg() -> SimpleUploadedFile:
    whole = (FIXTURES / "orientation-Portrait_1.jpg").read_bytes()
    return SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2])


BAD_INPUTS = [
    ("no_name", {"name": ""}, "name", "Enter your dog's name."),
    ("no_size", {"size": None}, "size", "Choose your dog's size."),
    ("bad_size", {"size": "huge"}, "size", "Select a valid choice."),
    ("no_sex", {"sex": None}, "sex", "Choose whether your dog is male or female."),
    ("future_birth", {"birth_date": TOMORROW}, "birth_date", "cannot be in the future"),
    (
        "birth_too_old",
        {"birth_date": "1990-01-01"},
        "birth_date",
        "older than 30 years",
    ),
    (
        "bad_birth_date",
        {"birth_date": "14/03/2022x"},
        "birth_date",
        "Enter a valid date.",
    ),
    (
        "age_over_30",
        {"birth_date": "", "age_years": "31"},
        "age_years",
        "older than 30",
    ),
    (
        "negative_age",
        {"birth_date": "", "age_years": "-1"},
        "age_years",
        "cannot be negative",
    ),
    (
        "age_not_number",
        {"birth_date": "", "age_years": "three"},
        "age_years",
        "whole number",
    ),
    ("birth_and_age", {"age_years": "3"}, "age_years", "either a birth date or an age"),
    ("no_birth_or_age", {"birth_date": ""}, "birth_date", "or its age in years"),
    (
        "future_vaccination",
        {"vaccination_date": TOMORROW},
        "vaccination_date",
        "last vaccination date cannot be in the future",
    ),
    (
        "vaccination_before_birth",
        {"vaccination_date": "2020-01-01"},
        "vaccination_date",
        "cannot be before the birth date",
    ),
    (
        "phone_letters",
        {"vet_phone": "call the clinic"},
        "vet_phone",
        "with its area code",
    ),
    ("phone_short", {"vet_phone": "12345"}, "vet_phone", "with its area code"),
    (
        "phone_no_area_code",
        {"vet_phone": "555-1234"},
        "vet_phone",
        "with its area code",
    ),
    ("phone_too_long", {"vet_phone": "0" * 41}, "vet_phone", "at most 40 characters"),
    (
        "photo_pdf",
        {"photo": lambda: SimpleUploadedFile("dog.jpg", PDF)},
        "photo",
        "not a photo that we can read",
    ),
    (
        "photo_svg",
        {
            "photo": lambda: SimpleUploadedFile(
                "dog.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"
            )
        },
        "photo",
        "not a photo that we can read",
    ),
    (
        "photo_text_as_png",
        {"photo": lambda: SimpleUploadedFile("dog.png", b"just some text")},
        "photo",
        "not a photo that we can read",
    ),
    (
        "photo_corrupted_heic",
        {"photo": lambda: fixture_upload("corrupted.heic")},
        "photo",
        "not a photo that we can read",
    ),
    ("photo_truncated", {"photo": truncated_jpeg}, "photo", "damaged or incomplete"),
    (
        "photo_empty",
        {"photo": lambda: SimpleUploadedFile("dog.jpg", b"")},
        "photo",
        "empty",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_add_bad_input(
    owner_client: Any,
    media_root: Path,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    values = {
        key: value() if callable(value) else value for key, value in changes.items()
    }
    # A good photo with every other bad input shows that no file is kept.
    values.setdefault("photo", fixture_upload("gps-nikon-DSCN0010.jpg"))

    response = owner_client.post(url("add"), form_data(**values))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    page = response.content.decode().replace("&#x27;", "'")
    assert message in page
    assert 'data-testid="form-errors"' in page
    assert Dog.objects.count() == 0
    assert stored_files(media_root) == []


def test_add_oversized_photo(
    owner_client: Any, media_root: Path, settings: Any
) -> None:
    settings.PHOTO_MAX_BYTES = 50_000

    response = owner_client.post(
        url("add"), form_data(photo=fixture_upload("gps-nikon-DSCN0010.jpg"))
    )

    assert "maximum is 48.8" in " ".join(response.context["form"].errors["photo"])
    assert Dog.objects.count() == 0
    assert stored_files(media_root) == []


def test_add_too_many_pixels(
    owner_client: Any, media_root: Path, settings: Any
) -> None:
    settings.PHOTO_MAX_PIXELS = 100_000

    response = owner_client.post(
        url("add"), form_data(photo=fixture_upload("gps-nikon-DSCN0010.jpg"))
    )

    assert "megapixels" in " ".join(response.context["form"].errors["photo"])
    assert Dog.objects.count() == 0
    assert stored_files(media_root) == []


# Edit -------------------------------------------------------------------------


def test_edit_dog(owner_client: Any, dog: Dog) -> None:
    response = owner_client.post(url("edit", dog), form_data(name="Milo Jr."))

    assert response.status_code == 302
    dog.refresh_from_db()
    assert dog.name == "Milo Jr."
    assert dog.breed == "Pomeranian"
    assert dog.vet_phone == "+62217654321"


def test_edit_shows_stored_values(owner_client: Any, dog: Dog) -> None:
    dog.vet_phone = "+62217654321"
    dog.save()

    form = owner_client.get(url("edit", dog)).context["form"]

    assert form.initial["vet_phone"] == "(021) 7654321"
    assert form.initial["birth_date"] == dog.birth_date


def test_edit_estimated_dog_shows_age(owner_client: Any, owner: Any) -> None:
    estimated = new_dog(
        owner=owner, birth_date=dt.date(2020, 2, 29), birth_date_is_estimate=True
    )

    form = owner_client.get(url("edit", estimated)).context["form"]

    assert form.initial["birth_date"] is None
    assert form.initial["age_years"] == estimated.age_years


def test_edit_unchanged_age_keeps_estimate(owner_client: Any, owner: Any) -> None:
    estimated = new_dog(
        owner=owner, birth_date=dt.date(2020, 2, 29), birth_date_is_estimate=True
    )
    age = estimated.age_years

    owner_client.post(
        url("edit", estimated), form_data(birth_date="", age_years=str(age))
    )

    estimated.refresh_from_db()
    assert estimated.birth_date == dt.date(2020, 2, 29)
    assert estimated.birth_date_is_estimate is True


def test_edit_exact_birth_date_clears_estimate(owner_client: Any, owner: Any) -> None:
    estimated = new_dog(
        owner=owner, birth_date=dt.date(2020, 2, 29), birth_date_is_estimate=True
    )

    owner_client.post(url("edit", estimated), form_data(birth_date="2020-06-01"))

    estimated.refresh_from_db()
    assert estimated.birth_date == dt.date(2020, 6, 1)
    assert estimated.birth_date_is_estimate is False


def dog_with_photo(owner: Any) -> Dog:
    dog = new_dog(owner=owner, name="Luna")
    dog.photo.save("x.jpg", fixture_upload("gps-nikon-DSCN0010.jpg"))
    return dog


def test_replacing_photo_deletes_old_file(
    owner_client: Any,
    owner: Any,
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dog = dog_with_photo(owner)
    old_file = media_root / dog.photo.name

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            url("edit", dog),
            form_data(photo=fixture_upload("orientation-Portrait_1.jpg")),
        )

    dog.refresh_from_db()
    new_file = media_root / dog.photo.name
    assert new_file != old_file
    assert stored_files(media_root) == [new_file]
    with Image.open(new_file) as stored:
        assert stored.size == (1067, 1600)


def test_old_photo_kept_until_commit(
    owner_client: Any, owner: Any, media_root: Path
) -> None:
    dog = dog_with_photo(owner)
    old_file = media_root / dog.photo.name

    # The test's transaction never commits, so the deletion must not run.
    owner_client.post(
        url("edit", dog), form_data(photo=fixture_upload("dog-small.heic"))
    )

    assert old_file.exists()
    assert len(stored_files(media_root)) == 2


def test_clearing_photo_deletes_file(
    owner_client: Any,
    owner: Any,
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dog = dog_with_photo(owner)

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url("edit", dog), form_data(remove_photo="on"))

    dog.refresh_from_db()
    assert dog.photo.name == ""
    assert stored_files(media_root) == []


def test_remove_photo_and_new_one_rejected(
    owner_client: Any,
    owner: Any,
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dog = dog_with_photo(owner)
    photo_name = dog.photo.name

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            url("edit", dog),
            form_data(remove_photo="on", photo=fixture_upload("dog-small.heic")),
        )

    errors = response.context["form"].errors
    assert list(errors) == ["remove_photo"]
    assert "not both" in errors["remove_photo"][0]
    dog.refresh_from_db()
    assert dog.photo.name == photo_name
    assert stored_files(media_root) == [media_root / photo_name]


def test_remove_photo_offered_only_with_photo(
    owner_client: Any, owner: Any, dog: Dog
) -> None:
    with_photo = dog_with_photo(owner)

    without_form = owner_client.get(url("edit", dog)).context["form"]
    with_form = owner_client.get(url("edit", with_photo)).context["form"]

    assert "remove_photo" not in without_form.fields
    assert "remove_photo" in with_form.fields


def test_edit_without_photo_keeps_it(
    owner_client: Any,
    owner: Any,
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dog = dog_with_photo(owner)
    photo_name = dog.photo.name

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url("edit", dog), form_data(name="Luna"))

    dog.refresh_from_db()
    assert dog.photo.name == photo_name
    assert stored_files(media_root) == [media_root / photo_name]


def test_rejected_photo_keeps_old_one(
    owner_client: Any,
    owner: Any,
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dog = dog_with_photo(owner)
    photo_name = dog.photo.name

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            url("edit", dog),
            form_data(name="Renamed", photo=SimpleUploadedFile("dog.jpg", PDF)),
        )

    assert "not a photo that we can read" in " ".join(
        response.context["form"].errors["photo"]
    )
    # The page still shows the stored dog, not the rejected changes.
    assert response.context["dog"].name == "Luna"
    dog.refresh_from_db()
    assert dog.name == "Luna"
    assert dog.photo.name == photo_name
    assert stored_files(media_root) == [media_root / photo_name]


# Remove -----------------------------------------------------------------------


def test_remove_asks_first(owner_client: Any, dog: Dog) -> None:
    response = owner_client.get(url("remove", dog))

    assert response.status_code == 200
    assert "Remove Milo?" in response.content.decode()
    dog.refresh_from_db()
    assert dog.removed_at is None


def test_remove_keeps_dog_on_bookings(owner_client: Any, owner: Any, dog: Dog) -> None:
    booking = BookingFactory(owner=owner, dogs=[dog])

    response = owner_client.post(url("remove", dog))

    assert response.status_code == 302
    assert response.url == url("list")
    dog.refresh_from_db()
    assert dog.removed_at is not None
    assert list(booking.dogs.all()) == [dog]
    assert list(Dog.objects.owned_by(owner)) == []


def test_remove_warns_about_upcoming_bookings(
    owner_client: Any, owner: Any, dog: Dog
) -> None:
    BookingFactory(owner=owner, dogs=[dog])
    BookingFactory(owner=owner, dogs=[dog], status=Booking.Status.CANCELLED)

    page = owner_client.get(url("remove", dog)).content.decode()

    assert 'data-testid="upcoming-warning"' in page
    assert "Milo is on 1 upcoming booking." in page


def test_remove_without_bookings_has_no_warning(owner_client: Any, dog: Dog) -> None:
    page = owner_client.get(url("remove", dog)).content.decode()

    assert 'data-testid="upcoming-warning"' not in page


# Form helpers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+6281234567890", "0812-3456-7890"),
        ("+62217654321", "(021) 7654321"),
        ("+6561234567", "+65 6123 4567"),
        ("", ""),
    ],
)
def test_format_phone(stored: str, shown: str) -> None:
    assert format_phone(stored) == shown


def test_normalize_phone_drops_extension() -> None:
    assert normalize_phone("021-555-1234 ext. 12") == "+62215551234"


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (dt.date(2026, 7, 15), 3, dt.date(2023, 7, 15)),
        (dt.date(2024, 2, 29), 1, dt.date(2023, 2, 28)),
        (dt.date(2026, 1, 1), 0, dt.date(2026, 1, 1)),
    ],
)
def test_years_before(day: dt.date, years: int, expected: dt.date) -> None:
    assert years_before(day, years) == expected


def test_form_requires_commit(owner: Any) -> None:
    form = DogForm(form_data(), instance=Dog(owner=owner))

    assert form.is_valid()
    with pytest.raises(ValueError, match="always commits"):
        form.save(commit=False)
