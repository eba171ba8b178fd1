"""The walker's own pages: status, walks, on my way, availability, history."""

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from bookings.models import Booking, BookingEvent, Dog
from tests.factories import BookingFactory, DogFactory, walk_start
from walkers.access import access_notes_visible
from walkers.demo import make_available, make_verified, pass_stages
from walkers.models import AvailabilityException, WalkerStage


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def ready(walker: Any, staff: Any) -> Any:
    return make_available(make_verified(walker, staff))


@pytest.fixture
def walker_client(client: Any, walker: Any) -> Any:
    client.force_login(walker.user)
    return client


def assigned_walk(
    walker: Any, owner: Any, starts_at: dt.datetime, **kwargs: Any
) -> Booking:
    dog = DogFactory(
        owner=owner,
        name="Milo",
        size=Dog.Size.MEDIUM,
        temperament="Shy with men in hats.",
        medical_notes="Takes an allergy tablet at 08:00.",
    )
    return BookingFactory(
        owner=owner,
        walker=walker,
        status=Booking.Status.CONFIRMED,
        starts_at=starts_at,
        dogs=[dog],
        access_notes="Gate code 4321",
        handover_notes="Leash hangs by the door",
        **kwargs,
    )


# Status page


def test_applicant_sees_next_step(walker_client, walker):
    walker.stages.all().delete()
    response = walker_client.get(reverse("walkers:dashboard"))
    assert b"Waiting for: Screening" in response.content
    assert b"minimum criteria" in response.content


def test_status_after_interview(walker_client, walker, staff):
    walker.stages.all().delete()
    pass_stages(walker, 2, staff, timezone.localdate())
    response = walker_client.get(reverse("walkers:dashboard"))
    assert b"Waiting for: Practical skills test" in response.content
    assert b"practical test" in response.content


def test_rejected_applicant_sees_reason(walker_client, walker, staff):
    walker.stages.all().delete()
    pass_stages(walker, 1, staff, timezone.localdate())
    WalkerStage.objects.create(
        walker=walker,
        stage="interview",
        outcome="failed",
        score=30,
        rejection_reason="Unsafe answers on a reactive dog.",
        decided_by=staff,
    )
    response = walker_client.get(reverse("walkers:dashboard"))
    assert b"Not accepted at: Competency interview" in response.content
    assert b"Unsafe answers on a reactive dog." in response.content


def test_verified_walker_sees_profile_link(walker_client, ready):
    response = walker_client.get(reverse("walkers:dashboard"))
    assert b"verified Pompy Go walker" in response.content
    assert reverse("walkers:profile", args=[ready.pk]).encode() in response.content


def test_id_number_is_masked_for_the_walker(walker_client, walker):
    walker.id_number = "3174012107980002"
    walker.save()
    response = walker_client.get(reverse("walkers:dashboard"))
    assert b"3174012107980002" not in response.content
    assert "••••••••••••0002".encode() in response.content


# Walks


def test_dashboard_lists_own_walks_only(walker_client, ready, owner, other_owner):
    today = assigned_walk(ready, owner, timezone.now() + dt.timedelta(minutes=30))
    later = assigned_walk(ready, other_owner, walk_start(days=3))
    cancelled = assigned_walk(ready, owner, walk_start(days=4))
    cancelled.status = Booking.Status.CANCELLED
    cancelled.save()
    someone_elses = BookingFactory()
    response = walker_client.get(reverse("walkers:dashboard"))
    assert [w.pk for w in response.context["today_walks"]] == [today.pk]
    assert [w.pk for w in response.context["later_walks"]] == [later.pk]
    assert someone_elses.reference.encode() not in response.content


def test_walk_shows_dog_owner_and_navigation(walker_client, ready, owner):
    walk = assigned_walk(ready, owner, walk_start(days=2))
    response = walker_client.get(reverse("walkers:walk", args=[walk.reference]))
    content = response.content.decode()
    assert "Shy with men in hats." in content
    assert "Takes an allergy tablet at 08:00." in content
    assert "Dewi" in content
    assert "Lestari" not in content
    assert walk.address in content
    assert f"destination={walk.latitude},{walk.longitude}" in content


