"""Automatic matching of bookings to walkers.

`rank_candidates` filters and scores every walker of the booking's area with
a fixed number of queries, whatever their number. The workflow functions
below it send the best candidate an offer, move to the next one when an
offer is declined or expires, and put a booking that the machine cannot
place in the ops queue. `batch_assign` places many bookings at once.

Every assignment goes through `bookings.services.assign_walker`, or for the
batch its bulk form `assign_walkers`, so the exclusion constraint in
PostgreSQL has the last word on double bookings.
"""

import datetime as dt
import json
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    Expression,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import ASin, Cast, Cos, Power, Radians, Sin, Sqrt
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from scipy.optimize import linear_sum_assignment

from bookings import signals
from bookings.models import (
    Booking,
    BookingEvent,
    BookingMatch,
    Dog,
    IllegalTransition,
    MatchRun,
    Offer,
)
from bookings.services import WalkerUnavailable, assign_walker, assign_walkers
from pompygo.lib.timezones import local_day_bounds
from walkers.eligibility import distance_km, eligibility_problems_for
from walkers.models import PreferredWalker, WalkerProfile
from walkers.reliability import ON_TIME_GRACE

logger = logging.getLogger(__name__)

SCORE_PARTS = ("distance", "rating", "reliability", "load", "familiarity")

# Familiarity tiers: a higher tier is ranked first, whatever the score.
PREFERRED = 2
WALKED_THIS_DOG = 1

# Ratings and on-time rates start from these priors, worth this many walks,
# so that one review or one late start does not decide a new walker's place.
RATING_PRIOR = 4.0
ON_TIME_PRIOR = 0.8
PRIOR_WALKS = 3


def travel_minutes(km: float) -> float:
    """Estimate the time to get from one walk to the next, in minutes.

    An estimate from the straight-line distance at an average city speed,
    plus a fixed buffer for the handover at each end.
    """
    return settings.MATCHING_TRAVEL_BUFFER_MINUTES + 60 * km / (
        settings.MATCHING_TRAVEL_SPEED_KMH
    )


@dataclass(frozen=True)
class Walk:
    """A walk that holds a walker's time, or one they have an open offer for."""

    reference: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    latitude: Decimal
    longitude: Decimal
    is_offer: bool = False


@dataclass(frozen=True)
class WalkerRow:
    """The fields of a walker that scoring needs, without a model instance."""

    pk: int
    level: str
    home_latitude: Decimal
    home_longitude: Decimal
    service_radius_km: int
    max_walks_per_day: int
    name: str

    @classmethod
    def of(cls, walker: WalkerProfile) -> "WalkerRow":
        assert walker.home_latitude is not None and walker.home_longitude is not None
        return cls(
            walker.pk,
            walker.level,
            walker.home_latitude,
            walker.home_longitude,
            walker.service_radius_km,
            walker.max_walks_per_day,
            walker.user.display_name,
        )


@dataclass
class Candidate:
    walker: WalkerRow
    score: float
    tier: int
    parts: dict[str, float]
    distance_km: float

    def as_json(self) -> dict[str, Any]:
        return {
            "walker": self.walker.pk,
            "name": self.walker.name,
            "score": round(self.score, 4),
            "tier": self.tier,
            "distance_km": round(self.distance_km, 2),
            "parts": {part: round(value, 3) for part, value in self.parts.items()},
        }


# A ranking keeps this many candidates, best first; the rest would only be
# reached after as many declines, long after the booking went to ops.
MAX_CANDIDATES = 50


