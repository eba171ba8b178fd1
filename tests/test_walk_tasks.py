"""Walk tasks on a real Celery worker: the urgent emergency alert, photo sizes.

The worker (tests/celery_worker.py) consumes both the urgent queue and the
default one, as the deployment runs them.
"""

import time
from typing import Any

import pytest

from reports import services
from reports.models import Incident, WalkMedia
from tests.test_walk_support import running_walk

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path


def test_worker_sends_emergency_alert(worker, owner, walker, dog, mailoutbox):
    booking = running_walk(owner, walker, dog)

    incident = services.raise_emergency(
        booking, user=walker.user, latitude=None, longitude=None
    )

    [run] = worker.wait("reports.tasks.send_emergency_alert", args=[incident.pk])
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
    worker.wait("reports.tasks.make_photo_sizes", args=[media.pk], seconds=40)
    deadline = time.monotonic() + 10
    while not media.thumbnail and time.monotonic() < deadline:
        time.sleep(0.1)
        media.refresh_from_db()
    assert worker.failures == []
    assert media.display.name.endswith("display.jpg")
    assert media.thumbnail.name.endswith("thumb.jpg")
    assert Incident.objects.count() == 0
