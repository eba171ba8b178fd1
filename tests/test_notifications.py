"""Notifications with tasks run in-process: events, channels, once-only, retries."""

import datetime as dt
import logging
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings import signals as booking_signals
from bookings.models import Area, Booking, Service
from bookings.services import BookingDetails, book, cancel, mark_on_the_way
from bookings.tasks import send_booking_received
from notifications import providers, receivers, services
from notifications.models import (
    Channel,
    Event,
    Message,
    Notification,
    NotificationPreference,
)
from notifications.services import notify, ops_users, render, retry_delay
from notifications.tasks import (
    escalate_to_ops,
    purge_old_messages,
    send_due_reminders,
    send_message,
    sweep_messages,
)
from tests.factories import (
    MENTENG,
    BookingFactory,
    UserFactory,
    WalkerProfileFactory,
    walk_start,
)
from tests.notification_helpers import (
    FailingEmailBackend,
    disconnected,
    mailbox_full,
)

# Transactional, so that on_commit callbacks run as they do in production
# and a rollback really discards them.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_whatsapp(settings: Any, monkeypatch: Any) -> None:
    settings.WHATSAPP_TOKEN = ""
    settings.WHATSAPP_PHONE_NUMBER_ID = ""
    monkeypatch.setattr(providers, "_off_reported", False)


@pytest.fixture
def failing_email(settings: Any) -> type[FailingEmailBackend]:
    settings.EMAIL_BACKEND = "tests.notification_helpers.FailingEmailBackend"
    FailingEmailBackend.errors = []
    FailingEmailBackend.attempts = 0
    return FailingEmailBackend


def book_walk(owner: User, dog: Any, days: int = 2) -> Booking:
    details = BookingDetails(
        dogs=[dog],
        service=Service.objects.get(code="walk-60"),
        area=Area.objects.get(slug="jakarta"),
        address="Jl. Teuku Umar No. 10, Menteng",
        latitude=MENTENG[0],
        longitude=MENTENG[1],
    )
    booking, created = book(owner, details, walk_start(days), uuid.uuid4())
    assert created
    return booking


def confirmed_booking(owner: User, walker: Any, dog: Any, **fields: Any) -> Booking:
    fields.setdefault("status", Booking.Status.CONFIRMED)
    return BookingFactory(owner=owner, dogs=[dog], walker=walker, **fields)


def speak_english(*users: User) -> None:
    for user in users:
        user.language = "en"
        user.save()


def messages_of(event: str) -> list[tuple[str, str, str]]:
    return sorted(
        (message.recipient.email, message.channel, message.state)
        for message in Message.objects.filter(event=event).select_related("recipient")
    )


def test_booking_sends_email_and_site_message(owner, dog, english):
    owner.language = "en"
    owner.save()

    booking = book_walk(owner, dog)

    assert messages_of(Event.BOOKING_RECEIVED) == [
        (owner.email, Channel.EMAIL, Message.State.SENT),
        (owner.email, Channel.SITE, Message.State.SENT),
    ]
    [email] = mail.outbox
    assert email.to == [owner.email]
    assert email.subject == f"Booking {booking.reference} received"
    assert "Hello Dewi Lestari," in email.body
    assert "We received your booking: 60-minute walk on " in email.body
    assert f"Dog: {dog.name}\n" in email.body
    assert "We will let you know when your walker is confirmed." in email.body
    html = email.alternatives[0][0]
    assert '<html lang="en">' in html
    assert f"/bookings/{booking.reference}/" in html
    [notification] = Notification.objects.filter(recipient=owner)
    assert notification.title == email.subject
    assert notification.url == f"/bookings/{booking.reference}/"
    assert notification.is_unread


def test_message_in_recipient_language(owner, dog):
    owner.language = "id"
    owner.save()

    booking = book_walk(owner, dog)

    [email] = mail.outbox
    assert email.subject == f"Pemesanan {booking.reference} diterima"
    assert "Halo Dewi Lestari," in email.body