@pytest.mark.parametrize(
    ("offset_minutes", "visible"),
    [
        (-181, False),
        (-121, False),
        (-120, True),
        (-30, True),
        (0, True),
        (59, True),
        (60, False),
    ],
)
def test_notes_window(db, offset_minutes, visible):
    """Minutes from the walk's start; the walk lasts 60 minutes."""
    starts = walk_start(days=2)
    booking = Booking(starts_at=starts, ends_at=starts + dt.timedelta(hours=1))
    now = starts + dt.timedelta(minutes=offset_minutes)
    assert access_notes_visible(booking, now) is visible


def test_notes_hidden_days_before(walker_client, ready, owner):
    walk = assigned_walk(ready, owner, walk_start(days=2))
    response = walker_client.get(reverse("walkers:walk", args=[walk.reference]))
    assert b"Gate code 4321" not in response.content
    assert b"Leash hangs by the door" not in response.content
    assert b"from two hours before the walk" in response.content


def test_notes_shown_an_hour_before(walker_client, ready, owner):
    walk = assigned_walk(ready, owner, timezone.now() + dt.timedelta(hours=1))
    response = walker_client.get(reverse("walkers:walk", args=[walk.reference]))
    assert b"Gate code 4321" in response.content
    assert b"Leash hangs by the door" in response.content


def test_on_my_way_too_early_is_rejected(walker_client, ready, owner):
    walk = assigned_walk(ready, owner, walk_start(days=2))
    response = walker_client.post(
        reverse("walkers:on-the-way", args=[walk.reference]), follow=True
    )
    walk.refresh_from_db()
    assert walk.on_the_way_at is None
    assert b"from two hours before the walk" in response.content
    assert b'data-testid="mark-on-the-way"' not in response.content


def test_on_my_way_reaches_owner(client, ready, owner):
    walk = assigned_walk(ready, owner, timezone.now() + dt.timedelta(minutes=45))
    client.force_login(ready.user)
    page = client.get(reverse("walkers:walk", args=[walk.reference]))
    assert b'data-testid="mark-on-the-way"' in page.content
    client.post(reverse("walkers:on-the-way", args=[walk.reference]))
    walk.refresh_from_db()
    first_mark = walk.on_the_way_at
    assert first_mark is not None
    client.post(reverse("walkers:on-the-way", args=[walk.reference]))
    walk.refresh_from_db()
    assert walk.on_the_way_at == first_mark
    client.force_login(owner)
    response = client.get(reverse("bookings:detail", args=[walk.reference]))
    assert b'data-testid="on-the-way"' in response.content


def test_dashboard_queries_do_not_grow(
    walker_client, ready, owner, django_assert_max_num_queries
):
    for hour in (7, 9, 11, 13, 15):
        assigned_walk(ready, owner, walk_start(days=3, hour=hour))
    with django_assert_max_num_queries(12):
        walker_client.get(reverse("walkers:dashboard"))
    for day in range(4, 12):
        for hour in (7, 9):
            assigned_walk(ready, owner, walk_start(days=day, hour=hour))
    with django_assert_max_num_queries(12):
        response = walker_client.get(reverse("walkers:dashboard"))
    assert len(response.context["later_walks"]) == 21


# History


def test_history_lists_past_walks_and_reliability(walker_client, ready, owner, staff):
    past_start = timezone.now() - dt.timedelta(days=3)
    done = BookingFactory(
        owner=owner,
        walker=ready,
        status=Booking.Status.COMPLETED,
        starts_at=past_start,
    )
    BookingEvent.objects.create(
        booking=done,
        from_status="confirmed",
        to_status="in_progress",
        created_at=past_start + dt.timedelta(minutes=2),
    )
    late = BookingFactory(
        owner=owner,
        walker=ready,
        status=Booking.Status.COMPLETED,
        starts_at=past_start - dt.timedelta(days=1),
    )
    BookingEvent.objects.create(
        booking=late,
        from_status="confirmed",
        to_status="in_progress",
        created_at=late.starts_at + dt.timedelta(minutes=20),
    )
    response = walker_client.get(reverse("walkers:history"))
    reliability = response.context["reliability"]
    assert reliability.walks_completed == 2
    assert reliability.started == 2
    assert reliability.started_on_time == 1
    assert reliability.on_time_percent == 50
    assert b"no reports yet" in response.content
    assert len(response.context["page"]) == 2


