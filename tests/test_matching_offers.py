"""The offer workflow: sent, accepted, declined, expired, escalated; and its pages."""

import datetime as dt
import uuid
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bookings import signals
from bookings.matching import (
    OfferUnavailable,
    accept_offer,
    decline_offer,
    expire_offers,
    match,
    sweep,
)
from bookings.models import (
    Area,
    Booking,
    BookingMatch,
    District,
    MatchRun,
    Offer,
    Service,
)
from bookings.services import BookingDetails, assign_walker, book, cancel
from tests.factories import MENTENG, BookingFactory, WalkerProfileFactory, walk_start
from walkers.demo import make_available, make_verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def ready(name: str, district: str = "Menteng", **fields: Any) -> Any:
    walker = WalkerProfileFactory(user__first_name=name, **fields)
    make_verified(walker)
    return make_available(walker, District.objects.get(name=district))


@pytest.fixture
def agus(walker):
    make_verified(walker)
    return make_available(walker, District.objects.get(name="Menteng"))


@pytest.fixture
def sent():
    """The matching signals sent during the test, by name."""
    record: dict[str, list[dict[str, Any]]] = {}
    names = ["offer_sent", "offer_expired", "offer_accepted", "booking_escalated"]
    receivers = {}
    for name in names:

        def receiver(sender, name=name, **kwargs):
            record.setdefault(name, []).append(kwargs)

        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    yield record
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def book_walk(owner, dog, starts_at=None) -> Booking:
    details = BookingDetails(
        dogs=[dog],
        service=Service.objects.get(code="walk-60"),
        area=Area.objects.get(slug="jakarta"),
        address="Jl. Teuku Umar No. 10, Menteng",
        latitude=MENTENG[0],
        longitude=MENTENG[1],
    )
    booking, _created = book(owner, details, starts_at or walk_start(), uuid.uuid4())
    return booking


@pytest.fixture
def booked(owner, dog, django_capture_on_commit_callbacks):
    def make(starts_at=None) -> Booking:
        with django_capture_on_commit_callbacks(execute=True):
            return book_walk(owner, dog, starts_at)

    return make


def open_offer(booking: Booking) -> Offer:
    return Offer.objects.get(booking=booking, state=Offer.State.SENT)


def test_new_booking_offered_to_best_walker(agus, booked, sent):
    ready("Tebet", "Tebet")
    booking = booked()
    offer = open_offer(booking)
    assert offer.walker == agus
    assert sent["offer_sent"][0]["offer"] == offer
    assert BookingMatch.objects.get(booking=booking).state == "offered"
    run = MatchRun.objects.get(booking=booking)
    assert run.trigger == "created"
    assert run.candidates[0]["walker"] == agus.pk


def test_offer_expires_at_set_time(agus, booked, settings):
    settings.MATCHING_OFFER_TIMEOUT_MINUTES = 7
    offer = open_offer(booked())
    assert offer.expires_at - offer.sent_at == dt.timedelta(minutes=7)


def test_rolled_back_booking_queues_nothing(
    agus, owner, dog, django_capture_on_commit_callbacks
):
    class Abandon(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abandon),
        transaction.atomic(),
    ):
        book_walk(owner, dog)
        raise Abandon
    assert callbacks == []
    assert not Offer.objects.exists()


def test_gone_booking_ends_quietly():
    assert match(987654, "created") == "gone"


def test_matching_twice_sends_one_offer(agus, booked, sent):
    booking = booked()
    assert match(booking.pk, "created") == "offer out"
    assert Offer.objects.filter(booking=booking).count() == 1
    assert len(sent["offer_sent"]) == 1


def test_accept_assigns_walker(agus, booked, sent):
    booking = booked()
    offer = open_offer(booking)
    accept_offer(offer, agus)
    booking.refresh_from_db()
    offer.refresh_from_db()
    assert booking.walker == agus
    assert booking.status == Booking.Status.CONFIRMED
    assert offer.state == Offer.State.ACCEPTED
    assert sent["offer_accepted"][0]["booking"] == booking
    assert BookingMatch.objects.get(booking=booking).state == "assigned"