def test_message_task_run_twice_sends_once(owner, dog):
    booking = book_walk(owner, dog)
    email_message = Message.objects.get(booking=booking, channel=Channel.EMAIL)

    assert send_message.delay(email_message.pk).get() is None
    assert send_message.delay(email_message.pk).get() is None

    assert len(mail.outbox) == 1
    email_message.refresh_from_db()
    assert email_message.attempts == 1
    assert Notification.objects.filter(recipient=owner).count() == 1


def test_booking_received_task_again_sends_nothing(owner, dog):
    booking = book_walk(owner, dog)

    send_booking_received.delay(booking.pk)
    send_booking_received.delay(booking.pk)

    assert len(mail.outbox) == 1
    assert Message.objects.filter(booking=booking).count() == 2


def test_booking_received_task_records_missing_messages(owner, dog):
    booking = BookingFactory(owner=owner, dogs=[dog])
    assert not Message.objects.filter(booking=booking).exists()

    send_booking_received.delay(booking.pk)

    assert len(mail.outbox) == 1
    assert messages_of(Event.BOOKING_RECEIVED) == [
        (owner.email, Channel.EMAIL, Message.State.SENT),
        (owner.email, Channel.SITE, Message.State.SENT),
    ]


def test_booking_received_task_for_deleted_booking_ends_quietly(owner, caplog):
    caplog.set_level(logging.INFO, logger="bookings.tasks")

    send_booking_received.delay(987654)

    assert mail.outbox == []
    assert not Message.objects.exists()
    assert "Booking 987654 is gone" in caplog.text


def test_same_event_key_records_once(owner, dog):
    booking = BookingFactory(owner=owner, dogs=[dog])

    for _attempt in range(2):
        with transaction.atomic():
            notify(
                Event.WALK_STARTED,
                f"walk_started:{booking.pk}",
                [owner, owner],
                booking=booking,
            )

    assert Message.objects.filter(event=Event.WALK_STARTED).count() == 2
    assert len(mail.outbox) == 1


def test_rolled_back_booking_sends_nothing(owner, dog):
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        book_walk(owner, dog)
        raise Abandon

    assert not Message.objects.exists()
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_walker_assignment_tells_owner_and_walker(owner, walker, dog):
    booking = confirmed_booking(owner, walker, dog)

    with transaction.atomic():
        booking_signals.walker_assigned.send(
            sender=Booking, booking=booking, walker=walker, actor=None
        )

    assert messages_of(Event.WALKER_ASSIGNED) == sorted(
        [
            (owner.email, Channel.EMAIL, Message.State.SENT),
            (owner.email, Channel.SITE, Message.State.SENT),
            (walker.user.email, Channel.EMAIL, Message.State.SENT),
            (walker.user.email, Channel.SITE, Message.State.SENT),
        ]
    )
    walker_note = Notification.objects.get(recipient=walker.user)
    assert walker_note.url == f"/walkers/me/walks/{booking.reference}/"


def assigned_in_bulk(count: int) -> list[tuple[Booking, Any]]:
    """Book walks of different owners and walkers, confirmed as the batch does."""
    pairs = []
    for _index in range(count):
        walker = WalkerProfileFactory()
        pairs.append((BookingFactory(walker=walker, status="confirmed"), walker))
    return pairs


def send_walkers_assigned(pairs: list[tuple[Booking, Any]]) -> None:
    with transaction.atomic():
        booking_signals.walkers_assigned.send(sender=Booking, pairs=pairs, actor=None)


def test_bulk_assignment_tells_owners_and_walkers(monkeypatch):
    # Past this many, the sending is queued by queue_sends tasks.
    monkeypatch.setattr(services, "QUEUE_IN_PLACE_MAX", 2)
    monkeypatch.setattr(services, "QUEUE_CHUNK_SIZE", 3)
    pairs = assigned_in_bulk(3)

    send_walkers_assigned(pairs)

    expected = sorted(
        (user.email, channel, Message.State.SENT)
        for booking, walker in pairs
        for user in (booking.owner, walker.user)
        for channel in (Channel.EMAIL, Channel.SITE)
    )
    assert messages_of(Event.WALKER_ASSIGNED) == expected
    keys = set(Message.objects.values_list("event_key", flat=True))
    assert keys == {f"walker_assigned:{b.pk}:{w.pk}" for b, w in pairs}
    assert len(mail.outbox) == 6


