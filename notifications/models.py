import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    BOOKING_RECEIVED = "booking_received", _("Booking received")
    WALKER_ASSIGNED = "walker_assigned", _("Walker assigned")
    OFFER_SENT = "offer_sent", _("Walk offered")
    OFFER_EXPIRED = "offer_expired", _("Walk offer expired")
    OFFER_WITHDRAWN = "offer_withdrawn", _("Walk offer withdrawn")
    WALKER_ON_THE_WAY = "walker_on_the_way", _("Walker on the way")
    WALK_STARTED = "walk_started", _("Walk started")
    WALK_UPDATE = "walk_update", _("Photo update")
    EMERGENCY = "emergency", _("Emergency")
    REPORT_READY = "report_ready", _("Walk report ready")
    BOOKING_CANCELLED = "booking_cancelled", _("Booking cancelled")
    REMINDER_DAY_BEFORE = "reminder_day_before", _("Reminder the day before")
    REMINDER_HOUR_BEFORE = "reminder_hour_before", _("Reminder an hour before")
    UNMATCHED_BOOKING = "unmatched_booking", _("Escalation: booking unmatched")
    WALK_NOT_STARTED = "walk_not_started", _("Escalation: walk not started")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SITE = "site", _("On the site")
    WHATSAPP = "whatsapp", _("WhatsApp")


class MessageQuerySet(models.QuerySet["Message"]):
    def stuck(self, now: dt.datetime) -> "MessageQuerySet":
        """Messages whose task was lost: never queued, dead worker, lost retry.

        A queued row normally leaves that state within seconds of its commit,
        and a retrying one at its next_attempt_at; the grace covers a busy
        queue. A sending row older than the timeout belongs to a worker that
        died between claiming it and recording the outcome.
        """
        grace = dt.timedelta(seconds=settings.NOTIFICATION_QUEUE_GRACE_SECONDS)
        timeout = dt.timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS)
        return self.filter(
            Q(state=Message.State.QUEUED, created_at__lt=now - grace)
            | Q(state=Message.State.RETRYING, next_attempt_at__lt=now - grace)
            | Q(state=Message.State.SENDING, claimed_at__lt=now - timeout)
        )


class Message(models.Model):
    """One message to one recipient on one channel: the log of what was sent.

    The unique key on (event_key, recipient, channel) makes recording a
    message idempotent, and the conditional UPDATE in claim() lets exactly
    one worker send it.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Retrying")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    event_key = models.CharField(
        _("event key"),
        max_length=120,
        help_text=_("Names the occurrence of the event, e.g. walker_assigned:12:7."),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("recipient"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("booking"),
    )
    context = models.JSONField(
        _("context"),
        default=dict,
        blank=True,
        help_text=_("Values for the templates that the booking does not hold."),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    claimed_at = models.DateTimeField(_("last attempt started"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("message log")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient", "channel"],
                name="notifications_message_once_per_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["recipient", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_key} to {self.recipient_id} by {self.channel}"

    @classmethod
    def claim(cls, pk: int) -> "Message | None":
        """Take a queued or retrying message for sending, or None if it is not.

        Only one of several workers running this at once updates the row, so
        only that one goes on to send.
        """
        now = timezone.now()
        # A retrying row waits for its time, even when a duplicate task for
        # it arrives early. The tolerance covers clock differences between
        # the workers.
        waiting = Q(state=cls.State.QUEUED) | Q(
            state=cls.State.RETRYING,
            next_attempt_at__lte=now + dt.timedelta(seconds=5),
        )
        claimed = cls.objects.filter(waiting, pk=pk).update(
            state=cls.State.SENDING,
            attempts=F("attempts") + 1,
            claimed_at=now,
            next_attempt_at=None,
            updated_at=now,
        )
        if not claimed:
            return None
        return cls.objects.select_related("recipient", "booking").get(pk=pk)

    def _finish(self, state: str, **fields: Any) -> None:
        fields["updated_at"] = timezone.now()
        Message.objects.filter(pk=self.pk, state=Message.State.SENDING).update(
            state=state, **fields
        )
        self.state = state
        for name, value in fields.items():
            setattr(self, name, value)

    def mark_sent(self, provider_id: str = "") -> None:
        self._finish(
            Message.State.SENT,
            sent_at=timezone.now(),
            error="",
            provider_id=provider_id[:128],
        )

    def mark_retrying(self, error: str, next_attempt_at: dt.datetime) -> None:
        self._finish(
            Message.State.RETRYING, error=error, next_attempt_at=next_attempt_at
        )

    def mark_failed(self, error: str) -> None:
        self._finish(Message.State.FAILED, error=error)


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user: Any) -> "NotificationQuerySet":
        return self.filter(recipient=user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message on the site's notification list, rendered when it was sent."""

    message = models.OneToOneField(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notification",
        verbose_name=_("message"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("site notification")
        verbose_name_plural = _("site notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notifications_unread_idx",
            ),
            models.Index(fields=["recipient", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """A user's channel choices. Email and the site list are always on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    whatsapp = models.BooleanField(
        _("WhatsApp messages"),
        default=False,
        help_text=_("Also send messages to the mobile number on the profile."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)
