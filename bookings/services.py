"""Booking workflows that touch several models: book, repeat, cancel, assign."""

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bookings import signals
from bookings.models import (
    Area,
    Booking,
    BookingEvent,
    BookingPolicy,
    BookingSeries,
    District,
    Dog,
    IllegalTransition,
    Service,
)
from pompygo.lib.money import percent_of
from pompygo.lib.timezones import combine_local

logger = logging.getLogger(__name__)


class WalkerUnavailable(Exception):
    """The walker cannot take this booking: inactive, or busy at that time."""


@dataclass(frozen=True)
class SlotProblem:
    """The reason a date and time cannot be booked: a code and its parameters.

    The code is what recurring series store, so that the reason can be shown
    again later in whichever language the reader uses.
    """

    code: str
    params: dict[str, str] = field(default_factory=dict)

    def message(self) -> str:
        return str(SLOT_MESSAGES[self.code]) % self.params

    def as_json(self, day: dt.date) -> dict[str, Any]:
        return {"date": day.isoformat(), "code": self.code, "params": self.params}


SLOT_MESSAGES = {
    "past": _("This time has already passed."),
    "lead_time": _(
        "Book at least %(minutes)s minutes ahead: the earliest start is %(earliest)s."
    ),
    "step": _(
        "Start times are on the quarter hour, for example 07:00, 07:15 or 07:30."
    ),
    "before_opening": _("Walks start at %(opening)s (WIB) at the earliest."),
    "after_closing": _("This walk would end after %(closing)s (WIB), when we close."),
    "dog_busy": _("%(dog)s already has a booking at this time."),
    "too_far_ahead": _(
        "Bookings open %(days)s days ahead: choose a date up to %(latest)s."
    ),
}


def slot_problem(
    dogs: Sequence[Dog],
    service: Service,
    starts_at: dt.datetime,
    policy: BookingPolicy,
    now: dt.datetime | None = None,
) -> SlotProblem | None:
    """Return why this start cannot be booked for these dogs, or None if it can."""
    now = now or timezone.now()
    local_start = timezone.localtime(starts_at)
    local_end = local_start + service.duration
    if starts_at <= now:
        return SlotProblem("past")
    if local_start.minute % 15 or local_start.second or local_start.microsecond:
        return SlotProblem("step")
    if local_start.time() < policy.opening_time:
        return SlotProblem(
            "before_opening", {"opening": f"{policy.opening_time:%H:%M}"}
        )
    closing = combine_local(local_start.date(), policy.closing_time)
    if local_end > closing:
        return SlotProblem("after_closing", {"closing": f"{policy.closing_time:%H:%M}"})
    latest_day = timezone.localtime(now).date() + dt.timedelta(
        days=policy.max_advance_days
    )
    if local_start.date() > latest_day:
        return SlotProblem(
            "too_far_ahead",
            {"days": str(policy.max_advance_days), "latest": f"{latest_day:%d-%m-%Y}"},
        )
    earliest = now + dt.timedelta(minutes=policy.lead_time_minutes)
    if starts_at < earliest:
        # Round up to the quarter hour, so the suggested time is bookable.
        earliest_local = timezone.localtime(earliest).replace(second=0, microsecond=0)
        earliest_local += dt.timedelta(minutes=-earliest_local.minute % 15)
        return SlotProblem(
            "lead_time",
            {
                "minutes": str(policy.lead_time_minutes),
                "earliest": f"{earliest_local:%H:%M, %d-%m-%Y}",
            },
        )
    clashing = Booking.objects.exclude(
        status__in=Booking.RELEASED_STATUSES
    ).overlapping(starts_at, starts_at + service.duration)
    busy = (
        Dog.objects.filter(pk__in=[dog.pk for dog in dogs], bookings__in=clashing)
        .values_list("name", flat=True)
        .first()
    )
    if busy:
        return SlotProblem("dog_busy", {"dog": busy})
    return None


def served_areas_message() -> str:
    names = list(Area.objects.filter(is_active=True).values_list("name", flat=True))
    if len(names) > 1:
        listed = ", ".join(names[:-1]) + " " + str(_("and")) + " " + names[-1]
    else:
        listed = "".join(names)
    return str(
        _("We do not serve this address yet. We walk dogs in %(areas)s.")
        % {"areas": listed}
    )


def area_for(latitude: Decimal, longitude: Decimal) -> Area | None:
    return Area.objects.containing(latitude, longitude).first()


