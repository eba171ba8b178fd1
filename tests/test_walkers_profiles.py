"""Public walker profiles and the "walkers in your area" list."""

import datetime as dt
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation

from bookings.models import Booking, BookingEvent, District
from tests.factories import BookingFactory, WalkerProfileFactory
from walkers.demo import make_available, make_verified
from walkers.models import PreferredWalker, WalkerDocument, WalkerProfile
from walkers.services import add_document


@pytest.fixture(autouse=True)
def _english(settings: Any, tmp_path: Any) -> Any:
    settings.LANGUAGE_CODE = "en"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with translation.override("en"):
        yield


def verified_walker(
    staff: Any, district: str = "Menteng", **user: Any
) -> WalkerProfile:
    walker = WalkerProfileFactory(**{f"user__{k}": v for k, v in user.items()})
    make_verified(walker, staff)
    return make_available(walker, District.objects.get(name=district))


@pytest.fixture
def agus(walker: Any, staff: Any) -> WalkerProfile:
    walker.user.phone = "+6281299998888"
    walker.user.save()
    walker.id_number = "3174010101950001"
    walker.years_of_experience = 6
    walker.bio = "Dog lover from Menteng."
    walker.level = WalkerProfile.Level.MENTOR
    walker.save()
    add_document(walker, WalkerDocument.Kind.KTP, ContentFile(b"jpeg"), "image/jpeg")
    return make_available(make_verified(walker, staff))


def profile(client: Any, walker: Any) -> Any:
    return client.get(reverse("walkers:profile", args=[walker.pk]))


def test_profile_shows_the_trust_facts(client, agus):
    content = profile(client, agus).content.decode()
    assert "Agus" in content
    assert 'data-testid="verified-badge"' in content
    assert "Mentor" in content
    assert "Jakarta" in content
    assert "6 years of experience" in content
    for label in [
        "Screening",
        "Competency interview",
        "Practical skills test",
        "Background check",
        "Training",
    ]:
        assert label in content
    assert timezone.localdate().strftime("%d %b %Y") in content
    assert "No reviews yet." in content
    assert "no reports yet" in content


def test_profile_hides_private_details(client, agus):
    content = profile(client, agus).content.decode()
    assert "Pratama" not in content
    assert "agus@contoh.co.id" not in content
    assert "0812" not in content
    assert "+62812" not in content
    assert "3174010101950001" not in content
    assert "0001" not in content
    assert "walker-documents" not in content
    assert reverse("walkers:document", args=[agus.documents.get().pk]) not in content


def test_profile_reliability_from_bookings(client, agus, owner):
    start = timezone.now() - dt.timedelta(days=2)
    done = BookingFactory(
        owner=owner, walker=agus, status=Booking.Status.COMPLETED, starts_at=start
    )
    BookingEvent.objects.create(
        booking=done, from_status="confirmed", to_status="in_progress", created_at=start
    )
    cancelled = BookingFactory(
        owner=owner,
        walker=agus,
        status=Booking.Status.CANCELLED,
        starts_at=start + dt.timedelta(hours=3),
    )
    BookingEvent.objects.create(
        booking=cancelled,
        from_status="confirmed",
        to_status="cancelled",
        actor=agus.user,
    )
    reliability = profile(client, agus).context["reliability"]
    assert reliability.walks_completed == 1
    assert reliability.on_time_percent == 100
    assert reliability.cancelled_by_walker == 1


def test_profile_without_walks_says_so(client, agus):
    content = profile(client, agus).content.decode()
    assert "no walks started yet" in content


def test_owner_marks_preferred_walker(owner_client, owner, agus):
    url = reverse("walkers:prefer", args=[agus.pk])
    page = profile(owner_client, agus)
    assert b'data-testid="prefer"' in page.content
    owner_client.post(url, {"preferred": "1"})
    owner_client.post(url, {"preferred": "1"})
    assert PreferredWalker.objects.filter(owner=owner, walker=agus).count() == 1
    assert b'data-testid="unprefer"' in profile(owner_client, agus).content
    owner_client.post(url, {"preferred": "0"})
    assert not PreferredWalker.objects.exists()


def test_prefer_button_only_for_owners(client, agus, partner):
    assert b'data-testid="prefer"' not in profile(client, agus).content
    client.force_login(partner)
    assert b'data-testid="prefer"' not in profile(client, agus).content


def test_unverified_walker_cannot_be_preferred(owner_client, staff):
    applicant = WalkerProfileFactory()
    applicant.stages.all().delete()
    response = owner_client.post(
        reverse("walkers:prefer", args=[applicant.pk]), {"preferred": "1"}
    )
    assert response.status_code == 404
    assert not PreferredWalker.objects.exists()


# The list


def listed(client: Any, **filters: Any) -> list[str]:
    response = client.get(reverse("walkers:list"), filters)
    return [walker.first_name for walker in response.context["page"]]


def test_list_shows_verified_active_walkers_only(client, staff):
    verified_walker(staff, first_name="Sri")
    applicant = WalkerProfileFactory(user__first_name="Putri")
    applicant.stages.all().delete()
    suspended = verified_walker(staff, first_name="Rudi")
    suspended.is_active = False
    suspended.save()
    assert listed(client) == ["Sri"]


def test_list_filters(client, staff):
    sri = verified_walker(staff, first_name="Sri")
    sri.dog_sizes = "small"
    sri.save()
    maya = verified_walker(staff, "BSD City", first_name="Maya")
    maya.level = WalkerProfile.Level.MENTOR
    maya.save()
    maya.areas.set([District.objects.get(name="BSD City").area])
    assert listed(client, area="gading-serpong") == ["Maya"]
    assert listed(client, area="jakarta") == ["Sri"]
    assert listed(client, size="giant") == ["Maya"]
    assert listed(client, size="small") == ["Maya", "Sri"]
    assert listed(client, level="mentor") == ["Maya"]
    assert listed(client, area="nowhere", size="huge", level="boss") == ["Maya", "Sri"]


def test_list_counts_completed_walks(client, staff, owner):
    sri = verified_walker(staff, first_name="Sri")
    for days in (2, 3):
        BookingFactory(
            owner=owner,
            walker=sri,
            status=Booking.Status.COMPLETED,
            starts_at=timezone.now() - dt.timedelta(days=days),
        )
    response = client.get(reverse("walkers:list"))
    assert b"2 walks completed" in response.content


@pytest.mark.parametrize("count", [5, 30])
def test_list_queries_do_not_grow(client, staff, count, django_assert_max_num_queries):
    for index in range(count):
        verified_walker(staff, first_name=f"Walker{index:02d}")
    with django_assert_max_num_queries(6):
        response = client.get(reverse("walkers:list"))
    assert len(response.context["page"]) == min(count, 20)


def test_list_starts_in_the_owners_area(owner_client, owner, staff):
    verified_walker(staff, first_name="Sri")
    maya = verified_walker(staff, "BSD City", first_name="Maya")
    maya.areas.set([District.objects.get(name="BSD City").area])
    BookingFactory(owner=owner, area=maya.areas.get())
    assert listed(owner_client) == ["Maya"]
    assert listed(owner_client, area="") == ["Maya", "Sri"]