@dataclass
class Ranking:
    """The walkers considered for a booking: candidates best first, and the rest.

    ``excluded`` has each excluded walker's reasons when the ranking was made
    with ``explain=True``. Without it, only their number is known.
    """

    booking: Booking
    candidates: list[Candidate]
    considered: int
    excluded: dict[int, list[str]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    # How many walkers may take the booking; only the best are in candidates.
    eligible: int = 0

    def save(self, trigger: str) -> MatchRun:
        return MatchRun.objects.create(
            booking=self.booking,
            trigger=trigger,
            considered=self.considered,
            candidates=[c.as_json() for c in self.candidates],
            excluded=[
                {"walker": walker_id, "name": self.names[walker_id], "reasons": reasons}
                for walker_id, reasons in self.excluded.items()
            ],
        )


def area_walkers(booking: Booking) -> list[WalkerProfile]:
    """Return every walker who works in the booking's area: the walkers considered."""
    return list(
        WalkerProfile.objects.filter(areas=booking.area_id)
        .select_related("user")
        .only(
            "pk",
            "is_active",
            "level",
            "home_latitude",
            "home_longitude",
            "service_radius_km",
            "dog_sizes",
            "max_walks_per_day",
            "user__first_name",
            "user__last_name",
            "user__email",
        )
        .order_by("pk")
    )


def rank_candidates(booking: Booking, explain: bool = False) -> Ranking:
    """Filter and score the area's walkers in a fixed number of queries.

    The default filters in PostgreSQL and returns only the candidates, which
    is what the matching needs. With ``explain``, every walker of the area is
    checked by walkers.eligibility and the ranking has the reasons why each
    excluded walker is excluded, for the admin. Both give the same candidates.
    """
    if explain:
        return _explained_ranking(booking)
    pool = _eligible_pool(booking)
    # Django makes each (walker, area) pair of the through table unique, so
    # its rows count the area's walkers without a join to the profiles.
    considered = WalkerProfile.areas.through.objects.filter(
        area_id=booking.area_id
    ).count()
    pool = pool.take(pool.km <= pool.radius)
    walks = walks_around(booking, pool.ids.tolist())
    daily_max = dict(zip(pool.ids.tolist(), pool.daily_max.tolist(), strict=True))
    busy = _busy_walkers(booking, walks, daily_max)
    pool = pool.take(~np.isin(pool.ids, list(busy)))
    return _ranked(booking, pool, considered, _walker_rows)


@dataclass
class WalkerPool:
    """Walkers and their km from home to a walk, as numpy columns in one order."""

    ids: Any
    km: Any
    radius: Any
    daily_max: Any

    @classmethod
    def of(cls, walkers: list[WalkerRow], km: Any) -> "WalkerPool":
        return cls(
            np.array([walker.pk for walker in walkers], dtype=np.int64),
            np.asarray(km, dtype=float),
            np.array([walker.service_radius_km for walker in walkers], dtype=float),
            np.array([walker.max_walks_per_day for walker in walkers], dtype=float),
        )

    def take(self, keep: Any) -> "WalkerPool":
        """Return the walkers where the boolean array ``keep`` is true."""
        return WalkerPool(
            self.ids[keep], self.km[keep], self.radius[keep], self.daily_max[keep]
        )


def _busy_walkers(
    booking: Booking, walks: dict[int, list[Walk]], daily_max: dict[int, float]
) -> set[int]:
    """Return the walkers whose other walks leave no room for the booking.

    A walker is busy when a held walk overlaps the booking, or when their
    held walks on its WIB day reach their daily maximum. They are also busy
    when an open offer overlaps it, or the travel to or from another walk
    does not fit.
    """
    day_start, day_end = local_day_bounds(booking.local_date)
    busy = set()
    for walker_id, others in walks.items():
        held = [walk for walk in others if not walk.is_offer]
        that_day = sum(day_start <= walk.starts_at < day_end for walk in held)
        overlapping = any(
            walk.starts_at < booking.ends_at and booking.starts_at < walk.ends_at
            for walk in held
        )
        full = that_day >= daily_max[walker_id]
        if full or overlapping or not _can_travel(booking, others):
            busy.add(walker_id)
    return busy


def _distances(booking: Booking, walkers: list[WalkerRow]) -> Any:
    """Return the km from each walker's home base to the walk, as a numpy array."""
    if not walkers:
        return np.zeros(0)
    return haversine_km(
        np.array([float(w.home_latitude) for w in walkers]),
        np.array([float(w.home_longitude) for w in walkers]),
        float(booking.latitude),
        float(booking.longitude),
    )


def _ranked(
    booking: Booking,
    pool: WalkerPool,
    considered: int,
    rows: Callable[[list[int]], dict[int, WalkerRow]],
    excluded: dict[int, list[str]] | None = None,
    names: dict[int, str] | None = None,
) -> Ranking:
    """Score the eligible walkers of the pool, and keep the best as candidates.

    ``rows`` returns the WalkerRow of each of the given walker ids. It is
    called for the best MAX_CANDIDATES walkers only.
    """
    ids = pool.ids.tolist()
    facts = ScoreFacts.load(booking, ids)
    weights = normalized_weights()
    # Rank on the scores alone first, and build candidates only for the top.
    tiers, scores = facts.scores(pool, weights)
    order = np.lexsort((pool.ids, pool.km, -scores, -tiers))[:MAX_CANDIDATES]
    best = [ids[i] for i in order.tolist()]
    walkers = rows(best)
    km = pool.km.tolist()
    candidates = [
        facts.candidate(walkers[ids[i]], km[i], weights) for i in order.tolist()
    ]
    return Ranking(
        booking, candidates, considered, excluded or {}, names or {}, len(ids)
    )


def _walker_rows(walker_ids: list[int]) -> dict[int, WalkerRow]:
    rows = (
        WalkerProfile.objects.filter(pk__in=walker_ids)
        .order_by()
        .values_list(
            "pk",
            "level",
            "home_latitude",
            "home_longitude",
            "service_radius_km",
            "max_walks_per_day",
            "user__first_name",
            "user__last_name",
            "user__email",
        )
    )
    found = {}
    for pk, level, latitude, longitude, radius, maximum, first, last, email in rows:
        assert latitude is not None and longitude is not None
        # The same as User.display_name.
        name = f"{first} {last}".strip() or email.split("@")[0]
        found[pk] = WalkerRow(pk, level, latitude, longitude, radius, maximum, name)
    return found


def _explained_ranking(booking: Booking) -> Ranking:
    walkers = area_walkers(booking)
    excluded = {
        walker_id: reasons
        for walker_id, reasons in eligibility_problems_for(booking, walkers).items()
        if reasons
    }
    walks = walks_around(booking, [walker.pk for walker in walkers])
    offered = dict(
        Offer.objects.filter(booking=booking).values_list("walker_id", "state")
    )
    for walker in walkers:
        reasons = _travel_problems(booking, walks.get(walker.pk, []))
        if walker.pk in offered:
            reasons.append(
                _("Was offered this walk already (%(state)s).")
                % {"state": Offer.State(offered[walker.pk]).label}
            )
        if reasons:
            excluded.setdefault(walker.pk, []).extend(reasons)
    rows = {w.pk: WalkerRow.of(w) for w in walkers if w.pk not in excluded}
    eligible = list(rows.values())
    pool = WalkerPool.of(eligible, _distances(booking, eligible))
    names = {walker.pk: walker.user.display_name for walker in walkers}
    return _ranked(
        booking,
        pool,
        len(walkers),
        lambda walker_ids: {pk: rows[pk] for pk in walker_ids},
        excluded,
        names,
    )


def _eligible_pool(booking: Booking) -> WalkerPool:
    """Return the area's walkers that pass the rules PostgreSQL can check.

    The same rules as walkers.eligibility, in one query: verified and
    active, the dog sizes, the weekly pattern and time off on the WIB day,
    never offered this booking, and the radius with a margin. The caller
    checks the rest: the exact radius, and from the day's walks the
    overlaps, the daily maximum and the travel time between walks.
    Correlated subqueries on bookings made this query 15 times slower.
    """
    from walkers.models import AvailabilityException, WeeklyAvailability

    start = timezone.localtime(booking.starts_at)
    end = timezone.localtime(booking.ends_at)
    if end.date() != start.date():
        return WalkerPool.of([], [])
    day = start.date()
    sizes = set(booking.dogs.values_list("size", flat=True))
    available = WeeklyAvailability.objects.filter(
        weekday=day.isoweekday(),
        start_time__lte=start.time(),
        end_time__gte=end.time(),
    ).values("walker_id")
    time_off = AvailabilityException.objects.filter(
        walker=OuterRef("pk"), date=day
    ).filter(
        Q(start_time__isnull=True)
        | Q(start_time__lt=end.time(), end_time__gt=start.time())
    )
    walkers = (
        WalkerProfile.objects.verified()
        .filter(areas=booking.area_id, is_active=True, pk__in=available)
        .exclude(Exists(time_off))
        .exclude(Exists(Offer.objects.filter(booking=booking, walker=OuterRef("pk"))))
    )
    for size in sizes:
        # No size name is part of another, so a substring test is exact.
        walkers = walkers.filter(dog_sizes__contains=size)
    # The caller checks the radius exactly with numpy. This cuts the walkers
    # beyond it in PostgreSQL, with a margin for its floating point. A box
    # on the coordinates before this test made the query slower in
    # scripts/bench_matching.py, because its casts cost more than it spared.
    walkers = walkers.alias(
        km=_sql_haversine_km(float(booking.latitude), float(booking.longitude))
    ).filter(km__lte=Cast("service_radius_km", FloatField()) + Value(0.001))
    columns = list(
        zip(
            *walkers.order_by().values_list(
                "pk",
                "home_latitude",
                "home_longitude",
                "service_radius_km",
                "max_walks_per_day",
            ),
            strict=True,
        )
    )
    if not columns:
        return WalkerPool.of([], [])
    ids, latitudes, longitudes, radius, daily_max = columns
    km = haversine_km(
        np.array(latitudes, dtype=float),
        np.array(longitudes, dtype=float),
        float(booking.latitude),
        float(booking.longitude),
    )
    return WalkerPool(
        np.array(ids, dtype=np.int64),
        km,
        np.array(radius, dtype=float),
        np.array(daily_max, dtype=float),
    )


def _sql_haversine_km(latitude: float, longitude: float) -> Any:
    """Build the SQL great-circle km from a walker's home to a point, as numpy's."""
    walker_latitude = Radians(Cast("home_latitude", FloatField()))
    walker_longitude = Radians(Cast("home_longitude", FloatField()))
    latitude_radians = Value(math.radians(latitude), output_field=FloatField())
    longitude_radians = Value(math.radians(longitude), output_field=FloatField())
    half_chord = Power(Sin((latitude_radians - walker_latitude) / 2), 2) + Cos(
        walker_latitude
    ) * Cos(latitude_radians) * Power(
        Sin((longitude_radians - walker_longitude) / 2), 2
    )
    return Value(2 * EARTH_RADIUS_KM, output_field=FloatField()) * ASin(
        Sqrt(half_chord)
    )


class InArray(Expression):
    """A filter ``column IN ids`` that sends all the ids as one parameter.

    Django's ``__in`` sends one parameter per id, and for 2,000 ids building
    that SQL took longer than running the query. PostgreSQL gets ``= ANY``
    of an array literal, and SQLite, which runs the demo, reads a JSON array
    with json_each.
    """

    conditional = True

    def __init__(self, column: str, ids: Iterable[int]) -> None:
        super().__init__(output_field=BooleanField())
        self.column: Any = F(column)
        self.ids = [int(pk) for pk in ids]

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, expressions: Sequence[Any]) -> None:
        [self.column] = expressions

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.column)
        array = "{" + ",".join(map(str, self.ids)) + "}"
        return f"{column} = ANY(%s::bigint[])", [*params, array]

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.column)
        return (
            f"{column} IN (SELECT value FROM json_each(%s))",
            [*params, json.dumps(self.ids)],
        )


