"""The demo data loader, as ./scripts/demo runs it: tasks in-process."""

import io

import pytest
from django.core.management import call_command

from bookings.models import Booking, BookingMatch, Offer
from notifications.models import Event, Message

# Transactional, so that the matching queued on commit runs as in the demo.
pytestmark = pytest.mark.django_db(transaction=True)


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_prints_logins_and_next_walk():
    output = load_demo()

    assert "ops@pompygo.test" in output
    assert "dewi@pompygo.test" in output
    assert "agus.walker@pompygo.test" in output
    assert "Next walk to run: booking " in output


def test_demo_requested_bookings_offered_at_once():
    load_demo()

    waiting = Booking.objects.filter(status=Booking.Status.REQUESTED)
    assert waiting.exists()
    for booking in waiting:
        state = BookingMatch.objects.get(booking=booking).state
        assert state in (BookingMatch.State.OFFERED, BookingMatch.State.ESCALATED)
    offers = Offer.objects.filter(booking__in=waiting, state=Offer.State.SENT)
    assert offers.exists()
    assert Message.objects.filter(event=Event.OFFER_SENT).exists()


def test_demo_loads_twice_without_copies():
    load_demo()
    bookings = Booking.objects.count()
    offers = Offer.objects.count()

    load_demo()

    assert Booking.objects.count() == bookings
    assert Offer.objects.count() == offers
