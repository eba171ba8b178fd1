"""The site opens in Chromium, offline, at phone and desktop sizes."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_home_on_phone_switches_language(phone_page, browser_events):
    requested_hosts: set[str] = set()
    phone_page.on(
        "request",
        lambda request: requested_hosts.add(urlsplit(request.url).hostname or ""),
    )

    phone_page.goto("/")
    html = phone_page.locator("html")
    expect(html).to_have_attribute("lang", "id")
    expect(phone_page.locator(".navbar-brand")).to_have_text("Pompy Go")
    page_width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390, "the home page scrolls sideways on a phone"

    # At phone width the language switch sits in the collapsed menu.
    switch = phone_page.get_by_test_id("switch-language")
    expect(switch).to_be_hidden()
    phone_page.locator(".navbar-toggler").tap()
    expect(switch).to_be_visible()
    expect(switch).to_have_attribute("value", "en")
    switch.tap()
    expect(html).to_have_attribute("lang", "en")
    # The menu opens only once Bootstrap's script has run on the new page.
    phone_page.wait_for_load_state("load")

    phone_page.locator(".navbar-toggler").tap()
    expect(switch).to_be_visible()
    expect(switch).to_have_attribute("value", "id")
    switch.tap()
    expect(html).to_have_attribute("lang", "id")

    assert requested_hosts == {"127.0.0.1"}
    assert browser_events.blocked_urls == []
    assert browser_events.page_errors == []


def test_outside_requests_fail_as_offline(desktop_page, browser_events):
    desktop_page.goto("/")
    outcome = desktop_page.evaluate(
        "() => fetch('https://tiles.example.invalid/0/0/0.png')"
        ".then(() => 'loaded', () => 'failed')"
    )
    assert outcome == "failed"
    assert browser_events.blocked_urls == ["https://tiles.example.invalid/0/0/0.png"]


def test_log_in_sets_session(desktop_page, log_in, owner):
    log_in(desktop_page, owner)
    desktop_page.goto("/")
    expect(desktop_page.get_by_role("link", name=owner.display_name)).to_be_visible()
    expect(desktop_page.get_by_test_id("switch-language")).to_be_visible()
