"""A whole walk in Chromium: the walker on a phone, the owner watching live.

The walker starts the walk with the pick-up checklist, sends a photo with
GPS in its EXIF, walks a trail with emulated geolocation, presses the
emergency button and files the report. In a second browser context the
owner sees the updates arrive without reloading, then rates the walk. The
pages are in Bahasa Indonesia, so checks use test ids and the database.
"""

import datetime as dt
import io
import re
from pathlib import Path

from django.core import mail
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from bookings.models import Booking
from reports import services
from reports.models import Incident, Review, WalkMedia
from tests.factories import (
    BookingFactory,
    DogFactory,
    UserFactory,
    WalkerProfileFactory,
)
from tests.test_walk_support import PICKUP_CHECKLIST, jpeg_bytes, upload

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MENTENG = {"latitude": -6.1961, "longitude": 106.832}
LIVE_TIMEOUT_MS = 15_000


def walk_trail(page: Page, first_step: int = 1) -> None:
    # About 2 m every half second, a brisk walk, so no fix looks like a jump.
    for step in range(first_step, first_step + 6):
        page.context.set_geolocation(
            {"latitude": MENTENG["latitude"] - 0.00002 * step, "longitude": 106.832}
        )
        page.wait_for_timeout(500)
    page.evaluate("window.pompygoWalk.flush()")


def fill_report(page: Page) -> None:
    page.locator("[name=dropoff_photo]").set_input_files(
        str(FIXTURES / "orientation-Portrait_6.jpg")
    )
    page.locator("[name=handed_over_to]").fill("Ibu Ani")
    for name in ("leash_removed", "peed", "dog_condition", "water", "behaviour"):
        page.locator(f"[name={name}]").first.check()
    page.locator("[name=pooed]").nth(1).check()
    # The emergency of the walk presets "Yes", which the report requires.
    expect(page.locator("[name=had_incident]").first).to_be_checked()
    page.locator("[name=incident_notes]").fill("Milo pulled free; caught at once.")
    page.locator("[name=notes_for_owner]").fill("Milo loved the park.")


