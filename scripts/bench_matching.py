#!/usr/bin/env python
"""Benchmark the matching on PostgreSQL: one booking, then a batch.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pompygo_bench \\
        .venv/bin/python scripts/bench_matching.py

It migrates the database, fills it with generated walkers and bookings
inside one transaction, measures, and rolls everything back. Figures go to
stdout; docs/benchmarks.md records a run.

1. One booking against 500 and then 5,000 walkers of its area: the time and
   the query count of `rank_candidates` and of the whole `match` (lock,
   rank, save the run, send the offer).
2. A batch of 2,000 bookings on one day against 500 walkers: the time to
   load, solve, write and queue the messages (with REDIS_URL set). Then
   the total score of the rounds of linear_sum_assignment, of a greedy
   pass, and of an upper bound on the optimum from scipy's MILP (HiGHS).
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pompygo.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from scipy import sparse  # noqa: E402
from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: E402

from accounts.models import User  # noqa: E402
from bookings import matching, services  # noqa: E402
from bookings.models import Area, Booking, Dog, Service  # noqa: E402
from notifications.models import Message  # noqa: E402
from notifications.services import queue_messages  # noqa: E402
from pompygo.celery import app as celery_app  # noqa: E402
from walkers.models import (  # noqa: E402
    STAGE_ORDER,
    WalkerProfile,
    WalkerStage,
    WeeklyAvailability,
)

# Central and South Jakarta, where most walks are.
SOUTH, NORTH = -6.30, -6.15
WEST, EAST = 106.76, 106.90


# The one dog of each generated owner, by owner id.
DOG_OF_OWNER: dict[int, int] = {}


class Rollback(Exception):
    """Raised at the end to undo every row the benchmark made."""


def point(rng: random.Random) -> tuple[Decimal, Decimal]:
    return (
        Decimal(f"{rng.uniform(SOUTH, NORTH):.6f}"),
        Decimal(f"{rng.uniform(WEST, EAST):.6f}"),
    )


def make_walkers(count: int, area: Area, rng: random.Random, tag: str) -> list[int]:
    """Create verified walkers of the area, available 06:00-20:00 every day."""
    users = User.objects.bulk_create(
        User(
            email=f"bench-{tag}-{n}@contoh.co.id",
            first_name=f"W{tag}{n}",
            role=User.Role.WALKER,
        )
        for n in range(count)
    )
    profiles = []
    for user in users:
        latitude, longitude = point(rng)
        profiles.append(
            WalkerProfile(
                user=user,
                home_latitude=latitude,
                home_longitude=longitude,
                service_radius_km=rng.choice([5, 6, 8, 10]),
                dog_sizes="small,medium,large"
                if rng.random() < 0.8
                else "small,medium",
                max_walks_per_day=rng.choice([4, 5, 6, 8]),
                level=WalkerProfile.Level.CERTIFIED,
            )
        )
    profiles = WalkerProfile.objects.bulk_create(profiles)
    ids = [profile.pk for profile in profiles]
    WalkerProfile.areas.through.objects.bulk_create(
        WalkerProfile.areas.through(walkerprofile_id=pk, area_id=area.pk) for pk in ids
    )
    staff = User.objects.filter(is_staff=True).first() or users[0]
    WalkerStage.objects.bulk_create(
        WalkerStage(
            walker_id=pk,
            stage=stage,
            outcome=WalkerStage.Outcome.PASSED,
            score=80,
            decided_by=staff,
        )
        for pk in ids
        for stage in STAGE_ORDER
    )
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(
            walker_id=pk,
            weekday=weekday,
            start_time=dt.time(rng.choice([6, 7, 8])),
            end_time=dt.time(rng.choice([17, 19, 20])),
        )
        for pk in ids
        for weekday in range(1, 8)
    )
    return ids


def make_bookings(
    count: int,
    day: dt.date,
    owners: list[Any],
    rng: random.Random,
    walker_ids: list[int] | None = None,
) -> list[Booking]:
    """Create bookings at random places and times, held by walker_ids if given."""
    service = Service.objects.get(code="walk-60")
    area = Area.objects.get(slug="jakarta")
    bookings = []
    for n in range(count):
        latitude, longitude = point(rng)
        minutes = 7 * 60 + 15 * rng.randrange(44)
        starts_at = timezone.make_aware(
            dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
        )
        bookings.append(
            Booking(
                owner=owners[n % len(owners)],
                service=service,
                area=area,
                starts_at=starts_at,
                ends_at=starts_at + service.duration,
                address="Jl. Benchmark",
                latitude=latitude,
                longitude=longitude,
                price=service.price,
                walker_id=walker_ids[n] if walker_ids else None,
                status=Booking.Status.CONFIRMED
                if walker_ids
                else Booking.Status.REQUESTED,
            )
        )
    bookings = Booking.objects.bulk_create(bookings)
    dogs = DOG_OF_OWNER
    Booking.dogs.through.objects.bulk_create(
        Booking.dogs.through(booking_id=b.pk, dog_id=dogs[b.owner_id]) for b in bookings
    )
    return bookings


def make_owners(count: int, rng: random.Random, tag: str) -> list[Any]:
    owners = User.objects.bulk_create(
        User(email=f"bench-owner-{tag}-{n}@contoh.co.id", first_name=f"O{n}")
        for n in range(count)
    )
    sizes = [Dog.Size.SMALL, Dog.Size.MEDIUM, Dog.Size.LARGE]
    dogs = Dog.objects.bulk_create(
        Dog(owner=owner, name=f"D{n}", size=rng.choice(sizes), sex=Dog.Sex.MALE)
        for n, owner in enumerate(owners)
    )
    for owner, dog in zip(owners, dogs, strict=True):
        DOG_OF_OWNER[owner.pk] = dog.pk
    return owners


def timed(function: Any, repeat: int) -> tuple[float, int]:
    """Return the median time in ms over the runs, and the queries of one run."""
    times = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            function()
            times.append((time.perf_counter() - start) * 1000)
        queries = len(captured)
    return statistics.median(times), queries


def bench_one(rng: random.Random, day: dt.date, repeat: int) -> None:
    area = Area.objects.get(slug="jakarta")
    owners = make_owners(50, rng, "one")
    [booking] = make_bookings(1, day, owners[:1], rng)
    booking = Booking.objects.select_related("area").get(pk=booking.pk)
    print("== One booking")
    total = 0
    for count in (500, 4500):
        ids = make_walkers(count, area, rng, f"one{total}")
        total += count
        # Walks already held on that day by a third of the walkers.
        make_bookings(len(ids) // 3, day, owners, rng, walker_ids=ids)
        connection.cursor().execute("ANALYZE")
        rank_ms, rank_queries = timed(
            lambda: matching.rank_candidates(booking).save("bench"), repeat
        )
        ranking = matching.rank_candidates(booking)

        def match_once() -> None:
            with transaction.atomic():
                sid = transaction.savepoint()
                matching.match(booking.pk, "bench")
                transaction.savepoint_rollback(sid)

        match_ms, match_queries = timed(match_once, repeat)
        print(
            f"walkers {total:>5}: rank+save {rank_ms:6.1f} ms, {rank_queries} queries; "
            f"match {match_ms:6.1f} ms, {match_queries} queries; "
            f"{ranking.eligible} of {ranking.considered} walkers eligible"
        )


class QueryCounter:
    """Count the queries run through a connection (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Any, sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def upper_bound(problem: matching.BatchProblem, seconds: float) -> tuple[float, str]:
    """Return an upper bound on the best total score, from a relaxed MILP.

    The relaxation keeps every rule but the travel between walks: each
    booking once, each walker's daily maximum, and, for each walker and each
    start time, at most one walk that covers it or ended less than the
    travel buffer before it. Those walks clash whatever the distance, so
    the relaxed optimum is at least the true optimum.
    """
    pairs = np.argwhere(problem.feasible)
    b, w = pairs[:, 0], pairs[:, 1]
    n_vars = len(pairs)
    scores = problem.scores[b, w]
    rows: list[int] = []
    cols: list[int] = []
    upper: list[int] = []
    # Each booking at most once.
    rows.extend(b.tolist())
    cols.extend(range(n_vars))
    upper.extend([1] * len(problem.bookings))
    row = len(problem.bookings)
    # Each walker's daily maximum.
    keys = w * problem.daily_walks.shape[1] + problem.days[b]
    unique, inverse = np.unique(keys, return_inverse=True)
    rows.extend((row + inverse).tolist())
    cols.extend(range(n_vars))
    for key in unique:
        walker, day = divmod(int(key), problem.daily_walks.shape[1])
        upper.append(problem.daily_max[walker] - problem.daily_walks[walker, day])
    row += len(unique)
    # Clique constraints at each distinct start time, per walker.
    buffer = 60 * settings.MATCHING_TRAVEL_BUFFER_MINUTES
    times = np.unique(problem.starts)
    by_walker: dict[int, list[int]] = {}
    for index, walker in enumerate(w.tolist()):
        by_walker.setdefault(walker, []).append(index)
    for indexes in by_walker.values():
        index_array = np.array(indexes)
        starts = problem.starts[b[index_array]]
        ends = problem.ends[b[index_array]] + buffer
        for moment in times:
            covering = index_array[(starts <= moment) & (moment < ends)]
            if covering.size > 1:
                rows.extend([row] * covering.size)
                cols.extend(covering.tolist())
                upper.append(1)
                row += 1
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(row, n_vars))
    result = milp(
        -scores,
        constraints=LinearConstraint(matrix, -np.inf, np.array(upper, dtype=float)),
        integrality=np.ones(n_vars),
        bounds=Bounds(0, 1),
        options={"time_limit": seconds, "disp": False},
    )
    # HiGHS reports the best bound it proved; when it stops at the time
    # limit, that bound is above the best assignment it found.
    bound = getattr(result, "mip_dual_bound", None)
    if bound is None or not np.isfinite(bound):
        bound = result.fun
    message = f"{result.message.strip()} ({n_vars} pairs, {row} rows)"
    if bound is None:
        return float("nan"), message
    return -float(bound), message


