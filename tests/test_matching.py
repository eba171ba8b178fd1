"""Candidate filtering and scoring for one booking, over tables of walkers."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.matching import (
    PREFERRED,
    WALKED_THIS_DOG,
    rank_candidates,
    travel_minutes,
)
from bookings.models import Booking, District, Dog, MatchRun, Offer
from tests.factories import BookingFactory, DogFactory, WalkerProfileFactory
from walkers.demo import make_available, make_verified
from walkers.models import (
    STAGE_ORDER,
    AvailabilityException,
    PreferredWalker,
    WalkerProfile,
    WalkerStage,
    WeeklyAvailability,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def wib(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


DAY = timezone.localdate() + dt.timedelta(days=3)


def ready(name: str, district: str = "Menteng", **fields) -> object:
    walker = WalkerProfileFactory(user__first_name=name, **fields)
    make_verified(walker)
    return make_available(walker, District.objects.get(name=district), radius_km=15)


def at(district: str, starts_at: dt.datetime, **kwargs) -> Booking:
    place = District.objects.get(name=district)
    return BookingFactory(
        starts_at=starts_at,
        latitude=place.latitude,
        longitude=place.longitude,
        **kwargs,
    )


def rank(booking: Booking):
    """Rank with reasons, and check that the fast path finds the same candidates."""
    fast = rank_candidates(booking)
    explained = rank_candidates(booking, explain=True)
    assert [c.walker.pk for c in fast.candidates] == [
        c.walker.pk for c in explained.candidates
    ]
    assert fast.considered == explained.considered
    return explained


def names(ranking) -> list[str]:
    return [c.walker.name.split()[0] for c in ranking.candidates]


def reasons_of(ranking, walker) -> list[str]:
    return ranking.excluded.get(walker.pk, [])


def test_nearest_walker_ranked_first():
    ready("Tebet", "Tebet")
    ready("Menteng", "Menteng")
    ranking = rank(at("Menteng", wib(DAY, 9)))
    assert names(ranking) == ["Menteng", "Tebet"]


def test_scores_have_every_part():
    ready("Agus")
    [candidate] = rank(at("Menteng", wib(DAY, 9))).candidates
    assert set(candidate.parts) == {
        "distance",
        "rating",
        "reliability",
        "load",
        "familiarity",
    }
    assert 0 < candidate.score <= 1
    assert candidate.parts["distance"] == pytest.approx(1.0)


def suspend(walker):
    walker.is_active = False
    walker.save()


def unverify(walker):
    walker.stages.filter(stage="training").delete()


def fail_training(walker):
    walker.stages.filter(stage="training").update(outcome=WalkerStage.Outcome.FAILED)


def unverify_then_save_stale(walker):
    stale = WalkerProfile.objects.get(pk=walker.pk)
    unverify(walker)
    stale.save()


def unverify_then_forge_count(walker):
    unverify(walker)
    WalkerProfile.objects.filter(pk=walker.pk).update(stages_passed=len(STAGE_ORDER))


def small_dogs_only(walker):
    walker.dog_sizes = "small"
    walker.save()


def weekday_off(walker):
    WeeklyAvailability.objects.filter(walker=walker, weekday=DAY.isoweekday()).delete()


def afternoon_only(walker):
    WeeklyAvailability.objects.filter(walker=walker).update(
        start_time=dt.time(13, 0), end_time=dt.time(20, 0)
    )


def on_leave(walker):
    AvailabilityException.objects.create(walker=walker, date=DAY, reason="Lebaran")


def busy_at_nine(walker):
    BookingFactory(
        walker=walker, status=Booking.Status.CONFIRMED, starts_at=wib(DAY, 9)
    )


def full_day(walker):
    walker.max_walks_per_day = 1
    walker.save()
    BookingFactory(
        walker=walker, status=Booking.Status.CONFIRMED, starts_at=wib(DAY, 16)
    )


def far_home(walker):
    make_available(walker, District.objects.get(name="BSD City"), radius_km=5)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (suspend, "Suspended"),
        (unverify, "Not verified"),
        (fail_training, "Not verified"),
        (unverify_then_save_stale, "Not verified"),
        (unverify_then_forge_count, "Not verified"),
        (small_dogs_only, "Does not take dogs of this size: Large"),
        (weekday_off, "Not available on"),
        (afternoon_only, "Not available on"),
        (on_leave, "Unavailable on"),
        (busy_at_nine, "at an overlapping time"),
        (full_day, "the daily maximum"),
        (far_home, "beyond the service radius of 5 km"),
    ],
)
def test_excluded_walker_has_reason(change, reason):
    walker = ready("Agus")
    change(walker)
    dog = DogFactory(size=Dog.Size.LARGE)
    ranking = rank(at("Menteng", wib(DAY, 9), owner=dog.owner, dogs=[dog]))
    assert ranking.candidates == []
    assert any(reason in text for text in reasons_of(ranking, walker)), ranking.excluded


def test_walker_of_other_area_not_considered():
    from bookings.models import Area

    walker = ready("Agus")
    walker.areas.set([Area.objects.exclude(slug="jakarta").first()])
    ranking = rank(at("Menteng", wib(DAY, 9)))
    assert walker.pk not in ranking.names


# The WIB day runs from 17:00 UTC the day before: 06:00 WIB is 23:00 UTC.


def test_early_walk_counts_on_its_wib_day():
    walker = ready("Agus")
    walker.max_walks_per_day = 1
    walker.save()
    # 19:00 WIB the evening before is the same UTC date as 06:00 WIB.
    BookingFactory(
        walker=walker,
        status=Booking.Status.CONFIRMED,
        starts_at=wib(DAY - dt.timedelta(days=1), 18),
    )
    early = at("Menteng", wib(DAY, 6))
    assert early.starts_at.astimezone(dt.UTC).date() == DAY - dt.timedelta(days=1)
    assert names(rank(early)) == ["Agus"]


def test_weekly_pattern_read_in_wib():
    walker = ready("Agus")
    WeeklyAvailability.objects.filter(walker=walker).exclude(
        weekday=DAY.isoweekday()
    ).delete()
    WeeklyAvailability.objects.filter(walker=walker).update(
        start_time=dt.time(6, 0), end_time=dt.time(8, 0)
    )
    assert names(rank(at("Menteng", wib(DAY, 6)))) == ["Agus"]
    next_day = at("Menteng", wib(DAY + dt.timedelta(days=1), 6))
    assert next_day.starts_at.astimezone(dt.UTC).date() == DAY
    assert names(rank(next_day)) == []


def test_daily_maximum_counts_same_wib_day():
    walker = ready("Agus")
    walker.max_walks_per_day = 1
    walker.save()
    BookingFactory(
        walker=walker, status=Booking.Status.CONFIRMED, starts_at=wib(DAY, 6)
    )
    ranking = rank(at("Menteng", wib(DAY, 18)))
    assert any("daily maximum" in text for text in reasons_of(ranking, walker))


# Back-to-back walks: 10 minutes of buffer, then 15 km/h in the city.


def test_travel_estimate_from_distance(settings):
    settings.MATCHING_TRAVEL_BUFFER_MINUTES = 10
    settings.MATCHING_TRAVEL_SPEED_KMH = 15
    assert travel_minutes(0) == 10
    assert travel_minutes(5) == pytest.approx(30)


def hold(walker, district: str, starts_at: dt.datetime) -> Booking:
    return at(district, starts_at, walker=walker, status=Booking.Status.CONFIRMED)


@pytest.mark.parametrize(
    ("held_at", "district", "start", "eligible"),
    [
        # Same place: the 10 minute buffer is enough.
        ("Menteng", "Menteng", (10, 0), False),
        ("Menteng", "Menteng", (10, 10), True),
        # Tebet is about 4.4 km from Menteng: 10 + 18 minutes.
        ("Menteng", "Tebet", (10, 15), False),
        ("Menteng", "Tebet", (10, 30), True),
        # A walk before the held one, which starts at 09:00.
        ("Menteng", "Tebet", (7, 30), True),
        ("Menteng", "Tebet", (7, 45), False),
    ],
)
def test_back_to_back_walks_need_travel_time(
    settings, held_at, district, start, eligible
):
    settings.MATCHING_TRAVEL_BUFFER_MINUTES = 10
    settings.MATCHING_TRAVEL_SPEED_KMH = 15
    walker = ready("Agus")
    hold(walker, held_at, wib(DAY, 9))
    booking = at(district, wib(DAY, *start))
    ranking = rank(booking)
    assert (names(ranking) == ["Agus"]) is eligible, ranking.excluded


def test_travel_reason_names_the_other_walk(settings):
    walker = ready("Agus")
    held = hold(walker, "Menteng", wib(DAY, 9))
    ranking = rank(at("Tebet", wib(DAY, 10)))
    [reason] = reasons_of(ranking, walker)
    assert f"Cannot get here in time from {held.reference}" in reason
    assert "km" in reason


def test_open_offer_blocks_overlapping_walk():
    walker = ready("Agus")
    offered = at("Menteng", wib(DAY, 9))
    Offer.objects.create(
        booking=offered,
        walker=walker,
        expires_at=timezone.now() + dt.timedelta(minutes=10),
    )
    ranking = rank(at("Menteng", wib(DAY, 9, 30)))
    assert ranking.candidates == []
    assert any("open offer" in text for text in reasons_of(ranking, walker))


def test_expired_offer_does_not_block():
    walker = ready("Agus")
    Offer.objects.create(
        booking=at("Menteng", wib(DAY, 9)),
        walker=walker,
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    assert names(rank(at("Menteng", wib(DAY, 9, 30)))) == ["Agus"]


def test_walker_offered_before_is_not_offered_again():
    walker = ready("Agus")
    booking = at("Menteng", wib(DAY, 9))
    Offer.objects.create(
        booking=booking,
        walker=walker,
        state=Offer.State.DECLINED,
        expires_at=timezone.now(),
    )
    ranking = rank(booking)
    assert ranking.candidates == []
    assert any("Declined" in text for text in reasons_of(ranking, walker))


def test_familiarity_ranks_preferred_then_known_walker(owner):
    ready("Near", "Menteng")
    known = ready("Known", "Tebet")
    preferred = ready("Favourite", "Kemang")
    dog = DogFactory(owner=owner)
    BookingFactory(
        owner=owner,
        dogs=[dog],
        walker=known,
        status=Booking.Status.COMPLETED,
        starts_at=wib(DAY - dt.timedelta(days=10), 9),
    )
    PreferredWalker.objects.create(owner=owner, walker=preferred)
    ranking = rank(at("Menteng", wib(DAY, 9), owner=owner, dogs=[dog]))
    assert names(ranking) == ["Favourite", "Known", "Near"]
    assert [c.tier for c in ranking.candidates] == [PREFERRED, WALKED_THIS_DOG, 0]
    assert ranking.candidates[0].parts["familiarity"] == 1.0


def test_weights_come_from_settings(settings):
    busy = ready("Busy", "Menteng", max_walks_per_day=8)
    ready("Free", "Tebet")
    for hour in range(10, 15):
        hold(busy, "Menteng", wib(DAY, hour))
    booking = at("Menteng", wib(DAY, 7))
    settings.MATCHING_WEIGHTS = {
        "distance": 1,
        "rating": 0,
        "reliability": 0,
        "load": 0,
        "familiarity": 0,
    }
    assert names(rank(booking)) == ["Busy", "Free"]
    settings.MATCHING_WEIGHTS = {**settings.MATCHING_WEIGHTS, "distance": 0, "load": 1}
    assert names(rank(booking)) == ["Free", "Busy"]


def test_reliability_lowers_late_walker():
    from bookings.models import BookingEvent

    late = ready("Late", "Menteng")
    ready("Punctual", "Menteng")
    for days in range(1, 6):
        walk = BookingFactory(
            walker=late,
            status=Booking.Status.COMPLETED,
            starts_at=wib(DAY - dt.timedelta(days=10 + days), 9),
        )
        BookingEvent.objects.create(
            booking=walk,
            from_status=Booking.Status.CONFIRMED,
            to_status=Booking.Status.IN_PROGRESS,
            created_at=walk.starts_at + dt.timedelta(minutes=30),
        )
    ranking = rank(at("Menteng", wib(DAY, 9)))
    assert names(ranking) == ["Punctual", "Late"]
    assert ranking.candidates[1].parts["reliability"] < 0.5


def count_queries(booking: Booking) -> int:
    fresh = Booking.objects.get(pk=booking.pk)
    with CaptureQueriesContext(connection) as queries:
        rank_candidates(fresh).save("test")
    return len(queries)


def test_query_count_independent_of_walkers():
    booking = at("Menteng", wib(DAY, 9))
    for n in range(3):
        hold(ready(f"W{n}"), "Menteng", wib(DAY, 7))
    few = count_queries(booking)
    for n in range(3, 15):
        hold(ready(f"W{n}"), "Tebet", wib(DAY, 11))
    assert count_queries(booking) == few
    assert few <= 20


def test_run_saved_with_candidates_and_reasons():
    ready("Agus")
    suspended = ready("Budi")
    suspend(suspended)
    booking = at("Menteng", wib(DAY, 9))
    run = rank_candidates(booking, explain=True).save("test")
    run = MatchRun.objects.get(pk=run.pk)
    assert run.considered == 2
    assert [c["name"] for c in run.candidates] == [
        WalkerProfileFactory._meta.model.objects.exclude(pk=suspended.pk)
        .get()
        .user.display_name
    ]
    [excluded] = run.excluded
    assert excluded["walker"] == suspended.pk
    assert any("Suspended" in reason for reason in excluded["reasons"])