@dataclass
class BookingDetails:
    """The cleaned booking form data shared by one or more bookings."""

    dogs: list[Dog]
    service: Service
    area: Area
    address: str
    latitude: Decimal
    longitude: Decimal
    district: District | None = None
    access_notes: str = ""
    handover_notes: str = ""


def _queue_booking_received(booking: Booking) -> None:
    from bookings.tasks import send_booking_received

    transaction.on_commit(lambda: send_booking_received.delay(booking.pk))


def _create(
    owner: Any,
    details: BookingDetails,
    starts_at: dt.datetime,
    *,
    request_token: uuid.UUID | None = None,
    series: BookingSeries | None = None,
) -> Booking:
    booking = Booking.objects.create(
        owner=owner,
        service=details.service,
        area=details.area,
        district=details.district,
        starts_at=starts_at,
        ends_at=starts_at + details.service.duration,
        address=details.address,
        latitude=details.latitude,
        longitude=details.longitude,
        access_notes=details.access_notes,
        handover_notes=details.handover_notes,
        price=details.service.price_for(len(details.dogs)),
        request_token=request_token,
        series=series,
    )
    booking.dogs.set(details.dogs)
    BookingEvent.objects.create(
        booking=booking,
        to_status=Booking.Status.REQUESTED,
        actor=owner,
        created_at=booking.created_at,
    )
    _queue_booking_received(booking)
    signals.booking_created.send(sender=Booking, booking=booking)
    return booking


def book(
    owner: Any,
    details: BookingDetails,
    starts_at: dt.datetime,
    request_token: uuid.UUID,
) -> tuple[Booking, bool]:
    """Create one booking, or return the one this form already created.

    The form carries a token made when it was shown. A double click or a
    resubmitted form sends the same token again, and the unique constraint on
    it makes the second request find the first booking instead of a new one.
    """
    existing = Booking.objects.filter(owner=owner, request_token=request_token).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            booking = _create(owner, details, starts_at, request_token=request_token)
    except IntegrityError:
        existing = Booking.objects.filter(
            owner=owner, request_token=request_token
        ).first()
        if existing is None:
            raise
        return existing, False
    logger.info("Booking %s created for owner %s", booking.reference, owner.pk)
    return booking, True


def series_dates(
    first_date: dt.date, weekdays: Iterable[int], weeks: int
) -> list[dt.date]:
    """Return the dates of a weekly rule: ISO weekdays, for a number of weeks."""
    wanted = set(weekdays)
    days = (first_date + dt.timedelta(days=offset) for offset in range(weeks * 7))
    return [day for day in days if day.isoweekday() in wanted]


def book_series(
    owner: Any,
    details: BookingDetails,
    first_date: dt.date,
    start_time: dt.time,
    weekdays: Sequence[int],
    weeks: int,
    request_token: uuid.UUID,
) -> tuple[BookingSeries, bool]:
    """Create a recurring series and every booking of it that can be made.

    A date that cannot be booked (a past time, a dog already booked) is kept
    on the series with its reason instead of stopping the whole series.
    Returns the series and whether it is new (False for a resubmitted form).
    """
    first_of_existing = Booking.objects.filter(
        owner=owner, request_token=request_token, series__isnull=False
    ).first()
    if first_of_existing and first_of_existing.series:
        return first_of_existing.series, False
    policy = BookingPolicy.current()
    now = timezone.now()
    with transaction.atomic():
        series = BookingSeries.objects.create(
            owner=owner,
            weekdays=",".join(str(day) for day in sorted(set(weekdays))),
            start_time=start_time,
            first_date=first_date,
            weeks=weeks,
        )
        skipped = []
        token: uuid.UUID | None = request_token
        for day in series_dates(first_date, weekdays, weeks):
            starts_at = combine_local(day, start_time)
            problem = slot_problem(
                details.dogs, details.service, starts_at, policy, now
            )
            if problem:
                skipped.append(problem.as_json(day))
                continue
            # Only the first booking carries the form's token: it is unique.
            _create(owner, details, starts_at, request_token=token, series=series)
            token = None
        series.skipped = skipped
        series.save(update_fields=["skipped"])
    logger.info(
        "Booking series %s created for owner %s: %s bookings, %s dates skipped",
        series.pk,
        owner.pk,
        series.bookings.count(),
        len(skipped),
    )
    return series, True


