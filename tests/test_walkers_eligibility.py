"""Walker eligibility for a booking: every rule, with WIB day boundaries."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from bookings.models import Booking, District, Dog, Offer
from bookings.services import WalkerUnavailable, assign_walker
from tests.factories import BookingFactory, DogFactory, WalkerProfileFactory
from walkers.demo import make_available, make_verified
from walkers.eligibility import distance_km, eligibility_problems_for
from walkers.models import AvailabilityException, WalkerProfile, WalkerStage

# BSD City is about 20 km from Menteng, where the walker lives.
BSD = (Decimal("-6.301000"), Decimal("106.653000"))


@pytest.fixture(autouse=True)
def _english(settings):
    # The assertions compare English reasons.
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def wib(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def next_weekday(iso_weekday: int) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=2)
    while day.isoweekday() != iso_weekday:
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def ready(walker, staff):
    """Agus: verified, lives in Menteng, walks every day 06:00-20:00."""
    make_verified(walker, staff)
    return make_available(walker, District.objects.get(name="Menteng"))


def booking_at(starts_at: dt.datetime, **kwargs) -> Booking:
    return BookingFactory(starts_at=starts_at, **kwargs)


def problems(walker: WalkerProfile, booking: Booking) -> list[str]:
    fresh = WalkerProfile.objects.get(pk=walker.pk)
    return eligibility_problems_for(booking, [fresh])[fresh.pk]


def test_ready_walker_has_no_problems(ready):
    assert problems(ready, BookingFactory()) == []


def test_unverified_walker_rejected(ready):
    ready.stages.filter(stage="training").delete()
    found = problems(ready, BookingFactory())
    assert any("Not verified" in p for p in found)


def test_failed_stage_is_not_verified(ready):
    ready.stages.filter(stage="training").update(outcome=WalkerStage.Outcome.FAILED)
    assert any("Not verified" in p for p in problems(ready, BookingFactory()))


def test_suspended_walker_rejected(ready):
    ready.is_active = False
    ready.save()
    assert any("Suspended" in p for p in problems(ready, BookingFactory()))


def test_verified_active_walkers(ready, staff):
    applicant = WalkerProfileFactory()
    applicant.stages.all().delete()
    suspended = make_verified(WalkerProfileFactory(is_active=False), staff)
    listed = set(WalkerProfile.objects.verified_active())
    assert ready in listed
    assert applicant not in listed
    assert suspended not in listed


def test_area_not_served_rejected(ready):
    ready.areas.clear()
    assert any(
        "Does not work in Jakarta" in p for p in problems(ready, BookingFactory())
    )


@pytest.mark.parametrize(
    ("window", "start", "minutes", "allowed"),
    [
        ((6, 10), (9, 0), 60, True),
        ((6, 10), (6, 0), 60, True),
        ((6, 10), (9, 30), 60, False),
        ((6, 10), (5, 30), 60, False),
        ((15, 19), (9, 0), 60, False),
    ],
)
def test_weekly_pattern(ready, window, start, minutes, allowed):
    ready.weekly_availability.update(
        start_time=dt.time(window[0]), end_time=dt.time(window[1])
    )
    day = next_weekday(3)
    starts = wib(day, *start)
    booking = booking_at(starts, ends_at=starts + dt.timedelta(minutes=minutes))
    found = [p for p in problems(ready, booking) if "weekly pattern" in p]
    assert (found == []) is allowed


def test_day_without_window_rejected(ready):
    ready.weekly_availability.filter(weekday=2).delete()
    booking = booking_at(wib(next_weekday(2), 9))
    assert any("weekly pattern" in p for p in problems(ready, booking))
    other_day = booking_at(wib(next_weekday(3), 9))
    assert problems(ready, other_day) == []


def test_weekday_is_the_wib_weekday(ready):
    """06:30 WIB on a Monday is still Sunday in UTC: the Monday window applies."""
    ready.weekly_availability.exclude(weekday=1).delete()
    monday = next_weekday(1)
    starts = wib(monday, 6, 30)
    assert starts.astimezone(dt.UTC).date() == monday - dt.timedelta(days=1)
    assert problems(ready, booking_at(starts)) == []


def test_whole_day_off_rejected(ready):
    booking = BookingFactory()
    AvailabilityException.objects.create(
        walker=ready, date=booking.local_date, reason="Lebaran leave"
    )
    assert any("Lebaran leave" in p for p in problems(ready, booking))


def test_blocked_afternoon(ready):
    day = next_weekday(4)
    AvailabilityException.objects.create(
        walker=ready, date=day, start_time=dt.time(13), end_time=dt.time(17)
    )
    assert problems(ready, booking_at(wib(day, 9))) == []
    assert problems(ready, booking_at(wib(day, 12))) == []
    assert problems(ready, booking_at(wib(day, 17))) == []
    assert any(
        "Unavailable" in p for p in problems(ready, booking_at(wib(day, 16, 30)))
    )


def test_exception_date_is_the_wib_date(ready):
    day = next_weekday(5)
    AvailabilityException.objects.create(walker=ready, date=day, reason="family")
    early = booking_at(wib(day, 6, 30))
    assert early.starts_at.astimezone(dt.UTC).date() == day - dt.timedelta(days=1)
    assert any("family" in p for p in problems(ready, early))
    evening_before = booking_at(wib(day - dt.timedelta(days=1), 19))
    assert problems(ready, evening_before) == []


def test_distance_between_menteng_and_bsd(db):
    menteng = District.objects.get(name="Menteng")
    km = distance_km(menteng.latitude, menteng.longitude, *BSD)
    assert 20 < km < 26


@pytest.mark.parametrize(("radius", "allowed"), [(15, False), (30, True)])
def test_service_radius(ready, radius, allowed):
    ready.service_radius_km = radius
    ready.save()
    gading_serpong = District.objects.get(name="BSD City").area
    ready.areas.add(gading_serpong)
    booking = BookingFactory(latitude=BSD[0], longitude=BSD[1], area=gading_serpong)
    found = [p for p in problems(ready, booking) if "service radius" in p]
    assert (found == []) is allowed


@pytest.mark.parametrize(
    ("language", "pattern"),
    [
        ("en", r"^The walk is \d+\.\d km from the home base, beyond the service "),
        ("id", r"^Lokasi jalan-jalan berjarak \d+,\d km dari "),
    ],
)
def test_radius_distance_in_local_format(ready, language, pattern):
    ready.service_radius_km = 5
    ready.save()
    area = District.objects.get(name="BSD City").area
    ready.areas.add(area)
    booking = BookingFactory(latitude=BSD[0], longitude=BSD[1], area=area)

    with translation.override(language):
        [problem] = problems(ready, booking)

    assert re.match(pattern, problem), problem


def test_no_home_base_rejected(ready):
    ready.home_latitude = ready.home_longitude = None
    ready.save()
    assert any("home base" in p for p in problems(ready, BookingFactory()))


def test_dog_size_not_accepted(ready, owner):
    ready.dog_sizes = "small,medium"
    ready.save()
    small = DogFactory(owner=owner, size=Dog.Size.SMALL)
    giant = DogFactory(owner=owner, size=Dog.Size.GIANT)
    assert problems(ready, BookingFactory(owner=owner, dogs=[small])) == []
    found = problems(ready, BookingFactory(owner=owner, dogs=[small, giant]))
    assert any("Giant" in p for p in found)


def _assigned(walker, starts_at, status=Booking.Status.CONFIRMED):
    return booking_at(starts_at, walker=walker, status=status)


def test_daily_maximum(ready):
    ready.max_walks_per_day = 2
    ready.save()
    day = next_weekday(6)
    _assigned(ready, wib(day, 7))
    assert problems(ready, booking_at(wib(day, 15))) == []
    _assigned(ready, wib(day, 10))
    assert any("daily maximum" in p for p in problems(ready, booking_at(wib(day, 15))))


def test_cancelled_walk_does_not_count_to_maximum(ready):
    ready.max_walks_per_day = 1
    ready.save()
    day = next_weekday(6)
    _assigned(ready, wib(day, 7), status=Booking.Status.CANCELLED)
    assert problems(ready, booking_at(wib(day, 15))) == []


def test_daily_maximum_counts_the_wib_day(ready):
    """06:30 WIB belongs to the same WIB day as 15:00; 23:00 the day before does not."""
    ready.max_walks_per_day = 1
    ready.save()
    day = next_weekday(7)
    _assigned(ready, wib(day - dt.timedelta(days=1), 18, 30))
    assert problems(ready, booking_at(wib(day, 15))) == []
    early = _assigned(ready, wib(day, 6, 30))
    assert early.starts_at.astimezone(dt.UTC).date() == day - dt.timedelta(days=1)
    assert any("daily maximum" in p for p in problems(ready, booking_at(wib(day, 15))))


def test_overlapping_walk_rejected(ready):
    day = next_weekday(3)
    other = _assigned(ready, wib(day, 9))
    overlapping = booking_at(wib(day, 9, 30))
    found = problems(ready, overlapping)
    assert any(other.reference in p for p in found)
    touching = booking_at(wib(day, 10))
    assert problems(ready, touching) == []


def test_same_booking_is_not_a_clash(ready, staff):
    booking = BookingFactory()
    assign_walker(booking, ready, staff)
    assert problems(ready, booking) == []


def test_assign_walker_rejects_unverified(walker, staff):
    walker.stages.all().delete()
    make_available(walker)
    booking = BookingFactory()
    with pytest.raises(WalkerUnavailable, match="Not verified"):
        assign_walker(booking, walker, staff)
    booking.refresh_from_db()
    assert booking.walker is None
    assert booking.status == Booking.Status.REQUESTED


def test_assignable_means_verified_and_active(ready, staff):
    applicant = WalkerProfileFactory()
    applicant.stages.all().delete()
    suspended = make_verified(WalkerProfileFactory(is_active=False), staff)
    assignable = set(WalkerProfile.objects.assignable())
    assert ready in assignable
    assert applicant not in assignable
    assert suspended not in assignable


def test_assign_walker_accepts_ready_walker(ready, staff):
    booking = BookingFactory()
    assign_walker(booking, ready, staff)
    booking.refresh_from_db()
    assert booking.walker == ready
    assert booking.status == Booking.Status.CONFIRMED


@pytest.mark.parametrize("count", [3, 25])
def test_queries_do_not_grow_with_walkers(staff, django_assert_max_num_queries, count):
    walkers = [
        make_available(make_verified(WalkerProfileFactory(), staff))
        for _ in range(count)
    ]
    booking = BookingFactory()
    with django_assert_max_num_queries(6):
        result = eligibility_problems_for(booking, walkers)
    assert all(found == [] for found in result.values())


KELAPA_GADING = (Decimal("-6.158000"), Decimal("106.908000"))


def test_manual_assignment_checks_travel_time(ready, staff):
    day = next_weekday(2)
    # Menteng to Kelapa Gading is about 12 km: far more than a 15-minute gap.
    first = booking_at(wib(day, 9))
    assign_walker(first, ready, staff)
    across_town = booking_at(
        wib(day, 10, 15), latitude=KELAPA_GADING[0], longitude=KELAPA_GADING[1]
    )

    with pytest.raises(WalkerUnavailable) as raised:
        assign_walker(across_town, ready, staff)

    assert f"Cannot get here in time from {first.reference}" in str(raised.value)
    across_town.refresh_from_db()
    assert across_town.walker is None
    assert across_town.status == Booking.Status.REQUESTED


def test_manual_assignment_allows_enough_travel_time(ready, staff):
    day = next_weekday(2)
    assign_walker(booking_at(wib(day, 9)), ready, staff)
    later = booking_at(
        wib(day, 12), latitude=KELAPA_GADING[0], longitude=KELAPA_GADING[1]
    )

    assign_walker(later, ready, staff)

    later.refresh_from_db()
    assert later.walker == ready


def test_open_offer_elsewhere_does_not_stop_assignment(ready, staff):
    day = next_weekday(2)
    offered = booking_at(wib(day, 9))
    Offer.objects.create(booking=offered, walker=ready, expires_at=offered.starts_at)
    clashing = booking_at(wib(day, 9, 30))

    assign_walker(clashing, ready, staff)

    clashing.refresh_from_db()
    assert clashing.walker == ready
