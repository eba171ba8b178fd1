"""The walker overlap rule, enforced by PostgreSQL, raced on real connections."""

import contextlib
import datetime as dt
import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from bookings.models import Booking
from bookings.services import WalkerUnavailable, assign_walker
from tests.factories import BookingFactory, walk_start

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("english"),
]

TEN = walk_start(days=3, hour=10)


def hold(walker, starts, minutes, status=Booking.Status.CONFIRMED):
    return BookingFactory(
        walker=walker,
        status=status,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=minutes),
    )


def test_constraint_installed_in_postgres():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
            ["bookings_booking_walker_no_overlap"],
        )
        (definition,) = cursor.fetchone()
    assert definition.startswith("EXCLUDE USING gist")


def test_touching_walks_allowed(walker):
    hold(walker, TEN, 60)
    hold(walker, TEN + dt.timedelta(hours=1), 60)

    assert Booking.objects.filter(walker=walker).count() == 2


@pytest.mark.parametrize(
    ("offset_minutes", "minutes", "case"),
    [
        (30, 60, "overlapping the end"),
        (-30, 60, "overlapping the start"),
        (15, 30, "enclosed"),
        (-30, 120, "enclosing"),
        (0, 60, "identical"),
    ],
)
def test_overlapping_walks_rejected_by_database(walker, offset_minutes, minutes, case):
    hold(walker, TEN, 60)

    with pytest.raises(IntegrityError, match="bookings_booking_walker_no_overlap"):
        hold(walker, TEN + dt.timedelta(minutes=offset_minutes), minutes)
    assert Booking.objects.filter(walker=walker).count() == 1


def test_cancelled_walk_does_not_hold_walker(walker):
    hold(walker, TEN, 60, status=Booking.Status.CANCELLED)
    hold(walker, TEN, 60)

    assert Booking.objects.filter(walker=walker).count() == 2


def test_different_walkers_may_overlap(walker):
    from tests.factories import WalkerProfileFactory

    hold(walker, TEN, 60)
    hold(WalkerProfileFactory(), TEN, 60)

    assert Booking.objects.filter(starts_at=TEN).count() == 2


def run_at_once(functions):
    """Run each function in its own thread and connection, all released at once."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(index, function):
        from django.db import connections

        try:
            barrier.wait(timeout=30)
            results[index] = function()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=runner, args=item) for item in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_racing_transitions_on_two_connections(owner, staff, walker):
    """Both transactions pass any check made before writing; the database decides."""
    first = BookingFactory(owner=owner, starts_at=TEN)
    second = BookingFactory(owner=owner, starts_at=TEN + dt.timedelta(minutes=30))
    both_written = threading.Barrier(2, timeout=5)

    def confirm(booking):
        def work():
            with transaction.atomic():
                booking.transition(Booking.Status.CONFIRMED, actor=staff, walker=walker)
                # The second writer blocks inside its UPDATE until the first
                # commits, so it never reaches this barrier: that is the race.
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_written.wait()
            return "won"

        return work

    results = run_at_once([confirm(first), confirm(second)])

    winners = [result for result in results if result == "won"]
    # The loser fails on the constraint, or PostgreSQL fails it to break a
    # deadlock, which full runs showed because status-change receivers also
    # take locks. Either way the loser writes nothing.
    losers = [
        result
        for result in results
        if isinstance(result, (IntegrityError, OperationalError))
    ]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert Booking.objects.filter(walker=walker).count() == 1


def test_many_racing_assignments_one_wins(owner, staff, walker):
    bookings = [
        BookingFactory(owner=owner, starts_at=TEN + dt.timedelta(minutes=5 * n))
        for n in range(6)
    ]

    def assign(booking):
        return lambda: assign_walker(booking, walker, staff)

    results = run_at_once([assign(booking) for booking in bookings])

    winners = [result for result in results if result is None]
    losers = [result for result in results if isinstance(result, WalkerUnavailable)]
    assert len(winners) == 1, results
    assert len(losers) == 5, results
    assert (
        Booking.objects.filter(walker=walker, status=Booking.Status.CONFIRMED).count()
        == 1
    )
