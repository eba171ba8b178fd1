"""Messages for the walk app's events: start, photo update, emergency, report."""

from typing import Any

import pytest
from django.test import Client

from notifications.models import Channel, Event, Message, Notification
from reports import services as walk_services
from reports import signals as walk_signals
from reports.models import WalkMedia
from tests.test_walk_flow import REPORT, post_report
from tests.test_walk_support import jpeg_bytes, running_walk, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any, english: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    settings.WHATSAPP_TOKEN = ""


@pytest.fixture(autouse=True)
def _english_recipients(owner: Any, staff: Any) -> None:
    for user in (owner, staff):
        user.language = "en"
        user.save()


def channels_of(event: str, user: Any) -> set[str]:
    return set(
        Message.objects.filter(event=event, recipient=user).values_list(
            "channel", flat=True
        )
    )


def test_walk_receivers_connected():
    for signal in (
        walk_signals.walk_started,
        walk_signals.walk_update_posted,
        walk_signals.emergency_raised,
        walk_signals.report_filed,
    ):
        assert signal.has_listeners(), signal


def test_walk_start_tells_owner(
    owner, walker, dog, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = running_walk(owner, walker, dog)

    assert channels_of(Event.WALK_STARTED, owner) == {Channel.EMAIL, Channel.SITE}
    [email] = [email for email in mailoutbox if email.to == [owner.email]]
    assert email.subject == f"Walk {booking.reference} has started"


def test_photo_update_tells_owner_once(
    owner, walker, dog, mailoutbox, django_capture_on_commit_callbacks
):
    booking = running_walk(owner, walker, dog)

    with django_capture_on_commit_callbacks(execute=True):
        walk_services.add_media(
            booking,
            upload(jpeg_bytes()),
            phase=WalkMedia.Phase.UPDATE,
            caption="Milo at the park",
        )

    assert channels_of(Event.WALK_UPDATE, owner) == {Channel.SITE}
    note = Notification.objects.get(recipient=owner, event=Event.WALK_UPDATE)
    assert "Milo at the park" in note.body
    assert mailoutbox == []


def test_emergency_tells_owner_and_ops_on_site(
    owner, walker, dog, staff, django_capture_on_commit_callbacks
):
    booking = running_walk(owner, walker, dog)

    with django_capture_on_commit_callbacks(execute=True):
        walk_services.raise_emergency(
            booking, user=walker.user, latitude=None, longitude=None
        )

    assert channels_of(Event.EMERGENCY, owner) == {Channel.SITE}
    assert channels_of(Event.EMERGENCY, staff) == {Channel.SITE}
    ops_note = Notification.objects.get(recipient=staff, event=Event.EMERGENCY)
    assert ops_note.title == f"Emergency on walk {booking.reference}"


def test_filed_report_tells_owner(
    owner, walker, dog, mailoutbox, django_capture_on_commit_callbacks
):
    booking = running_walk(owner, walker, dog)
    client = Client()
    client.force_login(walker.user)
    data = {**REPORT, "dropoff_photo": upload(jpeg_bytes())}

    with django_capture_on_commit_callbacks(execute=True):
        response = post_report(client, booking, data, "file")

    assert response.status_code == 302
    assert channels_of(Event.REPORT_READY, owner) == {Channel.EMAIL, Channel.SITE}
    [email] = [email for email in mailoutbox if email.to == [owner.email]]
    assert email.subject == f"The report of walk {booking.reference} is ready"
