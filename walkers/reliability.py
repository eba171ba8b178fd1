"""Reliability figures of a walker, computed from their real bookings."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, Min, Q

from walkers.models import WalkerProfile

# A walk that starts within this long after its booked time counts as on time.
ON_TIME_GRACE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Reliability:
    walks_completed: int
    started: int
    started_on_time: int
    cancelled_by_walker: int
    reports_filed: int = 0
    rating_average: float | None = None
    rating_count: int = 0

    @property
    def on_time_percent(self) -> int | None:
        if not self.started:
            return None
        return round(100 * self.started_on_time / self.started)


def reliability_of(walker: WalkerProfile) -> Reliability:
    from bookings.models import Booking, BookingEvent

    completed = Booking.objects.filter(
        walker=walker, status=Booking.Status.COMPLETED
    ).count()
    # The first move to "in progress" is when the walk really started.
    starts = (
        BookingEvent.objects.filter(
            booking__walker=walker, to_status=Booking.Status.IN_PROGRESS
        )
        .values("booking_id", "booking__starts_at")
        .annotate(started_at=Min("created_at"))
    )
    started = on_time = 0
    for row in starts:
        started += 1
        if row["started_at"] <= row["booking__starts_at"] + ON_TIME_GRACE:
            on_time += 1
    # A walker who cancels, or hands a confirmed walk back, let the owner down.
    dropped = (
        BookingEvent.objects.filter(actor=walker.user)
        .filter(
            Q(to_status=Booking.Status.CANCELLED)
            | Q(
                from_status=Booking.Status.CONFIRMED, to_status=Booking.Status.REQUESTED
            )
        )
        .values("booking_id")
        .distinct()
        .count()
    )
    from reports.models import Review, WalkReport

    reports_filed = WalkReport.objects.filter(
        booking__walker=walker, state=WalkReport.State.FILED
    ).count()
    ratings = Review.objects.filter(walker=walker).aggregate(
        average=Avg("rating"), count=Count("pk")
    )
    average = ratings["average"]
    return Reliability(
        completed,
        started,
        on_time,
        dropped,
        reports_filed=reports_filed,
        rating_average=None if average is None else round(float(average), 1),
        rating_count=ratings["count"],
    )