@dataclass(frozen=True)
class CancellationQuote:
    fee: int
    free_until: dt.datetime

    @property
    def is_free(self) -> bool:
        return self.fee == 0


def quote_cancellation(
    booking: Booking, now: dt.datetime | None = None
) -> CancellationQuote:
    policy = BookingPolicy.current()
    now = now or timezone.now()
    free_until = policy.free_cancellation_deadline(booking.starts_at)
    fee = (
        0
        if now < free_until
        else percent_of(booking.price, policy.late_cancellation_fee_percent)
    )
    return CancellationQuote(fee=fee, free_until=free_until)


def cancel(
    booking: Booking, actor: Any, now: dt.datetime | None = None
) -> CancellationQuote:
    """Cancel a booking under the policy; raises IllegalTransition if it cannot be."""
    quote = quote_cancellation(booking, now)
    note = (
        str(_("Cancelled free of charge"))
        if quote.is_free
        else str(_("Cancelled late: fee recorded"))
    )
    booking.transition(
        Booking.Status.CANCELLED, actor=actor, note=note, cancellation_fee=quote.fee
    )
    logger.info(
        "Booking %s cancelled by user %s, fee %s",
        booking.reference,
        actor.pk,
        quote.fee,
    )
    return quote


def assign_walker(booking: Booking, walker: Any, actor: Any) -> None:
    """Put a walker on a booking and confirm it.

    Raises WalkerUnavailable when the walker may not take it. The walker's
    row is locked first, so two assignments of one walker take turns and the
    second one's overlap check sees the first one's walk. The exclusion
    constraint in PostgreSQL still has the last word, and a deadlock between
    racing assignments (one path locks the booking before the walker) ends
    as WalkerUnavailable too.
    """
    problems = walker.eligibility_problems(booking)
    if problems:
        raise WalkerUnavailable(
            _("%(walker)s cannot take this booking: %(reasons)s")
            % {"walker": walker, "reasons": " ".join(problems)}
        )
    note = str(_("Walker assigned: %(walker)s") % {"walker": walker})
    try:
        with transaction.atomic():
            list(
                type(walker)
                .objects.select_for_update()
                .filter(pk=walker.pk)
                .values_list("pk", flat=True)
            )
            _check_no_overlap(booking, walker)
            _check_travel(booking, walker)
            if booking.status == Booking.Status.CONFIRMED:
                _change_walker(booking, walker, actor, note)
            else:
                booking.transition(
                    Booking.Status.CONFIRMED, actor=actor, note=note, walker=walker
                )
            signals.walker_assigned.send(
                sender=Booking, booking=booking, walker=walker, actor=actor
            )
    except (IntegrityError, OperationalError) as error:
        if isinstance(error, OperationalError) and not _is_deadlock(error):
            raise
        logger.info(
            "Walker %s lost the race for booking %s: %s",
            walker.pk,
            booking.reference,
            type(error.__cause__ or error).__name__,
        )
        raise WalkerUnavailable(
            _("%(walker)s was just assigned another walk at an overlapping time.")
            % {"walker": walker}
        ) from None
    logger.info(
        "Walker %s assigned to booking %s by user %s",
        walker.pk,
        booking.reference,
        # None when the matching assigned it.
        getattr(actor, "pk", None),
    )


def _check_no_overlap(booking: Booking, walker: Any) -> None:
    clash = (
        Booking.objects.holding_walker()
        .filter(walker=walker)
        .overlapping(booking.starts_at, booking.ends_at)
        .exclude(pk=booking.pk)
        .first()
    )
    if clash:
        raise WalkerUnavailable(
            _("%(walker)s already has booking %(other)s at an overlapping time.")
            % {"walker": walker, "other": clash.reference}
        )


def _check_travel(booking: Booking, walker: Any) -> None:
    """Raise WalkerUnavailable when the walker cannot get to or from their
    other walks of the day in time, as the matching estimates it."""
    # The matching imports this module, so it is imported here.
    from bookings.matching import travel_problems

    problems = travel_problems(booking, walker.pk)
    if problems:
        raise WalkerUnavailable(
            _("%(walker)s cannot take this booking: %(reasons)s")
            % {"walker": walker, "reasons": " ".join(problems)}
        )


def _is_deadlock(error: OperationalError) -> bool:
    # PostgreSQL's SQLSTATE for "deadlock detected".
    return getattr(error.__cause__, "pgcode", None) == "40P01"


