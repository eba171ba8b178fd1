"""Notifications sent by a real Celery worker consuming from the real Redis.

The worker runs in a thread of the test process (tests/celery_worker.py),
so settings changed by a test reach it, and mail.outbox collects its email.
"""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction

from bookings import signals as booking_signals
from bookings.matching import accept_offer
from bookings.models import Booking, Offer
from notifications import services
from notifications.models import Channel, Event, Message
from notifications.tasks import send_message, sweep_messages
from tests.celery_worker import TaskRuns, running_worker, wait_until
from tests.factories import BookingFactory
from tests.notification_helpers import FailingEmailBackend, disconnected
from tests.test_matching_worker import ready
from tests.test_notifications import assigned_in_bulk
from tests.test_tasks import book_walk

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def runs_of(runs: TaskRuns, message: Message) -> list[dict[str, Any]]:
    return runs.named("notifications.tasks.send_message", [message.pk])


def state_of(message: Message) -> str:
    message.refresh_from_db()
    return message.state


def walk_started_email(owner: Any) -> Message:
    booking = cast(Booking, BookingFactory(owner=owner))
    return Message.objects.create(
        event=Event.WALK_STARTED,
        event_key=f"walk_started:{booking.pk}",
        recipient=owner,
        channel=Channel.EMAIL,
        booking=booking,
    )


def test_worker_sends_booking_messages_once(worker, owner, dog):
    booking = book_walk(owner, dog)
    email = wait_until(
        lambda: Message.objects.filter(
            booking=booking, channel=Channel.EMAIL, state=Message.State.SENT
        ).first(),
        "the booking email",
    )

    # The same task, delivered again (acks_late after a lost ack).
    send_message.delay(email.pk)
    send_message.delay(email.pk)
    wait_until(lambda: len(runs_of(worker, email)) >= 3, "three runs of the task")

    assert worker.failures == []
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.attempts == 1
    assert all(run["thread"] != threading.get_ident() for run in worker.finished)


def test_worker_queues_and_sends_batch_messages(worker, monkeypatch):
    monkeypatch.setattr(services, "QUEUE_CHUNK_SIZE", 10)
    pairs = assigned_in_bulk(6)

    with transaction.atomic():
        booking_signals.walkers_assigned.send(sender=Booking, pairs=pairs, actor=None)

    wait_until(
        lambda: (
            set(Message.objects.values_list("state", flat=True)) == {Message.State.SENT}
        ),
        "every assignment message sent",
    )
    fan_outs = worker.named("notifications.tasks.queue_sends")
    assert [len(run["args"][0]) for run in fan_outs] == [10, 10, 4]
    assert Message.objects.count() == 24
    assert len(mail.outbox) == 12
    assert worker.failures == []


def test_duplicate_tasks_send_once(worker, owner):
    message = walk_started_email(owner)

    for _copy in range(3):
        send_message.delay(message.pk)
    wait_until(lambda: len(runs_of(worker, message)) == 3, "three runs of the task")

    assert state_of(message) == Message.State.SENT
    assert message.attempts == 1
    assert len(mail.outbox) == 1


def test_retryable_error_after_claim_retried_once(worker, owner, settings):
    settings.EMAIL_BACKEND = "tests.notification_helpers.FailingEmailBackend"
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 1
    FailingEmailBackend.errors = [disconnected()]
    FailingEmailBackend.attempts = 0
    message = walk_started_email(owner)

    send_message.delay(message.pk)
    wait_until(lambda: state_of(message) == Message.State.SENT, "the retried send")

    assert message.attempts == 2
    assert message.error == ""
    assert FailingEmailBackend.attempts == 2
    # The worker records a run after the task returns, so the state can be
    # SENT a moment before the second run is listed.
    wait_until(lambda: len(runs_of(worker, message)) >= 2, "the second run")
    assert [run["state"] for run in runs_of(worker, message)] == ["RETRY", "SUCCESS"]
    assert len(mail.outbox) == 1


def test_row_left_sending_by_dead_worker_swept(worker, owner, settings):
    settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS = 1
    message = walk_started_email(owner)
    # A worker claimed the row and died; Redis delivers its task again to
    # the restarted worker, which must not send a row another worker holds.
    assert Message.claim(message.pk) is not None
    send_message.delay(message.pk)
    wait_until(lambda: runs_of(worker, message), "the redelivered task")
    assert state_of(message) == Message.State.SENDING
    assert mail.outbox == []

    time.sleep(1.2)
    sweep_messages.delay()
    wait_until(lambda: state_of(message) == Message.State.SENT, "the swept message")
    sweep_messages.delay()
    wait_until(lambda: len(runs_of(worker, message)) >= 2, "the swept task")

    assert message.attempts == 2
    assert len(mail.outbox) == 1