def test_walker_runs_walk_owner_watches_and_rates(
    phone_page, desktop_page, log_in, browser_events, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    owner = UserFactory(email="dewi@contoh.co.id", first_name="Dewi")
    walker = WalkerProfileFactory(user__first_name="Agus")
    booking = BookingFactory(
        owner=owner,
        dogs=[DogFactory(owner=owner, name="Milo")],
        walker=walker,
        status=Booking.Status.CONFIRMED,
        starts_at=timezone.now() - dt.timedelta(minutes=5),
    )
    walker_page, owner_page = phone_page, desktop_page
    walker_page.context.grant_permissions(["geolocation"])
    walker_page.context.set_geolocation(MENTENG)
    log_in(walker_page, walker.user)
    log_in(owner_page, owner)

    # Pick-up.
    walker_page.goto(f"/walkers/me/walks/{booking.reference}/")
    walker_page.get_by_test_id("start-walk").click()
    for name in ("handed_over", "leash_checked", "id_tag_on"):
        walker_page.locator(f"[name={name}]").check()
    walker_page.locator("[name=dog_condition]").fill("Ceria")
    walker_page.locator("[name=photo]").set_input_files(
        str(FIXTURES / "gps-nikon-DSCN0010.jpg")
    )
    expect(walker_page.locator("[name=latitude]")).to_have_value("-6.196100")
    walker_page.get_by_test_id("start-walk").click()
    expect(walker_page).to_have_url(re.compile(r"/run/$"))

    owner_page.goto(f"/walk/{booking.reference}/")
    expect(owner_page.get_by_test_id("walk-feed")).to_have_attribute(
        "data-status", "in_progress"
    )
    expect(owner_page.get_by_test_id("event-started")).to_be_visible()
    expect(owner_page.get_by_test_id("media-count")).to_have_text("1")

    # A photo update arrives on the owner's page without a reload.
    walker_page.get_by_test_id("caption").fill("Di taman")
    walker_page.get_by_test_id("gallery-input").set_input_files(
        str(FIXTURES / "gps-nikon-DSCN0010.jpg")
    )
    expect(walker_page.get_by_test_id("upload-item")).to_have_attribute(
        "data-state", "sent"
    )
    expect(owner_page.get_by_test_id("media-count")).to_have_text(
        "2", timeout=LIVE_TIMEOUT_MS
    )
    expect(owner_page.get_by_text("Di taman")).to_be_visible()

    # The trail reaches the owner's map drawing.
    walk_trail(walker_page)
    expect(owner_page.get_by_test_id("route-svg")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    assert booking.track_points.count() >= 3

    # Emergency.
    walker_page.once("dialog", lambda dialog: dialog.accept())
    walker_page.get_by_test_id("emergency").click()
    expect(walker_page.get_by_test_id("emergency-raised")).to_be_visible()
    expect(walker_page.get_by_test_id("first-aid")).to_be_visible()
    incident = Incident.objects.get(booking=booking)
    assert incident.latitude is not None
    assert any(owner.email in message.to for message in mail.outbox)
    expect(owner_page.get_by_test_id("event-incident")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )

    # The trail keeps recording on the emergency page.
    points_before = booking.track_points.count()
    walk_trail(walker_page, first_step=7)
    walker_page.wait_for_function("window.pompygoWalk.pending().length === 0")
    assert booking.track_points.count() > points_before

    # Drop-off and report.
    walker_page.goto(f"/walk/{booking.reference}/report/")
    walker_page.get_by_test_id("file-report").click()
    expect(walker_page.get_by_test_id("report-errors")).to_be_visible()
    fill_report(walker_page)
    walker_page.get_by_test_id("file-report").click()
    expect(walker_page).to_have_url(re.compile(r"/walkers/me/walks/"))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    draft_key = f"walk-report-{booking.reference}"
    walker_page.wait_for_load_state("load")
    assert walker_page.evaluate(f"localStorage.getItem('{draft_key}')") is None

    # The owner's page reloads itself into the report, and the owner rates.
    expect(owner_page.get_by_test_id("report")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    owner_page.locator("[name=rating][value='5']").check()
    owner_page.locator("[name=text]").fill("Agus sangat baik")
    owner_page.locator("[name=tip]").fill("20000")
    owner_page.get_by_test_id("submit-review").click()
    expect(owner_page.get_by_test_id("review")).to_be_visible()
    review = Review.objects.get(booking=booking)
    assert (review.rating, review.tip) == (5, 20000)

    # Every stored photo is upright and free of metadata.
    photos = WalkMedia.objects.filter(booking=booking, kind="photo")
    assert photos.count() == 3
    for photo in photos:
        with photo.file.open("rb") as stored:
            image = Image.open(io.BytesIO(stored.read()))
        assert image.format == "JPEG"
        assert not image.getexif()
    dropoff = photos.get(phase="dropoff")
    assert dropoff.height > dropoff.width
    assert browser_events.page_errors == []


def test_failed_upload_shown_red_with_retry(
    phone_page, log_in, browser_events, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    owner = UserFactory()
    walker = WalkerProfileFactory()
    booking = BookingFactory(
        owner=owner,
        dogs=[DogFactory(owner=owner)],
        walker=walker,
        status=Booking.Status.CONFIRMED,
        starts_at=timezone.now() - dt.timedelta(minutes=5),
    )
    services.start_walk(
        booking,
        walker_user=walker.user,
        checklist=PICKUP_CHECKLIST,
        photo=upload(jpeg_bytes()),
        latitude=None,
        longitude=None,
    )
    log_in(phone_page, walker.user)
    phone_page.goto(f"/walk/{booking.reference}/run/")
    not_a_photo = tmp_path / "notes.jpg"
    not_a_photo.write_bytes(b"just some text, not a photo")

    phone_page.get_by_test_id("gallery-input").set_input_files(str(not_a_photo))

    item = phone_page.get_by_test_id("upload-item")
    expect(item).to_have_attribute("data-state", "error")
    expect(item.locator(".progress-bar")).to_have_class(re.compile(r"\bbg-danger\b"))
    expect(phone_page.get_by_test_id("upload-retry")).to_be_visible()
    phone_page.get_by_test_id("upload-retry").click()
    expect(item).to_have_attribute("data-state", "error")
    assert booking.walk_media.count() == 1
    assert browser_events.page_errors == []
