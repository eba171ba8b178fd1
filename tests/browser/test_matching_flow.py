"""A booked walk is offered to a walker's phone, accepted, and shown to the owner.

The booking goes through the same service as the booking form, and its
matching runs in-process once it commits (tasks are eager in the tests).
The pages are in Bahasa Indonesia, so checks use test ids and the database.
"""

import re
import uuid

from playwright.sync_api import expect

from bookings.models import Area, Booking, District, Offer, Service
from bookings.services import BookingDetails, book
from tests.factories import MENTENG, DogFactory, walk_start
from walkers import views as walker_views
from walkers.demo import make_available, make_verified


def book_in_menteng(owner, dog) -> Booking:
    """Book a walk through the booking form's service; its matching runs on commit."""
    booking, _created = book(
        owner,
        BookingDetails(
            dogs=[dog],
            service=Service.objects.get(code="walk-60"),
            area=Area.objects.get(slug="jakarta"),
            address="Jl. Teuku Umar No. 10, Menteng",
            latitude=MENTENG[0],
            longitude=MENTENG[1],
        ),
        walk_start(),
        uuid.uuid4(),
    )
    return booking


def test_walker_accepts_offer_on_phone(
    phone_page, log_in, owner, walker, staff, browser_events
):
    make_verified(walker, staff)
    make_available(walker, District.objects.get(name="Menteng"))
    dog = DogFactory(
        owner=owner,
        name="Milo",
        temperament="Takut petir, suka menarik tali",
        medical_notes="Alergi ayam",
    )
    booking = book_in_menteng(owner, dog)
    offer = Offer.objects.get(booking=booking, state=Offer.State.SENT)
    assert offer.walker == walker

    log_in(phone_page, walker.user)
    phone_page.goto("/walkers/me/")
    phone_page.get_by_test_id(f"offer-{offer.pk}").click()
    expect(phone_page).to_have_url(re.compile(f"/walkers/me/offers/{offer.pk}/$"))
    expect(phone_page.get_by_test_id("temperament")).to_contain_text("Takut petir")
    expect(phone_page.get_by_test_id("medical-notes")).to_contain_text("Alergi ayam")
    accept = phone_page.get_by_test_id("accept-offer")
    box = accept.bounding_box()
    assert box is not None
    assert box["width"] <= 390
    accept.click()
    expect(phone_page).to_have_url(
        re.compile(f"/walkers/me/walks/{booking.reference}/$")
    )
    booking.refresh_from_db()
    assert booking.walker == walker
    assert booking.status == Booking.Status.CONFIRMED

    phone_page.context.clear_cookies()
    log_in(phone_page, owner)
    phone_page.goto(f"/bookings/{booking.reference}/")
    expect(phone_page.locator("main")).to_contain_text(walker.user.first_name)
    assert browser_events.page_errors == []
    assert browser_events.blocked_urls == []


def test_new_offer_shows_on_open_dashboard(
    phone_page, log_in, owner, walker, staff, browser_events, monkeypatch
):
    monkeypatch.setattr(walker_views, "OFFERS_REFRESH_SECONDS", 1)
    make_verified(walker, staff)
    make_available(walker, District.objects.get(name="Menteng"))
    log_in(phone_page, walker.user)
    phone_page.goto("/walkers/me/")
    expect(phone_page.get_by_test_id("today-walks")).to_be_visible()

    # Booked while the walker's page stays open, with no reload.
    booking = book_in_menteng(owner, DogFactory(owner=owner, name="Milo"))
    offer = Offer.objects.get(booking=booking, state=Offer.State.SENT)

    expect(phone_page.get_by_test_id(f"offer-{offer.pk}")).to_be_visible(timeout=10_000)
    # The offers come before the walks on a phone's first screen.
    offers_top = phone_page.get_by_test_id("offers").bounding_box()
    walks_top = phone_page.get_by_test_id("today-walks").bounding_box()
    assert offers_top is not None and walks_top is not None
    assert offers_top["y"] < walks_top["y"]
    assert browser_events.page_errors == []
    assert browser_events.blocked_urls == []
