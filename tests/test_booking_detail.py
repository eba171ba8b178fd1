"""What the owner's booking page and list show at each stage."""

import pytest
from django.urls import reverse

from bookings.models import Booking
from bookings.services import assign_walker, cancel
from tests.factories import BookingFactory, WalkerProfileFactory

pytestmark = pytest.mark.usefixtures("english")


def detail(client, booking):
    return client.get(
        reverse("bookings:detail", args=[booking.reference])
    ).content.decode()


def test_walk_link_once_confirmed(owner_client, owner, staff, walker):
    booking = BookingFactory(owner=owner)
    assert 'data-testid="walk-link"' not in detail(owner_client, booking)

    assign_walker(booking, walker, staff)
    page = detail(owner_client, booking)

    assert reverse("reports:walk", args=[booking.reference]) in page
    assert reverse("walkers:profile", args=[walker.pk]) in page


def test_history_hides_replaced_walkers(owner_client, owner, staff):
    booking = BookingFactory(owner=owner)
    first = WalkerProfileFactory(user__first_name="Putri", user__last_name="Wulandari")
    second = WalkerProfileFactory(user__first_name="Sri", user__last_name="Handayani")
    assign_walker(booking, first, staff)
    assign_walker(booking, second, staff)
    page = detail(owner_client, booking)

    assert "Walker changed" in page
    assert "Putri" not in page
    assert "Wulandari" not in page
    assert "Handayani" not in page
    assert "Sri" in page


def test_cancelled_booking_promises_no_walker(owner_client, owner):
    booking = BookingFactory(owner=owner)
    cancel(booking, owner)
    page = detail(owner_client, booking)
    listing = owner_client.get(reverse("bookings:list")).content.decode()

    assert "We are finding your walker." not in page
    assert "Walker to be assigned" not in listing
    assert "Free cancellation" in listing
    assert booking.status == Booking.Status.CANCELLED


def test_on_the_way_shown_only_before_start(owner_client, owner, staff, walker):
    from bookings.services import mark_on_the_way

    booking = BookingFactory(owner=owner)
    assign_walker(booking, walker, staff)
    mark_on_the_way(booking, walker)
    assert 'data-testid="on-the-way"' in detail(owner_client, booking)

    booking.transition(Booking.Status.IN_PROGRESS, actor=walker.user)
    assert 'data-testid="on-the-way"' not in detail(owner_client, booking)


@pytest.mark.parametrize(
    ("persona", "hint"),
    [
        ("walker", "Your walks are under My walks."),
        ("partner", "contact the Pompy Go team"),
    ],
)
def test_forbidden_page_fits_role(client, request, persona, hint):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    response = client.get(reverse("bookings:list"))

    assert response.status_code == 403
    assert hint in response.content.decode()