def mark_on_the_way(booking: Booking, walker: Any) -> None:
    """Record that the assigned walker is heading to the owner, once."""
    if booking.walker_id != walker.pk or booking.status != Booking.Status.CONFIRMED:
        raise IllegalTransition(
            _("Booking %(reference)s is not a confirmed walk of walker %(walker)s.")
            % {"reference": booking.reference, "walker": walker.pk}
        )
    now = timezone.now()
    updated = Booking.objects.filter(
        pk=booking.pk, walker=walker, on_the_way_at__isnull=True
    ).update(on_the_way_at=now, updated_at=now)
    if updated:
        booking.on_the_way_at = now
        signals.walker_on_the_way.send(sender=Booking, booking=booking, walker=walker)
        logger.info(
            "Walker %s is on the way to booking %s", walker.pk, booking.reference
        )


def _change_walker(booking: Booking, walker: Any, actor: Any, note: str) -> None:
    with transaction.atomic():
        updated = Booking.objects.filter(
            pk=booking.pk, status=Booking.Status.CONFIRMED
        ).update(walker=walker, updated_at=timezone.now())
        if updated != 1:
            raise IllegalTransition(
                _("Booking %(reference)s is no longer confirmed.")
                % {"reference": booking.reference}
            )
        BookingEvent.objects.create(
            booking=booking,
            from_status=Booking.Status.CONFIRMED,
            to_status=Booking.Status.CONFIRMED,
            actor=actor,
            note=note[:255],
        )
    booking.walker = walker


# Assignments that assign_walkers writes in one transaction and one UPDATE.
ASSIGNMENT_CHUNK_SIZE = 200


def assign_walkers(
    pairs: Sequence[tuple[Booking, Any]],
    actor: Any = None,
) -> list[Exception | None]:
    """Put walkers on requested bookings in bulk, for the batch matching.

    Returns, for each (booking, walker) pair, None when it was assigned or
    the WalkerUnavailable or IllegalTransition that kept it out. Each chunk
    is one transaction: the walkers' rows are locked in order of id, their
    other walks are checked for overlaps, one UPDATE confirms the bookings
    still requested and unassigned, and the history rows go in with one
    INSERT. Each booking's booking_status_changed follows, then one
    walkers_assigned for the chunk, in place of walker_assigned for each.
    A chunk that violates the exclusion constraint or deadlocks is rolled
    back and written again one assign_walker at a time.

    NOTE: unlike assign_walker, the chunks do not check each walker's
    availability and time off again; the caller is expected to have
    checked them just before, as the batch's solver does.
    """
    results: list[Exception | None] = []
    for start in range(0, len(pairs), ASSIGNMENT_CHUNK_SIZE):
        chunk = pairs[start : start + ASSIGNMENT_CHUNK_SIZE]
        try:
            results.extend(_assign_chunk(chunk, actor))
        except (IntegrityError, OperationalError) as error:
            if isinstance(error, OperationalError) and not _is_deadlock(error):
                raise
            logger.info(
                "Bulk assignment of %s bookings failed (%s), assigning one by one",
                len(chunk),
                type(error.__cause__ or error).__name__,
            )
            results.extend(_assign_one_by_one(chunk, actor))
    return results


def _assign_one_by_one(
    pairs: Sequence[tuple[Booking, Any]], actor: Any
) -> list[Exception | None]:
    results: list[Exception | None] = []
    for booking, walker in pairs:
        try:
            assign_walker(booking, walker, actor)
        except (WalkerUnavailable, IllegalTransition) as error:
            results.append(error)
        else:
            results.append(None)
    return results


