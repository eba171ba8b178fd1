"""Bulk writing of the batch's assignments: one UPDATE per chunk, same rules."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings import services, signals
from bookings.models import Booking, BookingEvent, BookingMatch, District, Offer
from bookings.services import WalkerUnavailable, assign_walker, assign_walkers
from tests.factories import BookingFactory, WalkerProfileFactory
from walkers.demo import make_available, make_verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DAY = timezone.localdate() + dt.timedelta(days=1)


def wib(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(DAY, dt.time(hour, minute)))


def ready(name: str):
    walker = WalkerProfileFactory(user__first_name=name)
    make_verified(walker)
    return make_available(walker, District.objects.get(name="Menteng"))


def fresh(booking: Booking) -> Booking:
    return Booking.objects.get(pk=booking.pk)


def test_bulk_confirms_and_records_history():
    agus, budi = ready("Agus"), ready("Budi")
    first, second = BookingFactory(starts_at=wib(9)), BookingFactory(starts_at=wib(9))
    errors = assign_walkers([(first, agus), (second, budi)])
    assert errors == [None, None]
    assert fresh(first).walker == agus
    assert fresh(second).walker == budi
    assert fresh(first).status == Booking.Status.CONFIRMED
    assert first.status == Booking.Status.CONFIRMED
    assert first.walker == agus
    event = BookingEvent.objects.get(booking=first)
    assert event.from_status == Booking.Status.REQUESTED
    assert event.to_status == Booking.Status.CONFIRMED
    assert event.note == f"Walker assigned: {agus}"
    states = set(BookingMatch.objects.values_list("state", flat=True))
    assert states == {BookingMatch.State.ASSIGNED}


def test_bulk_sends_one_assignment_signal_per_chunk(monkeypatch):
    monkeypatch.setattr(services, "ASSIGNMENT_CHUNK_SIZE", 2)
    walkers = [ready("Agus"), ready("Budi"), ready("Sari")]
    walks = [BookingFactory(starts_at=wib(9)) for _walker in walkers]
    one_by_one, chunks, changed = [], [], []

    def on_assigned(sender, booking, walker, **kwargs):
        one_by_one.append(booking.pk)

    def on_chunk(sender, pairs, actor, **kwargs):
        chunks.append([(booking.pk, walker.pk) for booking, walker in pairs])

    def on_changed(sender, booking, from_status, to_status, **kwargs):
        changed.append((booking.pk, from_status, to_status))

    signals.walker_assigned.connect(on_assigned, dispatch_uid="test-bulk-one")
    signals.walkers_assigned.connect(on_chunk, dispatch_uid="test-bulk-chunk")
    signals.booking_status_changed.connect(on_changed, dispatch_uid="test-bulk-change")
    try:
        assign_walkers(list(zip(walks, walkers, strict=True)))
    finally:
        signals.walker_assigned.disconnect(dispatch_uid="test-bulk-one")
        signals.walkers_assigned.disconnect(dispatch_uid="test-bulk-chunk")
        signals.booking_status_changed.disconnect(dispatch_uid="test-bulk-change")
    pairs = [(walk.pk, walker.pk) for walk, walker in zip(walks, walkers, strict=True)]
    assert chunks == [pairs[:2], pairs[2:]]
    assert one_by_one == []
    assert changed == [
        (walk.pk, Booking.Status.REQUESTED, Booking.Status.CONFIRMED) for walk in walks
    ]


def test_bulk_withdraws_other_walkers_offers():
    agus, budi = ready("Agus"), ready("Budi")
    walk, kept = BookingFactory(starts_at=wib(9)), BookingFactory(starts_at=wib(12))
    expires = timezone.now() + dt.timedelta(hours=1)
    to_budi = Offer.objects.create(booking=walk, walker=budi, expires_at=expires)
    to_agus = Offer.objects.create(booking=kept, walker=agus, expires_at=expires)
    assign_walkers([(walk, agus), (kept, agus)])
    to_budi.refresh_from_db()
    to_agus.refresh_from_db()
    assert to_budi.state == Offer.State.WITHDRAWN
    assert to_budi.note == "Another walker was assigned."
    assert to_agus.state == Offer.State.SENT


def test_bulk_skips_booking_taken_meanwhile(staff):
    agus, budi = ready("Agus"), ready("Budi")
    taken, free = BookingFactory(starts_at=wib(9)), BookingFactory(starts_at=wib(12))
    assign_walker(fresh(taken), budi, staff)
    errors = assign_walkers([(taken, agus), (free, agus)])
    assert isinstance(errors[0], services.IllegalTransition)
    assert errors[1] is None
    assert fresh(taken).walker == budi
    assert taken.status == Booking.Status.REQUESTED
    assert fresh(free).walker == agus


def test_bulk_skips_walker_with_overlapping_walk(staff):
    agus = ready("Agus")
    held = BookingFactory(starts_at=wib(9))
    assign_walker(held, agus, staff)
    clash = BookingFactory(starts_at=wib(9, 30))
    [error] = assign_walkers([(clash, agus)])
    assert isinstance(error, WalkerUnavailable)
    assert (
        str(error)
        == f"{agus} already has booking {held.reference} at an overlapping time."
    )
    assert fresh(clash).walker is None
    assert fresh(clash).status == Booking.Status.REQUESTED


def test_bulk_falls_back_when_chunk_violates_constraint():
    """Two overlapping walks of one walker in a chunk: the constraint rejects it."""
    agus = ready("Agus")
    first, second = (
        BookingFactory(starts_at=wib(9)),
        BookingFactory(starts_at=wib(9, 30)),
    )
    errors = assign_walkers([(first, agus), (second, agus)])
    assert errors[0] is None
    assert isinstance(errors[1], WalkerUnavailable)
    assert fresh(first).walker == agus
    assert fresh(second).walker is None
    assert second.status == Booking.Status.REQUESTED
    assert second.walker_id is None
    assert BookingEvent.objects.filter(booking=first).count() == 1
    assert BookingEvent.objects.filter(booking=second).count() == 0
    # The one-by-one pass closed the first booking's matching itself.
    assert BookingMatch.objects.get(booking=first).state == BookingMatch.State.ASSIGNED
    assert not BookingMatch.objects.filter(booking=second).exists()


def test_bulk_writes_in_chunks(monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(services, "ASSIGNMENT_CHUNK_SIZE", 2)
    walkers = [ready(f"Walker{i}") for i in range(5)]
    walks = [BookingFactory(starts_at=wib(9)) for _ in walkers]
    with django_assert_max_num_queries(60):
        errors = assign_walkers(list(zip(walks, walkers, strict=True)))
    assert errors == [None] * 5
    assert [fresh(walk).walker for walk in walks] == walkers
