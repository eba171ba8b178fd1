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


def test_decline_reason_starts_empty(walker_client, offer):
    choose_language(walker_client, "en")
    page = offer_page(walker_client, offer)
    select = page.split('name="reason"')[1].split("</select>")[0]
    first_option = select.split("<option")[1]
    assert 'value=""' in first_option
    assert "Choose a reason" in first_option
    assert "selected" not in select


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Choose why you are declining."), ("id", "Pilih alasan Anda menolak.")],
)
def test_decline_without_reason_saves_nothing(walker_client, offer, language, message):
    choose_language(walker_client, language)
    url = reverse("walkers:decline-offer", args=[offer.pk])
    response = walker_client.post(url, {"reason": "", "note": ""})
    assert response.status_code == 200
    assert message in response.content.decode()
    offer.refresh_from_db()
    assert offer.state == Offer.State.SENT
    assert offer.decline_reason == ""
