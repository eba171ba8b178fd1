"""The GPS trail: batches from the walker's page, filtering, distance."""

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from reports.geo import distance_m, draw_route, trail_length_m
from reports.models import TrackPoint
from reports.services import trail_summary
from tests.test_walk_support import running_walk

# Along the meridian through Menteng, 0.001 degree of latitude is
# 2 * pi * 6371008.8 m / 360 / 1000 = 111.195 m on the mean sphere.
STEP_M = 111.195


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.fixture
def walk(owner, walker, dog):
    global base_time
    booking = running_walk(owner, walker, dog)
    base_time = booking.walk_start.started_at + dt.timedelta(seconds=60)
    return booking


base_time = timezone.now()


@pytest.fixture
def walker_client(walker) -> Client:
    client = Client()
    client.force_login(walker.user)
    return client


def point(seconds: float, lat: float, lng: float = 106.832) -> dict[str, Any]:
    at = base_time + dt.timedelta(seconds=seconds)
    return {"t": at.timestamp() * 1000, "lat": lat, "lng": lng, "acc": 8}


def send(client: Client, walk: Booking, points: list[dict[str, Any]]) -> Any:
    return client.post(
        reverse("reports:track", args=[walk.reference]),
        json.dumps({"points": points}),
        content_type="application/json",
    )


def test_known_route_distance():
    route = [(-6.196 + 0.001 * i, 106.832) for i in range(10)]

    assert trail_length_m(route) == pytest.approx(9 * STEP_M, rel=1e-4)
    assert distance_m((0, 0), (0, 1)) == pytest.approx(111_195, rel=1e-4)


def test_batch_stored_with_distance(walker_client, walk):
    points = [point(30 * i, -6.196 + 0.001 * i) for i in range(6)]

    response = send(walker_client, walk, points)

    assert response.json() == {"stored": 6, "dropped": 0}
    distance, duration = trail_summary(walk)
    assert distance == round(5 * STEP_M)
    assert duration == 150


def test_duplicates_within_and_across_batches_dropped(walker_client, walk):
    first = [point(0, -6.196), point(30, -6.197), point(30, -6.197)]
    send(walker_client, walk, first)

    response = send(walker_client, walk, [point(30, -6.197), point(60, -6.198)])

    assert response.json() == {"stored": 1, "dropped": 1}
    assert TrackPoint.objects.filter(booking=walk).count() == 3


def test_out_of_order_points_stored_in_time_order(walker_client, walk):
    send(walker_client, walk, [point(60, -6.198), point(0, -6.196), point(30, -6.197)])

    latitudes = [
        float(lat) for lat in walk.track_points.values_list("latitude", flat=True)
    ]
    assert latitudes == [-6.196, -6.197, -6.198]


def test_impossible_jump_dropped(walker_client, walk, settings):
    settings.GPS_MAX_SPEED_KMH = 45
    # 0.01 degree (1.1 km) in 10 seconds is 400 km/h.
    points = [point(0, -6.196), point(10, -6.186), point(20, -6.1961)]

    response = send(walker_client, walk, points)

    assert response.json() == {"stored": 2, "dropped": 1}
    assert not walk.track_points.filter(latitude="-6.186000").exists()


def test_fast_run_within_limit_kept(walker_client, walk):
    # 100 m in 10 s is 36 km/h: a running dog, below the 45 km/h limit.
    points = [point(0, -6.196), point(10, -6.1951)]

    assert send(walker_client, walk, points).json() == {"stored": 2, "dropped": 0}


def test_points_after_walk_ended_dropped(walker_client, walk):
    send(walker_client, walk, [point(0, -6.196)])
    walk.transition(Booking.Status.COMPLETED, actor=None)
    ended = timezone.now()
    late = ended + dt.timedelta(minutes=30)

    response = send(
        walker_client,
        walk,
        [
            {"t": late.timestamp() * 1000, "lat": -6.197, "lng": 106.832},
            point(300, -6.1965),
        ],
    )

    assert response.json() == {"stored": 1, "dropped": 1}


def test_points_before_start_dropped(walker_client, walk):
    before = walk.walk_start.started_at - dt.timedelta(minutes=30)

    response = send(
        walker_client,
        walk,
        [{"t": before.timestamp() * 1000, "lat": -6.2, "lng": 106.8}],
    )

    assert response.json() == {"stored": 0, "dropped": 1}


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"points": [{"t": "x", "lat": 1, "lng": 2}]}),
        json.dumps({"points": [{"t": 1, "lat": 91, "lng": 2}]}),
        json.dumps({"points": [{"lat": 1, "lng": 2}]}),
        json.dumps({"points": [point(0, -6.2)] * 721}),
    ],
)
def test_bad_batch_rejected(walker_client, walk, body):
    response = walker_client.post(
        reverse("reports:track", args=[walk.reference]),
        body,
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid GPS batch")
    assert not walk.track_points.exists()


def test_walk_not_started_rejects_points(walker_client, owner, walker, dog):
    from tests.test_walk_support import confirmed_walk

    booking = confirmed_walk(owner, walker, dog)

    response = send(walker_client, booking, [point(0, -6.196)])

    assert response.status_code == 409


def test_other_walker_cannot_send_points(walk):
    from tests.factories import WalkerProfileFactory

    client = Client()
    client.force_login(WalkerProfileFactory().user)

    assert send(client, walk, [point(0, -6.196)]).status_code == 404


def test_owner_cannot_send_points(owner_client, walk):
    assert send(owner_client, walk, [point(0, -6.196)]).status_code == 403


def test_route_drawing_has_start_and_end():
    drawing = draw_route([(-6.196, 106.832), (-6.197, 106.833), (-6.198, 106.832)])

    assert drawing.path.startswith("M")
    assert drawing.path.count("L") == 2
    assert drawing.start != drawing.end
    for x, y in (drawing.start, drawing.end):
        assert 0 <= x <= drawing.width
        assert 0 <= y <= drawing.height
    # North is up: the first point is the northernmost, so it is highest.
    assert drawing.start[1] < drawing.end[1]