def queue_assignment_messages(booking_ids: list[int]) -> tuple[int, float | None]:
    """Queue the assignment messages of bookings, as their commits would.

    Everything here is rolled back, so the on-commit queueing never runs by
    itself. With REDIS_URL set, this runs it on the rows recorded, then
    empties that Redis database's queue, and returns how many messages and
    the seconds it took. Without REDIS_URL, the seconds are None.
    """
    ids = list(
        Message.objects.filter(
            booking_id__in=booking_ids, state=Message.State.QUEUED
        ).values_list("pk", flat=True)
    )
    if not settings.REDIS_URL:
        return len(ids), None
    start = time.perf_counter()
    queue_messages(ids)
    elapsed = time.perf_counter() - start
    celery_app.control.purge()
    return len(ids), elapsed


def bench_batch(rng: random.Random, day: dt.date, bound_seconds: float) -> None:
    print("== Batch: 2,000 bookings, 500 walkers")
    area = Area.objects.get(slug="jakarta")
    Booking.objects.filter(starts_at__date=day).delete()
    WalkerProfile.objects.filter(user__email__startswith="bench-one").update(
        is_active=False
    )
    make_walkers(500, area, rng, "batch")
    owners = make_owners(400, rng, "batch")
    make_bookings(2000, day, owners, rng)
    connection.cursor().execute("ANALYZE")
    start = time.perf_counter()
    bookings = matching.batch_candidates(
        now=timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0))),
        window_hours=24,
    )
    walkers = matching.batch_walkers(bookings)
    problem = matching.build_problem(bookings, walkers)
    loaded = time.perf_counter()
    initial = problem.feasible.copy()
    initial_walks = problem.daily_walks.copy()
    picks = matching.solve(problem)
    solved = time.perf_counter()
    batch_score = sum(problem.scores[b, w] for b, w in picks)
    problem.feasible, problem.daily_walks = initial.copy(), initial_walks.copy()
    rounds = matching.solve_rounds(problem)
    rounds_score = sum(problem.scores[b, w] for b, w in rounds)
    problem.feasible, problem.daily_walks = initial.copy(), initial_walks.copy()
    greedy = matching.solve_greedy(problem)
    greedy_score = sum(problem.scores[b, w] for b, w in greedy)
    problem.feasible, problem.daily_walks = initial.copy(), initial_walks.copy()
    # Write as batch_assign does, in chunks through assign_walkers, with
    # every receiver of the booking signals (the notifications record their
    # messages), then queue the messages' sending as the commits would.
    ordered = [
        (bookings[b], walkers[w])
        for b, w in sorted(picks, key=lambda pick: bookings[pick[0]].starts_at)
    ]
    write_start = time.perf_counter()
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        errors = services.assign_walkers(ordered)
    written = time.perf_counter()
    lost = sum(error is not None for error in errors)
    queued, queue_seconds = queue_assignment_messages(
        [booking.pk for booking, _walker in ordered]
    )
    bound, status = upper_bound(problem, bound_seconds)
    print(f"bookings {len(bookings)}, walkers {len(walkers)}")
    # The other solvers ran between the solve and the writes, for the
    # comparison only, so the total leaves them out.
    total = (solved - start) + (written - write_start) + (queue_seconds or 0)
    print(
        f"load {1000 * (loaded - start):.0f} ms, "
        f"solve {1000 * (solved - loaded):.0f} ms, "
        f"write {1000 * (written - write_start):.0f} ms "
        f"({counter.count} queries, {lost} not assigned), "
        + (
            f"queue {queued} messages {1000 * queue_seconds:.0f} ms, "
            if queue_seconds is not None
            else "queueing not measured (set REDIS_URL to a spare Redis database), "
        )
        + f"total {1000 * total:.0f} ms"
    )
    print(f"batch (solve): {len(picks)} placed, score {batch_score:.2f}")
    print(f"rounds of LSA alone: {len(rounds)} placed, score {rounds_score:.2f}")
    print(f"greedy alone: {len(greedy)} placed, score {greedy_score:.2f}")
    print(f"upper bound on the optimum: {bound:.2f} [{status}]")
    print(
        f"batch / bound {100 * batch_score / bound:.2f}%, "
        f"rounds / bound {100 * rounds_score / bound:.2f}%, "
        f"greedy / bound {100 * greedy_score / bound:.2f}%"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per timing")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--part", choices=["one", "batch", "both"], default="both", help="what to run"
    )
    parser.add_argument(
        "--bound-seconds", type=float, default=120, help="time limit of the MILP"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the benchmark is for it.")
    try:
        connection.ensure_connection()
    except OperationalError as error:
        sys.exit(
            f"Cannot connect to DATABASE_URL's database ({error}). Create it "
            "first, e.g. createdb -h 127.0.0.1 -U postgres pompygo_bench"
        )
    call_command("migrate", verbosity=0)
    # Each run rolls its rows back, which leaves them as dead rows that the
    # next run would scan. VACUUM cannot run inside the transaction.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    rng = random.Random(args.seed)
    day = timezone.localdate() + dt.timedelta(days=3)
    try:
        with transaction.atomic():
            if args.part in ("one", "both"):
                bench_one(rng, day, args.repeat)
            if args.part in ("batch", "both"):
                bench_batch(rng, day, args.bound_seconds)
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
