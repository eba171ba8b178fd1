"""Record messages for an event, and render and deliver one message.

A data flow: a signal receiver or a periodic job calls notify() inside the
transaction that made the change. notify() records one Message row per
recipient and channel and queues their sending on commit, so a rolled-back
change leaves neither rows nor tasks. The task calls deliver(), which claims
the row, renders it in the recipient's language and hands it to its channel.
"""

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

from accounts.models import User
from bookings.models import Booking
from notifications.models import (
    Channel,
    Event,
    Message,
    Notification,
    NotificationPreference,
)
from notifications.providers import DeliveryError, whatsapp_provider

logger = logging.getLogger(__name__)

ALL_CHANNELS = frozenset(Channel.values)
# A photo update by email every few minutes of a walk would flood the inbox.
# The emergency email goes out from reports.tasks.send_emergency_alert at
# once, so this app adds only the site and WhatsApp messages.
EVENT_CHANNELS: dict[str, frozenset[str]] = {
    Event.WALK_UPDATE: frozenset({Channel.SITE, Channel.WHATSAPP}),
    Event.EMERGENCY: frozenset({Channel.SITE, Channel.WHATSAPP}),
}


def event_channels(event: str) -> frozenset[str]:
    return EVENT_CHANNELS.get(event, ALL_CHANNELS)


def ops_users() -> list[User]:
    """Return the staff who receive escalations: active staff accounts."""
    return list(User.objects.filter(is_staff=True, is_active=True).order_by("pk"))


