"""The matching admin's wording in both languages: assignments that fail."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from bookings.models import (
    Booking,
    BookingMatch,
    District,
    IllegalTransition,
)
from bookings.services import assign_walker, assign_walkers
from tests.factories import BookingFactory, WalkerProfileFactory
from walkers.demo import make_available, make_verified
from walkers.models import WalkerProfile

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() + dt.timedelta(days=3)
QUEUE = "admin:bookings_unplacedbooking_changelist"


def wib(hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(DAY, dt.time(hour, 0)))


def ready(name: str, district: str = "Menteng") -> WalkerProfile:
    walker = WalkerProfileFactory(user__first_name=name, user__last_name="Test")
    make_verified(walker)
    return make_available(walker, District.objects.get(name=district))


def escalated(starts_at: dt.datetime | None = None) -> Booking:
    booking = BookingFactory(starts_at=starts_at or wib(9))
    BookingMatch.objects.create(
        booking=booking,
        state=BookingMatch.State.ESCALATED,
        escalation_reason=BookingMatch.Reason.NO_CANDIDATES,
        escalated_at=timezone.now(),
    )
    return booking


def choose_language(client, language: str) -> None:
    response = client.post(reverse("set_language"), {"language": language})
    assert response.status_code == 302


def text_of(response) -> str:
    """Return the page's visible text with tags removed and spaces collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def booking_page(client, booking: Booking) -> str:
    url = reverse("admin:bookings_booking_change", args=[booking.pk])
    return text_of(client.get(url))


# A manual assignment that loses a race.


@pytest.fixture
def cancelled_meanwhile(monkeypatch):
    """Cancel the booking as assign_walker starts, as a racing request would."""
    check = WalkerProfile.eligibility_problems

    def check_then_cancel(walker, booking):
        Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
        return check(walker, booking)

    monkeypatch.setattr(WalkerProfile, "eligibility_problems", check_then_cancel)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


LOST_RACE = {
    "en": "Booking {} was not assigned because its status is Cancelled.",
    "id": "Pemesanan {} gagal ditugaskan karena statusnya Dibatalkan.",
}


@pytest.mark.parametrize("language", ["en", "id"])
def test_lost_race_from_candidates_page(staff_client, cancelled_meanwhile, language):
    agus = ready("Agus")
    booking = escalated()
    choose_language(staff_client, language)
    url = reverse("admin:bookings_booking_candidates", args=[booking.pk])
    response = staff_client.post(url, {"walker": agus.pk}, follow=True)
    assert messages_of(response) == [LOST_RACE[language].format(booking.reference)]


@pytest.mark.parametrize("language", ["en", "id"])
def test_lost_race_from_assign_action(staff_client, cancelled_meanwhile, language):
    agus = ready("Agus")
    booking = BookingFactory(starts_at=wib(9))
    choose_language(staff_client, language)
    response = staff_client.post(
        reverse("admin:bookings_booking_changelist"),
        {
            "action": "assign_walker_action",
            "_selected_action": [booking.pk],
            "apply": "1",
            "walker": agus.pk,
        },
        follow=True,
    )
    assert messages_of(response) == [LOST_RACE[language].format(booking.reference)]


BUSY = {
    "en": "Booking {}: Agus Test cannot take this booking: "
    "Already has booking {} at an overlapping time.",
    "id": "Pemesanan {}: Agus Test tidak bisa mengambil "
    "pemesanan ini: Sudah punya pemesanan {} di waktu yang bertabrakan.",
}


@pytest.mark.parametrize("language", ["en", "id"])
def test_busy_walker_message_names_booking_once(staff_client, language):
    agus = ready("Agus")
    clash = BookingFactory(
        walker=agus, status=Booking.Status.CONFIRMED, starts_at=wib(9)
    )
    booking = escalated()
    choose_language(staff_client, language)
    url = reverse("admin:bookings_booking_candidates", args=[booking.pk])
    response = staff_client.post(url, {"walker": agus.pk}, follow=True)
    expected = BUSY[language].format(booking.reference, clash.reference)
    assert messages_of(response) == [expected]


# The texts of the assignment errors, which the offer notes and logs keep.


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Booking {} is no longer confirmed."),
        ("id", "Pemesanan {} tidak lagi berstatus dikonfirmasi."),
    ],
)
def test_walker_change_race_message_translated(language, text):
    booking = BookingFactory(
        walker=ready("Agus"), status=Booking.Status.CONFIRMED, starts_at=wib(9)
    )
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    with translation.override(language), pytest.raises(IllegalTransition) as raised:
        assign_walker(booking, ready("Budi", "Tebet"), None)
    assert str(raised.value) == text.format(booking.reference)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Booking {} is no longer waiting for a walker."),
        ("id", "Pemesanan {} sudah tidak menunggu walker."),
    ],
)
def test_bulk_race_message_translated(language, text):
    booking = BookingFactory(starts_at=wib(9))
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    with translation.override(language):
        [error] = assign_walkers([(booking, ready("Agus"))])
    assert str(error) == text.format(booking.reference)
