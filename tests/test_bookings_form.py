"""Booking a walk through the form: good bookings and every bad input."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingEvent, BookingPolicy, District, Service
from tests.factories import MENTENG, BookingFactory, DogFactory

pytestmark = pytest.mark.usefixtures("english")

WIB = timezone.get_default_timezone()


def form_data(dogs, **overrides):
    day = timezone.localdate() + dt.timedelta(days=3)
    data = {
        "dogs": [dog.pk for dog in dogs],
        "service": Service.objects.get(code="walk-60").pk,
        "date": day.isoformat(),
        "start_time": "07:00",
        "address": "Jl. Teuku Umar No. 10, Menteng",
        "latitude": str(MENTENG[0]),
        "longitude": str(MENTENG[1]),
        "access_notes": "Gate code 1234",
        "handover_notes": "",
        "request_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def post(client, data):
    return client.post(reverse("bookings:create"), data)


def test_booking_created_with_price_and_history(owner_client, owner, dog):
    second = DogFactory(owner=owner, name="Kiki")
    response = post(owner_client, form_data([dog, second]))

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("bookings:detail", args=[booking.reference])
    assert booking.price == 120000 + 50000
    assert booking.status == Booking.Status.REQUESTED
    assert set(booking.dogs.all()) == {dog, second}
    assert booking.area.slug == "jakarta"
    assert timezone.localtime(booking.starts_at).time() == dt.time(7, 0)
    assert booking.ends_at - booking.starts_at == dt.timedelta(minutes=60)
    event = BookingEvent.objects.get(booking=booking)
    assert (event.from_status, event.to_status, event.actor) == ("", "requested", owner)


def test_booking_received_email_sent(
    owner_client, owner, dog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(owner_client, form_data([dog]))

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    assert "Rp120.000" in mail.outbox[0].body


def test_detail_shows_price_in_rupiah(owner_client, dog):
    response = post(owner_client, form_data([dog]))
    page = owner_client.get(response.url)

    assert "Rp120.000" in page.content.decode()


def test_same_token_twice_books_once(owner_client, dog):
    data = form_data([dog])
    first = post(owner_client, data)
    second = post(owner_client, data)

    assert Booking.objects.count() == 1
    assert first.url == second.url


def test_district_gives_location_without_coordinates(owner_client, dog):
    kemang = District.objects.get(name="Kemang")
    post(owner_client, form_data([dog], latitude="", longitude="", district=kemang.pk))

    booking = Booking.objects.get()
    assert (booking.latitude, booking.longitude) == (kemang.latitude, kemang.longitude)
    assert booking.district == kemang


def test_district_in_other_area_than_pin_rejected(owner_client, dog):
    bsd = District.objects.get(name="BSD City")
    response = post(owner_client, form_data([dog], district=bsd.pk))

    assert response.status_code == 200
    assert response.context["form"].errors["district"] == [
        "BSD City is in Gading Serpong, but the location is in Jakarta. "
        "Pick the district again, or move the pin."
    ]
    assert not Booking.objects.exists()


def test_district_in_pin_area_kept(owner_client, dog):
    kemang = District.objects.get(name="Kemang")
    post(owner_client, form_data([dog], district=kemang.pk))

    booking = Booking.objects.get()
    assert booking.district == kemang
    assert (booking.latitude, booking.longitude) == MENTENG


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_missing_request_token_explained(owner_client, dog, token):
    data = form_data([dog])
    if token is None:
        del data["request_token"]
    else:
        data["request_token"] = token
    response = post(owner_client, data)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.non_field_errors() == [
        "This form was not sent in full. Check the details and book again."
    ]
    assert "This form was not sent in full" in response.content.decode()
    assert uuid.UUID(form["request_token"].value())
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("latitude", "longitude", "place"),
    [
        ("-6.914744", "107.609810", "Bandung"),
        ("-8.409518", "115.188919", "Bali"),
        ("1.352083", "103.819836", "Singapore"),
    ],
)
def test_address_outside_areas_rejected(owner_client, dog, latitude, longitude, place):
    response = post(
        owner_client, form_data([dog], latitude=latitude, longitude=longitude)
    )

    assert response.status_code == 200
    message = " ".join(response.context["form"].errors["address"])
    assert "Jakarta" in message
    assert "Tangerang" in message
    assert "Gading Serpong" in message
    assert Booking.objects.count() == 0


def test_missing_location_rejected(owner_client, dog):
    response = post(owner_client, form_data([dog], latitude="", longitude=""))

    assert "address" in response.context["form"].errors
    assert Booking.objects.count() == 0


def test_other_owners_dog_rejected(owner_client, dog, other_owner):
    strangers_dog = DogFactory(owner=other_owner, name="Rex")
    response = post(owner_client, form_data([dog, strangers_dog]))

    assert response.status_code == 200
    assert response.context["form"].errors["dogs"] == [
        "Choose your own dogs from the list."
    ]
    assert Booking.objects.count() == 0


def test_removed_dog_rejected(owner_client, dog):
    dog.removed_at = timezone.now()
    dog.save()
    response = post(owner_client, form_data([dog]))

    assert "dogs" in response.context["form"].errors
    assert Booking.objects.count() == 0


def test_too_many_dogs_rejected(owner_client, owner):
    dogs = DogFactory.create_batch(4, owner=owner)
    response = post(owner_client, form_data(dogs))

    assert "at most 3 dogs" in response.context["form"].errors["dogs"][0]
    assert Booking.objects.count() == 0


@pytest.mark.parametrize(
    ("start_time", "field", "expected"),
    [
        ("05:45", "start_time", "06:00"),
        ("19:30", "start_time", "20:00"),
        ("07:10", "start_time", "quarter hour"),
        ("23:00", "start_time", "20:00"),
    ],
)
def test_time_outside_rules_rejected(owner_client, dog, start_time, field, expected):
    response = post(owner_client, form_data([dog], start_time=start_time))

    errors = response.context["form"].errors
    assert expected in " ".join(errors[field])
    assert Booking.objects.count() == 0


def test_past_date_rejected(owner_client, dog):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = post(owner_client, form_data([dog], date=yesterday.isoformat()))

    assert response.context["form"].errors["date"] == ["This time has already passed."]
    assert Booking.objects.count() == 0


@time_machine.travel(dt.datetime(2026, 12, 7, 7, 30, tzinfo=WIB), tick=False)
def test_inside_lead_time_rejected(owner_client, dog):
    response = post(
        owner_client, form_data([dog], date="2026-12-07", start_time="09:00")
    )

    message = response.context["form"].errors["start_time"][0]
    assert "120 minutes" in message
    assert "09:30" in message
    assert Booking.objects.count() == 0


@time_machine.travel(dt.datetime(2026, 12, 7, 7, 30, tzinfo=WIB), tick=False)
def test_lead_time_set_by_ops(owner_client, dog):
    policy = BookingPolicy.current()
    policy.lead_time_minutes = 60
    policy.save()
    response = post(
        owner_client, form_data([dog], date="2026-12-07", start_time="09:00")
    )

    assert response.status_code == 302
    assert Booking.objects.count() == 1


def test_dog_already_booked_rejected(owner_client, owner, dog):
    existing = BookingFactory(owner=owner, dogs=[dog])
    local = timezone.localtime(existing.starts_at)
    response = post(
        owner_client,
        form_data(
            [dog],
            date=local.date().isoformat(),
            start_time=(local + dt.timedelta(minutes=30)).strftime("%H:%M"),
        ),
    )

    assert response.context["form"].errors["date"] == [
        "Milo already has a booking at this time."
    ]
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date", "31-02-2026"),
        ("start_time", "seven"),
        ("latitude", "north"),
        ("latitude", "95"),
        ("service", "999999"),
        ("address", ""),
        ("repeat_weeks", "99"),
    ],
)
def test_malformed_field_rejected(owner_client, dog, field, value):
    data = form_data([dog], **{field: value})
    if field == "repeat_weeks":
        data["repeat_weekdays"] = ["1"]
    response = post(owner_client, data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Booking.objects.count() == 0


# 18:30 UTC on 6 December is 01:30 WIB on 7 December.
@time_machine.travel(dt.datetime(2026, 12, 6, 18, 30, tzinfo=dt.UTC), tick=False)
def test_early_morning_walk_is_today_in_wib(owner_client, dog):
    response = post(
        owner_client, form_data([dog], date="2026-12-07", start_time="07:00")
    )
    assert response.status_code == 302

    listing = owner_client.get(reverse("bookings:list"))
    booking = Booking.objects.get()
    assert [b.pk for b in listing.context["today_bookings"]] == [booking.pk]
    assert listing.context["later_bookings"] == []


class TestRecurring:
    @time_machine.travel(dt.datetime(2026, 12, 4, 10, 0, tzinfo=WIB), tick=False)
    def test_mon_wed_fri_for_four_weeks(self, owner_client, dog):
        data = form_data([dog], date="2026-12-07", start_time="07:00")
        data.update(repeat_weekdays=["1", "3", "5"], repeat_weeks="4")
        response = post(owner_client, data)

        bookings = Booking.objects.order_by("starts_at")
        assert response.status_code == 302
        assert bookings.count() == 12
        assert {timezone.localtime(b.starts_at).isoweekday() for b in bookings} == {
            1,
            3,
            5,
        }
        assert {timezone.localtime(b.starts_at).time() for b in bookings} == {
            dt.time(7, 0)
        }
        assert timezone.localtime(bookings.first().starts_at).date() == dt.date(
            2026, 12, 7
        )
        assert timezone.localtime(bookings.last().starts_at).date() == dt.date(
            2027, 1, 1
        )
        assert len({b.series_id for b in bookings}) == 1

    @time_machine.travel(dt.datetime(2026, 12, 4, 10, 0, tzinfo=WIB), tick=False)
    def test_failed_dates_listed_with_reason(self, owner_client, owner, dog):
        start = timezone.make_aware(dt.datetime(2026, 12, 9, 6, 30))
        BookingFactory(owner=owner, dogs=[dog], starts_at=start)
        data = form_data([dog], date="2026-12-07", start_time="07:00")
        data.update(repeat_weekdays=["1", "3", "5"], repeat_weeks="2")
        response = post(owner_client, data)
        page = owner_client.get(response.url)

        assert Booking.objects.filter(series__isnull=False).count() == 5
        skipped = page.context["skipped"]
        assert [item["date"] for item in skipped] == [dt.date(2026, 12, 9)]
        assert skipped[0]["reason"] == "Milo already has a booking at this time."
        assert "Milo already has a booking at this time." in page.content.decode()

    @time_machine.travel(dt.datetime(2026, 12, 7, 8, 0, tzinfo=WIB), tick=False)
    def test_first_date_in_past_skipped(self, owner_client, dog):
        data = form_data([dog], date="2026-12-07", start_time="07:00")
        data.update(repeat_weekdays=["1"], repeat_weeks="2")
        response = post(owner_client, data)
        page = owner_client.get(response.url)

        assert Booking.objects.count() == 1
        assert page.context["skipped"][0]["reason"] == "This time has already passed."

    def test_resubmitted_series_books_once(self, owner_client, dog):
        data = form_data([dog])
        data.update(repeat_weekdays=["1", "2"], repeat_weeks="2")
        first = post(owner_client, data)
        second = post(owner_client, data)

        assert first.url == second.url
        assert Booking.objects.count() == 4

    def test_weeks_required_with_weekdays(self, owner_client, dog):
        data = form_data([dog])
        data.update(repeat_weekdays=["1"], repeat_weeks="")
        response = post(owner_client, data)

        assert "repeat_weeks" in response.context["form"].errors
        assert Booking.objects.count() == 0


def test_coordinates_stored_exactly(owner_client, dog):
    post(owner_client, form_data([dog], latitude="-6.301234", longitude="106.653456"))

    booking = Booking.objects.get()
    assert booking.latitude == Decimal("-6.301234")
    assert booking.area.slug == "gading-serpong"


@time_machine.travel(dt.datetime(2026, 12, 4, 10, 0, tzinfo=WIB), tick=False)
def test_series_sends_one_received_email(
    owner_client, owner, dog, django_capture_on_commit_callbacks
):
    data = form_data([dog], date="2026-12-07", start_time="07:00")
    data.update(repeat_weekdays=["1", "3", "5"], repeat_weeks="4")
    with django_capture_on_commit_callbacks(execute=True):
        post(owner_client, data)

    owner.language = "en"
    owner.save()
    assert Booking.objects.count() == 12
    assert len(mail.outbox) == 1
    assert "12" in mail.outbox[0].body
