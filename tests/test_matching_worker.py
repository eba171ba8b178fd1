"""Matching on a real Celery worker that consumes from the real Redis.

The worker (tests/celery_worker.py) runs in a thread of the test process,
so the signals it sends reach receivers connected here.
"""

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from bookings import signals
from bookings.matching import accept_offer
from bookings.models import Area, Booking, BookingMatch, District, Offer, Service
from bookings.services import BookingDetails, book
from bookings.tasks import expire_offers, match_booking
from tests.factories import MENTENG, WalkerProfileFactory, walk_start
from walkers.demo import make_available, make_verified

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

MATCH = "bookings.tasks.match_booking"


@pytest.fixture
def offers_sent() -> Iterator[list[int]]:
    """The ids of the offers sent, by the worker or by the test itself."""
    sent: list[int] = []

    def on_offer_sent(offer: Offer, **kwargs: Any) -> None:
        sent.append(offer.pk)

    signals.offer_sent.connect(on_offer_sent, weak=False)
    yield sent
    signals.offer_sent.disconnect(on_offer_sent)


def ready(name: str, district: str = "Menteng") -> Any:
    walker = WalkerProfileFactory(user__first_name=name)
    make_verified(walker)
    return make_available(walker, District.objects.get(name=district))


def book_walk(owner: Any, dog: Any) -> Booking:
    details = BookingDetails(
        dogs=[dog],
        service=Service.objects.get(code="walk-60"),
        area=Area.objects.get(slug="jakarta"),
        address="Jl. Teuku Umar No. 10, Menteng",
        latitude=MENTENG[0],
        longitude=MENTENG[1],
    )
    booking, _created = book(owner, details, walk_start(), uuid.uuid4())
    return booking


def test_booking_matched_offered_accepted(worker, offers_sent, owner, dog):
    agus = ready("Agus")
    booking = book_walk(owner, dog)

    [run] = worker.wait(MATCH)
    assert run["args"] == [booking.pk, "created"]
    assert run["result"] == f"offered to walker {agus.pk}"
    assert worker.failures_of("bookings.tasks.") == []
    offer = Offer.objects.get(booking=booking)
    assert offers_sent == [offer.pk]

    accept_offer(offer, agus)
    booking.refresh_from_db()
    assert booking.walker == agus
    assert booking.status == Booking.Status.CONFIRMED


def test_same_task_twice_offers_once(worker, offers_sent, owner, dog):
    ready("Agus")
    booking = book_walk(owner, dog)
    worker.wait(MATCH)

    match_booking.delay(booking.pk, "created")
    match_booking.delay(booking.pk, "created")

    runs = worker.wait(MATCH, 3)
    assert [r["result"] for r in runs[1:]] == ["offer out", "offer out"]
    assert Offer.objects.filter(booking=booking).count() == 1
    assert len(offers_sent) == 1
    assert worker.failures_of("bookings.tasks.") == []


def test_expired_offer_goes_to_next_walker(worker, owner, dog, settings):
    ready("Agus")
    tebet = ready("Tebet", "Tebet")
    booking = book_walk(owner, dog)
    worker.wait(MATCH)
    later = timezone.now() + dt.timedelta(
        minutes=settings.MATCHING_OFFER_TIMEOUT_MINUTES, seconds=5
    )

    with time_machine.travel(later):
        expire_offers.delay()
        runs = worker.wait(MATCH, 2)

    assert runs[1]["args"] == [booking.pk, "expired"]
    assert Offer.objects.get(booking=booking, state="sent").walker == tebet
    assert BookingMatch.objects.get(booking=booking).refusals == 1
    assert worker.failures_of("bookings.tasks.") == []


def test_gone_booking_task_ends_quietly(worker):
    match_booking.delay(424242, "created")
    [run] = worker.wait(MATCH)
    assert run["result"] == "gone"
    assert worker.failures_of("bookings.tasks.") == []
