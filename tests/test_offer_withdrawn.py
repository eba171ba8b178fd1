"""Walkers hear when their open offer is withdrawn: cancelled, taken, busy."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings import signals
from bookings.matching import accept_offer
from bookings.models import Booking, District, MatchRun, Offer
from bookings.services import assign_walker, assign_walkers, cancel
from notifications.models import Channel, Event, Message
from notifications.services import render
from tests.factories import BookingFactory, WalkerProfileFactory
from walkers.demo import make_available, make_verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def ready(name: str):
    walker = WalkerProfileFactory(user__first_name=name, user__language="en")
    make_verified(walker)
    return make_available(walker, District.objects.get(name="Menteng"))


def offered(booking: Booking, walker) -> Offer:
    return Offer.objects.create(
        booking=booking,
        walker=walker,
        expires_at=booking.starts_at,
    )


def withdrawn_messages(walker) -> list[Message]:
    return list(
        Message.objects.filter(event=Event.OFFER_WITHDRAWN, recipient=walker.user)
    )


def site_text(walker) -> str:
    [message] = [m for m in withdrawn_messages(walker) if m.channel == Channel.SITE]
    return render(message).text


def test_cancelled_booking_tells_offered_walker(owner):
    agus = ready("Agus")
    booking = BookingFactory(owner=owner)
    offer = offered(booking, agus)

    cancel(booking, owner)

    offer.refresh_from_db()
    assert offer.state == Offer.State.WITHDRAWN
    assert {m.channel for m in withdrawn_messages(agus)} == {"email", "site"}
    assert "the owner cancelled the booking." in site_text(agus)
    assert render(withdrawn_messages(agus)[0]).subject == (
        f"Walk offer {booking.reference} withdrawn"
    )


def test_walk_taken_by_other_walker_tells_offered_walker(staff):
    agus, budi = ready("Agus"), ready("Budi")
    booking = BookingFactory()
    offered(booking, agus)

    assign_walker(booking, budi, staff)

    assert "another walker took the walk." in site_text(agus)
    assert withdrawn_messages(budi) == []


def test_batch_assignment_tells_offered_walkers():
    agus, budi, sari = ready("Agus"), ready("Budi"), ready("Sari")
    first, second = BookingFactory(), BookingFactory()
    offered(first, agus)
    sari_offer = offered(second, sari)

    assign_walkers([(first, budi), (second, sari)])

    assert "another walker took the walk." in site_text(agus)
    # The walker assigned keeps their offer and hears nothing of it.
    sari_offer.refresh_from_db()
    assert sari_offer.state == Offer.State.SENT
    assert withdrawn_messages(sari) == []


def test_accepted_offer_withdraws_nothing():
    agus = ready("Agus")
    booking = BookingFactory()
    offer = offered(booking, agus)

    accept_offer(offer, agus)

    assert Message.objects.filter(event=Event.OFFER_WITHDRAWN).count() == 0


def test_withdrawal_signal_lists_only_open_offers(owner):
    agus, budi = ready("Agus"), ready("Budi")
    booking = BookingFactory(owner=owner)
    declined = offered(booking, agus)
    Offer.objects.filter(pk=declined.pk).update(state=Offer.State.DECLINED)
    open_offer = offered(booking, budi)
    received = []

    def on_withdrawn(sender, offer_ids, reason, **kwargs):
        received.append((sorted(offer_ids), reason))

    signals.offers_withdrawn.connect(on_withdrawn, dispatch_uid="test-withdrawn")
    try:
        cancel(booking, owner)
    finally:
        signals.offers_withdrawn.disconnect(dispatch_uid="test-withdrawn")

    assert received == [([open_offer.pk], "cancelled")]
    assert withdrawn_messages(agus) == []


def walk_at(hours: float) -> Booking:
    starts = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + dt.timedelta(days=2), dt.time(9))
    ) + dt.timedelta(hours=hours)
    return BookingFactory(starts_at=starts, ends_at=starts + dt.timedelta(hours=1))


def test_assignment_withdraws_walkers_clashing_offer(
    staff, django_capture_on_commit_callbacks
):
    agus, budi = ready("Agus"), ready("Budi")
    assigned, clashing, later = walk_at(0), walk_at(0.5), walk_at(4)
    clashing_offer, later_offer = offered(clashing, agus), offered(later, agus)

    with django_capture_on_commit_callbacks(execute=True):
        assign_walker(assigned, agus, staff)

    clashing_offer.refresh_from_db()
    later_offer.refresh_from_db()
    assert clashing_offer.state == Offer.State.WITHDRAWN
    assert clashing_offer.note == "The walker has another walk at that time."
    assert later_offer.state == Offer.State.SENT
    assert "you now have another walk at a clashing time." in site_text(agus)
    # Matched again at once: the walk goes to the next walker.
    assert MatchRun.objects.get(booking=clashing).trigger == "walker_busy"
    assert Offer.objects.get(booking=clashing, state=Offer.State.SENT).walker == budi


def test_accepting_one_offer_withdraws_clashing_one():
    agus = ready("Agus")
    first, second = walk_at(0), walk_at(0.75)
    accepted, clashing = offered(first, agus), offered(second, agus)

    accept_offer(accepted, agus)

    clashing.refresh_from_db()
    assert clashing.state == Offer.State.WITHDRAWN


def test_batch_withdraws_walkers_clashing_offer():
    agus = ready("Agus")
    assigned, clashing = walk_at(0), walk_at(0.5)
    clashing_offer = offered(clashing, agus)

    assign_walkers([(assigned, agus)])

    clashing_offer.refresh_from_db()
    assert clashing_offer.state == Offer.State.WITHDRAWN
