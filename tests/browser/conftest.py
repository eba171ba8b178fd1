"""Playwright fixtures for the browser tests: Debian's Chromium, offline.

Every page talks only to pytest-django's live server. Each context aborts any
request to another host as if the machine were offline, so map tiles and any
other outside resource fail to load, and records it in
``browser_events.blocked_urls`` for the test to assert on.

Tests in this folder get the ``browser`` mark automatically. They use the
live server, so they are transactional, and tests/conftest.py reloads the
catalogue rows that the flush after each of them deletes.
"""

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import Browser, Page, Route, WebSocketRoute, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
TIMEOUT_MS = 10_000

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst, so that the mark exists before `-m` deselects by it.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def chromium(django_db_setup: None) -> Iterator[Browser]:
    """Debian's Chromium, started once per test module.

    Playwright's sync API runs an asyncio event loop in the test thread for
    as long as it is open. Django then rejects ORM calls unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set, and asgiref hands out a second set of
    database connections. So the loop lives only as long as one module, the
    variable is set only meanwhile, and the second connections are closed.
    """
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Debian's Chromium is missing at {CHROMIUM}. Install it with "
            "`apt-get install chromium`, or run ./scripts/test, which does."
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
                # Close the loop's own connections, so that none is left open
                # when pytest-django drops the test database.
                connections.close_all()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class BrowserEvents:
    """What the pages of one test did beyond plain page loads."""

    server_origin: str
    blocked_urls: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        if origin_of(url) == self.server_origin:
            route.continue_()
        else:
            self.blocked_urls.append(url)
            route.abort("internetdisconnected")

    def route_web_socket(self, socket: WebSocketRoute) -> None:
        server_origin = re.sub(r"^http", "ws", self.server_origin)
        if origin_of(socket.url) == server_origin:
            socket.connect_to_server()
        else:
            self.blocked_urls.append(socket.url)
            socket.close()


@pytest.fixture
def browser_events(live_server: Any) -> BrowserEvents:
    return BrowserEvents(server_origin=origin_of(live_server.url))


def open_page(
    chromium: Browser, events: BrowserEvents, options: dict[str, Any]
) -> Iterator[Page]:
    context = chromium.new_context(
        base_url=events.server_origin,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        # A service worker's requests would bypass the route below.
        service_workers="block",
        **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", events.route)
    context.route_web_socket(re.compile(".*"), events.route_web_socket)
    page = context.new_page()
    page.on("pageerror", lambda error: events.page_errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def desktop_page(chromium: Browser, browser_events: BrowserEvents) -> Iterator[Page]:
    """A 1280x800 desktop page, offline but for the live server."""
    yield from open_page(chromium, browser_events, DESKTOP)


@pytest.fixture
def phone_page(chromium: Browser, browser_events: BrowserEvents) -> Iterator[Page]:
    """A 390x844 touch phone page, offline but for the live server."""
    yield from open_page(chromium, browser_events, PHONE)


@pytest.fixture
def log_in(live_server: Any) -> Callable[[Page, Any], None]:
    """Return a function that logs a user in on a page through a session cookie.

    The session is made by Django's test client, so it is the same as after
    a real login, without the steps of the login form.
    """

    def log_in_as(page: Page, user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": cookie.value,
                    "url": live_server.url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )

    return log_in_as