def _assign_chunk(
    pairs: Sequence[tuple[Booking, Any]],
    actor: Any,
) -> list[Exception | None]:
    results: dict[int, Exception | None] = {}
    # The bookings' attributes and cached related objects, to put back when
    # the chunk is rolled back.
    saved = {
        booking.pk: (dict(booking.__dict__), dict(booking._state.fields_cache))
        for booking, _walker in pairs
    }
    try:
        with transaction.atomic():
            _lock_and_check_walkers(pairs, results)
            to_update = [(b, w) for b, w in pairs if b.pk not in results]
            updated = _confirm_requested(to_update)
            now = timezone.now()
            assigned = []
            for booking, walker in to_update:
                if booking.pk not in updated:
                    results[booking.pk] = IllegalTransition(
                        _("Booking %(reference)s is no longer waiting for a walker.")
                        % {"reference": booking.reference}
                    )
                    continue
                booking.status = Booking.Status.CONFIRMED
                booking.walker = walker
                booking.updated_at = updated[booking.pk]
                assigned.append((booking, walker))
            BookingEvent.objects.bulk_create(
                BookingEvent(
                    booking=booking,
                    from_status=Booking.Status.REQUESTED,
                    to_status=Booking.Status.CONFIRMED,
                    actor=actor,
                    note=str(_("Walker assigned: %(walker)s") % {"walker": walker})[
                        :255
                    ],
                    created_at=now,
                )
                for booking, walker in assigned
            )
            for booking, _walker in assigned:
                signals.booking_status_changed.send(
                    sender=Booking,
                    booking=booking,
                    from_status=Booking.Status.REQUESTED,
                    to_status=Booking.Status.CONFIRMED,
                    actor=actor,
                )
            if assigned:
                signals.walkers_assigned.send(
                    sender=Booking, pairs=assigned, actor=actor
                )
    except BaseException:
        for booking, _walker in pairs:
            attributes, cache = saved[booking.pk]
            booking.__dict__.clear()
            booking.__dict__.update(attributes)
            booking._state.fields_cache = cache
        raise
    for booking, walker in pairs:
        if booking.pk in results:
            logger.info(
                "Walker %s not assigned to booking %s: %s",
                walker.pk,
                booking.reference,
                results[booking.pk],
            )
        else:
            logger.info(
                "Walker %s assigned to booking %s by user %s",
                walker.pk,
                booking.reference,
                getattr(actor, "pk", None),
            )
    return [results.get(booking.pk) for booking, _walker in pairs]


def _lock_and_check_walkers(
    pairs: Sequence[tuple[Booking, Any]], results: dict[int, Exception | None]
) -> None:
    """Lock the walkers' rows in order of id, and find walks that clash.

    A pair whose walker holds another walk at an overlapping time gets its
    WalkerUnavailable in ``results``. Walks of the chunk itself are left to
    the exclusion constraint.
    """
    from walkers.models import WalkerProfile

    walker_ids = sorted({walker.pk for _booking, walker in pairs})
    list(
        WalkerProfile.objects.select_for_update()
        .filter(pk__in=walker_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    held: dict[int, list[tuple[dt.datetime, dt.datetime, str]]] = {}
    rows = (
        Booking.objects.holding_walker()
        .filter(walker_id__in=walker_ids)
        .overlapping(
            min(booking.starts_at for booking, _walker in pairs),
            max(booking.ends_at for booking, _walker in pairs),
        )
        .exclude(pk__in=[booking.pk for booking, _walker in pairs])
        .values_list("walker_id", "starts_at", "ends_at", "reference")
    )
    for walker_id, starts_at, ends_at, reference in rows:
        held.setdefault(walker_id, []).append((starts_at, ends_at, reference))
    for booking, walker in pairs:
        for starts_at, ends_at, reference in held.get(walker.pk, []):
            if starts_at < booking.ends_at and booking.starts_at < ends_at:
                results[booking.pk] = WalkerUnavailable(
                    _(
                        "%(walker)s already has booking %(other)s "
                        "at an overlapping time."
                    )
                    % {"walker": walker, "other": reference}
                )
                break


def _confirm_requested(pairs: Sequence[tuple[Booking, Any]]) -> dict[int, dt.datetime]:
    """Confirm, in one UPDATE, the bookings still requested and unassigned.

    Returns the ids of the bookings updated, each with its new updated_at.
    """
    if not pairs:
        return {}
    now = timezone.now()
    values = ", ".join(["(%s::bigint, %s::bigint)"] * len(pairs))
    params: list[Any] = [Booking.Status.CONFIRMED, now]
    for booking, walker in pairs:
        params.extend([booking.pk, walker.pk])
    params.append(Booking.Status.REQUESTED)
    table = connection.ops.quote_name(Booking._meta.db_table)
    sql = (
        f"UPDATE {table} AS b SET walker_id = v.walker_id, status = %s, "
        f"updated_at = %s FROM (VALUES {values}) AS v(id, walker_id) "
        "WHERE b.id = v.id AND b.status = %s AND b.walker_id IS NULL "
        "RETURNING b.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pk: now for (pk,) in cursor.fetchall()}
