"""The WhatsApp channel against a fake Cloud API server on 127.0.0.1."""

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from notifications import providers
from notifications.models import Channel, Event, Message, NotificationPreference
from notifications.services import notify
from notifications.tasks import send_message
from tests.factories import BookingFactory
from tests.notification_helpers import FakeWhatsApp, fake_whatsapp_server

pytestmark = pytest.mark.django_db

PHONE = "+6281234567890"


@pytest.fixture
def whatsapp(settings: Any) -> Iterator[FakeWhatsApp]:
    with fake_whatsapp_server() as fake:
        settings.WHATSAPP_TOKEN = "test-token"
        settings.WHATSAPP_PHONE_NUMBER_ID = "1234567890"
        settings.WHATSAPP_API_URL = fake.url
        settings.WHATSAPP_TIMEOUT_SECONDS = 5
        settings.NOTIFICATION_MAX_ATTEMPTS = 3
        yield fake


@pytest.fixture
def subscriber(owner: User) -> User:
    owner.phone = PHONE
    owner.language = "en"
    owner.save()
    NotificationPreference.objects.create(user=owner, whatsapp=True)
    return owner


def record_walk_started(owner: User) -> Message:
    booking = cast(Booking, BookingFactory(owner=owner))
    notify(
        Event.WALK_STARTED,
        f"walk_started:{booking.pk}",
        [owner],
        booking=booking,
    )
    return Message.objects.get(channel=Channel.WHATSAPP, booking=booking)


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_whatsapp_message_sent(whatsapp, subscriber):
    message = record_walk_started(subscriber)

    send_message.delay(message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert message.provider_id == "wamid.test1"
    assert message.attempts == 1
    [request] = whatsapp.requests
    assert request["path"] == "/v21.0/1234567890/messages"
    assert request["authorization"] == "Bearer test-token"
    body = request["body"]
    assert body["messaging_product"] == "whatsapp"
    assert body["to"] == "6281234567890"
    assert body["type"] == "text"
    reference = message.booking.reference
    assert f"*Walk {reference} has started*" in body["text"]["body"]
    assert f"/bookings/{reference}/" in body["text"]["body"]


def test_whatsapp_sent_once_when_task_runs_twice(whatsapp, subscriber):
    message = record_walk_started(subscriber)

    send_message.delay(message.pk)
    send_message.delay(message.pk)

    assert len(whatsapp.requests) == 1


def test_whatsapp_4xx_fails_without_retry(whatsapp, subscriber):
    whatsapp.replies = [
        (400, {"error": {"message": "Recipient phone number not in allowed list"}})
    ]
    message = record_walk_started(subscriber)

    send_message.delay(message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert message.error == (
        "WhatsApp API returned HTTP 400: Recipient phone number not in allowed list"
    )
    assert message.attempts == 1
    assert message.next_attempt_at is None
    assert len(whatsapp.requests) == 1


def test_whatsapp_5xx_retried_then_sent(whatsapp, subscriber):
    whatsapp.replies = [(503, {"error": {"message": "Service unavailable"}})]
    message = record_walk_started(subscriber)

    send_message.delay(message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.RETRYING
    assert message.error == "WhatsApp API returned HTTP 503: Service unavailable"
    assert message.next_attempt_at is not None
    # A copy of the task that arrives before the retry is due sends nothing.
    send_message.delay(message.pk)
    assert len(whatsapp.requests) == 1

    make_due(message)
    send_message.delay(message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert message.attempts == 2
    assert message.error == ""
    assert len(whatsapp.requests) == 2


def test_whatsapp_429_is_retried(whatsapp, subscriber):
    whatsapp.replies = [(429, {"error": {"message": "Rate limit hit"}})]
    message = record_walk_started(subscriber)

    send_message.delay(message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.RETRYING


def test_whatsapp_5xx_fails_after_max_attempts(whatsapp, subscriber):
    whatsapp.replies = [(500, {})] * 3
    message = record_walk_started(subscriber)

    for _attempt in range(3):
        make_due(message)
        send_message.delay(message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert message.attempts == 3
    assert message.error == "WhatsApp API returned HTTP 500"
    assert len(whatsapp.requests) == 3


def test_whatsapp_unreachable_is_retried(settings, subscriber):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.WHATSAPP_TOKEN = "test-token"
    settings.WHATSAPP_PHONE_NUMBER_ID = "1234567890"
    settings.WHATSAPP_API_URL = f"http://127.0.0.1:{port}/v21.0"
    message = record_walk_started(subscriber)

    send_message.delay(message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.RETRYING
    assert message.error.startswith("WhatsApp API unreachable:")


def test_no_whatsapp_without_opt_in(whatsapp, owner):
    owner.phone = PHONE
    owner.save()
    booking = BookingFactory(owner=owner)

    notify(Event.WALK_STARTED, "walk_started:x", [owner], booking=booking)

    channels = set(Message.objects.values_list("channel", flat=True))
    assert channels == {Channel.EMAIL, Channel.SITE}


def test_no_whatsapp_without_phone(whatsapp, owner):
    NotificationPreference.objects.create(user=owner, whatsapp=True)
    booking = BookingFactory(owner=owner)

    notify(Event.WALK_STARTED, "walk_started:x", [owner], booking=booking)

    channels = set(Message.objects.values_list("channel", flat=True))
    assert channels == {Channel.EMAIL, Channel.SITE}


def test_whatsapp_off_when_credentials_removed(whatsapp, subscriber, settings):
    message = record_walk_started(subscriber)
    settings.WHATSAPP_TOKEN = ""
    providers._off_reported = True

    send_message.delay(message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert message.error == "WhatsApp channel is off"
    assert whatsapp.requests == []


def test_photo_update_goes_to_whatsapp_not_email(whatsapp, subscriber):
    booking = BookingFactory(owner=subscriber)

    notify(Event.WALK_UPDATE, "walk_update:1:2", [subscriber], booking=booking)

    channels = set(Message.objects.values_list("channel", flat=True))
    assert channels == {Channel.SITE, Channel.WHATSAPP}


def test_whatsapp_template_in_recipient_language(whatsapp, subscriber, settings):
    settings.WHATSAPP_TEMPLATE_NAME = "pompygo_update"
    subscriber.language = "id"
    subscriber.save()
    message = record_walk_started(subscriber)

    send_message.delay(message.pk)

    message.refresh_from_db()
    assert message.state == Message.State.SENT
    [request] = whatsapp.requests
    body = request["body"]
    assert body["type"] == "template"
    template = body["template"]
    assert template["name"] == "pompygo_update"
    assert template["language"] == {"code": "id"}
    [component] = template["components"]
    subject, text = (parameter["text"] for parameter in component["parameters"])
    reference = message.booking.reference
    assert subject == f"Jalan-jalan {reference} sudah dimulai"
    assert "\n" not in text
    assert text.endswith(f"/bookings/{reference}/")