def walks_around(booking: Booking, walker_ids: list[int]) -> dict[int, list[Walk]]:
    """Load walks and open offers on the booking's WIB day, of these walkers."""
    day_start, day_end = local_day_bounds(booking.local_date)
    walks: dict[int, list[Walk]] = defaultdict(list)
    held = (
        Booking.objects.holding_walker()
        .filter(
            InArray("walker", walker_ids),
            starts_at__lt=day_end,
            ends_at__gt=day_start,
        )
        .exclude(pk=booking.pk)
        .values_list(
            "walker_id", "reference", "starts_at", "ends_at", "latitude", "longitude"
        )
    )
    for walker_id, reference, starts_at, ends_at, latitude, longitude in held:
        walks[walker_id].append(
            Walk(reference, starts_at, ends_at, latitude, longitude)
        )
    offers = (
        Offer.objects.open()
        .filter(
            InArray("walker", walker_ids),
            booking__starts_at__lt=day_end,
            booking__ends_at__gt=day_start,
        )
        .exclude(booking=booking)
        .values_list(
            "walker_id",
            "booking__reference",
            "booking__starts_at",
            "booking__ends_at",
            "booking__latitude",
            "booking__longitude",
        )
    )
    for walker_id, reference, starts_at, ends_at, latitude, longitude in offers:
        walks[walker_id].append(
            Walk(reference, starts_at, ends_at, latitude, longitude, True)
        )
    return walks


def _can_travel(booking: Booking, walks: list[Walk]) -> bool:
    """Return whether _travel_problems finds none, without writing its messages."""
    for walk in walks:
        if walk.starts_at < booking.ends_at and booking.starts_at < walk.ends_at:
            if walk.is_offer:
                return False
            continue
        km = distance_km(
            walk.latitude, walk.longitude, booking.latitude, booking.longitude
        )
        gap = dt.timedelta(minutes=travel_minutes(km))
        if walk.ends_at <= booking.starts_at < walk.ends_at + gap:
            return False
        if booking.ends_at <= walk.starts_at < booking.ends_at + gap:
            return False
    return True


def travel_problems(booking: Booking, walker_id: int) -> list[str]:
    """Return why the walker cannot travel between this walk and their others.

    Only the walks assigned to the walker count. An open offer elsewhere does
    not stop an assignment, and accepting that offer later fails this check.
    """
    walks = walks_around(booking, [walker_id]).get(walker_id, [])
    return _travel_problems(booking, [walk for walk in walks if not walk.is_offer])


def _travel_problems(booking: Booking, walks: list[Walk]) -> list[str]:
    """Return why the walker cannot travel between this walk and their others."""
    problems = []
    for walk in walks:
        km = distance_km(
            walk.latitude, walk.longitude, booking.latitude, booking.longitude
        )
        gap = dt.timedelta(minutes=travel_minutes(km))
        values = {
            "reference": walk.reference,
            "km": number_format(km, 1),
            "minutes": round(gap.total_seconds() / 60),
        }
        if walk.starts_at < booking.ends_at and booking.starts_at < walk.ends_at:
            if walk.is_offer:
                problems.append(
                    _("Has an open offer for %(reference)s at an overlapping time.")
                    % values
                )
            # An overlapping walk that is held is reported by eligibility.
        elif walk.ends_at <= booking.starts_at < walk.ends_at + gap:
            problems.append(
                _(
                    "Cannot get here in time from %(reference)s: %(km)s km, "
                    "about %(minutes)s minutes."
                )
                % values
            )
        elif booking.ends_at <= walk.starts_at < booking.ends_at + gap:
            problems.append(
                _(
                    "Cannot get to %(reference)s in time after this walk: "
                    "%(km)s km, about %(minutes)s minutes."
                )
                % values
            )
    return problems


@dataclass
class ScoreFacts:
    """Facts that the score needs about many walkers, loaded in bulk."""

    ratings: dict[int, tuple[float, int]] = field(default_factory=dict)
    starts: dict[int, tuple[int, int]] = field(default_factory=dict)
    dropped: dict[int, int] = field(default_factory=dict)
    week_load: dict[int, int] = field(default_factory=dict)
    preferred: set[int] = field(default_factory=set)
    walked_dog: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, booking: Booking, walker_ids: list[int]) -> "ScoreFacts":
        """Load the facts for these walkers of the booking's area."""
        if not walker_ids:
            return cls()
        area = booking.area_id
        facts = cls.load_walkers(booking.local_date, walker_ids=walker_ids)
        facts.preferred = set(
            PreferredWalker.objects.filter(
                owner_id=booking.owner_id, walker__areas=area
            ).values_list("walker_id", flat=True)
        )
        facts.walked_dog = set(
            Booking.objects.filter(
                walker__areas=area,
                status=Booking.Status.COMPLETED,
                dogs__in=booking.dogs.all(),
            ).values_list("walker_id", flat=True)
        )
        return facts

    @classmethod
    def load_walkers(cls, day: dt.date, walker_ids: list[int]) -> "ScoreFacts":
        """Load the facts that do not depend on the booking's owner or dogs."""

        def walkers(path: str) -> Q:
            return Q(InArray(path, walker_ids))

        facts = cls()
        facts.ratings = _ratings(walkers("walker"))
        facts.starts = _starts(walkers("walker"))
        facts.dropped = dict(
            BookingEvent.objects.filter(walkers("actor__walker_profile"))
            .filter(
                Q(to_status=Booking.Status.CANCELLED)
                | Q(
                    from_status=Booking.Status.CONFIRMED,
                    to_status=Booking.Status.REQUESTED,
                )
            )
            .values("actor__walker_profile")
            .annotate(count=Count("booking", distinct=True))
            .values_list("actor__walker_profile", "count")
        )
        monday = day - dt.timedelta(days=day.weekday())
        week_start = local_day_bounds(monday)[0]
        facts.week_load = dict(
            Booking.objects.holding_walker()
            .filter(
                walkers("walker"),
                starts_at__gte=week_start,
                starts_at__lt=week_start + dt.timedelta(days=7),
            )
            .values("walker_id")
            .annotate(count=Count("pk"))
            .values_list("walker_id", "count")
        )
        return facts

    def tier(self, walker_id: int) -> int:
        if walker_id in self.preferred:
            return PREFERRED
        if walker_id in self.walked_dog:
            return WALKED_THIS_DOG
        return 0

    def walker_parts(self, walker: Any) -> dict[str, float]:
        """Return the rating, reliability and load parts of a walker's score, 0 to 1."""
        total, count = self.ratings.get(walker.pk, (0.0, 0))
        rating = (total + RATING_PRIOR * PRIOR_WALKS) / (count + PRIOR_WALKS)
        started, on_time = self.starts.get(walker.pk, (0, 0))
        on_time_rate = (on_time + ON_TIME_PRIOR * PRIOR_WALKS) / (started + PRIOR_WALKS)
        dropped = self.dropped.get(walker.pk, 0)
        kept_rate = 1 - dropped / (started + dropped + PRIOR_WALKS)
        capacity = 7 * walker.max_walks_per_day
        return {
            "rating": (rating - 1) / 4,
            "reliability": on_time_rate * kept_rate,
            "load": max(0.0, 1 - self.week_load.get(walker.pk, 0) / capacity),
        }

    def scores(self, pool: WalkerPool, weights: dict[str, float]) -> tuple[Any, Any]:
        """Return the tiers and scores of the pool's walkers as numpy arrays.

        The same arithmetic in the same order as ``candidate``, element by
        element, so each score is the float that its candidate has.
        """
        ids = pool.ids.tolist()
        tiers = np.array([self.tier(pk) for pk in ids], dtype=np.int64)
        ratings = [self.ratings.get(pk, (0.0, 0)) for pk in ids]
        starts = [self.starts.get(pk, (0, 0)) for pk in ids]
        rating_total = np.array([total for total, _count in ratings], dtype=float)
        rating_count = np.array([count for _total, count in ratings], dtype=float)
        started = np.array([count for count, _on_time in starts], dtype=float)
        on_time = np.array([count for _started, count in starts], dtype=float)
        dropped = np.array([self.dropped.get(pk, 0) for pk in ids], dtype=float)
        week_load = np.array([self.week_load.get(pk, 0) for pk in ids], dtype=float)
        capacity = 7 * pool.daily_max
        rating = (rating_total + RATING_PRIOR * PRIOR_WALKS) / (
            rating_count + PRIOR_WALKS
        )
        on_time_rate = (on_time + ON_TIME_PRIOR * PRIOR_WALKS) / (started + PRIOR_WALKS)
        kept_rate = 1 - dropped / (started + dropped + PRIOR_WALKS)
        familiarity = np.array([FAMILIARITY[tier] for tier in tiers.tolist()])
        scores = (
            weights["distance"] * np.maximum(0.0, 1 - pool.km / pool.radius)
            + weights["rating"] * ((rating - 1) / 4)
            + weights["reliability"] * (on_time_rate * kept_rate)
            + weights["load"] * np.maximum(0.0, 1 - week_load / capacity)
            + weights["familiarity"] * familiarity
        )
        return tiers, scores

    def candidate(
        self, walker: WalkerRow, km: float, weights: dict[str, float]
    ) -> Candidate:
        tier = self.tier(walker.pk)
        parts = self.walker_parts(walker)
        parts["distance"] = max(0.0, 1 - km / walker.service_radius_km)
        parts["familiarity"] = FAMILIARITY[tier]
        score = sum(weight * parts[part] for part, weight in weights.items())
        return Candidate(walker, score, tier, parts, km)