def test_bulk_assignment_queries_fixed(django_assert_max_num_queries):
    pairs = assigned_in_bulk(6)

    # Four queries close the matching, four record the messages. The
    # sending runs on commit, after the block.
    with transaction.atomic(), django_assert_max_num_queries(8):
        booking_signals.walkers_assigned.send(sender=Booking, pairs=pairs, actor=None)

    assert Message.objects.filter(event=Event.WALKER_ASSIGNED).count() == 24


def test_bulk_assignment_sent_twice_records_once():
    pairs = assigned_in_bulk(2)

    send_walkers_assigned(pairs)
    send_walkers_assigned(pairs)

    assert Message.objects.filter(event=Event.WALKER_ASSIGNED).count() == 8
    assert len(mail.outbox) == 4


def test_bulk_assignment_skips_inactive_owner():
    pairs = assigned_in_bulk(2)
    inactive = pairs[0][0].owner
    inactive.is_active = False
    inactive.save()

    send_walkers_assigned(pairs)

    recipients = {email for email, _c, _s in messages_of(Event.WALKER_ASSIGNED)}
    assert inactive.email not in recipients
    assert recipients == {
        pairs[0][1].user.email,
        pairs[1][0].owner.email,
        pairs[1][1].user.email,
    }


def test_cancellation_tells_owner_and_walker(owner, walker, dog, english):
    speak_english(owner, walker.user)
    booking = confirmed_booking(owner, walker, dog)

    cancel(booking, owner)

    recipients = {email for email, _c, _s in messages_of(Event.BOOKING_CANCELLED)}
    assert recipients == {owner.email, walker.user.email}
    subjects = {email.subject for email in mail.outbox}
    assert subjects == {f"Booking {booking.reference} cancelled"}


def test_other_status_changes_send_nothing(owner, dog):
    booking = BookingFactory(owner=owner, dogs=[dog])

    booking.transition(Booking.Status.AWAITING_PAYMENT, actor=owner)

    assert not Message.objects.exists()


def test_walker_on_the_way_tells_owner(owner, walker, dog):
    booking = confirmed_booking(owner, walker, dog)

    mark_on_the_way(booking, walker)

    assert messages_of(Event.WALKER_ON_THE_WAY) == [
        (owner.email, Channel.EMAIL, Message.State.SENT),
        (owner.email, Channel.SITE, Message.State.SENT),
    ]


def test_photo_update_goes_to_site_only_without_whatsapp(owner, walker, dog):
    booking = confirmed_booking(owner, walker, dog)
    media = SimpleNamespace(pk=41, caption="Milo found a puddle")

    with transaction.atomic():
        receivers.on_walk_update_posted(sender=None, booking=booking, media=media)

    assert messages_of(Event.WALK_UPDATE) == [
        (owner.email, Channel.SITE, Message.State.SENT)
    ]
    assert mail.outbox == []
    note = Notification.objects.get(recipient=owner)
    assert "Milo found a puddle" in note.body


def test_emergency_reaches_owner_and_ops_on_site(owner, walker, dog, staff):
    booking = confirmed_booking(owner, walker, dog)
    incident = SimpleNamespace(pk=7)

    with transaction.atomic():
        receivers.on_emergency_raised(sender=None, booking=booking, incident=incident)

    expected = [(owner.email, Channel.SITE, Message.State.SENT)] + [
        (user.email, Channel.SITE, Message.State.SENT) for user in ops_users()
    ]
    assert staff in ops_users()
    assert messages_of(Event.EMERGENCY) == sorted(expected)
    # The walk app emails the emergency itself.
    assert mail.outbox == []
    ops_note = Notification.objects.get(recipient=staff)
    assert ops_note.url == f"/admin/bookings/booking/{booking.pk}/change/"


