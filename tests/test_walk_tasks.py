"""Walk tasks on a real Celery worker: the urgent emergency alert, photo sizes.

The worker consumes both the urgent queue and the default one, as the
deployment runs them. See tests/test_tasks.py for how the worker runs.
"""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker

from pompygo.celery import app
from reports import services
from reports.models import Incident, WalkMedia
from tests.test_tasks import WAIT_SECONDS, TaskRuns
from tests.test_walk_support import running_walk

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker() -> Iterator[TaskRuns]:
    runs = TaskRuns()
    signals.task_postrun.connect(runs.on_postrun, weak=False)
    signals.task_failure.connect(runs.on_failure, weak=False)
    app.conf.task_always_eager = False
    app.conf.worker_hijack_root_logger = False
    app.control.purge()
    # purge() empties only the default queue; an interrupted run may have
    # left an alert on the urgent one.
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("urgent")
    try:
        with start_worker(
            app,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
            queues=["urgent", "celery"],
        ):
            yield runs
    finally:
        app.conf.task_always_eager = True
        signals.task_postrun.disconnect(runs.on_postrun)
        signals.task_failure.disconnect(runs.on_failure)


def wait_for_task(runs: TaskRuns, name: str, args: Any = None) -> dict[str, Any]:
    """Wait until the worker has finished a task of this name.

    Other apps' receivers of the walk signals queue their own tasks too.
    """
    deadline = time.monotonic() + 2 * WAIT_SECONDS
    while True:
        for run in list(runs.finished):
            if run["name"] == name and args in (None, run["args"]):
                return run
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {name}; finished: {runs.finished}")
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path


def test_worker_sends_emergency_alert(worker, owner, walker, dog, mailoutbox):
    booking = running_walk(owner, walker, dog)

    incident = services.raise_emergency(
        booking, user=walker.user, latitude=None, longitude=None
    )

    run = wait_for_task(worker, "reports.tasks.send_emergency_alert", [incident.pk])
    assert run["state"] == "SUCCESS"
    assert worker.failures == []
    alerts = [m for m in mailoutbox if booking.reference in m.subject]
    assert ["ops@pompygo.id"] in [m.to for m in alerts]
    assert [owner.email] in [m.to for m in alerts]
    incident.refresh_from_db()
    assert incident.alert_sent_at is not None


def test_worker_makes_photo_sizes(worker, owner, walker, dog):
    booking = running_walk(owner, walker, dog)

    media = WalkMedia.objects.get(booking=booking, phase="pickup")
    wait_for_task(worker, "reports.tasks.make_photo_sizes", [media.pk])
    deadline = time.monotonic() + 10
    while not media.thumbnail and time.monotonic() < deadline:
        time.sleep(0.1)
        media.refresh_from_db()
    assert worker.failures == []
    assert media.display.name.endswith("display.jpg")
    assert media.thumbnail.name.endswith("thumb.jpg")
    assert Incident.objects.count() == 0
