"""The walker dashboard's list of open offers, which the page fetches again."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Offer
from tests.factories import BookingFactory, WalkerProfileFactory

pytestmark = pytest.mark.django_db

URL = reverse("walkers:offers")


def offer_to(walker, **fields) -> Offer:
    booking = BookingFactory()
    fields.setdefault("expires_at", timezone.now() + dt.timedelta(minutes=10))
    return Offer.objects.create(booking=booking, walker=walker, **fields)


def test_lists_only_own_open_offers(client, walker):
    mine = offer_to(walker)
    expired = offer_to(walker, expires_at=timezone.now() - dt.timedelta(minutes=1))
    declined = offer_to(walker, state=Offer.State.DECLINED)
    someone_elses = offer_to(WalkerProfileFactory())
    client.force_login(walker.user)

    html = client.get(URL).content.decode()

    assert f'data-testid="offer-{mine.pk}"' in html
    for hidden in (expired, declined, someone_elses):
        assert f'data-testid="offer-{hidden.pk}"' not in html
    assert f'hx-get="{URL}"' in html


def test_empty_list_keeps_polling(client, walker):
    client.force_login(walker.user)

    html = client.get(URL).content.decode()

    assert 'data-testid="offers"' not in html
    assert 'hx-trigger="every 10s"' in html


def test_logged_out_gets_bare_401(client):
    response = client.get(URL)

    assert response.status_code == 401
    assert response.content == b""


def test_owner_gets_403(owner_client):
    assert owner_client.get(URL).status_code == 403


@pytest.mark.parametrize("count", [2, 12])
def test_queries_fixed(client, walker, django_assert_max_num_queries, count):
    for _index in range(count):
        offer_to(walker)
    client.force_login(walker.user)

    with django_assert_max_num_queries(6):
        response = client.get(URL)

    assert response.content.decode().count('data-testid="offer-') == count


def test_dashboard_puts_offers_before_walks(client, walker):
    offer = offer_to(walker)
    client.force_login(walker.user)

    html = client.get(reverse("walkers:dashboard")).content.decode()

    assert html.index(f'data-testid="offer-{offer.pk}"') < html.index("today-walks")
    # A verified walker's recruitment record comes last.
    assert html.index("today-walks") < html.index("application-status")
