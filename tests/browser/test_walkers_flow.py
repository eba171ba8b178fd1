"""A newcomer applies as a walker on a phone, staff verify them, they walk.

The walker applies at phone size. Staff pass the five stages and assign the
walk in the admin at desktop size. The walker then marks "on my way" on the
phone, and the owner sees it on their booking page. Text checks use test ids and
the database, because the pages are in Bahasa Indonesia.
"""

import datetime as dt
import re
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from bookings.models import Area, Booking
from tests.factories import BookingFactory, UserFactory
from walkers.models import WalkerProfile

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

STAGES = [
    ("screening", {}),
    ("interview", {"score": "82"}),
    ("practical", {"score": "90"}),
    ("background", {"skck_verified": True, "references_called": True}),
    ("training", {}),
]


def apply(page: Page, skck: Path) -> None:
    page.goto("/walkers/apply/")
    page.locator("[name=first_name]").fill("Wulan")
    page.locator("[name=last_name]").fill("Sari")
    page.locator("[name=phone]").fill("0812-3456-7890")
    page.locator("[name=date_of_birth]").fill("1998-07-21")
    page.locator("[name=has_smartphone]").check()
    page.locator("[name=home_district]").select_option(label="Tebet, Jakarta")
    jakarta = Area.objects.get(slug="jakarta")
    page.locator(f"[name=areas][value='{jakarta.pk}']").check()
    page.locator("[name=years_of_experience]").fill("4")
    page.locator("[name=experience]").fill("Four years walking my neighbours' huskies.")
    for size in ("small", "medium"):
        page.locator(f"[name=dog_sizes][value={size}]").check()
    # Today's walk must fit the weekly pattern, whatever the time of the run.
    # NOTE: a run after 22:15 WIB fails, because the walk then ends after 23:45.
    weekday = timezone.localdate().isoweekday()
    page.locator(f"[name=day{weekday}_0_start]").fill("00:00")
    page.locator(f"[name=day{weekday}_0_end]").fill("23:45")
    page.locator("[name=id_number]").fill("3174012107980002")
    page.locator("[name=ktp_photo]").set_input_files(
        FIXTURES / "orientation-Portrait_6.jpg"
    )
    page.locator("[name=skck]").set_input_files(skck)
    page.locator("[name=references]").fill("Ibu Ratna 0812-1111-2222")
    page.locator("[name=consent]").check()
    page.locator("#walker-application [type=submit]").click()
    expect(page).to_have_url(re.compile("/walkers/me/$"))


def pass_stage(
    page: Page, walker: WalkerProfile, index: int, code: str, fields: dict
) -> None:
    page.goto(f"/admin/walkers/walkerprofile/{walker.pk}/change/")
    row = f"stages-{index}"
    page.locator(f"[name={row}-stage]").select_option(code)
    page.locator(f"[name={row}-outcome]").select_option("passed")
    for name, value in fields.items():
        if value is True:
            page.locator(f"[name={row}-{name}]").check()
        else:
            page.locator(f"[name={row}-{name}]").fill(value)
    page.locator("[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()


def assign_in_admin(page: Page, booking: Booking, walker: WalkerProfile) -> None:
    page.goto("/admin/bookings/booking/")
    page.locator(f"input[name=_selected_action][value='{booking.pk}']").check()
    page.locator("select[name=action]").select_option("assign_walker_action")
    page.locator("button[name=index]").click()
    page.locator("[name=walker]").select_option(str(walker.pk))
    page.locator("form [type=submit]").last.click()
    expect(page.locator(".messagelist .success")).to_be_visible()


def test_newcomer_applies_is_verified_and_walks(
    phone_page, desktop_page, log_in, staff, owner, tmp_path, settings, browser_events
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    skck = tmp_path / "skck.pdf"
    skck.write_bytes(b"%PDF-1.4\n% test certificate\n%%EOF\n")
    newcomer = UserFactory(email="wulan@contoh.co.id", first_name="", last_name="")

    log_in(phone_page, newcomer)
    apply(phone_page, skck)
    walker = WalkerProfile.objects.get(user=newcomer)
    assert User.objects.get(pk=newcomer.pk).role == User.Role.WALKER
    assert walker.documents.count() == 2
    expect(phone_page.get_by_test_id("documents")).to_contain_text("••••0002")
    expect(phone_page.get_by_test_id("documents")).not_to_contain_text(
        "3174012107980002"
    )

    log_in(desktop_page, staff)
    for index, (code, fields) in enumerate(STAGES):
        assert not WalkerProfile.objects.get(pk=walker.pk).is_verified
        pass_stage(desktop_page, walker, index, code, fields)
    assert WalkerProfile.objects.get(pk=walker.pk).is_verified
    assert walker.stages.filter(decided_by=staff).count() == len(STAGES)

    phone_page.goto(f"/walkers/{walker.pk}/")
    expect(phone_page.get_by_test_id("verified-badge")).to_be_visible()
    expect(phone_page.get_by_test_id("stages").locator("li")).to_have_count(len(STAGES))
    expect(phone_page.locator("main")).not_to_contain_text("Sari")

    starts = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=30)
    booking = BookingFactory(
        owner=owner,
        starts_at=starts,
        access_notes="Gate code 4321",
        handover_notes="Leash by the door",
    )
    assign_in_admin(desktop_page, booking, walker)
    booking.refresh_from_db()
    assert booking.walker == walker

    phone_page.goto("/walkers/me/")
    phone_page.get_by_test_id(f"walk-{booking.reference}").click()
    expect(phone_page.get_by_test_id("notes")).to_contain_text("Gate code 4321")
    expect(phone_page.get_by_test_id("dog")).to_be_visible()
    phone_page.get_by_test_id("mark-on-the-way").click()
    expect(phone_page.get_by_test_id("on-the-way")).to_be_visible()
    booking.refresh_from_db()
    assert booking.on_the_way_at is not None

    log_in(desktop_page, owner)
    desktop_page.goto(f"/bookings/{booking.reference}/")
    expect(desktop_page.get_by_test_id("on-the-way")).to_be_visible()
    assert browser_events.page_errors == []