FAMILIARITY = {PREFERRED: 1.0, WALKED_THIS_DOG: 0.5, 0: 0.0}


def normalized_weights() -> dict[str, float]:
    """Return the weights from the settings, scaled to add up to 1."""
    weights = settings.MATCHING_WEIGHTS
    total = sum(weights.values())
    return {part: weights[part] / total for part in SCORE_PARTS}


def _ratings(walkers: Q) -> dict[int, tuple[float, int]]:
    """Return each walker's sum and count of owner ratings (1 to 5 stars)."""
    if not apps.is_installed("reports"):
        return {}
    review = apps.get_model("reports", "Review")
    rows = (
        review.objects.filter(walkers)
        .values("walker_id")
        .annotate(average=Avg("rating"), count=Count("pk"))
        .values_list("walker_id", "average", "count")
    )
    return {
        walker_id: (float(average) * count, count) for walker_id, average, count in rows
    }


def _starts(walkers: Q) -> dict[int, tuple[int, int]]:
    """Return each walker's walks started, and how many of those were on time.

    The same rule as walkers.reliability: the first move to "in progress" is
    when a walk started, and on time is within ON_TIME_GRACE of its start.
    """
    first_start = (
        BookingEvent.objects.filter(
            booking=OuterRef("pk"), to_status=Booking.Status.IN_PROGRESS
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = (
        Booking.objects.filter(walkers)
        .annotate(started_at=Subquery(first_start))
        .filter(started_at__isnull=False)
        .values("walker_id")
        .annotate(
            started=Count("pk"),
            on_time=Count(
                "pk", filter=Q(started_at__lte=F("starts_at") + ON_TIME_GRACE)
            ),
        )
        .values_list("walker_id", "started", "on_time")
    )
    return {walker_id: (started, on_time) for walker_id, started, on_time in rows}


# The offer workflow.


class OfferUnavailable(Exception):
    """The offer cannot be accepted or declined any more: taken, expired or closed."""


def queue_matching(booking_id: int, trigger: str) -> None:
    """Queue the matching of a booking once the current transaction commits."""
    from bookings.tasks import match_booking

    transaction.on_commit(lambda: match_booking.delay(booking_id, trigger))


@receiver(signals.booking_created, dispatch_uid="matching-booking-created")
def _match_new_booking(sender: Any, booking: Booking, **kwargs: Any) -> None:
    queue_matching(booking.pk, "created")


@receiver(signals.booking_status_changed, dispatch_uid="matching-status-changed")
def _follow_status(
    sender: Any, booking: Booking, from_status: str, to_status: str, **kwargs: Any
) -> None:
    if to_status == Booking.Status.REQUESTED and booking.walker_id is None:
        # A walker handed a confirmed walk back: find another.
        BookingMatch.objects.filter(booking=booking).update(
            state=BookingMatch.State.WAITING, refusals=0
        )
        queue_matching(booking.pk, "handed_back")
    elif to_status == Booking.Status.CANCELLED:
        _withdraw_open_offers(
            booking, _("The booking was cancelled."), WITHDRAWN_CANCELLED
        )
        BookingMatch.objects.filter(booking=booking).update(
            state=BookingMatch.State.CLOSED
        )


@receiver(signals.walker_assigned, dispatch_uid="matching-walker-assigned")
def _close_matching(
    sender: Any, booking: Booking, walker: WalkerProfile, **kwargs: Any
) -> None:
    """Withdraw other offers of a booking once any path assigns it a walker."""
    _withdraw_open_offers(
        booking,
        _("Another walker was assigned."),
        WITHDRAWN_TAKEN,
        keep_walker_id=walker.pk,
    )
    _withdraw_clashing_offers([(booking, walker)])
    assigned = BookingMatch.State.ASSIGNED
    if not BookingMatch.objects.filter(booking=booking).update(state=assigned):
        # A booking assigned by hand or by the batch before any matching ran.
        BookingMatch.objects.get_or_create(
            booking=booking, defaults={"state": assigned}
        )


# The reasons that offers_withdrawn gives.
WITHDRAWN_CANCELLED = "cancelled"
WITHDRAWN_TAKEN = "taken"
WITHDRAWN_BUSY = "busy"


def _withdraw_clashing_offers(pairs: list[tuple[Booking, Any]]) -> None:
    """Withdraw the walkers' open offers of other walks that now clash.

    A walker assigned by hand, by the batch or through another offer can no
    longer take a walk at a clashing time, so its offer would fail when
    accepted. Those bookings are matched again at once.
    """
    assigned = {booking.pk for booking, _walker in pairs}
    walks_of: dict[int, list[Booking]] = defaultdict(list)
    for booking, walker in pairs:
        walks_of[walker.pk].append(booking)
    candidates = (
        Offer.objects.open()
        .filter(walker_id__in=list(walks_of))
        .exclude(booking_id__in=assigned)
        .select_related("booking")
    )
    clashing = [
        offer.pk
        for offer in candidates
        if any(_clash(offer.booking, walk) for walk in walks_of[offer.walker_id])
    ]
    if not clashing:
        return
    booking_ids = _withdraw(
        Offer.objects.filter(pk__in=clashing, state=Offer.State.SENT),
        str(_("The walker has another walk at that time.")),
        WITHDRAWN_BUSY,
    )
    BookingMatch.objects.filter(booking_id__in=booking_ids).update(
        state=BookingMatch.State.WAITING
    )
    for booking_id in booking_ids:
        queue_matching(booking_id, "walker_busy")


def _withdraw(offers: Any, note: str, reason: str) -> list[int]:
    """Withdraw these open offers, tell their walkers through a signal, and
    return the ids of the offers' bookings."""
    # Locked, so that an offer accepted meanwhile is neither withdrawn nor
    # reported as withdrawn.
    rows = list(offers.select_for_update().values_list("pk", "booking_id"))
    if not rows:
        return []
    ids = [pk for pk, _booking_id in rows]
    Offer.objects.filter(pk__in=ids).update(
        state=Offer.State.WITHDRAWN, answered_at=timezone.now(), note=note[:255]
    )
    signals.offers_withdrawn.send(sender=Offer, offer_ids=ids, reason=reason)
    return [booking_id for _pk, booking_id in rows]


def _withdraw_open_offers(
    booking: Booking, note: str, reason: str, keep_walker_id: int | None = None
) -> None:
    offers = Offer.objects.filter(booking=booking, state=Offer.State.SENT)
    if keep_walker_id is not None:
        offers = offers.exclude(walker_id=keep_walker_id)
    _withdraw(offers, note, reason)


@receiver(signals.walkers_assigned, dispatch_uid="matching-walkers-assigned")
def _close_matching_in_bulk(
    sender: Any, pairs: list[tuple[Booking, Any]], **kwargs: Any
) -> None:
    """Do _close_matching's work for many assigned bookings in a few queries."""
    booking_ids = [booking.pk for booking, _walker in pairs]
    # The bookings' rows already name their new walkers, whose offers stay.
    _withdraw(
        Offer.objects.filter(
            booking_id__in=booking_ids, state=Offer.State.SENT
        ).exclude(walker_id=F("booking__walker_id")),
        str(_("Another walker was assigned.")),
        WITHDRAWN_TAKEN,
    )
    _withdraw_clashing_offers(pairs)
    assigned = BookingMatch.State.ASSIGNED
    BookingMatch.objects.filter(booking_id__in=booking_ids).update(state=assigned)
    BookingMatch.objects.bulk_create(
        [BookingMatch(booking_id=pk, state=assigned) for pk in booking_ids],
        ignore_conflicts=True,
    )


def is_matchable(booking: Booking, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        booking.status == Booking.Status.REQUESTED
        and booking.walker_id is None
        and booking.starts_at > now
    )


def starts_soon(booking: Booking, now: dt.datetime) -> bool:
    lead = dt.timedelta(minutes=settings.MATCHING_ESCALATE_BEFORE_MINUTES)
    return booking.starts_at - now <= lead


def match(booking_id: int, trigger: str) -> str:
    """Send the booking's best candidate an offer, or assign, or escalate.

    Returns what happened, for the log. Safe to run twice or at once for
    one booking: the booking row is locked while it works, and the database
    allows one open offer per booking.
    """
    now = timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("area")
            .filter(pk=booking_id)
            .first()
        )
        if booking is None:
            return "gone"
        if not is_matchable(booking, now):
            return "not matchable"
        state, _created = BookingMatch.objects.get_or_create(booking=booking)
        if state.state == BookingMatch.State.ESCALATED:
            return "in the ops queue"
        _expire_stale_offers(booking, now)
        state.refresh_from_db()
        if starts_soon(booking, now):
            escalate(state, BookingMatch.Reason.STARTS_SOON)
            return "escalated: starts soon"
        if Offer.objects.open().filter(booking=booking).exists():
            return "offer out"
        if state.refusals >= settings.MATCHING_MAX_DECLINES:
            escalate(state, BookingMatch.Reason.DECLINES)
            return "escalated: declines"
        ranking = rank_candidates(booking)
        ranking.save(trigger)
        outcome = _place(booking, state, ranking, now)
    logger.info("Matching of booking %s (%s): %s", booking.reference, trigger, outcome)
    return outcome


def _place(
    booking: Booking, state: BookingMatch, ranking: Ranking, now: dt.datetime
) -> str:
    auto_levels = set(settings.MATCHING_AUTO_ASSIGN_LEVELS)
    for candidate in ranking.candidates:
        walker = candidate.walker
        if walker.level in auto_levels:
            profile = WalkerProfile.objects.select_related("user").get(pk=walker.pk)
            try:
                assign_walker(booking, profile, None)
            except WalkerUnavailable:
                continue
            return f"assigned walker {walker.pk}"
        send_offer(booking, state, candidate, now)
        return f"offered to walker {walker.pk}"
    if _has_clashing_open_offer(booking, now):
        # A walker who may take this walk has an open offer for one at a
        # clashing time. When that offer is declined or expires, wake_waiting
        # matches this booking again, and the sweeper does if that is lost.
        state.state = BookingMatch.State.WAITING
        state.save(update_fields=["state", "updated_at"])
        return "waiting: walkers hold clashing offers"
    escalate(state, BookingMatch.Reason.NO_CANDIDATES)
    return "escalated: no candidates"


# Walks further apart in time than this never clash, whatever the distance
# between them within one area.
CLASH_HORIZON = dt.timedelta(hours=3)


def _clash(first: Any, second: Any) -> bool:
    """Return True when one walker cannot do both walks and travel between."""
    km = distance_km(first.latitude, first.longitude, second.latitude, second.longitude)
    travel = dt.timedelta(minutes=travel_minutes(km))
    return (
        first.starts_at < second.ends_at + travel
        and second.starts_at < first.ends_at + travel
    )


def _has_clashing_open_offer(booking: Booking, now: dt.datetime) -> bool:
    """Return True when a walker of the area holds an offer of a clashing walk."""
    offers = (
        Offer.objects.filter(
            state=Offer.State.SENT,
            expires_at__gt=now,
            walker__areas=booking.area_id,
            booking__starts_at__lt=booking.ends_at + CLASH_HORIZON,
            booking__ends_at__gt=booking.starts_at - CLASH_HORIZON,
        )
        .exclude(booking=booking)
        .select_related("booking")
    )
    return any(_clash(booking, offer.booking) for offer in offers)


def wake_waiting(offer: Offer) -> int:
    """Match again the waiting bookings near a walk whose offer just closed.

    Their matching found no candidate while the offer was open, and its
    walker may now be free for them. Returns how many were queued.
    """
    walk = Booking.objects.filter(pk=offer.booking_id).first()
    if walk is None:
        return 0
    waiting = (
        unmatched_bookings()
        .filter(
            area_id=walk.area_id,
            match__state=BookingMatch.State.WAITING,
            starts_at__lt=walk.ends_at + CLASH_HORIZON,
            ends_at__gt=walk.starts_at - CLASH_HORIZON,
        )
        .exclude(pk=walk.pk)
        .exclude(pk__in=Offer.objects.open().values("booking_id"))
    )
    ids = [booking.pk for booking in waiting if _clash(walk, booking)]
    for booking_id in ids:
        queue_matching(booking_id, "walker_free")
    if ids:
        logger.info(
            "Offer %s closed: matching %s waiting bookings again", offer.pk, len(ids)
        )
    return len(ids)


def send_offer(
    booking: Booking, state: BookingMatch, candidate: Candidate, now: dt.datetime
) -> Offer:
    timeout = dt.timedelta(minutes=settings.MATCHING_OFFER_TIMEOUT_MINUTES)
    # An offer never outlives the point where the booking goes to ops.
    latest = booking.starts_at - dt.timedelta(
        minutes=settings.MATCHING_ESCALATE_BEFORE_MINUTES
    )
    offer = Offer.objects.create(
        booking=booking,
        walker_id=candidate.walker.pk,
        score=candidate.score,
        sent_at=now,
        expires_at=max(min(now + timeout, latest), now + dt.timedelta(minutes=1)),
    )
    state.state = BookingMatch.State.OFFERED
    state.save(update_fields=["state", "updated_at"])
    signals.offer_sent.send(sender=Offer, offer=offer)
    return offer


def escalate(state: BookingMatch, reason: str) -> None:
    """Put the booking in the ops queue and send booking_escalated, once."""
    updated = (
        BookingMatch.objects.filter(pk=state.pk)
        .exclude(state=BookingMatch.State.ESCALATED)
        .update(
            state=BookingMatch.State.ESCALATED,
            escalation_reason=reason,
            escalated_at=timezone.now(),
        )
    )
    if not updated:
        return
    state.refresh_from_db()
    booking = state.booking
    logger.warning("Booking %s sent to the ops queue: %s", booking.reference, reason)
    signals.booking_escalated.send(sender=Booking, booking=booking, reason=reason)


def _expire_stale_offers(booking: Booking, now: dt.datetime) -> int:
    stale = Offer.objects.filter(
        booking=booking, state=Offer.State.SENT, expires_at__lte=now
    ).select_related("walker")
    expired = 0
    for offer in stale:
        if _expire(offer, now):
            expired += 1
    return expired


def _expire(offer: Offer, now: dt.datetime) -> bool:
    updated = Offer.objects.filter(pk=offer.pk, state=Offer.State.SENT).update(
        state=Offer.State.EXPIRED, answered_at=now
    )
    if not updated:
        return False
    offer.state = Offer.State.EXPIRED
    offer.answered_at = now
    BookingMatch.objects.filter(booking_id=offer.booking_id).update(
        refusals=F("refusals") + 1, state=BookingMatch.State.WAITING
    )
    logger.info("Offer %s to walker %s expired", offer.pk, offer.walker_id)
    signals.offer_expired.send(sender=Offer, offer=offer)
    wake_waiting(offer)
    return True


def expire_offers(now: dt.datetime | None = None) -> int:
    """Expire unanswered offers whose time is up, and match those bookings again."""
    now = now or timezone.now()
    due = Offer.objects.filter(state=Offer.State.SENT, expires_at__lte=now)
    expired = 0
    for offer in due.select_related("booking", "walker"):
        with transaction.atomic():
            if _expire(offer, now):
                expired += 1
                queue_matching(offer.booking_id, "expired")
    return expired


def accept_offer(offer: Offer, walker: WalkerProfile) -> Booking:
    """Assign the walker to the offered booking; raises OfferUnavailable if too late."""
    now = timezone.now()
    try:
        with transaction.atomic():
            # Lock the walker, the booking, then the offer: the order in which
            # assign_walker and its receivers take them, so that an accept and
            # a manual or batch assignment wait for each other, not deadlock.
            list(
                WalkerProfile.objects.select_for_update()
                .filter(pk=walker.pk)
                .values_list("pk", flat=True)
            )
            booking = Booking.objects.select_for_update().get(pk=offer.booking_id)
            locked = Offer.objects.select_for_update().get(pk=offer.pk)
            if locked.walker_id != walker.pk or locked.state != Offer.State.SENT:
                raise OfferUnavailable(locked.get_state_display())
            if locked.expires_at <= now:
                raise OfferUnavailable(str(Offer.State.EXPIRED.label))
            assign_walker(booking, walker, walker.user)
            locked.state = Offer.State.ACCEPTED
            locked.answered_at = now
            locked.save(update_fields=["state", "answered_at"])
            signals.offer_accepted.send(
                sender=Offer, offer=locked, booking=booking, walker=walker
            )
    except (WalkerUnavailable, IllegalTransition) as error:
        logger.info("Offer %s could not be accepted: %s", offer.pk, error)
        with transaction.atomic():
            Offer.objects.filter(pk=offer.pk, state=Offer.State.SENT).update(
                state=Offer.State.WITHDRAWN,
                answered_at=now,
                note=str(error)[:255],
            )
            queue_matching(offer.booking_id, "accept_failed")
        raise OfferUnavailable(str(error)) from None
    logger.info("Walker %s accepted offer %s", walker.pk, offer.pk)
    return booking


def decline_offer(
    offer: Offer, walker: WalkerProfile, reason: str, note: str = ""
) -> None:
    """Record the walker's no, and offer the booking to the next candidate."""
    now = timezone.now()
    with transaction.atomic():
        updated = Offer.objects.filter(
            pk=offer.pk, walker=walker, state=Offer.State.SENT, expires_at__gt=now
        ).update(
            state=Offer.State.DECLINED,
            answered_at=now,
            decline_reason=reason,
            note=note[:255],
        )
        if not updated:
            raise OfferUnavailable(str(_("The offer is closed.")))
        BookingMatch.objects.filter(booking_id=offer.booking_id).update(
            refusals=F("refusals") + 1, state=BookingMatch.State.WAITING
        )
        queue_matching(offer.booking_id, "declined")
        wake_waiting(offer)
    logger.info("Walker %s declined offer %s: %s", walker.pk, offer.pk, reason)


def unmatched_bookings(now: dt.datetime | None = None) -> Any:
    """Return the bookings still waiting for a walker and not in the ops queue."""
    now = now or timezone.now()
    return (
        Booking.objects.filter(
            status=Booking.Status.REQUESTED, walker__isnull=True, starts_at__gt=now
        )
        .exclude(match__state=BookingMatch.State.ESCALATED)
        .order_by("starts_at")
    )


def sweep(now: dt.datetime | None = None) -> int:
    """Queue matching for bookings that nothing is matching.

    It picks up a booking whose task was lost (Redis down at booking time),
    one whose offer is out while its walk draws close, and one that waits.
    """
    now = now or timezone.now()
    soon = now + dt.timedelta(minutes=settings.MATCHING_ESCALATE_BEFORE_MINUTES)
    open_offers = Offer.objects.filter(
        state=Offer.State.SENT, expires_at__gt=now
    ).values("booking_id")
    ids = list(
        unmatched_bookings(now)
        .filter(~Q(pk__in=open_offers) | Q(starts_at__lte=soon))
        .values_list("pk", flat=True)
    )
    for booking_id in ids:
        queue_matching(booking_id, "sweeper")
    return len(ids)


# Batch assignment: many bookings placed together for the best total score.

EARTH_RADIUS_KM = 6371.0
# The cost of a pair that may not be assigned: far above any score.
INFEASIBLE = 1e6


def haversine_km(latitudes: Any, longitudes: Any, latitude: Any, longitude: Any) -> Any:
    """Return great-circle distances in km; arguments are numpy arrays in degrees."""
    lat1, lon1 = np.radians(latitudes), np.radians(longitudes)
    lat2, lon2 = np.radians(latitude), np.radians(longitude)
    half_chord = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(half_chord, 0, 1)))


