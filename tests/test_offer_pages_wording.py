"""The walker's offer page in both languages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import District, Offer
from tests.factories import BookingFactory
from walkers.demo import make_available, make_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def agus(walker):
    make_verified(walker)
    return make_available(walker, District.objects.get(name="Menteng"))


@pytest.fixture
def offer(agus) -> Offer:
    return Offer.objects.create(
        booking=BookingFactory(),
        walker=agus,
        expires_at=timezone.now() + dt.timedelta(minutes=20),
    )


@pytest.fixture
def walker_client(client, agus):
    client.force_login(agus.user)
    return client


def choose_language(client, language: str) -> None:
    response = client.post(reverse("set_language"), {"language": language})
    assert response.status_code == 302


def offer_page(client, offer: Offer) -> str:
    return client.get(reverse("walkers:offer", args=[offer.pk])).content.decode()


def test_decline_form_labels_in_english(walker_client, offer):
    choose_language(walker_client, "en")
    page = offer_page(walker_client, offer)
    assert "Why not?" in page
    assert "Anything to add (optional)" in page
    assert "Kenapa tidak?" not in page


def test_decline_form_labels_in_indonesian(walker_client, offer):
    choose_language(walker_client, "id")
    page = offer_page(walker_client, offer)
    assert "Kenapa tidak?" in page
    assert "Why not?" not in page