def test_history_queries_do_not_grow(
    walker_client, ready, owner, django_assert_max_num_queries
):
    def add(count: int, first_day: int) -> None:
        for index in range(first_day, first_day + count):
            BookingFactory(
                owner=owner,
                walker=ready,
                status=Booking.Status.COMPLETED,
                starts_at=timezone.now() - dt.timedelta(days=index + 2),
            )

    add(5, first_day=0)
    with django_assert_max_num_queries(14):
        walker_client.get(reverse("walkers:history"))
    add(30, first_day=10)
    with django_assert_max_num_queries(14):
        walker_client.get(reverse("walkers:history"))


# Availability


def availability_data(**changes: Any) -> dict[str, Any]:
    from bookings.models import Area, District

    data: dict[str, Any] = {
        "home_district": District.objects.get(name="Kemang").pk,
        "home_latitude": "",
        "home_longitude": "",
        "service_radius_km": "8",
        "areas": [Area.objects.get(slug="jakarta").pk],
        "dog_sizes": ["small", "medium"],
        "max_walks_per_day": "3",
        "day2_0_start": "06:00",
        "day2_0_end": "09:00",
    }
    data.update(changes)
    return data


def test_availability_saves(walker_client, ready):
    response = walker_client.post(reverse("walkers:availability"), availability_data())
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.service_radius_km == 8
    assert ready.dog_size_list == ["small", "medium"]
    assert ready.max_walks_per_day == 3
    assert ready.home_district.name == "Kemang"
    assert ready.home_latitude == ready.home_district.latitude
    windows = list(
        ready.weekly_availability.values_list("weekday", "start_time", "end_time")
    )
    assert windows == [(2, dt.time(6), dt.time(9))]


def test_availability_page_shows_current_pattern(walker_client, ready):
    response = walker_client.get(reverse("walkers:availability"))
    assert b'value="06:00"' in response.content
    assert b'value="20:00"' in response.content


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"service_radius_km": "0"}, "service_radius_km", "greater than or equal to 1"),
        ({"service_radius_km": "51"}, "service_radius_km", "less than or equal to 50"),
        ({"max_walks_per_day": "0"}, "max_walks_per_day", "greater than or equal to 1"),
        (
            {"home_latitude": "-6.2"},
            "home_latitude",
            "both the latitude and the longitude",
        ),
        ({"dog_sizes": []}, "dog_sizes", "at least one dog size"),
        ({"dog_sizes": ["huge"]}, "dog_sizes", "valid choice"),
        ({"areas": []}, "areas", "at least one area"),
    ],
)
def test_bad_availability_saves_nothing(walker_client, ready, changes, field, message):
    before = (ready.service_radius_km, ready.max_walks_per_day, ready.dog_sizes)
    response = walker_client.post(
        reverse("walkers:availability"), availability_data(**changes)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    ready.refresh_from_db()
    assert (ready.service_radius_km, ready.max_walks_per_day, ready.dog_sizes) == before
    assert ready.weekly_availability.count() == 7


def test_bad_pattern_keeps_the_old_one(walker_client, ready):
    data = availability_data(day2_0_end="05:00")
    response = walker_client.post(reverse("walkers:availability"), data)
    assert response.status_code == 200
    assert ready.weekly_availability.count() == 7


def test_time_off_is_added(walker_client, ready):
    day = timezone.localdate() + dt.timedelta(days=5)
    data = {
        "date": day.isoformat(),
        "start_time": "13:00",
        "end_time": "17:00",
        "reason": "Dentist",
    }
    walker_client.post(reverse("walkers:add-time-off"), data)
    exception = AvailabilityException.objects.get(walker=ready)
    assert exception.start_time == dt.time(13)
    assert exception.reason == "Dentist"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "2020-01-01"}, "today or a later date"),
        ({"date": ""}, "required"),
        ({"date": "+5", "start_time": "13:00"}, "Give both times"),
        (
            {"date": "+5", "start_time": "13:00", "end_time": "12:00"},
            "after the start time",
        ),
    ],
)
def test_bad_time_off_saves_nothing(walker_client, ready, data, message):
    if data.get("date") == "+5":
        data = {
            **data,
            "date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        }
    response = walker_client.post(reverse("walkers:add-time-off"), data)
    assert response.status_code == 200
    errors = " ".join(
        " ".join(e) for e in response.context["exception_form"].errors.values()
    )
    assert message in errors
    assert not AvailabilityException.objects.exists()
