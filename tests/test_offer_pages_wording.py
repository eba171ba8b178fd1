"""The walker's offer page in both languages: the decline form and closed offers."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, District, Offer
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


def test_open_offer_shows_answer_buttons(walker_client, offer):
    choose_language(walker_client, "en")
    page = offer_page(walker_client, offer)
    assert 'data-testid="accept-offer"' in page
    assert 'data-testid="decline-form"' in page
    assert "Read about the dogs before you answer" in page


@pytest.fixture
def past_offer(offer) -> Offer:
    """An offer past its expiry time that the expiry job has not closed yet."""
    Offer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    offer.refresh_from_db()
    assert offer.state == Offer.State.SENT
    return offer


@pytest.mark.parametrize(
    ("language", "expired", "sent"),
    [
        ("en", "This offer expired at", "Sent"),
        ("id", "Tawaran ini kedaluwarsa pukul", "Terkirim"),
    ],
)
def test_past_offer_shown_as_expired(
    walker_client, past_offer, language, expired, sent
):
    choose_language(walker_client, language)
    page = offer_page(walker_client, past_offer)
    closed = page.split('data-testid="offer-closed"')[1].split("</div>")[0]
    assert expired in closed
    assert sent not in closed


def test_past_offer_has_no_answer_prompt(walker_client, past_offer):
    choose_language(walker_client, "en")
    page = offer_page(walker_client, past_offer)
    assert "before you answer" not in page
    assert 'data-testid="accept-offer"' not in page
    assert 'data-testid="decline-form"' not in page
    # The dogs stay readable, for a walker who wants to know what was offered.
    assert 'data-testid="dog"' in page


def test_past_offer_cannot_be_accepted(walker_client, past_offer):
    url = reverse("walkers:accept-offer", args=[past_offer.pk])
    response = walker_client.post(url)
    assert response.status_code == 409
    assert Booking.objects.get(pk=past_offer.booking_id).walker is None


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (Offer.State.ACCEPTED, "This offer is closed: Accepted."),
        (Offer.State.DECLINED, "This offer is closed: Declined."),
        (Offer.State.WITHDRAWN, "This offer is closed: Withdrawn."),
        (Offer.State.EXPIRED, "This offer expired at"),
    ],
)
def test_closed_offer_states(walker_client, offer, state, text):
    Offer.objects.filter(pk=offer.pk).update(state=state)
    choose_language(walker_client, "en")
    page = offer_page(walker_client, offer)
    assert text in page
    assert "before you answer" not in page
    assert 'data-testid="accept-offer"' not in page