def test_offer_sent_goes_to_walker(owner, walker, dog, english):
    speak_english(walker.user)
    booking = BookingFactory(owner=owner, dogs=[dog])
    expires_at = timezone.now() + dt.timedelta(minutes=10)
    offer = SimpleNamespace(pk=3, booking=booking, walker=walker, expires_at=expires_at)

    with transaction.atomic():
        receivers.on_offer_sent(sender=None, offer=offer)

    [email] = mail.outbox
    assert email.to == [walker.user.email]
    assert email.subject == f"New walk offer {booking.reference}"
    assert timezone.localtime(expires_at).strftime("%H:%M") in email.body


def test_receivers_connected_to_booking_signals():
    connected = [
        name
        for name in ("booking_created", "walker_assigned", "booking_status_changed")
        if getattr(booking_signals, name).has_listeners()
    ]

    assert connected == ["booking_created", "walker_assigned", "booking_status_changed"]


def test_retryable_error_retries_then_sends(owner, dog, failing_email, settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    failing_email.errors = [disconnected()]

    booking = book_walk(owner, dog)

    email_message = Message.objects.get(booking=booking, channel=Channel.EMAIL)
    assert email_message.state == Message.State.RETRYING
    assert email_message.attempts == 1
    assert "Connection unexpectedly closed" in email_message.error
    assert email_message.next_attempt_at is not None
    assert mail.outbox == []

    # In-process tasks leave the retry to the sweeper, once it is due.
    later = email_message.next_attempt_at + dt.timedelta(
        seconds=settings.NOTIFICATION_QUEUE_GRACE_SECONDS + 1
    )
    assert sweep_messages.delay().get() == 0
    with time_machine.travel(later):
        assert sweep_messages.delay().get() == 1

    email_message.refresh_from_db()
    assert email_message.state == Message.State.SENT
    assert email_message.attempts == 2
    assert email_message.error == ""
    assert len(mail.outbox) == 1


def test_soft_time_limit_retried(owner, dog, failing_email):
    failing_email.errors = [SoftTimeLimitExceeded()]

    booking = book_walk(owner, dog)

    email_message = Message.objects.get(booking=booking, channel=Channel.EMAIL)
    assert email_message.state == Message.State.RETRYING
    assert email_message.error == "Sending timed out"


def test_permanent_error_fails_without_retry(owner, dog, failing_email):
    failing_email.errors = [mailbox_full()]

    booking = book_walk(owner, dog)

    email_message = Message.objects.get(booking=booking, channel=Channel.EMAIL)
    assert email_message.state == Message.State.FAILED
    assert email_message.attempts == 1
    assert email_message.error == "SMTP server refused the recipient"
    assert failing_email.attempts == 1


def test_retries_stop_at_max_attempts(owner, dog, failing_email, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    failing_email.errors = [disconnected(), disconnected(), disconnected()]
    booking = book_walk(owner, dog)
    email_message = Message.objects.get(booking=booking, channel=Channel.EMAIL)
    Message.objects.filter(pk=email_message.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(hours=1)
    )

    sweep_messages.delay()

    email_message.refresh_from_db()
    assert email_message.state == Message.State.FAILED
    assert email_message.attempts == 2
    assert mail.outbox == []


def test_retry_delay_doubles_up_to_an_hour(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30

    delays = [retry_delay(attempts) for attempts in (1, 2, 3, 4, 10)]

    assert delays == [30, 60, 120, 240, 3600]


def test_sweeper_sends_row_left_sending_by_dead_worker(owner, dog, settings):
    booking = BookingFactory(owner=owner, dogs=[dog])
    message = Message.objects.create(
        event=Event.WALK_STARTED,
        event_key=f"walk_started:{booking.pk}",
        recipient=owner,
        channel=Channel.EMAIL,
        booking=booking,
    )
    # What a worker that dies mid-task leaves behind: a claimed row.
    assert Message.claim(message.pk) is not None

    assert sweep_messages.delay().get() == 0, "a recent claim is left alone"
    timeout = dt.timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS + 1)
    with time_machine.travel(timezone.now() + timeout):
        assert sweep_messages.delay().get() == 1
        assert sweep_messages.delay().get() == 0

    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert message.attempts == 2
    assert len(mail.outbox) == 1


def test_sweeper_sends_queued_row_whose_task_was_lost(owner, dog, settings):
    booking = BookingFactory(owner=owner, dogs=[dog])
    # A row recorded while Redis was down: its task was never queued.
    lost = Message.objects.create(
        event=Event.WALK_STARTED,
        event_key=f"walk_started:{booking.pk}",
        recipient=owner,
        channel=Channel.EMAIL,
        booking=booking,
    )

    assert sweep_messages.delay().get() == 0
    grace = dt.timedelta(seconds=settings.NOTIFICATION_QUEUE_GRACE_SECONDS + 1)
    with time_machine.travel(timezone.now() + grace):
        assert sweep_messages.delay().get() == 1

    lost.refresh_from_db()
    assert lost.state == Message.State.SENT
    assert len(mail.outbox) == 1


def test_deleted_booking_message_fails_quietly(owner, dog, caplog):
    booking = BookingFactory(owner=owner, dogs=[dog])
    message = Message.objects.create(
        event=Event.WALK_STARTED,
        event_key=f"walk_started:{booking.pk}",
        recipient=owner,
        channel=Channel.EMAIL,
        booking=booking,
    )
    booking.delete()
    caplog.set_level(logging.INFO, logger="notifications.services")

    send_message.delay(message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert message.error == "The booking was deleted before sending."
    assert mail.outbox == []


def test_whatsapp_off_without_credentials_logged_once(owner, dog, caplog):
    owner.phone = "+6281234567890"
    owner.save()
    NotificationPreference.objects.create(user=owner, whatsapp=True)
    caplog.set_level(logging.WARNING, logger="notifications.providers")

    book_walk(owner, dog, days=2)
    book_walk(owner, dog, days=3)

    assert not Message.objects.filter(channel=Channel.WHATSAPP).exists()
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.name == "notifications.providers"
    ]
    assert warnings == [
        "WhatsApp channel is off: WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID "
        "are not both set"
    ]


def start_in(booking_start: dt.datetime, **delta: Any) -> dt.datetime:
    return booking_start - dt.timedelta(**delta)


def test_day_before_reminder_sent_once(owner, walker, dog):
    starts_at = walk_start(days=3)
    booking = confirmed_booking(owner, walker, dog, starts_at=starts_at)

    with time_machine.travel(start_in(starts_at, hours=25)):
        assert send_due_reminders.delay().get() == 0
    with time_machine.travel(start_in(starts_at, hours=23)):
        assert send_due_reminders.delay().get() == 1
        assert send_due_reminders.delay().get() == 0

    assert messages_of(Event.REMINDER_DAY_BEFORE) == sorted(
        [
            (owner.email, Channel.EMAIL, Message.State.SENT),
            (owner.email, Channel.SITE, Message.State.SENT),
            (walker.user.email, Channel.EMAIL, Message.State.SENT),
            (walker.user.email, Channel.SITE, Message.State.SENT),
        ]
    )
    assert all(message.booking == booking for message in Message.objects.all())


def test_day_before_reminder_skips_late_bookings(owner, walker, dog):
    starts_at = walk_start(days=3)
    booking_time = start_in(starts_at, hours=20)
    with time_machine.travel(booking_time):
        confirmed_booking(owner, walker, dog, starts_at=starts_at)

    with time_machine.travel(booking_time + dt.timedelta(hours=1)):
        assert send_due_reminders.delay().get() == 0


def test_hour_before_reminder_sent_once(owner, walker, dog, english):
    starts_at = walk_start(days=3)
    walker.user.language = "en"
    walker.user.save()
    confirmed_booking(owner, walker, dog, starts_at=starts_at)

    with time_machine.travel(start_in(starts_at, minutes=61)):
        send_due_reminders.delay()
        assert not Message.objects.filter(event=Event.REMINDER_HOUR_BEFORE).exists()
    with time_machine.travel(start_in(starts_at, minutes=55)):
        send_due_reminders.delay()
        send_due_reminders.delay()

    assert len(messages_of(Event.REMINDER_HOUR_BEFORE)) == 4
    walker_email = next(
        email
        for email in mail.outbox
        if email.to == [walker.user.email] and "09:00" in email.subject
    )
    assert walker_email.subject == "Walk at 09:00 WIB today"


def test_reminders_skip_unconfirmed_and_cancelled(owner, walker, dog):
    starts_at = walk_start(days=3)
    BookingFactory(owner=owner, dogs=[dog], starts_at=starts_at)
    confirmed_booking(
        owner, walker, dog, starts_at=starts_at, status=Booking.Status.CANCELLED
    )

    with time_machine.travel(start_in(starts_at, minutes=30)):
        assert send_due_reminders.delay().get() == 0


def test_walk_not_started_escalates_to_ops_and_walker(owner, walker, dog, staff):
    starts_at = walk_start(days=3)
    confirmed_booking(owner, walker, dog, starts_at=starts_at)

    with time_machine.travel(starts_at + dt.timedelta(minutes=10)):
        assert escalate_to_ops.delay().get() == 0
    with time_machine.travel(starts_at + dt.timedelta(minutes=20)):
        assert escalate_to_ops.delay().get() == 1
        assert escalate_to_ops.delay().get() == 0

    recipients = {email for email, _c, _s in messages_of(Event.WALK_NOT_STARTED)}
    assert staff in ops_users()
    assert recipients == {user.email for user in ops_users()} | {walker.user.email}
    ops_note = Notification.objects.get(recipient=staff)
    assert "20" in ops_note.body


def test_started_walk_is_not_escalated(owner, walker, dog, staff):
    starts_at = walk_start(days=3)
    confirmed_booking(
        owner, walker, dog, starts_at=starts_at, status=Booking.Status.IN_PROGRESS
    )

    with time_machine.travel(starts_at + dt.timedelta(minutes=30)):
        assert escalate_to_ops.delay().get() == 0


def test_unmatched_booking_escalates_once(owner, dog, staff, settings):
    settings.MATCHING_ESCALATE_BEFORE_MINUTES = 180
    starts_at = walk_start(days=3)
    booking = BookingFactory(owner=owner, dogs=[dog], starts_at=starts_at)

    with time_machine.travel(start_in(starts_at, minutes=200)):
        assert escalate_to_ops.delay().get() == 0
    with time_machine.travel(start_in(starts_at, minutes=170)):
        assert escalate_to_ops.delay().get() == 1
        # The matching's own escalation of this booking adds nothing.
        with transaction.atomic():
            receivers.on_booking_escalated(
                sender=None, booking=booking, reason="starts_soon"
            )

    assert ops_users() == [staff]
    assert messages_of(Event.UNMATCHED_BOOKING) == [
        (staff.email, Channel.EMAIL, Message.State.SENT),
        (staff.email, Channel.SITE, Message.State.SENT),
    ]


def test_inactive_staff_get_no_escalation(owner, dog):
    UserFactory(email="gone@pompygo.id", is_staff=True, is_active=False)
    starts_at = walk_start(days=3)
    BookingFactory(owner=owner, dogs=[dog], starts_at=starts_at)

    with time_machine.travel(start_in(starts_at, minutes=30)):
        escalate_to_ops.delay()

    assert not Message.objects.exists()


# Rendering needs no commit, so these run in a rolled-back transaction.
@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("event", Event.values)
def test_every_event_renders_on_every_channel(owner, walker, dog, event, language):
    owner.language = language
    owner.save()
    booking = confirmed_booking(owner, walker, dog)
    context = {"expires_at": timezone.now().isoformat(), "minutes_late": 20}

    for recipient in (owner, walker.user):
        for channel in Channel.values:
            message = Message(
                event=event,
                event_key=f"{event}:test",
                recipient=recipient,
                channel=channel,
                booking=booking,
                context=context,
            )
            rendered = render(message)

            assert rendered.subject, (recipient, channel)
            assert rendered.text, (recipient, channel)
            assert "{%" not in rendered.text
            assert "&#x27;" not in rendered.text, "plain text must not be escaped"
            if channel == Channel.EMAIL:
                assert booking.reference in rendered.html or rendered.html


def test_unmatched_message_gives_matching_reason(owner, dog, staff, english):
    speak_english(staff)
    booking = BookingFactory(owner=owner, dogs=[dog])

    with transaction.atomic():
        receivers.on_booking_escalated(
            sender=None, booking=booking, reason="no_candidates"
        )

    note = Notification.objects.get(recipient=staff)
    assert note.title == f"Booking {booking.reference} has no walker"
    assert "Reason: No walker can take it" in note.body


def test_photo_updates_spaced_ten_minutes(owner, walker, dog):
    booking = confirmed_booking(owner, walker, dog)
    start = timezone.now()

    for minutes, media_pk in ((0, 1), (5, 2), (11, 3)):
        with (
            time_machine.travel(start + dt.timedelta(minutes=minutes)),
            transaction.atomic(),
        ):
            receivers.on_walk_update_posted(
                sender=None, booking=booking, media=SimpleNamespace(pk=media_pk)
            )

    keys = sorted(
        Message.objects.filter(event=Event.WALK_UPDATE).values_list(
            "event_key", flat=True
        )
    )
    assert keys == [f"walk_update:{booking.pk}:1", f"walk_update:{booking.pk}:3"]


@pytest.mark.django_db
def test_purge_keeps_recent_unread_and_waiting(owner, dog, settings):
    settings.NOTIFICATION_RETENTION_DAYS = 30
    booking = BookingFactory(owner=owner, dogs=[dog])
    old = timezone.now() - dt.timedelta(days=31)
    recent = timezone.now() - dt.timedelta(days=29)
    for title, created_at, read_at in (
        ("old read", old, old),
        ("old unread", old, None),
        ("recent read", recent, recent),
    ):
        Notification.objects.create(
            recipient=owner,
            event=Event.WALK_STARTED,
            title=title,
            created_at=created_at,
            read_at=read_at,
        )
    for key, state, created_at in (
        ("old-sent", Message.State.SENT, old),
        ("old-failed", Message.State.FAILED, old),
        ("old-retrying", Message.State.RETRYING, old),
        ("recent-sent", Message.State.SENT, recent),
    ):
        Message.objects.create(
            event=Event.WALK_STARTED,
            event_key=key,
            recipient=owner,
            channel=Channel.EMAIL,
            booking=booking,
            state=state,
            created_at=created_at,
        )

    assert purge_old_messages.delay().get() == 3

    titles = set(Notification.objects.values_list("title", flat=True))
    assert titles == {"old unread", "recent read"}
    keys = set(Message.objects.values_list("event_key", flat=True))
    assert keys == {"old-retrying", "recent-sent"}


def test_inactive_recipient_gets_nothing(owner, dog):
    owner.is_active = False
    owner.save()

    book_walk(owner, dog)

    assert not Message.objects.exists()
    assert mail.outbox == []


def test_unexpected_error_in_process_fails_row_not_request(owner, dog, monkeypatch):
    def broken(message: Any) -> Any:
        raise ValueError("template bug")

    monkeypatch.setattr("notifications.services.render", broken)

    booking = book_walk(owner, dog)

    states = set(Message.objects.values_list("state", "error"))
    assert states == {(Message.State.FAILED, "ValueError: template bug")}
    assert Booking.objects.filter(pk=booking.pk).exists()
