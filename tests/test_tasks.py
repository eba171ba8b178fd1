"""Booking tasks run by a real Celery worker that consumes from the real Redis.

The worker runs in a thread of the test process (celery.contrib.testing), so
it uses the test database and sends through the in-memory email backend
that fills mail.outbox. The tests are transactional because the worker's own
database connection reads only committed rows.
"""

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from bookings.models import Area, Booking, Service
from bookings.services import BookingDetails, book
from bookings.tasks import send_booking_received
from notifications.models import Message
from pompygo.celery import app
from tests.factories import MENTENG, BookingFactory, walk_start

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

WAIT_SECONDS = 15


class TaskRuns:
    """The worker's finished tasks, recorded from Celery's signals."""

    def __init__(self) -> None:
        self.finished: list[dict[str, Any]] = []
        self.failures: list[BaseException] = []

    def on_postrun(
        self, task_id: str, task: Any, args: Any, state: str, **kw: Any
    ) -> None:
        self.finished.append(
            {
                "task_id": task_id,
                "name": task.name,
                "args": list(args),
                "state": state,
                "thread": threading.get_ident(),
            }
        )

    def on_failure(self, exception: BaseException, **kw: Any) -> None:
        self.failures.append(exception)


@pytest.fixture
def worker() -> Iterator[TaskRuns]:
    runs = TaskRuns()
    signals.task_postrun.connect(runs.on_postrun, weak=False)
    signals.task_failure.connect(runs.on_failure, weak=False)
    app.conf.task_always_eager = False
    # Keep pytest's log capture: by default the worker replaces the root
    # logger's handlers.
    app.conf.worker_hijack_root_logger = False
    # Drop messages that an interrupted earlier run left in this Redis db.
    app.control.purge()
    try:
        with start_worker(
            app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
        ):
            yield runs
    finally:
        app.conf.task_always_eager = True
        signals.task_postrun.disconnect(runs.on_postrun)
        signals.task_failure.disconnect(runs.on_failure)


RECEIVED_TASK = "bookings.tasks.send_booking_received"


def wait_for_tasks(
    runs: TaskRuns, count: int, name: str = RECEIVED_TASK
) -> list[dict[str, Any]]:
    """Wait until the worker has finished this many tasks of one name.

    Failed ones count too. A booking also queues other tasks (matching,
    notifications); only those of this name are waited for and returned.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    while len(named := [run for run in runs.finished if run["name"] == name]) < count:
        if time.monotonic() > deadline:
            pytest.fail(
                f"Timed out after {WAIT_SECONDS} s waiting for {count} tasks; "
                f"finished: {runs.finished}"
            )
        time.sleep(0.05)
    return named


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
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        messages = list(Message.objects.filter(booking=booking))
        if len(messages) >= count and all(
            message.state == Message.State.SENT for message in messages
        ):
            return messages
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {WAIT_SECONDS} s; messages: {messages}")
        time.sleep(0.05)


def test_worker_emails_booking_received(worker, owner, dog, mailoutbox):
    booking = book_walk(owner, dog)

    messages = wait_until_sent(booking, 2)
    assert sorted(message.channel for message in messages) == ["email", "site"]
    assert worker.failures == []
    # A run is listed after its task returns, a moment after the row is SENT.
    sends = wait_for_tasks(worker, 2, "notifications.tasks.send_message")
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
    booking_tasks = [
        run["args"]
        for run in worker.finished
        if run["name"] == "bookings.tasks.send_booking_received"
    ]
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

    [run] = wait_for_tasks(worker, 1)
    assert run["args"] == [deleted_pk]
    assert run["state"] == "SUCCESS"
    assert worker.failures == []
    assert mailoutbox == []
    assert f"Booking {deleted_pk} is gone" in caplog.text