def channels_for(
    user: User, event: str, whatsapp_opt_ins: set[int], whatsapp_on: bool
) -> list[str]:
    channels = event_channels(event)
    chosen = []
    if Channel.EMAIL in channels and user.email:
        chosen.append(Channel.EMAIL.value)
    if Channel.SITE in channels:
        chosen.append(Channel.SITE.value)
    if (
        Channel.WHATSAPP in channels
        and whatsapp_on
        and user.phone
        and user.pk in whatsapp_opt_ins
    ):
        chosen.append(Channel.WHATSAPP.value)
    return chosen


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event: its key, recipients, booking and context."""

    key: str
    recipients: Sequence[User | None]
    booking: Booking | None = None
    context: dict[str, Any] = field(default_factory=dict)


def notify(
    event: str,
    key: str,
    recipients: Iterable[User | None],
    *,
    booking: Booking | None = None,
    context: dict[str, Any] | None = None,
) -> list[int]:
    """Record the messages of one event occurrence and queue them on commit.

    ``key`` names the occurrence. Calling this again with the same key
    records nothing new for a recipient and channel already recorded, and
    queues only the rows still waiting. Returns the ids of the queued rows.
    """
    occurrence = Occurrence(key, list(recipients), booking, context or {})
    return notify_many(event, [occurrence])


def notify_many(event: str, occurrences: Sequence[Occurrence]) -> list[int]:
    """Record the messages of many occurrences of one event, as notify() does.

    The queries are the same few whatever the number of occurrences.
    """
    # A deactivated account gets nothing.
    recipients = [
        (
            occurrence,
            {
                user.pk: user
                for user in occurrence.recipients
                if user is not None and user.is_active
            },
        )
        for occurrence in occurrences
    ]
    user_ids = {pk for _occurrence, users in recipients for pk in users}
    if not user_ids:
        return []
    opt_ins = set(
        NotificationPreference.objects.filter(
            user__in=user_ids, whatsapp=True
        ).values_list("user_id", flat=True)
    )
    whatsapp_on = whatsapp_provider() is not None
    rows = [
        Message(
            event=event,
            event_key=occurrence.key,
            recipient=user,
            channel=channel,
            booking=occurrence.booking,
            context=occurrence.context,
        )
        for occurrence, users in recipients
        for user in users.values()
        for channel in channels_for(user, event, opt_ins, whatsapp_on)
    ]
    Message.objects.bulk_create(rows, ignore_conflicts=True)
    targets = {(occurrence.key, pk) for occurrence, users in recipients for pk in users}
    waiting = Message.objects.filter(
        event_key__in={key for key, _pk in targets}, state=Message.State.QUEUED
    ).values_list("pk", "event_key", "recipient_id")
    ids = [pk for pk, key, user_id in waiting if (key, user_id) in targets]
    transaction.on_commit(partial(queue_messages, ids))
    return ids


# Queueing a task is one round trip to Redis. Beyond this many messages, as
# when a batch assigns hundreds of walks, queue_sends tasks in the worker
# queue them.
QUEUE_IN_PLACE_MAX = 20
QUEUE_CHUNK_SIZE = 500


def queue_messages(ids: Sequence[int]) -> None:
    """Queue the sending of these messages; the sweeper sends what cannot be."""
    from notifications.tasks import queue_sends

    if len(ids) <= QUEUE_IN_PLACE_MAX:
        queue_each(ids)
        return
    for start in range(0, len(ids), QUEUE_CHUNK_SIZE):
        chunk = list(ids[start : start + QUEUE_CHUNK_SIZE])
        try:
            queue_sends.delay(chunk)
        except OperationalError:
            logger.warning(
                "Could not queue the sending of messages %s to %s; "
                "the sweeper will send them",
                chunk[0],
                chunk[-1],
            )


def queue_each(ids: Sequence[int]) -> None:
    """Queue a send task per message; the sweeper sends what cannot be queued."""
    from notifications.tasks import send_message

    for pk in ids:
        try:
            send_message.delay(pk)
        except OperationalError:
            logger.warning("Could not queue message %s; the sweeper will send it", pk)
        except Exception:
            # Only tasks run in-process (the demo) raise here. The row already
            # records the failure, and the change that sent it has committed,
            # so the request goes on.
            logger.exception("Message %s failed while sent in-process", pk)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    url: str


def message_url(message: Message) -> str:
    """Return the site path the message links to, for its recipient."""
    booking = message.booking
    if booking is None:
        return reverse("notifications:list")
    recipient = message.recipient
    if message.event in (Event.OFFER_SENT, Event.OFFER_EXPIRED, Event.OFFER_WITHDRAWN):
        return reverse("walkers:dashboard")
    if recipient.is_staff and recipient.pk != booking.owner_id:
        return reverse("admin:bookings_booking_change", args=[booking.pk])
    if booking.owner_id == recipient.pk:
        return reverse("bookings:detail", args=[booking.reference])
    return reverse("walkers:walk", args=[booking.reference])


def template_context(message: Message, url: str) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for name, value in message.context.items():
        # JSON stores datetimes as ISO strings; the templates format them.
        if name.endswith("_at") and isinstance(value, str) and value:
            context[name] = dt.datetime.fromisoformat(value)
        else:
            context[name] = value
    booking = message.booking
    context.update(
        recipient=message.recipient,
        booking=booking,
        is_owner=booking is not None and booking.owner_id == message.recipient_id,
        dog_names=", ".join(dog.name for dog in booking.dogs.all()) if booking else "",
        site_url=settings.SITE_URL,
        url=settings.SITE_URL + url,
        language_code=translation.get_language(),
    )
    return context


def render(message: Message) -> Rendered:
    """Render the message's templates in its recipient's language.

    The site list and WhatsApp use the subject and the plain text. An email
    wraps the text in the greeting and footer, and adds an HTML part.
    """
    with translation.override(message.recipient.language):
        url = message_url(message)
        context = template_context(message, url)
        base = f"notifications/{message.event}"
        # strip() also turns the SafeString from the template into a plain
        # str, so the HTML template escapes it.
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        text = render_to_string(f"{base}.txt", context).strip()
        html = ""
        if message.channel == Channel.EMAIL:
            html = render_to_string(f"{base}.html", {**context, "text": text})
            text = render_to_string(
                "notifications/_email.txt", {**context, "body": text}
            ).strip()
    return Rendered(subject=subject, text=text, html=html, url=url)


def send_email(message: Message, rendered: Rendered) -> str:
    email = EmailMultiAlternatives(
        rendered.subject, rendered.text, None, [message.recipient.email]
    )
    email.attach_alternative(rendered.html, "text/html")
    try:
        email.send()
    except smtplib.SMTPResponseException as error:
        # SMTP replies 4xx for a temporary problem and 5xx for a permanent one.
        raise DeliveryError(
            f"SMTP server replied {error.smtp_code}", retryable=error.smtp_code < 500
        ) from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError(
            "SMTP server refused the recipient", retryable=False
        ) from None
    except OSError as error:
        raise DeliveryError(
            f"SMTP connection failed: {error}", retryable=True
        ) from None
    return ""


def send_site(message: Message, rendered: Rendered) -> str:
    # The notification row and the sent state commit together, so the list
    # gets it exactly once.
    with transaction.atomic():
        Notification.objects.get_or_create(
            message=message,
            defaults={
                "recipient": message.recipient,
                "event": message.event,
                "title": rendered.subject[:200],
                "body": rendered.text,
                "url": rendered.url[:300],
            },
        )
        message.mark_sent()
    return ""


def send_whatsapp(message: Message, rendered: Rendered) -> str:
    provider = whatsapp_provider()
    if provider is None:
        raise DeliveryError("WhatsApp channel is off", retryable=False) from None
    if not message.recipient.phone:
        raise DeliveryError("Recipient has no mobile number", retryable=False) from None
    body = f"{rendered.text}\n\n{settings.SITE_URL}{rendered.url}"
    return provider.send(
        message.recipient.phone,
        rendered.subject,
        body,
        message.recipient.language,
    )


SENDERS = {
    Channel.EMAIL: send_email,
    Channel.SITE: send_site,
    Channel.WHATSAPP: send_whatsapp,
}


def retry_delay(attempts: int) -> int:
    """Return the seconds before the next attempt: doubling, at most an hour."""
    base: int = settings.NOTIFICATION_RETRY_BASE_SECONDS
    return int(min(base * 2 ** max(attempts - 1, 0), 3600))


@dataclass(frozen=True)
class Outcome:
    """The result of deliver(): the new state, and the seconds to a due retry."""

    state: str
    retry_in: int | None = None


def deliver(pk: int) -> Outcome | None:
    """Claim, render and send one message. None when another worker has it."""
    message = Message.claim(pk)
    if message is None:
        logger.info("Message %s is not waiting to be sent; skipped", pk)
        return None
    # Every event is about a booking; its row is gone only when deleted.
    if message.booking_id is None:
        message.mark_failed("The booking was deleted before sending.")
        logger.info("Message %s not sent: its booking is gone", pk)
        return Outcome(message.state)
    try:
        rendered = render(message)
        provider_id = SENDERS[Channel(message.channel)](message, rendered)
    except DeliveryError as error:
        return _record_error(message, error)
    except SoftTimeLimitExceeded:
        # A provider that hangs past the task's soft time limit may answer
        # on a later attempt.
        timeout = DeliveryError("Sending timed out", retryable=True)
        return _record_error(message, timeout)
    except Exception as error:
        message.mark_failed(f"{type(error).__name__}: {error}"[:2000])
        logger.exception("Message %s failed unexpectedly", pk)
        raise
    if message.state == Message.State.SENDING:
        message.mark_sent(provider_id)
    logger.info(
        "Message %s sent: %s by %s to user %s",
        pk,
        message.event,
        message.channel,
        message.recipient_id,
    )
    return Outcome(message.state)


def _record_error(message: Message, error: DeliveryError) -> Outcome:
    if error.retryable and message.attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
        delay = retry_delay(message.attempts)
        message.mark_retrying(str(error), timezone.now() + dt.timedelta(seconds=delay))
        logger.warning(
            "Message %s attempt %s failed, retrying in %s s: %s",
            message.pk,
            message.attempts,
            delay,
            error,
        )
        return Outcome(message.state, retry_in=delay)
    message.mark_failed(str(error))
    logger.warning(
        "Message %s failed after %s attempts: %s", message.pk, message.attempts, error
    )
    return Outcome(message.state)
