"""Whether walkers may take a booking: the one place that decides it.

`eligibility_problems_for` checks many walkers against one booking with a
fixed number of queries (six), whatever the number of walkers, so matching
and the admin can ask it about every walker at once.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from pompygo.lib.timezones import local_day_bounds
from walkers.models import (
    STAGE_ORDER,
    AvailabilityException,
    WalkerProfile,
    WalkerStage,
    WeeklyAvailability,
)

EARTH_RADIUS_KM = 6371.0


def distance_km(
    latitude_a: Decimal, longitude_a: Decimal, latitude_b: Decimal, longitude_b: Decimal
) -> float:
    """Return the great-circle (haversine) distance between two points, in km."""
    lat1, lon1, lat2, lon2 = (
        math.radians(float(value))
        for value in (latitude_a, longitude_a, latitude_b, longitude_b)
    )
    half_chord = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(half_chord))


class _Facts:
    """The facts about a booking and its candidate walkers, loaded in bulk."""

    def __init__(self, booking: Any, walker_ids: list[int]) -> None:
        from bookings.models import Booking

        self.start = timezone.localtime(booking.starts_at)
        self.end = timezone.localtime(booking.ends_at)
        self.day = self.start.date()
        self.sizes = set(booking.dogs.values_list("size", flat=True))
        self.passed = dict(
            WalkerStage.objects.filter(
                walker_id__in=walker_ids, outcome=WalkerStage.Outcome.PASSED
            )
            .values("walker")
            .annotate(count=Count("pk"))
            .values_list("walker", "count")
        )
        self.areas: dict[int, set[int]] = defaultdict(set)
        through = WalkerProfile.areas.through.objects.filter(
            walkerprofile_id__in=walker_ids
        ).values_list("walkerprofile_id", "area_id")
        for walker_id, area_id in through:
            self.areas[walker_id].add(area_id)
        self.windows: dict[int, list[WeeklyAvailability]] = defaultdict(list)
        for window in WeeklyAvailability.objects.filter(
            walker_id__in=walker_ids, weekday=self.day.isoweekday()
        ):
            self.windows[window.walker_id].append(window)
        self.exceptions: dict[int, list[AvailabilityException]] = defaultdict(list)
        for exception in AvailabilityException.objects.filter(
            walker_id__in=walker_ids, date=self.day
        ):
            self.exceptions[exception.walker_id].append(exception)
        day_start, day_end = local_day_bounds(self.day)
        others = (
            Booking.objects.holding_walker()
            .filter(walker_id__in=walker_ids)
            .exclude(pk=booking.pk)
            .filter(
                Q(starts_at__gte=day_start, starts_at__lt=day_end)
                | Q(starts_at__lt=booking.ends_at, ends_at__gt=booking.starts_at)
            )
            .values_list("walker_id", "reference", "starts_at", "ends_at")
        )
        self.walks_that_day: dict[int, int] = defaultdict(int)
        self.clashes: dict[int, str] = {}
        for walker_id, reference, starts_at, ends_at in others:
            if day_start <= starts_at < day_end:
                self.walks_that_day[walker_id] += 1
            if starts_at < booking.ends_at and ends_at > booking.starts_at:
                self.clashes.setdefault(walker_id, reference)


def eligibility_problems_for(
    booking: Any, walkers: Iterable[WalkerProfile]
) -> dict[int, list[str]]:
    """Return, for each walker's id, why they may not take the booking."""
    walkers = list(walkers)
    facts = _Facts(booking, [walker.pk for walker in walkers])
    return {walker.pk: _problems(walker, booking, facts) for walker in walkers}


def _problems(walker: WalkerProfile, booking: Any, facts: _Facts) -> list[str]:
    problems = []
    if facts.passed.get(walker.pk, 0) < len(STAGE_ORDER):
        problems.append(_("Not verified: not every recruitment stage is passed."))
    if not walker.is_active:
        problems.append(_("Suspended: the walker is not active."))
    if booking.area_id not in facts.areas[walker.pk]:
        problems.append(_("Does not work in %(area)s.") % {"area": booking.area.name})
    problems.extend(_time_problems(walker, facts))
    problems.extend(_place_problems(walker, booking))
    problems.extend(_dog_problems(walker, facts))
    return problems


def _time_problems(walker: WalkerProfile, facts: _Facts) -> list[str]:
    problems = []
    day_text = date_format(facts.day, "l j F Y")
    hours = f"{facts.start:%H:%M}-{facts.end:%H:%M}"
    same_day = facts.end.date() == facts.day
    start, end = facts.start.time(), facts.end.time()
    if not same_day or not any(w.covers(start, end) for w in facts.windows[walker.pk]):
        problems.append(
            _("Not available on %(day)s %(hours)s (WIB) in the weekly pattern.")
            % {"day": day_text, "hours": hours}
        )
    blocking = [e for e in facts.exceptions[walker.pk] if e.blocks(start, end)]
    if blocking:
        reason = blocking[0].reason or _("time off")
        problems.append(
            _("Unavailable on %(day)s: %(reason)s.")
            % {"day": day_text, "reason": reason}
        )
    if facts.walks_that_day[walker.pk] >= walker.max_walks_per_day:
        problems.append(
            _("Already has %(count)s walks on %(day)s, the daily maximum.")
            % {"count": facts.walks_that_day[walker.pk], "day": day_text}
        )
    if walker.pk in facts.clashes:
        problems.append(
            _("Already has booking %(reference)s at an overlapping time.")
            % {"reference": facts.clashes[walker.pk]}
        )
    return problems


def _place_problems(walker: WalkerProfile, booking: Any) -> list[str]:
    if walker.home_latitude is None or walker.home_longitude is None:
        return [_("Has no home base set.")]
    distance = distance_km(
        walker.home_latitude, walker.home_longitude, booking.latitude, booking.longitude
    )
    if distance > walker.service_radius_km:
        return [
            _(
                "The walk is %(distance)s km from the home base, "
                "beyond the service radius of %(radius)s km."
            )
            % {
                # "23,3" in Indonesian, "23.3" in English.
                "distance": number_format(distance, 1),
                "radius": walker.service_radius_km,
            }
        ]
    return []


def _dog_problems(walker: WalkerProfile, facts: _Facts) -> list[str]:
    from bookings.models import Dog

    unaccepted = sorted(facts.sizes - set(walker.dog_size_list))
    if not unaccepted:
        return []
    labels = ", ".join(str(Dog.Size(size).label) for size in unaccepted)
    return [_("Does not take dogs of this size: %(sizes)s.") % {"sizes": labels}]


def eligible_walkers(
    booking: Any, walkers: Sequence[WalkerProfile]
) -> list[WalkerProfile]:
    """Return the walkers among these who may take the booking."""
    problems = eligibility_problems_for(booking, walkers)
    return [walker for walker in walkers if not problems[walker.pk]]
