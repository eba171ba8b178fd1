"""Booking tasks run by a real Celery worker that consumes from the real Redis.

The worker (tests/celery_worker.py) runs in a thread of the test process,
so it uses the test database and sends through the in-memory email backend
that fills mail.outbox.
"""

import logging
import threading
import uuid
from typing import Any, cast

import pytest
from django.db import transaction

from bookings.models import Area, Booking, Service
from bookings.services import BookingDetails, book
from bookings.tasks import send_booking_received
from notifications.models import Message
from tests.celery_worker import wait_until
from tests.factories import MENTENG, BookingFactory, walk_start

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

RECEIVED_TASK = "bookings.tasks.send_booking_received"


def book_walk(owner: Any, dog: Any) -> Booking:
    details = BookingDetails(
        dogs=[dog],
        service=Service.objects.get(code="walk-60"),
        area=Area.objects.get(slug="jakarta"),
        address="Jl. Teuku Umar No. 10, Menteng",
        latitude=MENTENG[0],
        longitude=MENTENG[1],
    )
    booking, created = book(owner, details, walk_start(), uuid.uuid4())
    assert created
    return booking


def wait_until_sent(booking: Booking, count: int) -> list[Message]:
    """Wait until this many messages of the booking are sent."""

    def sent() -> list[Message] | None:
        messages = list(Message.objects.filter(booking=booking))
        done = len(messages) >= count and all(
            message.state == Message.State.SENT for message in messages
        )
        return messages if done else None

    return wait_until(sent, f"{count} sent messages of {booking.reference}")


def test_worker_emails_booking_received(worker, owner, dog, mailoutbox):
    booking = book_walk(owner, dog)

    messages = wait_until_sent(booking, 2)
    assert sorted(message.channel for message in messages) == ["email", "site"]
    assert worker.failures == []
    # A run is listed after its task returns, a moment after the row is SENT.
    sends = worker.wait("notifications.tasks.send_message", 2)
    assert all(run["thread"] != threading.get_ident() for run in sends)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [owner.email]
    assert booking.reference in email.subject


def test_rolled_back_booking_queues_nothing(worker, owner, dog, mailoutbox):
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        book_walk(owner, dog)
        raise Abandon

    assert not Booking.objects.exists()
    # The worker takes tasks in order, so once this later booking's messages
    # are sent, any task that the rolled-back booking queued has run too.
    later = book_walk(owner, dog)
    wait_until_sent(later, 2)
    booking_tasks = [run["args"] for run in worker.named(RECEIVED_TASK)]
    assert booking_tasks in ([], [[later.pk]])
    assert worker.failures == []
    assert list(Message.objects.exclude(booking=later)) == []
    assert len(mailoutbox) == 1
    assert later.reference in mailoutbox[0].subject


def test_deleted_booking_task_ends_quietly(worker, owner, dog, mailoutbox, caplog):
    deleted_booking = cast(Booking, BookingFactory(owner=owner, dogs=[dog]))
    deleted_pk = deleted_booking.pk
    deleted_booking.delete()
    caplog.set_level(logging.INFO, logger="bookings.tasks")

    send_booking_received.delay(deleted_pk)

    [run] = worker.wait(RECEIVED_TASK)
    assert run["args"] == [deleted_pk]
    assert run["state"] == "SUCCESS"
    assert worker.failures == []
    assert mailoutbox == []
    assert f"Booking {deleted_pk} is gone" in caplog.text