def test_decline_offers_next_candidate(
    agus, booked, sent, django_capture_on_commit_callbacks
):
    tebet = ready("Tebet", "Tebet")
    booking = booked()
    with django_capture_on_commit_callbacks(execute=True):
        decline_offer(open_offer(booking), agus, Offer.DeclineReason.TOO_FAR, "macet")
    declined = Offer.objects.get(booking=booking, walker=agus)
    assert declined.state == Offer.State.DECLINED
    assert declined.decline_reason == "too_far"
    assert declined.note == "macet"
    assert open_offer(booking).walker == tebet
    assert BookingMatch.objects.get(booking=booking).refusals == 1


def test_unanswered_offer_expires_to_next(
    agus, booked, sent, settings, django_capture_on_commit_callbacks
):
    tebet = ready("Tebet", "Tebet")
    booking = booked()
    first = open_offer(booking)
    later = timezone.now() + dt.timedelta(
        minutes=settings.MATCHING_OFFER_TIMEOUT_MINUTES
    )
    with (
        time_machine.travel(later + dt.timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert expire_offers() == 1
    first.refresh_from_db()
    assert first.state == Offer.State.EXPIRED
    assert sent["offer_expired"][0]["offer"].pk == first.pk
    assert open_offer(booking).walker == tebet


def test_expired_offer_cannot_be_accepted(agus, booked, settings):
    offer = open_offer(booked())
    later = timezone.now() + dt.timedelta(
        minutes=settings.MATCHING_OFFER_TIMEOUT_MINUTES
    )
    with (
        time_machine.travel(later + dt.timedelta(seconds=1), tick=False),
        pytest.raises(OfferUnavailable),
    ):
        accept_offer(offer, agus)
    assert Booking.objects.get(pk=offer.booking_id).walker is None


def test_declines_escalate_to_ops(
    agus, booked, sent, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_MAX_DECLINES = 2
    second = ready("Tebet", "Tebet")
    ready("Kemang", "Kemang")
    booking = booked()
    for walker in (agus, second):
        with django_capture_on_commit_callbacks(execute=True):
            decline_offer(open_offer(booking), walker, Offer.DeclineReason.BUSY)
    state = BookingMatch.objects.get(booking=booking)
    assert state.state == BookingMatch.State.ESCALATED
    assert state.escalation_reason == "declines"
    assert not Offer.objects.filter(booking=booking, state="sent").exists()
    assert [s["booking"] for s in sent["booking_escalated"]] == [booking]
    assert sent["booking_escalated"][0]["reason"] == "declines"
    # Run again: nothing new happens and no second alert.
    assert match(booking.pk, "sweeper") == "in the ops queue"
    assert len(sent["booking_escalated"]) == 1


def test_close_walk_escalates(agus, booked, sent, settings):
    settings.MATCHING_ESCALATE_BEFORE_MINUTES = 6 * 60
    booking = booked(
        timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=3)
    )
    assert not Offer.objects.filter(booking=booking).exists()
    assert sent["booking_escalated"][0]["reason"] == "starts_soon"


def test_offer_out_escalates_when_walk_draws_close(
    agus, booked, sent, settings, django_capture_on_commit_callbacks
):
    booking = booked()
    open_offer(booking)
    # The walk is now within the escalation lead time, its offer still out.
    settings.MATCHING_ESCALATE_BEFORE_MINUTES = 4 * 24 * 60
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep() == 1
    assert sent["booking_escalated"][0]["reason"] == "starts_soon"
    # The walker may still accept, which takes the booking out of the queue.
    accept_offer(open_offer(booking), agus)
    assert BookingMatch.objects.get(booking=booking).state == "assigned"


def test_offer_expires_before_walk_goes_to_ops(agus, booked, settings):
    offer = open_offer(booked())
    lead = dt.timedelta(minutes=settings.MATCHING_ESCALATE_BEFORE_MINUTES)
    assert offer.expires_at <= offer.booking.starts_at - lead


def test_no_candidate_escalates(booked, sent):
    booking = booked()
    [escalation] = sent["booking_escalated"]
    assert escalation["booking"] == booking
    assert escalation["reason"] == "no_candidates"
    assert BookingMatch.objects.get(booking=booking).state == "escalated"


def test_booking_waits_while_walker_answers_clashing_offer(agus, booked, sent):
    first = booked(walk_start())
    assert open_offer(first).walker == agus

    second = booked(walk_start() + dt.timedelta(minutes=30))

    assert "booking_escalated" not in sent
    assert BookingMatch.objects.get(booking=second).state == "waiting"
    assert not Offer.objects.filter(booking=second).exists()


def test_declined_offer_wakes_waiting_booking(
    agus, booked, sent, django_capture_on_commit_callbacks
):
    first = booked(walk_start())
    second = booked(walk_start() + dt.timedelta(minutes=30))

    with django_capture_on_commit_callbacks(execute=True):
        decline_offer(open_offer(first), agus, Offer.DeclineReason.BUSY)

    assert open_offer(second).walker == agus
    assert MatchRun.objects.filter(booking=second, trigger="walker_free").exists()
    # The declined booking has no other walker, and no offer keeps it waiting.
    assert BookingMatch.objects.get(booking=first).state == "escalated"


def test_expired_offer_wakes_waiting_booking(
    agus, booked, django_capture_on_commit_callbacks
):
    first = booked(walk_start())
    second = booked(walk_start() + dt.timedelta(minutes=30))
    offer = open_offer(first)

    with (
        time_machine.travel(offer.expires_at + dt.timedelta(seconds=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        expire_offers()

    assert open_offer(second).walker == agus


def test_offer_for_distant_time_does_not_hold_booking(agus, booked, sent):
    booked(walk_start())

    later = booked(walk_start() + dt.timedelta(hours=4))

    assert open_offer(later).walker == agus


def test_trusted_walker_assigned_without_offer(agus, booked, settings, sent):
    settings.MATCHING_AUTO_ASSIGN_LEVELS = ["mentor"]
    agus.level = "mentor"
    agus.save()
    booking = booked()
    booking.refresh_from_db()
    assert booking.walker == agus
    assert booking.status == Booking.Status.CONFIRMED
    assert not Offer.objects.exists()
    assert "offer_sent" not in sent


def test_untrusted_walker_still_gets_offer(agus, booked, settings):
    settings.MATCHING_AUTO_ASSIGN_LEVELS = ["mentor"]
    booking = booked()
    assert open_offer(booking).walker == agus
    assert Booking.objects.get(pk=booking.pk).walker is None


def test_cancelled_booking_withdraws_offer(agus, booked, owner):
    booking = booked()
    cancel(Booking.objects.get(pk=booking.pk), owner)
    offer = Offer.objects.get(booking=booking)
    assert offer.state == Offer.State.WITHDRAWN
    assert BookingMatch.objects.get(booking=booking).state == "closed"
    with pytest.raises(OfferUnavailable):
        accept_offer(offer, agus)


def test_manual_assignment_withdraws_offer(agus, booked, staff):
    other = ready("Budi", "Tebet")
    booking = booked()
    offer = open_offer(booking)
    assign_walker(Booking.objects.get(pk=booking.pk), other, staff)
    offer.refresh_from_db()
    assert offer.state == Offer.State.WITHDRAWN
    with pytest.raises(OfferUnavailable):
        accept_offer(offer, agus)
    assert Booking.objects.get(pk=booking.pk).walker == other


def test_sweeper_matches_booking_whose_task_was_lost(
    agus, django_capture_on_commit_callbacks
):
    # Made without its on-commit callbacks, as if Redis were down.
    booking = BookingFactory()
    assert not Offer.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep() == 1
    assert open_offer(booking).walker == agus
    assert sweep() == 0


# The walker's pages.


@pytest.fixture
def offer(agus, owner, dog, booked):
    dog.temperament = "Shy with men in hats"
    dog.medical_notes = "Allergic to chicken"
    dog.save()
    return open_offer(booked())


def offer_url(offer, name="walkers:offer"):
    return reverse(name, args=[offer.pk])


def test_dashboard_lists_open_offer(client, offer, agus):
    client.force_login(agus.user)
    page = client.get(reverse("walkers:dashboard")).content.decode()
    assert f'data-testid="offer-{offer.pk}"' in page


def test_offer_page_shows_dog_notes(client, offer, agus):
    client.force_login(agus.user)
    response = client.get(offer_url(offer))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Shy with men in hats" in page
    assert "Allergic to chicken" in page
    # The exact address waits until the walk is accepted.
    assert offer.booking.address not in page


def test_offer_page_logged_out_redirects(client, offer):
    response = client.get(offer_url(offer))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "accounts" in response["Location"]


def test_offer_page_for_owner_forbidden(owner_client, offer):
    assert owner_client.get(offer_url(offer)).status_code == 403


def test_offer_page_of_other_walker_404(client, offer):
    other = ready("Budi")
    client.force_login(other.user)
    assert client.get(offer_url(offer)).status_code == 404
    assert client.post(offer_url(offer, "walkers:accept-offer")).status_code == 404
    assert client.post(offer_url(offer, "walkers:decline-offer")).status_code == 404
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.SENT


def test_accept_page_assigns_and_redirects(client, offer, agus):
    client.force_login(agus.user)
    response = client.post(offer_url(offer, "walkers:accept-offer"))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "walkers:walk", args=[offer.booking.reference]
    )
    assert Booking.objects.get(pk=offer.booking_id).walker == agus


def test_accept_needs_post(client, offer, agus):
    client.force_login(agus.user)
    assert client.get(offer_url(offer, "walkers:accept-offer")).status_code == 405


def test_accept_taken_offer_shows_clear_page(client, offer, agus, staff):
    assign_walker(
        Booking.objects.get(pk=offer.booking_id), ready("Budi", "Tebet"), staff
    )
    client.force_login(agus.user)
    response = client.post(offer_url(offer, "walkers:accept-offer"))
    assert response.status_code == 409
    assert "Offer no longer available" in response.content.decode()


def test_taken_offer_page_gives_reason(client, offer, agus, owner):
    cancel(Booking.objects.get(pk=offer.booking_id), owner)
    client.force_login(agus.user)

    response = client.post(offer_url(offer, "walkers:accept-offer"))

    assert response.status_code == 409
    assert "<strong>Reason:</strong> Withdrawn" in response.content.decode()


def test_accept_twice_goes_to_the_walk(client, offer, agus):
    client.force_login(agus.user)
    url = offer_url(offer, "walkers:accept-offer")
    client.post(url)

    response = client.post(url, follow=True)

    booking = Booking.objects.get(pk=offer.booking_id)
    assert response.redirect_chain == [
        (reverse("walkers:walk", args=[booking.reference]), 302)
    ]
    assert "You have already accepted this walk." in response.content.decode()
    assert booking.walker == agus


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "reason", "Choose why you are declining."),
        ({"reason": "bored"}, "reason", "Select a valid choice."),
        ({"reason": "other", "note": "  "}, "note", "Tell us the reason"),
        ({"reason": "busy", "note": "x" * 256}, "note", "at most 255 characters"),
    ],
)
def test_decline_bad_input_saves_nothing(client, offer, agus, data, field, message):
    client.force_login(agus.user)
    response = client.post(offer_url(offer, "walkers:decline-offer"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field])
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.SENT


def test_decline_page_records_reason(
    client, offer, agus, django_capture_on_commit_callbacks
):
    client.force_login(agus.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            offer_url(offer, "walkers:decline-offer"),
            {"reason": "other", "note": "Motor rusak"},
        )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.state == Offer.State.DECLINED
    assert offer.note == "Motor rusak"


def test_decline_closed_offer_shows_clear_page(client, offer, agus, owner):
    cancel(Booking.objects.get(pk=offer.booking_id), owner)
    client.force_login(agus.user)
    response = client.post(
        offer_url(offer, "walkers:decline-offer"), {"reason": "busy"}
    )
    assert response.status_code == 409
    assert "Offer no longer available" in response.content.decode()