@dataclass
class BatchProblem:
    """Bookings, walkers, which pairs may go together and how well they fit.

    ``feasible[b, w]`` applies every rule of the one-booking matching: the
    walker's availability, time off, radius, dog sizes, open offers, earlier
    offers of the booking, and their held walks with travel time. The daily
    maximum and the travel between walks of the batch itself are applied by
    `place`, as walks are placed.
    """

    bookings: list[Booking]
    walkers: list[WalkerProfile]
    feasible: Any
    scores: Any
    starts: Any
    ends: Any
    latitudes: Any
    longitudes: Any
    days: Any
    daily_walks: Any
    daily_max: Any

    def place(self, b: int, w: int) -> None:
        """Record booking b as taken by walker w and close what that rules out."""
        km = haversine_km(
            self.latitudes, self.longitudes, self.latitudes[b], self.longitudes[b]
        )
        gap = 60 * travel_minutes_array(km)
        clash = (self.starts < self.ends[b] + gap) & (self.starts[b] < self.ends + gap)
        self.feasible[clash, w] = False
        self.feasible[b, :] = False
        day = self.days[b]
        self.daily_walks[w, day] += 1
        if self.daily_walks[w, day] >= self.daily_max[w]:
            self.feasible[self.days == day, w] = False


def travel_minutes_array(km: Any) -> Any:
    return settings.MATCHING_TRAVEL_BUFFER_MINUTES + 60 * km / (
        settings.MATCHING_TRAVEL_SPEED_KMH
    )


