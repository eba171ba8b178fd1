"""A new owner, from sign-up to a cancelled walk, in Chromium.

Runs once at desktop size and once at phone size. Map tiles cannot load
(every outside request is aborted), so the location comes from the
district list, as it must for owners whose browser cannot reach the tiles.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from bookings.models import Booking, Dog

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)")


def open_menu(page: Page) -> None:
    """Open the collapsed navigation menu on a phone; a no-op on a desktop."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()


def sign_up_and_confirm(page: Page) -> User:
    page.goto("/accounts/signup/")
    page.locator("[name=email]").fill("Dewi.Baru@Contoh.co.id")
    page.locator("[name=password1]").fill("anjing-jalan-pagi-42")
    page.locator("[name=password2]").fill("anjing-jalan-pagi-42")
    page.locator("form [type=submit]").last.click()
    expect(page).to_have_url(re.compile("/accounts/confirm-email/"))

    assert len(mail.outbox) == 1
    link = CONFIRM_LINK.search(mail.outbox[0].body)
    assert link, mail.outbox[0].body
    page.goto(link.group(1))
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()
    return User.objects.get(email="dewi.baru@contoh.co.id")


def add_dog_with_photo(page: Page) -> Dog:
    page.goto("/dogs/add/")
    page.locator("[name=name]").fill("Milo")
    page.locator("[name=breed]").fill("Golden Retriever")
    page.locator("[name=size][value=large]").check()
    page.locator("[name=sex][value=male]").check()
    page.locator("[name=age_years]").fill("4")
    page.locator("[name=photo]").set_input_files(
        FIXTURES / "orientation-Portrait_6.jpg"
    )
    page.locator("form [type=submit]").last.click()
    expect(page).to_have_url(re.compile("/dogs/$"))
    expect(page.get_by_text("Milo").first).to_be_visible()
    return Dog.objects.get(name="Milo")


def test_late_cancel_warning_for_soon_walk(desktop_page, log_in, owner, dog):
    log_in(desktop_page, owner)
    desktop_page.goto("/bookings/new/")
    soon = timezone.localtime() + dt.timedelta(hours=3)
    desktop_page.locator("[name=date]").fill(soon.date().isoformat())
    desktop_page.locator("[name=start_time]").fill(soon.strftime("%H:00"))

    expect(desktop_page.locator("#late-cancel-warning")).to_be_visible()


def book_walk(page: Page, day: dt.date) -> Booking:
    page.goto("/bookings/new/")
    page.locator("[name=dogs]").first.check()
    page.locator("[name=service]").nth(1).check()
    expect(page.get_by_test_id("price")).to_have_text("Rp120.000")
    page.locator("[name=date]").fill(day.isoformat())
    page.locator("[name=start_time]").fill("08:00")
    # Two days ahead is well before the free-cancellation cut-off.
    expect(page.locator("#late-cancel-warning")).to_be_hidden()
    page.locator("[name=address]").fill("Jl. Teuku Umar No. 12, Menteng")
    page.locator("[name=district]").select_option(label="Menteng, Jakarta")
    expect(page.locator("[name=latitude]")).to_have_value("-6.196000")
    page.locator("#submit-booking").click()
    expect(page).to_have_url(re.compile(r"/bookings/[A-Z0-9]{8}/$"))
    return Booking.objects.get()


@pytest.mark.parametrize("size", ["desktop_page", "phone_page"])
def test_owner_books_and_cancels_a_walk(request, size, browser_events):
    page: Page = request.getfixturevalue(size)
    page.on("dialog", lambda dialog: dialog.accept())

    owner = sign_up_and_confirm(page)
    dog = add_dog_with_photo(page)
    assert dog.owner == owner
    assert dog.photo.name.endswith(".jpg")

    day = timezone.localdate() + dt.timedelta(days=2)
    booking = book_walk(page, day)
    assert booking.owner == owner
    assert list(booking.dogs.all()) == [dog]
    assert timezone.localtime(booking.starts_at) == timezone.make_aware(
        dt.datetime.combine(day, dt.time(8, 0))
    )
    expect(page.get_by_test_id("price")).to_have_text("Rp120.000")

    page.goto("/bookings/")
    row = page.get_by_test_id("booking-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Rp120.000")
    expect(row).to_contain_text("Milo")

    open_menu(page)
    page.get_by_test_id("switch-language").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()

    row.click()
    page.locator("#cancel-booking").click()
    expect(page.get_by_test_id("status")).to_have_text("Cancelled")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancellation_fee == 0
    assert browser_events.page_errors == []
    # The map tried to load its tiles from outside and was refused.
    assert all("127.0.0.1" not in url for url in browser_events.blocked_urls)
