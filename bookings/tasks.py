import logging

from celery import shared_task
from django.db import transaction

from bookings.models import Booking
from notifications.models import Event
from notifications.services import notify

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def send_booking_received(booking_id: int) -> None:
    """Send the owner the booking-received messages through the notifications.

    The notifications app records these messages when the booking is
    created; this records any that are missing and queues the ones not yet
    sent. Each message goes out at most once, whichever task sends it.
    """
    booking = Booking.objects.select_related("owner").filter(pk=booking_id).first()
    if booking is None:
        logger.info("Booking %s is gone; no booking received message sent", booking_id)
        return
    if booking.is_series_follow_up:
        return
    with transaction.atomic():
        notify(
            Event.BOOKING_RECEIVED,
            f"{Event.BOOKING_RECEIVED}:{booking.pk}",
            [booking.owner],
            booking=booking,
        )


# Matching. Each task takes primary keys and is safe to run twice: the
# matching locks the booking row and the database allows one open offer per
# booking, so a repeated task finds the work done.


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def match_booking(booking_id: int, trigger: str = "created") -> str:
    """Offer a booking to its best candidate, assign it, or send it to ops."""
    from bookings.matching import match

    outcome = match(booking_id, trigger)
    if outcome == "gone":
        logger.info("Booking %s is gone; nothing to match", booking_id)
    return outcome


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def expire_offers() -> int:
    """Expire unanswered offers and pass each booking to its next candidate."""
    from bookings import matching

    expired = matching.expire_offers()
    if expired:
        logger.info("Expired %s unanswered offers", expired)
    return expired


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def sweep_unmatched() -> int:
    """Queue matching for bookings that nothing is matching, such as lost tasks."""
    from bookings import matching

    queued = matching.sweep()
    logger.info("Sweeper queued matching for %s bookings", queued)
    return queued


# Two batches at once would only race each other; the second one waits.
BATCH_LOCK_KEY = "matching-batch-running"


@shared_task(acks_late=True, soft_time_limit=100, time_limit=120)
def batch_assign(window_hours: int | None = None) -> int:
    """Assign every unmatched booking of the window together; returns how many."""
    from django.core.cache import cache

    from bookings import matching

    if not cache.add(BATCH_LOCK_KEY, "1", timeout=120):
        logger.info("Batch assignment already running; this run is skipped")
        return 0
    try:
        bookings = matching.batch_candidates(window_hours=window_hours)
        logger.info("Batch assignment started for %s bookings", len(bookings))
        result = matching.batch_assign(bookings)
    finally:
        cache.delete(BATCH_LOCK_KEY)
    return len(result.assigned)