def solve_rounds(problem: BatchProblem) -> list[tuple[int, int]]:
    """Assign in rounds of linear_sum_assignment, each walker taking one walk a round.

    Each round is the best one-to-one assignment of the walks still open to
    the walkers still free for them. Placing a walk then closes the walker's
    clashing walks, and the next round fills what is left.
    """
    picks: list[tuple[int, int]] = []
    while True:
        rows = np.flatnonzero(problem.feasible.any(axis=1))
        if rows.size == 0:
            return picks
        cols = np.flatnonzero(problem.feasible[rows].any(axis=0))
        feasible = problem.feasible[np.ix_(rows, cols)]
        cost = np.where(feasible, -problem.scores[np.ix_(rows, cols)], INFEASIBLE)
        row_index, col_index = linear_sum_assignment(cost)
        chosen = feasible[row_index, col_index]
        for i, j in zip(row_index[chosen], col_index[chosen], strict=True):
            b, w = int(rows[i]), int(cols[j])
            if problem.feasible[b, w]:
                problem.place(b, w)
                picks.append((b, w))


def solve_greedy(problem: BatchProblem) -> list[tuple[int, int]]:
    """Take the best-scoring pair that is still allowed, again and again: a baseline."""
    pairs = np.argwhere(problem.feasible)
    order = np.argsort(-problem.scores[pairs[:, 0], pairs[:, 1]], kind="stable")
    picks = []
    for b, w in pairs[order]:
        if problem.feasible[b, w]:
            problem.place(int(b), int(w))
            picks.append((int(b), int(w)))
    return picks


