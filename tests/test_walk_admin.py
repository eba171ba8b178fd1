"""Ops' admin of the walk records: nothing added by hand, evidence read-only."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports import services
from reports.models import Incident, TrackPoint, WalkMedia, WalkReport
from tests.test_walk_support import jpeg_bytes, running_walk, upload


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any, english: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.fixture
def walk(owner, walker, dog):
    return running_walk(owner, walker, dog)


WALK_MODELS = [
    "incident",
    "walkmedia",
    "walkstart",
    "trackpoint",
    "walkreport",
    "review",
    "sharelink",
]


@pytest.mark.parametrize("model", WALK_MODELS)
def test_walk_record_cannot_be_added(staff_client: Client, model: str):
    response = staff_client.get(reverse(f"admin:reports_{model}_add"))

    assert response.status_code == 403


@pytest.mark.parametrize("model", WALK_MODELS)
def test_walk_list_has_no_add_button(staff_client: Client, model: str):
    response = staff_client.get(reverse(f"admin:reports_{model}_changelist"))

    assert response.status_code == 200
    assert reverse(f"admin:reports_{model}_add") not in response.content.decode()


def test_gps_points_cannot_be_changed(staff_client, walk):
    point = TrackPoint.objects.create(
        booking=walk,
        recorded_at=timezone.now(),
        latitude="-6.196100",
        longitude="106.832000",
    )
    url = reverse("admin:reports_trackpoint_change", args=[point.pk])

    response = staff_client.post(url, {"latitude": "0", "longitude": "0"})

    assert response.status_code == 403
    point.refresh_from_db()
    assert str(point.latitude) == "-6.196100"


def test_report_answers_cannot_be_changed(staff_client, walk):
    report = WalkReport.objects.create(booking=walk, had_incident=True)
    url = reverse("admin:reports_walkreport_change", args=[report.pk])

    page = staff_client.get(url)
    response = staff_client.post(url, {"had_incident": "False"})

    assert page.status_code == 200
    assert 'name="had_incident"' not in page.content.decode()
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.had_incident is True


def test_media_metadata_read_only_caption_editable(staff_client, walk):
    media = walk.walk_media.get()
    url = reverse("admin:reports_walkmedia_change", args=[media.pk])

    page = staff_client.get(url).content.decode()
    staff_client.post(url, {"caption": "Edited by ops", "phase": "dropoff"})

    assert 'name="caption"' in page
    assert 'name="phase"' not in page
    media.refresh_from_db()
    assert media.caption == "Edited by ops"
    assert media.phase == WalkMedia.Phase.PICKUP


def test_media_preview_goes_through_media_view(staff_client, walk):
    media = walk.walk_media.get()
    thumb = reverse("reports:media", args=[media.token, "thumb"])

    listing = staff_client.get(reverse("admin:reports_walkmedia_changelist"))

    assert f'src="{thumb}"' in listing.content.decode()
    assert staff_client.get(thumb).status_code == 200


def test_incident_shows_walk_media_and_keeps_resolution(staff_client, walk, walker):
    incident = Incident.objects.create(booking=walk, raised_by=walker.user)
    media = walk.walk_media.get()
    url = reverse("admin:reports_incident_change", args=[incident.pk])

    page = staff_client.get(url).content.decode()
    staff_client.post(
        url,
        {
            "resolved_at_0": "2026-12-04",
            "resolved_at_1": "15:00:00",
            "ops_notes": "Called the walker; the dog is fine.",
        },
    )

    assert reverse("reports:media", args=[media.token, "thumb"]) in page
    incident.refresh_from_db()
    assert incident.ops_notes == "Called the walker; the dog is fine."
    assert incident.resolved_at is not None
    assert incident.resolved_by is not None


def test_resolve_action_message_singular(staff_client, walk, walker):
    incident = Incident.objects.create(booking=walk, raised_by=walker.user)

    response = staff_client.post(
        reverse("admin:reports_incident_changelist"),
        {"action": "resolve", "_selected_action": [incident.pk]},
        follow=True,
    )

    content = response.content.decode()
    assert "1 incident resolved." in content
    assert "1 incidents resolved." not in content


def test_incident_title_in_wib(walk, walker):
    raised = dt.datetime(2026, 12, 4, 7, 58, tzinfo=dt.UTC)
    incident = Incident.objects.create(
        booking=walk, raised_by=walker.user, raised_at=raised
    )

    assert str(incident).endswith("2026-12-04 14:58")


def test_gps_jumps_counted_and_shown(staff_client, walk):
    started = walk.walk_start.started_at
    points = [
        (started + dt.timedelta(seconds=10), "-6.196100", "106.832000"),
        # About 11 km away ten seconds later: a jump.
        (started + dt.timedelta(seconds=20), "-6.296100", "106.832000"),
        (started + dt.timedelta(seconds=30), "-6.196150", "106.832000"),
    ]
    services.record_points(
        walk, [(at, Decimal(lat), Decimal(lng), 5) for at, lat, lng in points]
    )

    walk.walk_start.refresh_from_db()
    assert walk.walk_start.gps_jumps_dropped == 1
    listing = staff_client.get(
        reverse("admin:reports_walkstart_changelist"), {"jumps": "1"}
    ).content.decode()
    assert walk.reference in listing


@pytest.mark.parametrize("updates", [5, 30])
def test_media_list_queries_do_not_grow(
    staff_client, walk, django_assert_max_num_queries, updates
):
    for _index in range(updates):
        services.add_media(walk, upload(jpeg_bytes()), phase=WalkMedia.Phase.UPDATE)

    with django_assert_max_num_queries(10):
        response = staff_client.get(reverse("admin:reports_walkmedia_changelist"))

    assert response.status_code == 200
