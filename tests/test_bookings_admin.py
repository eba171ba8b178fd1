"""Ops work in the admin: search, filters and assigning a walker by hand."""

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from bookings.models import Booking
from tests.factories import BookingFactory, DogFactory

pytestmark = pytest.mark.usefixtures("english")

CHANGELIST = "admin:bookings_booking_changelist"

ADMIN_PAGES = [
    "admin:bookings_booking_changelist",
    "admin:bookings_booking_add",
    "admin:bookings_dog_changelist",
    "admin:bookings_area_changelist",
    "admin:bookings_district_changelist",
    "admin:bookings_service_changelist",
    "admin:bookings_bookingpolicy_changelist",
    "admin:bookings_bookingseries_changelist",
    "admin:bookings_bookingevent_changelist",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_open_for_staff(staff_client, page):
    BookingFactory()

    assert staff_client.get(reverse(page)).status_code == 200


@pytest.mark.parametrize("role", ["owner", "walker", "partner"])
def test_admin_closed_to_non_staff(client, db, request, role):
    user = request.getfixturevalue(role)
    client.force_login(getattr(user, "user", user))
    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_booking_change_page_opens(staff_client):
    booking = BookingFactory()
    response = staff_client.get(
        reverse("admin:bookings_booking_change", args=[booking.pk])
    )

    assert response.status_code == 200
    assert booking.reference in response.content.decode()


@pytest.mark.parametrize(
    ("query", "found"),
    [("dewi@contoh", True), ("Milo", True), ("Teuku Umar", True), ("nobody", False)],
)
def test_booking_search(staff_client, owner, query, found):
    booking = BookingFactory(owner=owner, dogs=[DogFactory(owner=owner, name="Milo")])
    response = staff_client.get(reverse(CHANGELIST), {"q": query})

    shown = [b.pk for b in response.context["cl"].result_list]
    assert (booking.pk in shown) is found


def test_booking_filter_by_status(staff_client):
    requested = BookingFactory()
    BookingFactory(status=Booking.Status.CANCELLED)
    response = staff_client.get(reverse(CHANGELIST), {"status__exact": "requested"})

    assert [b.pk for b in response.context["cl"].result_list] == [requested.pk]


def assign(staff_client, bookings, walker=None):
    data = {
        "action": "assign_walker_action",
        ACTION_CHECKBOX_NAME: [b.pk for b in bookings],
    }
    if walker is not None:
        data.update(apply="1", walker=walker.pk)
    return staff_client.post(reverse(CHANGELIST), data, follow=walker is not None)


def test_assign_action_shows_walker_choice(staff_client, walker):
    booking = BookingFactory()
    response = assign(staff_client, [booking])

    assert response.status_code == 200
    assert booking.reference in response.content.decode()
    assert str(walker) in response.content.decode()


def test_assign_action_confirms_bookings(staff_client, staff, walker):
    first = BookingFactory()
    second = BookingFactory(starts_at=first.starts_at + dt.timedelta(hours=2))
    response = assign(staff_client, [first, second], walker)

    for booking in (first, second):
        booking.refresh_from_db()
        assert booking.walker == walker
        assert booking.status == Booking.Status.CONFIRMED
        assert booking.events.get().actor == staff
    assert "2 bookings assigned" in response.content.decode()


def test_assign_action_reports_clash(staff_client, walker):
    first = BookingFactory()
    clash = BookingFactory(starts_at=first.starts_at + dt.timedelta(minutes=30))
    response = assign(staff_client, [first, clash], walker)

    clash.refresh_from_db()
    assert clash.walker is None
    assert clash.status == Booking.Status.REQUESTED
    assert f"{clash.reference}: " in response.content.decode()
    assert "overlapping time" in response.content.decode()


def test_assign_action_rejects_cancelled_booking(staff_client, walker):
    booking = BookingFactory(status=Booking.Status.CANCELLED)
    response = assign(staff_client, [booking], walker)

    booking.refresh_from_db()
    assert booking.walker is None
    assert booking.reference in response.content.decode()


def test_admin_created_booking_has_history(staff_client, staff, owner, dog):
    from bookings.models import Area, Service

    start = dt.datetime(2026, 12, 20, 9, 0)
    response = staff_client.post(
        reverse("admin:bookings_booking_add"),
        {
            "owner": owner.pk,
            "dogs": [dog.pk],
            "service": Service.objects.get(code="walk-30").pk,
            "area": Area.objects.get(slug="jakarta").pk,
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": "09:00:00",
            "ends_at_0": start.strftime("%Y-%m-%d"),
            "ends_at_1": "09:30:00",
            "address": "Jl. Kemang Raya 1",
            "latitude": "-6.261000",
            "longitude": "106.813000",
            "price": "75000",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    booking = Booking.objects.get()
    assert booking.events.get().actor == staff


def test_admin_end_before_start_gets_plain_message(staff_client, owner, dog):
    from bookings.models import Area, Service

    response = staff_client.post(
        reverse("admin:bookings_booking_add"),
        {
            "owner": owner.pk,
            "dogs": [dog.pk],
            "service": Service.objects.get(code="walk-30").pk,
            "area": Area.objects.get(slug="jakarta").pk,
            "starts_at_0": "2026-12-20",
            "starts_at_1": "09:00:00",
            "ends_at_0": "2026-12-20",
            "ends_at_1": "08:00:00",
            "address": "Jl. Kemang Raya 1",
            "latitude": "-6.261000",
            "longitude": "106.813000",
            "price": "75000",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "The end must be after the start." in response.content.decode()
    assert Booking.objects.count() == 0


def test_assigned_booking_times_cannot_be_edited(staff_client, staff, walker):
    from bookings.services import assign_walker

    booking = BookingFactory()
    assign_walker(booking, walker, staff)
    start = booking.starts_at
    url = reverse("admin:bookings_booking_change", args=[booking.pk])
    page = staff_client.get(url)
    form = page.context["adminform"].form

    assert "starts_at" not in form.fields
    assert "dogs" not in form.fields
    staff_client.post(
        url,
        {
            "starts_at_0": "2026-12-30",
            "starts_at_1": "07:30:00",
            "address": booking.address,
            "latitude": "-6.196000",
            "longitude": "106.832000",
            "price": str(booking.price),
            "access_notes": "",
            "handover_notes": "",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "offers-TOTAL_FORMS": "0",
            "offers-INITIAL_FORMS": "0",
        },
    )
    booking.refresh_from_db()
    assert booking.starts_at == start


@pytest.mark.parametrize(
    ("language", "header"), [("en", "Pompy Go ops"), ("id", "Tim ops Pompy Go")]
)
def test_admin_named_for_pompy_go(staff_client, language, header):
    staff_client.cookies["django_language"] = language

    html = staff_client.get(reverse("admin:index")).content.decode()

    assert header in html
    assert "Django" not in html.split("<body", 1)[1].split("</header>", 1)[0]
