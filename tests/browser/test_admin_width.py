"""The ops lists fit an ops laptop's 1366 px screen, without scrolling sideways."""

from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page

from bookings.models import BookingMatch
from notifications.models import Channel, Event, Message
from tests.browser.conftest import BrowserEvents, open_page
from tests.factories import BookingFactory, UserFactory

LISTS = [
    "/admin/bookings/booking/",
    "/admin/bookings/unplacedbooking/",
    "/admin/notifications/message/",
]


@pytest.fixture
def laptop_page(chromium: Browser, browser_events: BrowserEvents) -> Iterator[Page]:
    yield from open_page(
        chromium, browser_events, {"viewport": {"width": 1366, "height": 768}}
    )


@pytest.mark.parametrize("path", LISTS)
def test_ops_list_fits_laptop_width(laptop_page, log_in, staff, path):
    owner = UserFactory(
        first_name="Kusumawardhani", last_name="Wijayakusuma", email="k.w@contoh.co.id"
    )
    for _index in range(3):
        booking = BookingFactory(owner=owner)
        BookingMatch.objects.create(
            booking=booking,
            state=BookingMatch.State.ESCALATED,
            escalation_reason=BookingMatch.Reason.NO_CANDIDATES,
            escalated_at=timezone.now(),
            refusals=3,
        )
        Message.objects.create(
            event=Event.WALKER_ASSIGNED,
            event_key=f"walker_assigned:{booking.pk}:1",
            recipient=owner,
            channel=Channel.EMAIL,
            booking=booking,
            state=Message.State.FAILED,
            error="SMTP connection failed: Connection unexpectedly closed by server",
            sent_at=timezone.now(),
        )
    log_in(laptop_page, staff)

    laptop_page.goto(path)

    rows = laptop_page.locator("#result_list tbody tr")
    assert rows.count() == 3
    # The admin scrolls a wide table inside its .results box, not the page.
    overflow = laptop_page.evaluate(
        "Math.max(...[document.documentElement, document.querySelector('.results')]"
        ".map(box => box.scrollWidth - box.clientWidth))"
    )
    assert overflow <= 0, f"{path} is {overflow} px wider than the window"