def test_tasks_queued_while_worker_down_sent_after_restart(queue_only, owner, dog):
    booking = book_walk(owner, dog)
    time.sleep(0.5)
    assert set(
        Message.objects.filter(booking=booking).values_list("state", flat=True)
    ) == {Message.State.QUEUED}
    assert mail.outbox == []

    with running_worker(purge=False) as runs:
        wait_until(
            lambda: (
                not Message.objects.filter(booking=booking)
                .exclude(state=Message.State.SENT)
                .exists()
            ),
            "the messages queued before the worker started",
        )
        assert runs.failures == []

    assert len(mail.outbox) == 1


def sent_to(booking: Booking, event: str) -> set[tuple[str, str]]:
    return set(
        Message.objects.filter(
            booking=booking, event=event, state=Message.State.SENT
        ).values_list("recipient__email", "channel")
    )


def test_booking_matched_offered_accepted_notified(worker, owner, dog):
    agus = ready("Agus")
    booking = book_walk(owner, dog)
    offer = wait_until(
        lambda: Offer.objects.filter(booking=booking).first(), "the walk offer"
    )
    wait_until(lambda: sent_to(booking, Event.OFFER_SENT), "the offer message")

    accept_offer(offer, agus)
    wait_until(
        lambda: len(sent_to(booking, Event.WALKER_ASSIGNED)) == 4,
        "the assignment messages",
    )

    walker_email = agus.user.email
    assert sent_to(booking, Event.BOOKING_RECEIVED) == {
        (owner.email, Channel.EMAIL),
        (owner.email, Channel.SITE),
    }
    assert sent_to(booking, Event.OFFER_SENT) == {
        (walker_email, Channel.EMAIL),
        (walker_email, Channel.SITE),
    }
    assert sent_to(booking, Event.WALKER_ASSIGNED) == {
        (owner.email, Channel.EMAIL),
        (owner.email, Channel.SITE),
        (walker_email, Channel.EMAIL),
        (walker_email, Channel.SITE),
    }
    assert not Message.objects.exclude(state=Message.State.SENT).exists()
    assert sorted(email.to[0] for email in mail.outbox) == sorted(
        [owner.email, owner.email, walker_email, walker_email]
    )


@contextmanager
def worker_process(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """Run `celery worker` in a process of its own, which a test may kill."""
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "pompygo",
        "worker",
        "--pool",
        "solo",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "--loglevel",
        "WARNING",
    ]
    process = subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_worker_killed_mid_send_loses_nothing(queue_only, owner, tmp_path, settings):
    settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS = 1
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    hang_file = tmp_path / "hang"
    hang_file.touch()
    env = {
        **os.environ,
        "PYTHONPATH": str(settings.BASE_DIR),
        "DATABASE_URL": database_url_of_tests(),
        "DJANGO_EMAIL_BACKEND": "tests.notification_helpers.FileDropBackend",
        "NOTIFY_TEST_MAIL_DIR": str(mail_dir),
        "NOTIFY_TEST_HANG_FILE": str(hang_file),
    }
    message = walk_started_email(owner)
    send_message.delay(message.pk)

    with worker_process(env) as first:
        # The worker claimed the message and hangs while sending it.
        wait_until(lambda: not hang_file.exists(), "the first worker to send")
        assert state_of(message) == Message.State.SENDING
        first.kill()
        first.wait(timeout=10)
    assert state_of(message) == Message.State.SENDING
    assert list(mail_dir.iterdir()) == []

    with worker_process(env):
        time.sleep(1.2)
        # The sweeper, as beat would run it, queues the row the dead worker
        # left behind; the restarted worker sends it.
        assert sweep_messages() == 1
        wait_until(
            lambda: state_of(message) == Message.State.SENT, "the restarted worker"
        )

    assert message.attempts == 2
    assert len(list(mail_dir.iterdir())) == 1


def database_url_of_tests() -> str:
    """Return a DATABASE_URL for the test database this process uses."""
    database = connection.settings_dict
    user = database["USER"] or ""
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    credentials = f"{user}{password}@" if user else ""
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or "5432"
    return f"postgres://{credentials}{host}:{port}/{database['NAME']}"
