"""Sending tasks and the periodic jobs of Celery beat (CELERY_BEAT_SCHEDULE).

Reminders and escalations come from jobs that run every minute and record
what is due, rather than from tasks queued with a far-future eta: Redis
may deliver those more than once, and loses them with its data. The unique
key on each message makes a job that runs twice record nothing twice.
"""

import datetime as dt
import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from bookings.models import Booking
from notifications.models import Event, Message, Notification
from notifications.services import (
    deliver,
    notify,
    ops_users,
    queue_each,
    queue_messages,
)

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


@shared_task(bind=True, acks_late=True, soft_time_limit=50, time_limit=60)
def send_message(self: Task, message_id: int) -> str | None:
    """Send one logged message, retrying with a growing delay.

    The claim in Message.claim() keeps a second run of this task from
    sending the message again.
    """
    outcome = deliver(message_id)
    if outcome is None:
        return None
    if outcome.retry_in is not None and not self.request.is_eager:
        # The row is now "retrying", with its next_attempt_at. If this retry is
        # lost, the sweeper queues the row again.
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.state


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def queue_sends(message_ids: list[int]) -> None:
    """Queue a send_message task for each of many messages.

    Run twice, it queues each message twice, and the claim in
    Message.claim() still sends each once.
    """
    logger.info(
        "Queueing %s messages, %s to %s",
        len(message_ids),
        message_ids[0] if message_ids else None,
        message_ids[-1] if message_ids else None,
    )
    queue_each(message_ids)


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def sweep_messages() -> int:
    """Queue again the messages whose task was lost, and return how many.

    That covers a row recorded while Redis was down, a retry that Redis lost,
    and a row left "sending" by a worker that died before recording the
    outcome. The claim in Message.claim() keeps a row queued twice from
    being sent twice.
    """
    now = timezone.now()
    stuck = list(
        Message.objects.stuck(now)
        .order_by("created_at")
        .values_list("pk", "state")[:SWEEP_BATCH]
    )
    if not stuck:
        return 0
    abandoned = [pk for pk, state in stuck if state == Message.State.SENDING]
    if abandoned:
        timeout = settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS
        # NOTE: a worker that died after the provider accepted the message
        # but before it marked the row "sent" leaves no way to tell, so such a
        # message goes out a second time. The window is one network reply.
        Message.objects.stuck(now).filter(
            pk__in=abandoned, state=Message.State.SENDING
        ).update(
            state=Message.State.RETRYING,
            next_attempt_at=now,
            error=f"No outcome from the worker within {timeout} s; sending again.",
            updated_at=now,
        )
    ids = [pk for pk, _state in stuck]
    logger.warning(
        "Sweeper queued %s stuck messages again (%s left sending)",
        len(ids),
        len(abandoned),
    )
    queue_messages(ids)
    return len(ids)


def _notify_each(
    event: str, bookings: QuerySet[Booking], recipients: Any, context: Any = None
) -> int:
    count = 0
    for booking in bookings.exclude(messages__event=event).select_related(
        "owner", "walker__user"
    ):
        with transaction.atomic():
            notify(
                event,
                f"{event}:{booking.pk}",
                recipients(booking),
                booking=booking,
                context=context(booking) if context else None,
            )
        count += 1
    return count


def _owner_and_walker(booking: Booking) -> list[Any]:
    return [booking.owner, booking.walker.user if booking.walker else None]


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def send_due_reminders(now_iso: str | None = None) -> int:
    """Remind owner and walker of confirmed walks a day and an hour ahead.

    The day-before reminder goes only to bookings made more than a day
    ahead, and not in the last two hours before the walk, where the
    hour-before one follows soon.
    """
    now = dt.datetime.fromisoformat(now_iso) if now_iso else timezone.now()
    confirmed = Booking.objects.filter(status=Booking.Status.CONFIRMED)
    day = dt.timedelta(days=1)
    day_before = confirmed.filter(
        starts_at__gt=now + dt.timedelta(hours=2),
        starts_at__lte=now + day,
        created_at__lte=F("starts_at") - day,
    )
    hour_before = confirmed.filter(
        starts_at__gt=now, starts_at__lte=now + dt.timedelta(hours=1)
    )
    sent = _notify_each(Event.REMINDER_DAY_BEFORE, day_before, _owner_and_walker)
    sent += _notify_each(Event.REMINDER_HOUR_BEFORE, hour_before, _owner_and_walker)
    if sent:
        logger.info("Reminders recorded for %s bookings", sent)
    return sent


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def escalate_to_ops(now_iso: str | None = None) -> int:
    """Alert ops to walks that have no walker or have not started on time."""
    now = dt.datetime.fromisoformat(now_iso) if now_iso else timezone.now()
    staff = ops_users()
    unmatched = Booking.objects.filter(
        status=Booking.Status.REQUESTED,
        walker__isnull=True,
        starts_at__gt=now - dt.timedelta(hours=1),
        starts_at__lte=now
        + dt.timedelta(minutes=settings.MATCHING_ESCALATE_BEFORE_MINUTES),
    )
    late = Booking.objects.filter(
        status=Booking.Status.CONFIRMED,
        starts_at__gt=now - dt.timedelta(hours=6),
        starts_at__lte=now
        - dt.timedelta(minutes=settings.ESCALATE_NOT_STARTED_MINUTES_AFTER),
    )
    count = _notify_each(Event.UNMATCHED_BOOKING, unmatched, lambda booking: staff)
    count += _notify_each(
        Event.WALK_NOT_STARTED,
        late,
        lambda booking: [*staff, booking.walker.user if booking.walker else None],
        context=lambda booking: {
            "minutes_late": int((now - booking.starts_at).total_seconds() // 60)
        },
    )
    if count:
        logger.warning("Escalated %s bookings to ops", count)
    return count


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def purge_old_messages() -> int:
    """Delete read site notifications and finished log rows past retention.

    Unread notifications stay, and so do log rows still waiting to be sent.
    Returns the number of rows deleted.
    """
    cutoff = timezone.now() - dt.timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    notifications, _by_model = Notification.objects.filter(
        read_at__isnull=False, created_at__lt=cutoff
    ).delete()
    messages, _by_model = Message.objects.filter(
        state__in=[Message.State.SENT, Message.State.FAILED], created_at__lt=cutoff
    ).delete()
    logger.info(
        "Purged %s site notifications and %s log rows older than %s",
        notifications,
        messages,
        cutoff.date(),
    )
    return notifications + messages
