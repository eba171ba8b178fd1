"""Access to the booking pages by role, and no owner reaching another's data."""

import pytest
from django.urls import reverse

from bookings.models import Booking, BookingSeries
from tests.factories import BookingFactory, UserFactory

pytestmark = pytest.mark.usefixtures("english")

ROLES = ["owner", "other_owner", "walker", "partner", "staff", "anonymous"]


@pytest.fixture
def booking(owner, dog):
    series = BookingSeries.objects.create(
        owner=owner, weekdays="1", start_time="07:00", first_date="2026-12-07", weeks=1
    )
    return BookingFactory(owner=owner, dogs=[dog], series=series)


def login_as(client, role, request):
    if role == "anonymous":
        return client
    user = request.getfixturevalue(role)
    client.force_login(getattr(user, "user", user))
    return client


def urls(booking):
    return {
        "list": reverse("bookings:list"),
        "create": reverse("bookings:create"),
        "detail": reverse("bookings:detail", args=[booking.reference]),
        "series": reverse("bookings:series", args=[booking.series_id]),
    }


# What each role gets on GET: 200 for the booking's owner, 404 where the page
# shows one booking of someone else, 403 for accounts that are not owners,
# and the login page for visitors.
EXPECTED = {
    "owner": {"list": 200, "create": 200, "detail": 200, "series": 200},
    "other_owner": {"list": 200, "create": 200, "detail": 404, "series": 404},
    "walker": {"list": 403, "create": 403, "detail": 403, "series": 403},
    "partner": {"list": 403, "create": 403, "detail": 403, "series": 403},
    "staff": {"list": 403, "create": 403, "detail": 403, "series": 403},
    "anonymous": {"list": 302, "create": 302, "detail": 302, "series": 302},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["list", "create", "detail", "series"])
def test_page_access_by_role(client, request, booking, role, page):
    response = login_as(client, role, request).get(urls(booking)[page])

    assert response.status_code == EXPECTED[role][page]
    if role == "anonymous":
        assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("role", ROLES)
def test_cancel_by_role(client, request, booking, role):
    response = login_as(client, role, request).post(
        reverse("bookings:cancel", args=[booking.reference])
    )

    booking.refresh_from_db()
    if role == "owner":
        assert response.status_code == 302
        assert booking.status == Booking.Status.CANCELLED
    else:
        assert response.status_code in {302, 403, 404}
        assert booking.status == Booking.Status.REQUESTED


def test_cancel_needs_post(owner_client, booking):
    response = owner_client.get(reverse("bookings:cancel", args=[booking.reference]))

    assert response.status_code == 405
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED


@pytest.mark.parametrize("reference", ["AAAAAAAA", "23456789", "x", "%00"])
def test_guessed_reference_404(owner_client, booking, reference):
    response = owner_client.get(f"/bookings/{reference}/")

    assert response.status_code == 404


def test_guessed_series_id_404(owner_client, booking):
    response = owner_client.get(
        reverse("bookings:series", args=[booking.series_id + 1])
    )

    assert response.status_code == 404


def test_list_shows_only_own_bookings(client, booking, other_owner):
    strangers = BookingFactory(owner=other_owner)
    client.force_login(other_owner)
    response = client.get(reverse("bookings:list"))

    shown = [b.pk for b in response.context["later_bookings"]]
    assert shown == [strangers.pk]
    assert booking.reference not in response.content.decode()


def test_access_notes_not_in_list(owner_client, booking):
    booking.access_notes = "Lockbox 9876"
    booking.save()
    response = owner_client.get(reverse("bookings:list"))

    assert "9876" not in response.content.decode()


def test_unverified_email_cannot_log_in_to_book(client, db):
    user = UserFactory(verified=False)
    user.emailaddress_set.update(verified=False)
    client.post(
        reverse("account_login"),
        {"login": user.email, "password": "kata-sandi-rahasia"},
    )
    response = client.get(reverse("bookings:list"))

    assert response.status_code == 302
