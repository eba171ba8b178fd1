"""Races on real connections: exactly one wins, and the loser gets a clear answer."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings.matching import OfferUnavailable, accept_offer, batch_assign
from bookings.models import Booking, District, Offer
from bookings.services import WalkerUnavailable, assign_walker
from tests.factories import BookingFactory, WalkerProfileFactory, walk_start
from tests.test_booking_overlap import run_at_once
from walkers.demo import make_available, make_verified

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("english"),
]

TEN = walk_start(days=3, hour=10)


def ready(name: str, district: str = "Menteng"):
    walker = WalkerProfileFactory(user__first_name=name)
    make_verified(walker)
    return make_available(walker, District.objects.get(name=district))


def offer_to(walker, starts_at: dt.datetime) -> Offer:
    return Offer.objects.create(
        booking=BookingFactory(starts_at=starts_at),
        walker=walker,
        expires_at=timezone.now() + dt.timedelta(minutes=10),
    )


@pytest.mark.parametrize("offset_minutes", [0, 30])
def test_two_tabs_accept_overlapping_offers(offset_minutes):
    agus = ready("Agus")
    first = offer_to(agus, TEN)
    second = offer_to(agus, TEN + dt.timedelta(minutes=offset_minutes))

    def accept(offer):
        return lambda: accept_offer(Offer.objects.get(pk=offer.pk), agus)

    results = run_at_once([accept(first), accept(second)])

    winners = [r for r in results if isinstance(r, Booking)]
    losers = [r for r in results if isinstance(r, OfferUnavailable)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert Booking.objects.filter(walker=agus).count() == 1
    states = sorted(Offer.objects.values_list("state", flat=True))
    assert states == ["accepted", "withdrawn"]


def test_two_tabs_loser_sees_clear_page():
    agus = ready("Agus")
    offers = [offer_to(agus, TEN), offer_to(agus, TEN + dt.timedelta(minutes=15))]

    def post(offer):
        def work():
            tab = Client()
            tab.force_login(agus.user)
            response = tab.post(reverse("walkers:accept-offer", args=[offer.pk]))
            return response.status_code, response.content.decode()

        return work

    results = run_at_once([post(offer) for offer in offers])

    statuses = sorted(status for status, _page in results)
    assert statuses == [302, 409], results
    [page] = [page for status, page in results if status == 409]
    assert "Offer no longer available" in page


def test_batch_races_manual_assignment_of_same_booking(staff):
    agus = ready("Agus")
    budi = ready("Budi", "Tebet")
    booking = BookingFactory(starts_at=TEN)

    def batch():
        return batch_assign([Booking.objects.get(pk=booking.pk)])

    def manual():
        assign_walker(Booking.objects.get(pk=booking.pk), budi, staff)
        return "manual"

    batch_result, manual_result = run_at_once([batch, manual])

    booking.refresh_from_db()
    assert booking.walker in (agus, budi)
    assert Booking.objects.filter(walker__isnull=False).count() == 1
    if booking.walker == budi:
        assert manual_result == "manual"
        assert batch_result.assigned == []
    else:
        assert isinstance(manual_result, Exception), manual_result
        assert [b for b, _w, _s in batch_result.assigned] == [booking.pk]


def test_batch_races_manual_assignment_of_same_walker(staff):
    agus = ready("Agus")
    by_batch = BookingFactory(starts_at=TEN)
    by_hand = BookingFactory(starts_at=TEN + dt.timedelta(minutes=30))

    def batch():
        return batch_assign([Booking.objects.get(pk=by_batch.pk)])

    def manual():
        assign_walker(Booking.objects.get(pk=by_hand.pk), agus, staff)
        return "manual"

    batch_result, manual_result = run_at_once([batch, manual])

    assert Booking.objects.filter(walker=agus).count() == 1
    if manual_result == "manual":
        assert batch_result.assigned == []
    else:
        assert isinstance(manual_result, WalkerUnavailable), manual_result
        assert len(batch_result.assigned) == 1


class PostgresError(Exception):
    def __init__(self, pgcode: str) -> None:
        super().__init__(pgcode)
        self.pgcode = pgcode


@pytest.mark.parametrize(("pgcode", "deadlock"), [("40P01", True), ("57014", False)])
def test_deadlock_detected_by_sqlstate(pgcode, deadlock):
    from django.db import OperationalError

    from bookings.services import _is_deadlock

    error = OperationalError("deadlock detected")
    error.__cause__ = PostgresError(pgcode)
    assert _is_deadlock(error) is deadlock
