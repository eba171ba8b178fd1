"""Pages that list bookings cost the same number of queries for 5 rows or 500."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import BookingFactory, DogFactory, WalkerProfileFactory, walk_start

pytestmark = pytest.mark.usefixtures("english")


def make_bookings(owner, count, walker=None):
    dogs = [DogFactory(owner=owner), DogFactory(owner=owner)]
    for n in range(count):
        BookingFactory(
            owner=owner,
            dogs=dogs,
            walker=walker,
            status="confirmed" if walker else "requested",
            starts_at=walk_start(days=1 + n // 10, hour=6)
            + dt.timedelta(minutes=90 * (n % 10)),
        )


@pytest.mark.parametrize("count", [5, 500])
def test_booking_list_queries_fixed(
    owner_client, owner, count, django_assert_max_num_queries
):
    make_bookings(owner, count, walker=WalkerProfileFactory())

    with django_assert_max_num_queries(10):
        response = owner_client.get(reverse("bookings:list"))
    assert len(response.context["later_bookings"]) == count


@pytest.mark.parametrize("count", [5, 500])
def test_admin_booking_list_queries_fixed(
    staff_client, owner, count, django_assert_max_num_queries
):
    make_bookings(owner, count, walker=WalkerProfileFactory())

    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("admin:bookings_booking_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == count
