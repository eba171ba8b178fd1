"""The booking state machine, cancellation under the policy, assignment."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.utils import timezone, translation

from bookings.models import Booking, BookingEvent, BookingPolicy, IllegalTransition
from bookings.services import (
    WalkerUnavailable,
    assign_walker,
    cancel,
    quote_cancellation,
)
from tests.factories import BookingFactory, WalkerProfileFactory

pytestmark = pytest.mark.usefixtures("english")

Status = Booking.Status
ALLOWED = {
    (Status.REQUESTED, Status.AWAITING_PAYMENT),
    (Status.REQUESTED, Status.CONFIRMED),
    (Status.REQUESTED, Status.CANCELLED),
    (Status.AWAITING_PAYMENT, Status.CONFIRMED),
    (Status.AWAITING_PAYMENT, Status.CANCELLED),
    (Status.CONFIRMED, Status.REQUESTED),
    (Status.CONFIRMED, Status.IN_PROGRESS),
    (Status.CONFIRMED, Status.CANCELLED),
    (Status.CONFIRMED, Status.NO_SHOW),
    (Status.IN_PROGRESS, Status.COMPLETED),
}
ALL_PAIRS = list(itertools.product(Status.values, Status.values))


@pytest.mark.parametrize(("from_status", "to_status"), sorted(ALLOWED))
def test_allowed_transition_recorded(owner, staff, from_status, to_status):
    booking = BookingFactory(owner=owner, status=from_status)
    booking.transition(to_status, actor=staff, note="checked")

    booking.refresh_from_db()
    event = BookingEvent.objects.get(booking=booking)
    assert booking.status == to_status
    assert (event.from_status, event.to_status, event.actor) == (
        from_status,
        to_status,
        staff,
    )
    assert event.note == "checked"


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [pair for pair in ALL_PAIRS if pair not in ALLOWED],
)
def test_illegal_transition_changes_nothing(owner, staff, from_status, to_status):
    booking = BookingFactory(owner=owner, status=from_status)

    with pytest.raises(IllegalTransition):
        booking.transition(to_status, actor=staff)

    booking.refresh_from_db()
    assert booking.status == from_status
    assert not BookingEvent.objects.filter(booking=booking).exists()


def test_stale_object_cannot_transition(owner, staff):
    booking = BookingFactory(owner=owner)
    stale = Booking.objects.get(pk=booking.pk)
    booking.transition(Status.CANCELLED, actor=owner)

    with pytest.raises(IllegalTransition):
        stale.transition(Status.CONFIRMED, actor=staff)
    booking.refresh_from_db()
    assert booking.status == Status.CANCELLED
    assert BookingEvent.objects.filter(booking=booking).count() == 1


class TestCancellation:
    START = dt.datetime(2026, 12, 10, 9, 0, tzinfo=timezone.get_default_timezone())

    def booking(self, owner):
        return BookingFactory(
            owner=owner,
            starts_at=self.START,
            ends_at=self.START + dt.timedelta(hours=1),
        )

    def test_free_before_cutoff(self, owner):
        booking = self.booking(owner)
        with time_machine.travel(
            self.START - dt.timedelta(hours=12, minutes=1), tick=False
        ):
            quote = cancel(booking, owner)

        booking.refresh_from_db()
        assert quote.fee == 0
        assert booking.status == Status.CANCELLED
        assert booking.cancellation_fee == 0

    def test_fee_after_cutoff(self, owner):
        booking = self.booking(owner)
        with time_machine.travel(self.START - dt.timedelta(hours=2), tick=False):
            cancel(booking, owner)

        booking.refresh_from_db()
        assert booking.cancellation_fee == 60000
        assert "fee" in booking.events.get(to_status=Status.CANCELLED).note

    def test_cutoff_and_fee_set_by_ops(self, owner):
        policy = BookingPolicy.current()
        policy.free_cancellation_hours = 24
        policy.late_cancellation_fee_percent = 25
        policy.save()
        booking = self.booking(owner)
        with time_machine.travel(self.START - dt.timedelta(hours=20), tick=False):
            quote = quote_cancellation(booking)

        assert quote.fee == 30000
        assert quote.free_until == self.START - dt.timedelta(hours=24)

    def test_fee_rounds_to_whole_rupiah(self, owner):
        policy = BookingPolicy.current()
        policy.late_cancellation_fee_percent = 33
        policy.save()
        booking = self.booking(owner)
        booking.price = 75001
        with time_machine.travel(self.START - dt.timedelta(hours=1), tick=False):
            quote = quote_cancellation(booking)

        assert quote.fee == 24750
        assert isinstance(quote.fee, int)

    @pytest.mark.parametrize(
        "status", [Status.IN_PROGRESS, Status.COMPLETED, Status.CANCELLED]
    )
    def test_started_or_ended_booking_not_cancellable(self, owner, status):
        booking = BookingFactory(owner=owner, status=status)

        assert not booking.is_cancellable
        with pytest.raises(IllegalTransition):
            cancel(booking, owner)


class TestAssignment:
    def test_assign_confirms_booking(self, owner, staff, walker):
        booking = BookingFactory(owner=owner)
        assign_walker(booking, walker, staff)

        booking.refresh_from_db()
        assert booking.walker == walker
        assert booking.status == Status.CONFIRMED
        assert booking.events.get().actor == staff

    def test_reassign_confirmed_booking(self, owner, staff, walker):
        booking = BookingFactory(owner=owner)
        assign_walker(booking, walker, staff)
        other = WalkerProfileFactory()
        assign_walker(booking, other, staff)

        booking.refresh_from_db()
        assert booking.walker == other
        assert booking.events.count() == 2

    def test_inactive_walker_rejected(self, owner, staff, walker):
        walker.is_active = False
        walker.save()
        booking = BookingFactory(owner=owner)

        with pytest.raises(WalkerUnavailable):
            assign_walker(booking, walker, staff)
        booking.refresh_from_db()
        assert booking.walker is None
        assert booking.status == Status.REQUESTED

    def test_busy_walker_rejected(self, owner, staff, walker):
        first = BookingFactory(owner=owner)
        assign_walker(first, walker, staff)
        second = BookingFactory(
            owner=owner,
            starts_at=first.starts_at + dt.timedelta(minutes=30),
        )

        with pytest.raises(WalkerUnavailable, match=first.reference):
            assign_walker(second, walker, staff)
        second.refresh_from_db()
        assert second.walker is None

    def test_cancelled_booking_frees_walker(self, owner, staff, walker):
        first = BookingFactory(owner=owner)
        assign_walker(first, walker, staff)
        cancel(first, owner)
        second = BookingFactory(owner=owner, starts_at=first.starts_at)

        assign_walker(second, walker, staff)
        second.refresh_from_db()
        assert second.walker == walker


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Booking {} cannot go from Completed to Confirmed."),
        ("id", "Pemesanan {} tidak bisa berubah dari Selesai menjadi Dikonfirmasi."),
    ],
)
def test_illegal_transition_message_translated(language, text):
    booking = BookingFactory(status=Booking.Status.COMPLETED)

    with translation.override(language), pytest.raises(IllegalTransition) as raised:
        booking.transition(Booking.Status.CONFIRMED, actor=None)

    assert str(raised.value) == text.format(booking.reference)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Booking {} is no longer requested."),
        ("id", "Pemesanan {} sudah tidak berstatus diajukan."),
    ],
)
def test_lost_transition_race_message_translated(language, text):
    booking = BookingFactory()
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)

    with translation.override(language), pytest.raises(IllegalTransition) as raised:
        booking.transition(Booking.Status.CONFIRMED, actor=None)

    assert str(raised.value) == text.format(booking.reference)


def test_history_row_reads_as_words():
    booking = BookingFactory()
    created, confirmed = (
        BookingEvent(booking=booking, from_status="", to_status="requested"),
        BookingEvent(booking=booking, from_status="requested", to_status="confirmed"),
    )

    assert str(created) == "Created as Requested"
    assert str(confirmed) == "Requested → Confirmed"
