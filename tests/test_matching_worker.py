"""Matching on a real Celery worker that consumes from the real Redis.

The worker runs in a thread of the test process, as in tests/test_tasks.py,
so the signals it sends reach receivers connected here.
"""

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from celery import signals as celery_signals
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from bookings import signals
from bookings.matching import accept_offer
from bookings.models import Area, Booking, BookingMatch, District, Offer, Service
from bookings.services import BookingDetails, book
from bookings.tasks import expire_offers, match_booking
from pompygo.celery import app
from tests.factories import MENTENG, WalkerProfileFactory, walk_start
from walkers.demo import make_available, make_verified

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

WAIT_SECONDS = 20
MATCH = "bookings.tasks.match_booking"


class Runs:
    def __init__(self) -> None:
        self.finished: list[dict[str, Any]] = []
        self.failures: list[BaseException] = []
        self.offers_sent: list[int] = []

    def on_postrun(self, task: Any, args: Any, retval: Any, **kw: Any) -> None:
        self.finished.append({"name": task.name, "args": list(args), "result": retval})

    def on_failure(self, sender: Any, exception: BaseException, **kw: Any) -> None:
        # Only the matching tasks: the notification tasks have their own tests.
        if sender.name.startswith("bookings.tasks."):
            self.failures.append(exception)

    def on_offer_sent(self, offer: Offer, **kw: Any) -> None:
        self.offers_sent.append(offer.pk)

    def wait(self, name: str, count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + WAIT_SECONDS
        while len(done := [r for r in self.finished if r["name"] == name]) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"Timed out waiting for {count} {name}: {self.finished}")
            time.sleep(0.05)
        return done


@pytest.fixture
def worker() -> Iterator[Runs]:
    runs = Runs()
    celery_signals.task_postrun.connect(runs.on_postrun, weak=False)
    celery_signals.task_failure.connect(runs.on_failure, weak=False)
    signals.offer_sent.connect(runs.on_offer_sent, weak=False)
    app.conf.task_always_eager = False
    app.conf.worker_hijack_root_logger = False
    app.control.purge()
    try:
        with start_worker(
            app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
        ):
            yield runs
    finally:
        app.conf.task_always_eager = True
        celery_signals.task_postrun.disconnect(runs.on_postrun)
        celery_signals.task_failure.disconnect(runs.on_failure)
        signals.offer_sent.disconnect(runs.on_offer_sent)


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


def test_booking_matched_offered_accepted(worker, owner, dog):
    agus = ready("Agus")
    booking = book_walk(owner, dog)

    [run] = worker.wait(MATCH, 1)
    assert run["args"] == [booking.pk, "created"]
    assert run["result"] == f"offered to walker {agus.pk}"
    assert worker.failures == []
    offer = Offer.objects.get(booking=booking)
    assert worker.offers_sent == [offer.pk]

    accept_offer(offer, agus)
    booking.refresh_from_db()
    assert booking.walker == agus
    assert booking.status == Booking.Status.CONFIRMED


def test_same_task_twice_offers_once(worker, owner, dog):
    ready("Agus")
    booking = book_walk(owner, dog)
    worker.wait(MATCH, 1)

    match_booking.delay(booking.pk, "created")
    match_booking.delay(booking.pk, "created")

    runs = worker.wait(MATCH, 3)
    assert [r["result"] for r in runs[1:]] == ["offer out", "offer out"]
    assert Offer.objects.filter(booking=booking).count() == 1
    assert len(worker.offers_sent) == 1
    assert worker.failures == []


def test_expired_offer_goes_to_next_walker(worker, owner, dog, settings):
    ready("Agus")
    tebet = ready("Tebet", "Tebet")
    booking = book_walk(owner, dog)
    worker.wait(MATCH, 1)
    later = timezone.now() + dt.timedelta(
        minutes=settings.MATCHING_OFFER_TIMEOUT_MINUTES, seconds=5
    )

    with time_machine.travel(later):
        expire_offers.delay()
        runs = worker.wait(MATCH, 2)

    assert runs[1]["args"] == [booking.pk, "expired"]
    assert Offer.objects.get(booking=booking, state="sent").walker == tebet
    assert BookingMatch.objects.get(booking=booking).refusals == 1
    assert worker.failures == []


def test_gone_booking_task_ends_quietly(worker):
    match_booking.delay(424242, "created")
    [run] = worker.wait(MATCH, 1)
    assert run["result"] == "gone"
    assert worker.failures == []