def clash_matrix(problem: BatchProblem) -> Any:
    """Return which pairs of the batch's bookings one walker cannot both take."""
    km = haversine_km(
        problem.latitudes[:, None],
        problem.longitudes[:, None],
        problem.latitudes[None, :],
        problem.longitudes[None, :],
    )
    gap = 60 * travel_minutes_array(km)
    starts, ends = problem.starts, problem.ends
    clash = (starts[None, :] < ends[:, None] + gap) & (
        starts[:, None] < ends[None, :] + gap
    )
    np.fill_diagonal(clash, False)
    return clash


def improve(
    problem: BatchProblem,
    feasible: Any,
    daily_walks: Any,
    picks: list[tuple[int, int]],
    clash: Any,
    passes: int = 5,
) -> list[tuple[int, int]]:
    """Move single walks to walkers they fit better, while the total score rises.

    ``feasible`` and ``daily_walks`` are the problem's state before any walk
    of the batch was placed; ``clash`` is `clash_matrix`. A move never breaks
    a rule: the new walker must be allowed the walk, have room that day, and
    hold none of the batch's walks that clash with it.
    """
    scores = problem.scores
    walker_of = np.full(len(problem.bookings), -1)
    taken: dict[int, set[int]] = defaultdict(set)
    counts = daily_walks.copy()
    for b, w in picks:
        walker_of[b] = w
        taken[w].add(b)
        counts[w, problem.days[b]] += 1
    for _pass in range(passes):
        moved = 0
        for b in range(len(problem.bookings)):
            current = walker_of[b]
            floor = scores[b, current] if current >= 0 else 0.0
            better = np.flatnonzero(feasible[b] & (scores[b] > floor + 1e-9))
            day = problem.days[b]
            for w in better[np.argsort(-scores[b, better])]:
                if counts[w, day] >= problem.daily_max[w]:
                    continue
                if taken[w] and clash[b, list(taken[w])].any():
                    continue
                if current >= 0:
                    taken[current].discard(b)
                    counts[current, day] -= 1
                walker_of[b] = w
                taken[w].add(b)
                counts[w, day] += 1
                moved += 1
                break
        if not moved:
            break
    return [(b, int(w)) for b, w in enumerate(walker_of) if w >= 0]


def solve(problem: BatchProblem) -> list[tuple[int, int]]:
    """Return the better of the rounds and the greedy pass, each improved by moves."""
    feasible, daily_walks = problem.feasible.copy(), problem.daily_walks.copy()
    clash = clash_matrix(problem)
    results = []
    for solver in (solve_rounds, solve_greedy):
        problem.feasible, problem.daily_walks = feasible.copy(), daily_walks.copy()
        picks = improve(problem, feasible, daily_walks, solver(problem), clash)
        results.append((sum(problem.scores[b, w] for b, w in picks), picks))
    problem.feasible, problem.daily_walks = feasible, daily_walks
    return max(results, key=lambda result: result[0])[1]


def build_problem(
    bookings: list[Booking], walkers: list[WalkerProfile]
) -> BatchProblem:
    """Load every fact the batch needs about these bookings and walkers, in bulk."""
    from walkers.models import AvailabilityException, WeeklyAvailability

    n, m = len(bookings), len(walkers)
    walker_index = {walker.pk: j for j, walker in enumerate(walkers)}
    booking_index = {booking.pk: i for i, booking in enumerate(bookings)}
    walker_ids = list(walker_index)
    local_starts = [timezone.localtime(b.starts_at) for b in bookings]
    local_ends = [timezone.localtime(b.ends_at) for b in bookings]
    dates = sorted({start.date() for start in local_starts})
    day_of = {day: k for k, day in enumerate(dates)}
    days = np.array([day_of[start.date()] for start in local_starts], dtype=int)
    starts = np.array([b.starts_at.timestamp() for b in bookings])
    ends = np.array([b.ends_at.timestamp() for b in bookings])
    latitudes = np.array([float(b.latitude) for b in bookings])
    longitudes = np.array([float(b.longitude) for b in bookings])
    start_minutes = np.array([s.hour * 60 + s.minute for s in local_starts])
    end_minutes = np.array(
        [
            e.hour * 60 + e.minute if e.date() == s.date() else 24 * 60 + 1
            for s, e in zip(local_starts, local_ends, strict=True)
        ]
    )
    weekdays = np.array([s.isoweekday() for s in local_starts])

    feasible = np.ones((n, m), dtype=bool)
    # Areas.
    walker_areas: dict[int, set[int]] = defaultdict(set)
    for walker_id, area_id in WalkerProfile.areas.through.objects.filter(
        walkerprofile_id__in=walker_ids
    ).values_list("walkerprofile_id", "area_id"):
        walker_areas[walker_id].add(area_id)
    area_ids = np.array([b.area_id for b in bookings])
    for j, walker in enumerate(walkers):
        feasible[:, j] &= np.isin(area_ids, list(walker_areas[walker.pk]))
    # Radius from the home base.
    home_lat = np.array([float(w.home_latitude or 0) for w in walkers])
    home_lon = np.array([float(w.home_longitude or 0) for w in walkers])
    has_home = np.array([w.home_latitude is not None for w in walkers])
    radius = np.array([w.service_radius_km for w in walkers], dtype=float)
    km_home = haversine_km(
        home_lat[None, :], home_lon[None, :], latitudes[:, None], longitudes[:, None]
    )
    feasible &= has_home[None, :] & (km_home <= radius[None, :])
    # Dog sizes, as bit masks.
    size_bits = {size: 1 << k for k, size in enumerate(Dog.Size.values)}
    booking_sizes = np.zeros(n, dtype=int)
    for booking_id, size in Booking.dogs.through.objects.filter(
        booking_id__in=booking_index
    ).values_list("booking_id", "dog__size"):
        booking_sizes[booking_index[booking_id]] |= size_bits[size]
    walker_sizes = np.array(
        [sum(size_bits.get(size, 0) for size in w.dog_size_list) for w in walkers]
    )
    feasible &= (booking_sizes[:, None] & ~walker_sizes[None, :]) == 0
    # The weekly pattern must cover the walk, and no time off may touch it.
    covered = np.zeros((n, m), dtype=bool)
    for walker_id, weekday, start, end in WeeklyAvailability.objects.filter(
        walker_id__in=walker_ids
    ).values_list("walker_id", "weekday", "start_time", "end_time"):
        rows = (
            (weekdays == weekday)
            & (start_minutes >= start.hour * 60 + start.minute)
            & (end_minutes <= end.hour * 60 + end.minute)
        )
        covered[rows, walker_index[walker_id]] = True
    feasible &= covered
    date_index = np.array([s.date().toordinal() for s in local_starts])
    for walker_id, date, off_from, off_until in AvailabilityException.objects.filter(
        walker_id__in=walker_ids, date__in=dates
    ).values_list("walker_id", "date", "start_time", "end_time"):
        rows = date_index == date.toordinal()
        if off_from is not None and off_until is not None:
            rows &= (start_minutes < off_until.hour * 60 + off_until.minute) & (
                end_minutes > off_from.hour * 60 + off_from.minute
            )
        feasible[rows, walker_index[walker_id]] = False
    # Earlier offers of the same booking (declined, expired) are not repeated.
    for booking_id, walker_id in Offer.objects.filter(
        booking_id__in=booking_index, walker_id__in=walker_ids
    ).values_list("booking_id", "walker_id"):
        feasible[booking_index[booking_id], walker_index[walker_id]] = False

    problem = BatchProblem(
        bookings=bookings,
        walkers=walkers,
        feasible=feasible,
        scores=np.zeros((n, m)),
        starts=starts,
        ends=ends,
        latitudes=latitudes,
        longitudes=longitudes,
        days=days,
        daily_walks=np.zeros((m, len(dates)), dtype=int),
        daily_max=np.array([w.max_walks_per_day for w in walkers]),
    )
    _apply_held_walks(problem, walker_index, dates, day_of)
    problem.scores = _batch_scores(problem, walker_index, booking_index, km_home)
    return problem


