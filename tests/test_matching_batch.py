"""Batch assignment: every rule of the one-booking matching, for many at once."""

import datetime as dt
import itertools

import numpy as np
import pytest
from django.utils import timezone

from bookings.matching import (
    batch_assign,
    batch_candidates,
    batch_walkers,
    build_problem,
    rank_candidates,
    solve,
)
from bookings.models import Booking, District, Dog, Offer
from bookings.tasks import batch_assign as batch_task
from tests.factories import BookingFactory, DogFactory, WalkerProfileFactory
from walkers.demo import make_available, make_verified
from walkers.models import AvailabilityException, PreferredWalker, WeeklyAvailability

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DAY = timezone.localdate() + dt.timedelta(days=1)


def wib(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def ready(name: str, district: str = "Menteng", max_walks_per_day: int = 4):
    walker = WalkerProfileFactory(user__first_name=name)
    make_verified(walker)
    make_available(walker, District.objects.get(name=district))
    walker.max_walks_per_day = max_walks_per_day
    walker.save()
    return walker


def at(district: str, starts_at: dt.datetime, **kwargs) -> Booking:
    place = District.objects.get(name=district)
    return BookingFactory(
        starts_at=starts_at,
        latitude=place.latitude,
        longitude=place.longitude,
        **kwargs,
    )


def walkers_of(bookings) -> list:
    return [Booking.objects.get(pk=b.pk).walker for b in bookings]


def test_one_walker_gets_one_of_two_overlapping():
    agus = ready("Agus")
    first, second = at("Menteng", wib(9)), at("Menteng", wib(9, 30))
    result = batch_assign([first, second])
    assert len(result.assigned) == 1
    assert len(result.unplaced) == 1
    assert walkers_of([first, second]).count(agus) == 1


@pytest.mark.parametrize(("minute", "both"), [(0, False), (30, True)])
def test_batch_leaves_travel_time(settings, minute, both):
    settings.MATCHING_TRAVEL_BUFFER_MINUTES = 10
    settings.MATCHING_TRAVEL_SPEED_KMH = 15
    agus = ready("Agus")
    # Tebet is about 4.4 km from Menteng: 28 minutes with the buffer.
    walks = [at("Menteng", wib(9)), at("Tebet", wib(10, minute))]
    result = batch_assign(walks)
    assert len(result.assigned) == (2 if both else 1)
    assert walkers_of(walks).count(agus) == len(result.assigned)


def test_batch_respects_daily_maximum():
    ready("Agus", max_walks_per_day=1)
    walks = [at("Menteng", wib(8)), at("Menteng", wib(12)), at("Menteng", wib(16))]
    result = batch_assign(walks)
    assert len(result.assigned) == 1


def test_batch_counts_held_walks(settings):
    agus = ready("Agus", max_walks_per_day=2)
    at("Menteng", wib(7), walker=agus, status=Booking.Status.CONFIRMED)
    walks = [at("Menteng", wib(7, 30)), at("Menteng", wib(12)), at("Menteng", wib(16))]
    result = batch_assign(walks)
    # 07:30 overlaps the held walk, and the daily maximum leaves room for one.
    assert len(result.assigned) == 1
    assert walkers_of(walks)[0] is None


def test_batch_places_many_with_many_walkers():
    walkers = [
        ready(f"W{n}", district)
        for n, district in enumerate(["Menteng", "Tebet", "Kemang", "Menteng"])
    ]
    walks = [at("Menteng", wib(hour)) for hour in (8, 8, 8, 8, 10, 10)]
    result = batch_assign(walks)
    assert len(result.assigned) == 6
    assigned = [Booking.objects.get(pk=b.pk) for b in walks]
    by_walker = {w.pk: [b for b in assigned if b.walker_id == w.pk] for w in walkers}
    for held in by_walker.values():
        starts = sorted(b.starts_at for b in held)
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        assert all(gap >= dt.timedelta(hours=1) for gap in gaps)


def test_batch_prefers_owners_preferred_walker(owner):
    ready("Near", "Menteng")
    favourite = ready("Favourite", "Kemang")
    PreferredWalker.objects.create(owner=owner, walker=favourite)
    walk = at("Menteng", wib(9), owner=owner)
    batch_assign([walk])
    assert walkers_of([walk]) == [favourite]


def test_batch_skips_bookings_with_open_offer():
    agus = ready("Agus")
    offered = at("Menteng", wib(9))
    Offer.objects.create(
        booking=offered, walker=agus, expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    waiting = at("Menteng", wib(14))
    now = timezone.make_aware(dt.datetime.combine(DAY, dt.time(0)))
    assert [b.pk for b in batch_candidates(now=now, window_hours=24)] == [waiting.pk]


def test_batch_keeps_walkers_free_for_their_open_offers():
    agus = ready("Agus")
    budi = ready("Budi", "Tebet")
    Offer.objects.create(
        booking=at("Menteng", wib(9)),
        walker=agus,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    walk = at("Menteng", wib(9, 15))
    batch_assign([walk])
    assert walkers_of([walk]) == [budi]


def test_batch_skips_booking_taken_meanwhile(staff):
    from bookings.services import assign_walker

    agus = ready("Agus")
    budi = ready("Budi", "Tebet")
    walk = at("Menteng", wib(9))
    stale = Booking.objects.get(pk=walk.pk)
    assign_walker(Booking.objects.get(pk=walk.pk), budi, staff)
    result = batch_assign([stale])
    assert result.lost_races == [walk.pk]
    assert walkers_of([walk]) == [budi]
    assert agus.bookings.count() == 0


def test_batch_rules_match_one_booking_matching(owner):
    """The batch's allowed pairs are exactly the one-booking candidates."""
    ready("Menteng")
    ready("Tebet", "Tebet")
    far = ready("Far", "BSD City")
    far.service_radius_km = 5
    far.save()
    small = ready("Small")
    small.dog_sizes = "small"
    small.save()
    leave = ready("Leave")
    AvailabilityException.objects.create(walker=leave, date=DAY, reason="cuti")
    mornings = ready("Mornings")
    WeeklyAvailability.objects.filter(walker=mornings).update(end_time=dt.time(12))
    busy = ready("Busy", max_walks_per_day=4)
    at("Menteng", wib(10), walker=busy, status=Booking.Status.CONFIRMED)
    walks = [
        at("Menteng", wib(9)),
        at("Tebet", wib(11)),
        at("Kemang", wib(14), dogs=[DogFactory(size=Dog.Size.LARGE)]),
        at("Menteng", wib(6, 0, DAY + dt.timedelta(days=1))),
    ]
    walks = [Booking.objects.select_related("area").get(pk=b.pk) for b in walks]
    walkers = batch_walkers(walks)
    problem = build_problem(walks, walkers)
    for i, walk in enumerate(walks):
        batch_ids = {walkers[j].pk for j in np.flatnonzero(problem.feasible[i])}
        ranked = {c.walker.pk for c in rank_candidates(walk).candidates}
        assert batch_ids == ranked, walk


def test_solve_places_what_can_be_placed():
    for n, district in enumerate(["Menteng", "Tebet", "Kemang"]):
        ready(f"W{n}", district)
    walks = [
        Booking.objects.select_related("area").get(pk=at("Menteng", wib(h)).pk)
        for h in (8, 9, 10, 11, 8, 9)
    ]
    problem = build_problem(walks, batch_walkers(walks))
    picks = solve(problem)
    assert len({b for b, _w in picks}) == len(picks)
    # No walker can take walks in two hours running (the travel buffer), so
    # of 08:00 twice, 09:00 twice, 10:00 and 11:00 three walkers take five.
    assert len(picks) == 5


def test_batch_task_assigns_window(settings):
    ready("Agus")
    walk = at("Menteng", wib(9))
    assert batch_task(window_hours=48) == 1
    assert Booking.objects.get(pk=walk.pk).walker is not None
