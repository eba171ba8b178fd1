"""The matching admin's wording in both languages: runs, offers, the queue, races."""

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
    MatchRun,
    Offer,
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


# The last matching run on the booking page.


def run_of(booking: Booking, trigger: str) -> MatchRun:
    return MatchRun.objects.create(
        booking=booking,
        trigger=trigger,
        considered=1,
        candidates=[
            {
                "walker": 1,
                "name": "Agus Test",
                "score": 0.5944,
                "tier": 2,
                "distance_km": 6.42,
                "parts": {
                    "distance": 0.612,
                    "rating": 0.75,
                    "reliability": 0.8,
                    "load": 1.0,
                    "familiarity": 1.0,
                },
            }
        ],
    )


@pytest.mark.parametrize(
    ("language", "trigger", "label"),
    [
        ("en", "declined", "(offer declined)"),
        ("id", "declined", "(tawaran ditolak)"),
        ("en", "ops", "(candidates page)"),
        ("id", "ops", "(halaman kandidat)"),
        ("en", "created", "(new booking)"),
        ("id", "expired", "(tawaran kedaluwarsa)"),
    ],
)
def test_run_trigger_shown_as_label(staff_client, language, trigger, label):
    booking = BookingFactory(starts_at=wib(9))
    run_of(booking, trigger)
    choose_language(staff_client, language)
    page = booking_page(staff_client, booking)
    assert label in page
    assert f"({trigger})" not in page


def test_unknown_trigger_shown_as_code(staff_client):
    booking = BookingFactory(starts_at=wib(9))
    run_of(booking, "bench")
    page = booking_page(staff_client, booking)
    assert "(bench)" in page


@pytest.mark.parametrize(
    ("language", "score", "distance"),
    [("en", "0.594", "6.4"), ("id", "0,594", "6,4")],
)
def test_run_numbers_localized(staff_client, language, score, distance):
    booking = BookingFactory(starts_at=wib(9))
    run_of(booking, "created")
    choose_language(staff_client, language)
    page = booking_page(staff_client, booking)
    assert f" {score} " in page
    assert f" {distance} " in page


@pytest.mark.parametrize(
    ("language", "priority", "part"),
    [("en", "Priority", "familiarity"), ("id", "Prioritas", "kedekatan")],
)
def test_run_headings_distinct(staff_client, language, priority, part):
    booking = BookingFactory(starts_at=wib(9))
    run_of(booking, "created")
    choose_language(staff_client, language)
    page = booking_page(staff_client, booking)
    headings = page.split("#")[1].split("Agus Test")[0]
    assert f" {priority} " in headings
    assert headings.lower().count(part) == 1


# Offers on the booking page and in the offer list.


@pytest.fixture
def offer() -> Offer:
    walker = ready("Agus")
    return Offer.objects.create(
        booking=BookingFactory(starts_at=wib(9)),
        walker=walker,
        score=0.5944377512482165,
        expires_at=timezone.now() + dt.timedelta(minutes=20),
    )


@pytest.mark.parametrize(
    ("language", "row", "score"),
    [
        ("en", "offered to Agus Test: Sent", "0.594"),
        ("id", "ditawarkan ke Agus Test: Terkirim", "0,594"),
    ],
)
def test_offer_row_readable(staff_client, offer, language, row, score):
    choose_language(staff_client, language)
    page = booking_page(staff_client, offer.booking)
    assert f"{offer.booking.reference} {row}" in page
    assert f"{offer.booking_id} -> {offer.walker_id}" not in page
    assert f" {score} " in page
    assert "5944377" not in page


@pytest.mark.parametrize(("language", "score"), [("en", "0.594"), ("id", "0,594")])
def test_offer_list_score_rounded(staff_client, offer, language, score):
    choose_language(staff_client, language)
    page = text_of(staff_client.get(reverse("admin:bookings_offer_changelist")))
    assert f" {score} " in page
    assert "5944377" not in page


def test_offer_str_names_walker_and_state(offer):
    with translation.override("en"):
        assert str(offer) == f"{offer.booking.reference} offered to Agus Test: Sent"


# The ops queue's count.


@pytest.mark.parametrize(
    ("language", "rows", "count"),
    [
        ("en", 1, "1 booking in the ops queue"),
        ("en", 2, "2 bookings in the ops queue"),
        ("id", 1, "1 pemesanan di antrean tim ops"),
        ("id", 2, "2 pemesanan di antrean tim ops"),
    ],
)
def test_queue_count_wording(staff_client, language, rows, count):
    for n in range(rows):
        escalated(starts_at=wib(8 + n))
    choose_language(staff_client, language)
    page = text_of(staff_client.get(reverse(QUEUE)))
    paginator = page.split("Filter")[0]
    assert count in paginator


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