def _apply_held_walks(
    problem: BatchProblem,
    walker_index: dict[int, int],
    dates: list[dt.date],
    day_of: dict[dt.date, int],
) -> None:
    """Close the pairs that the walkers' held walks and open offers rule out."""
    if not dates:
        return
    first, last = local_day_bounds(dates[0])[0], local_day_bounds(dates[-1])[1]
    ids = list(walker_index)
    batch_ids = [booking.pk for booking in problem.bookings]
    held = (
        Booking.objects.holding_walker()
        .filter(walker_id__in=ids, starts_at__lt=last, ends_at__gt=first)
        .exclude(pk__in=batch_ids)
        .values_list("walker_id", "starts_at", "ends_at", "latitude", "longitude")
    )
    offered = (
        Offer.objects.open()
        .filter(
            walker_id__in=ids,
            booking__starts_at__lt=last,
            booking__ends_at__gt=first,
        )
        .exclude(booking_id__in=batch_ids)
        .values_list(
            "walker_id",
            "booking__starts_at",
            "booking__ends_at",
            "booking__latitude",
            "booking__longitude",
        )
    )
    for rows, counts in ((held, True), (offered, False)):
        for walker_id, starts_at, ends_at, latitude, longitude in rows:
            w = walker_index[walker_id]
            km = haversine_km(
                problem.latitudes, problem.longitudes, float(latitude), float(longitude)
            )
            gap = 60 * travel_minutes_array(km)
            clash = (problem.starts < ends_at.timestamp() + gap) & (
                starts_at.timestamp() < problem.ends + gap
            )
            problem.feasible[clash, w] = False
            day = day_of.get(timezone.localtime(starts_at).date())
            if counts and day is not None:
                problem.daily_walks[w, day] += 1
    full = problem.daily_walks >= problem.daily_max[:, None]
    for w, day in np.argwhere(full):
        problem.feasible[problem.days == day, w] = False


def _batch_scores(
    problem: BatchProblem,
    walker_index: dict[int, int],
    booking_index: dict[int, int],
    km_home: Any,
) -> Any:
    walkers, bookings = problem.walkers, problem.bookings
    # NOTE: the weekly load is counted for the week of the earliest booking.
    # In a window that spans two weeks, the later week's walks use it too.
    facts = ScoreFacts.load_walkers(
        bookings[0].local_date, walker_ids=list(walker_index)
    )
    per_walker = [facts.walker_parts(walker) for walker in walkers]
    radius = np.array([w.service_radius_km for w in walkers], dtype=float)
    parts = {
        "distance": np.clip(1 - km_home / radius[None, :], 0, 1),
        "familiarity": np.zeros(km_home.shape),
    }
    for part in ("rating", "reliability", "load"):
        parts[part] = np.array([values[part] for values in per_walker])[None, :]
    familiarity = parts["familiarity"]
    for walker_id, owner_id in PreferredWalker.objects.filter(
        walker_id__in=walker_index,
        owner_id__in={booking.owner_id for booking in bookings},
    ).values_list("walker_id", "owner_id"):
        rows = [i for i, b in enumerate(bookings) if b.owner_id == owner_id]
        familiarity[rows, walker_index[walker_id]] = 1.0
    dogs_of: dict[int, set[int]] = defaultdict(set)
    for booking_id, dog_id in Booking.dogs.through.objects.filter(
        booking_id__in=booking_index
    ).values_list("booking_id", "dog_id"):
        dogs_of[dog_id].add(booking_index[booking_id])
    walked = Booking.dogs.through.objects.filter(
        dog_id__in=dogs_of,
        booking__status=Booking.Status.COMPLETED,
        booking__walker_id__in=walker_index,
    ).values_list("dog_id", "booking__walker_id")
    for dog_id, walker_id in walked:
        j = walker_index[walker_id]
        for i in dogs_of[dog_id]:
            familiarity[i, j] = max(familiarity[i, j], 0.5)
    weights = normalized_weights()
    return sum(weights[part] * parts[part] for part in SCORE_PARTS)


def batch_walkers(bookings: list[Booking]) -> list[WalkerProfile]:
    return list(
        WalkerProfile.objects.verified_active()
        .filter(areas__in={booking.area_id for booking in bookings})
        .distinct()
        .select_related("user")
        .order_by("pk")
    )


def batch_candidates(
    now: dt.datetime | None = None, window_hours: int | None = None
) -> list[Booking]:
    """Return the unmatched bookings in the window that no offer is out for."""
    now = now or timezone.now()
    hours = window_hours or settings.MATCHING_BATCH_WINDOW_HOURS
    open_offers = Offer.objects.open().values("booking_id")
    return list(
        unmatched_bookings(now)
        .filter(starts_at__lte=now + dt.timedelta(hours=hours))
        .exclude(pk__in=open_offers)
        .select_related("area")
    )


@dataclass
class BatchResult:
    assigned: list[tuple[int, int, float]] = field(default_factory=list)
    lost_races: list[int] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)

    @property
    def total_score(self) -> float:
        return sum(score for _booking, _walker, score in self.assigned)


def batch_assign(bookings: Iterable[Booking]) -> BatchResult:
    """Assign many bookings at once for the best total score, and write it.

    The assignments are written in chunks by assign_walkers, which skips a
    booking that lost a race to an owner's cancellation, an offer accepted
    meanwhile or a manual assignment, and still writes the rest.
    """
    bookings = sorted(bookings, key=lambda b: (b.starts_at, b.pk))
    result = BatchResult()
    if not bookings:
        return result
    walkers = batch_walkers(bookings)
    problem = build_problem(bookings, walkers)
    picks = solve(problem)
    placed = {b for b, _w in picks}
    ordered = sorted(picks, key=lambda pick: bookings[pick[0]].starts_at)
    errors = assign_walkers([(bookings[b], walkers[w]) for b, w in ordered])
    for (b, w), error in zip(ordered, errors, strict=True):
        booking, walker = bookings[b], walkers[w]
        if error is not None:
            logger.info(
                "Batch skipped booking %s for walker %s: %s",
                booking.reference,
                walker.pk,
                error,
            )
            result.lost_races.append(booking.pk)
        else:
            result.assigned.append((booking.pk, walker.pk, float(problem.scores[b, w])))
    result.unplaced = [b.pk for i, b in enumerate(bookings) if i not in placed]
    logger.info(
        "Batch assignment: %s bookings, %s assigned, %s lost to races, %s unplaced",
        len(bookings),
        len(result.assigned),
        len(result.lost_races),
        len(result.unplaced),
    )
    return result
