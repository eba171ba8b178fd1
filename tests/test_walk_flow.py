"""The walk from pick-up to review: forms, flags, emergency, report, access."""

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from reports.models import Incident, Review, ShareLink, WalkReport, WalkStart
from tests.factories import WalkerProfileFactory
from tests.test_walk_support import (
    confirmed_walk,
    jpeg_bytes,
    mp4_bytes,
    running_walk,
    upload,
)


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any, english: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.fixture
def walker_client(walker) -> Client:
    client = Client()
    client.force_login(walker.user)
    return client


START_DATA = {
    "handed_over": "on",
    "leash_checked": "on",
    "id_tag_on": "on",
    "dog_condition": "Bright and happy",
    "latitude": "-6.196100",
    "longitude": "106.832000",
}


def start(client: Client, booking: Booking, **changes: Any) -> Any:
    data = {**START_DATA, "photo": upload(jpeg_bytes(gps=True)), **changes}
    return client.post(reverse("reports:start", args=[booking.reference]), data)


# Pick-up -----------------------------------------------------------------


def test_start_moves_booking_in_progress(walker_client, owner, walker, dog):
    booking = confirmed_walk(owner, walker, dog, minutes_ago=5)

    response = start(walker_client, booking)

    assert response.status_code == 302
    assert response["Location"] == reverse("reports:run", args=[booking.reference])
    booking.refresh_from_db()
    assert booking.status == Booking.Status.IN_PROGRESS
    walk_start = WalkStart.objects.get(booking=booking)
    assert not walk_start.started_late
    assert not walk_start.started_far
    assert walk_start.distance_from_address_m == 11
    assert booking.walk_media.filter(phase="pickup").count() == 1
    assert booking.events.last().actor == walker.user


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("handed_over", "Confirm the handover before you start."),
        ("leash_checked", "Check the leash and harness before you start."),
        ("id_tag_on", "Make sure the dog wears its ID tag."),
        ("dog_condition", "Describe how the dog is at pick-up."),
        ("photo", "Take a pick-up photo of the dog."),
    ],
)
def test_start_checklist_item_required(
    walker_client, owner, walker, dog, missing, message
):
    booking = confirmed_walk(owner, walker, dog)
    data = {**START_DATA, "photo": upload(jpeg_bytes())}
    del data[missing]

    response = walker_client.post(
        reverse("reports:start", args=[booking.reference]), data
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert not WalkStart.objects.exists()


def test_start_with_bad_photo_changes_nothing(walker_client, owner, walker, dog):
    booking = confirmed_walk(owner, walker, dog)

    response = start(walker_client, booking, photo=upload(b"%PDF-1.4", "x.jpg"))

    content = response.content.decode()
    assert "This file is not a photo that we can read." in content
    assert "video" not in content.split('id="id_photo"')[1].split("</div>")[1]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert not WalkStart.objects.exists()
    assert not booking.walk_media.exists()


def test_start_rejects_video_as_pickup_photo(walker_client, owner, walker, dog):
    booking = confirmed_walk(owner, walker, dog)

    response = start(walker_client, booking, photo=upload(mp4_bytes(), "clip.mp4"))

    assert response.status_code == 200
    assert "This file is not a photo that we can read." in response.content.decode()
    assert not booking.walk_media.exists()


def test_start_form_asks_for_photo_again(walker_client, owner, walker, dog):
    booking = confirmed_walk(owner, walker, dog)

    response = start(walker_client, booking, dog_condition="")

    content = response.content.decode()
    assert "Describe how the dog is at pick-up." in content
    assert 'data-testid="photo-again"' in content
    assert "take or choose it again" in content


def test_start_form_without_errors_asks_nothing(walker_client, owner, walker, dog):
    booking = confirmed_walk(owner, walker, dog)

    page = walker_client.get(reverse("reports:start", args=[booking.reference]))

    assert 'data-testid="photo-again"' not in page.content.decode()


def test_late_and_far_start_flagged(walker_client, owner, walker, dog, settings):
    settings.WALK_START_MAX_DISTANCE_M = 300
    booking = confirmed_walk(owner, walker, dog, minutes_ago=25)

    start(walker_client, booking, latitude="-6.206000", longitude="106.832000")

    walk_start = WalkStart.objects.get(booking=booking)
    assert walk_start.started_late
    assert walk_start.minutes_late >= 25
    assert walk_start.started_far
    assert walk_start.distance_from_address_m == 1112


def test_start_without_position_flagged(walker_client, owner, walker, dog):
    booking = confirmed_walk(owner, walker, dog)

    start(walker_client, booking, latitude="", longitude="")

    walk_start = WalkStart.objects.get(booking=booking)
    assert walk_start.started_far
    assert walk_start.distance_from_address_m is None


def test_owner_sees_start_flags(owner_client, walker_client, owner, walker, dog):
    booking = confirmed_walk(owner, walker, dog, minutes_ago=30)
    start(walker_client, booking, latitude="-6.206000")

    content = owner_client.get(
        reverse("reports:walk", args=[booking.reference])
    ).content

    assert b'data-testid="flag-late"' in content
    assert b'data-testid="flag-far"' in content


def test_start_too_early_refused(walker_client, owner, walker, dog):
    booking = confirmed_walk(owner, walker, dog, minutes_ago=-200)

    response = start(walker_client, booking)

    assert response.status_code == 302
    assert response["Location"] == reverse("walkers:walk", args=[booking.reference])
    assert not WalkStart.objects.exists()


def test_other_walker_cannot_start(owner, walker, dog):
    booking = confirmed_walk(owner, walker, dog)
    client = Client()
    client.force_login(WalkerProfileFactory().user)

    assert start(client, booking).status_code == 404


# Emergency ---------------------------------------------------------------


def test_emergency_alerts_ops_and_owner(
    walker_client, owner, walker, dog, settings, django_capture_on_commit_callbacks
):
    settings.OPS_ALERT_EMAILS = ["ops@pompygo.id", "duty@pompygo.id"]
    booking = running_walk(owner, walker, dog)

    with django_capture_on_commit_callbacks(execute=True):
        response = walker_client.post(
            reverse("reports:emergency", args=[booking.reference]),
            {"latitude": "-6.197000", "longitude": "106.833000"},
        )

    incident = Incident.objects.get(booking=booking)
    assert response["Location"] == reverse(
        "reports:emergency-detail", args=[booking.reference, incident.pk]
    )
    assert incident.is_open
    assert str(incident.latitude) == "-6.197000"
    assert incident.alert_sent_at is not None
    recipients = [message.to for message in mail.outbox]
    assert ["ops@pompygo.id", "duty@pompygo.id"] in recipients
    assert [owner.email] in recipients
    assert booking.reference in mail.outbox[0].subject
    page = walker_client.get(response["Location"]).content.decode()
    assert "First steps" in page
    assert "tel:112" in page


def test_emergency_page_offers_ops_phone(walker_client, owner, walker, dog, settings):
    settings.OPS_PHONE = "+62 21 5550 1234"
    booking = running_walk(owner, walker, dog)

    response = walker_client.post(
        reverse("reports:emergency", args=[booking.reference]), follow=True
    )

    content = response.content.decode()
    assert 'href="tel:+622155501234"' in content
    assert 'data-testid="ops-phone">+62 21 5550 1234</a>' in content
    assert "call ops at once on +62 21 5550 1234" in content


def test_emergency_page_keeps_recording_trail(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)

    response = walker_client.post(
        reverse("reports:emergency", args=[booking.reference]), follow=True
    )

    content = response.content.decode()
    track_url = reverse("reports:track", args=[booking.reference])
    assert f'data-track-url="{track_url}"' in content
    assert "js/walk-track.js" in content


def test_emergency_without_position_uses_last_point(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    booking.track_points.create(
        recorded_at=timezone.now() - dt.timedelta(minutes=1),
        latitude="-6.198000",
        longitude="106.831000",
    )

    walker_client.post(reverse("reports:emergency", args=[booking.reference]))

    incident = Incident.objects.get(booking=booking)
    assert str(incident.latitude) == "-6.198000"


def test_open_incidents_listed_first(staff_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    resolved = Incident.objects.create(
        booking=booking, raised_by=walker.user, resolved_at=timezone.now()
    )
    open_one = Incident.objects.create(
        booking=booking,
        raised_by=walker.user,
        raised_at=timezone.now() - dt.timedelta(hours=1),
    )

    assert list(Incident.objects.all()) == [open_one, resolved]
    response = staff_client.get(reverse("admin:reports_incident_changelist"))
    assert response.status_code == 200


# Report ------------------------------------------------------------------

REPORT = {
    "handed_over_to": "Ibu Ani",
    "leash_removed": "True",
    "dog_condition": "great",
    "peed": "True",
    "pooed": "False",
    "water": "some",
    "behaviour": "playful",
    "had_incident": "False",
    "notes_for_owner": "Milo loved the park.",
}


def post_report(client: Client, booking: Booking, data: dict[str, Any], action: str):
    return client.post(
        reverse("reports:report", args=[booking.reference]), {**data, "action": action}
    )


def test_report_filed_completes_walk(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    data = {**REPORT, "dropoff_photo": upload(jpeg_bytes())}

    response = post_report(walker_client, booking, data, "file")

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    report = WalkReport.objects.get(booking=booking)
    assert report.is_filed
    assert report.duration_seconds > 0
    assert booking.walk_media.filter(phase="dropoff").count() == 1


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("handed_over_to", "Say who took the dog back at drop-off."),
        ("dog_condition", "Choose the dog&#x27;s condition."),
        ("peed", "Say whether the dog peed."),
        ("pooed", "Say whether the dog pooed."),
        ("water", "Say whether the dog drank water."),
        ("behaviour", "Choose how the dog behaved."),
        ("had_incident", "Say whether anything happened on the walk."),
        ("notes_for_owner", "Write a few words for the owner."),
        ("dropoff_photo", "Take a drop-off photo of the dog."),
    ],
)
def test_report_required_item(walker_client, owner, walker, dog, field, message):
    booking = running_walk(owner, walker, dog)
    data = {**REPORT, "dropoff_photo": upload(jpeg_bytes())}
    del data[field]

    response = post_report(walker_client, booking, data, "file")

    assert response.status_code == 400
    assert message in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.IN_PROGRESS
    assert not WalkReport.objects.filter(state="filed").exists()


def test_incident_needs_description(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    data = {**REPORT, "had_incident": "True", "dropoff_photo": upload(jpeg_bytes())}

    response = post_report(walker_client, booking, data, "file")

    assert "Describe what happened." in response.content.decode()


BAD_DROPOFF_PHOTOS = [
    ("text.jpg", b"just some text, not a photo", "not a photo that we can read"),
    ("empty.jpg", b"", "The photo file is empty"),
    ("clip.mp4", mp4_bytes(), "not a photo that we can read"),
]


@pytest.mark.parametrize("action", ["draft", "file"])
@pytest.mark.parametrize(
    ("name", "data", "message"), BAD_DROPOFF_PHOTOS, ids=["text", "empty", "video"]
)
def test_bad_dropoff_photo_is_form_error(
    walker_client, owner, walker, dog, action, name, data, message
):
    booking = running_walk(owner, walker, dog)
    post_report(walker_client, booking, {"food": "One treat"}, "draft")
    answers = {**REPORT, "handed_over_to": "Pak Budi"}

    response = post_report(
        walker_client, booking, {**answers, "dropoff_photo": upload(data, name)}, action
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    assert 'value="Pak Budi"' in content
    draft = WalkReport.objects.get(booking=booking)
    assert draft.state == "draft"
    assert draft.food == "One treat"
    assert draft.handed_over_to == ""
    assert not booking.walk_media.filter(phase="dropoff").exists()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.IN_PROGRESS


def test_report_after_emergency_presets_incident(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    walker_client.post(reverse("reports:emergency", args=[booking.reference]))

    page = walker_client.get(reverse("reports:report", args=[booking.reference]))

    content = page.content.decode()
    assert 'value="True" id="id_had_incident_0" checked' in content
    assert 'value="False" id="id_had_incident_1">' in content


def test_report_after_emergency_rejects_no_incident(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    walker_client.post(reverse("reports:emergency", args=[booking.reference]))
    data = {**REPORT, "dropoff_photo": upload(jpeg_bytes())}

    response = post_report(walker_client, booking, data, "file")

    assert response.status_code == 400
    assert "You raised an emergency on this walk." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.IN_PROGRESS


def test_report_after_emergency_filed_with_incident(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    walker_client.post(reverse("reports:emergency", args=[booking.reference]))
    data = {
        **REPORT,
        "had_incident": "True",
        "incident_notes": "Milo cut a paw on glass; the vet cleaned it.",
        "dropoff_photo": upload(jpeg_bytes()),
    }

    response = post_report(walker_client, booking, data, "file")

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED


def test_draft_kept_and_finished_later(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)

    post_report(walker_client, booking, {"handed_over_to": "Ibu Ani"}, "draft")
    draft = WalkReport.objects.get(booking=booking)
    assert draft.state == "draft"
    assert draft.handed_over_to == "Ibu Ani"
    page = walker_client.get(reverse("reports:report", args=[booking.reference]))
    assert 'value="Ibu Ani"' in page.content.decode()

    post_report(
        walker_client, booking, {"dropoff_photo": upload(jpeg_bytes())}, "draft"
    )
    rest = {k: v for k, v in REPORT.items() if k != "handed_over_to"}
    rest["handed_over_to"] = "Ibu Ani"
    response = post_report(walker_client, booking, rest, "file")

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED


def test_draft_saved_by_script_answers_json(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)

    response = walker_client.post(
        reverse("reports:report", args=[booking.reference]),
        {"food": "Two treats", "action": "draft"},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 200
    assert "saved" in response.json()
    assert WalkReport.objects.get(booking=booking).food == "Two treats"


def complete(client: Client, booking: Booking) -> None:
    post_report(
        client, booking, {**REPORT, "dropoff_photo": upload(jpeg_bytes())}, "file"
    )
    booking.refresh_from_db()


# Review ------------------------------------------------------------------


def test_owner_rates_completed_walk_once(
    owner_client, walker_client, owner, walker, dog
):
    booking = running_walk(owner, walker, dog)
    complete(walker_client, booking)
    url = reverse("reports:review", args=[booking.reference])

    response = owner_client.post(url, {"rating": "5", "text": "Great", "tip": "20000"})
    again = owner_client.post(url, {"rating": "1"})

    assert response.status_code == 302
    assert again.status_code == 302
    review = Review.objects.get(booking=booking)
    assert (review.rating, review.tip, review.walker) == (5, 20000, walker)
    assert Review.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rating": ""}, "Choose a rating from 1 to 5 stars."),
        ({"rating": "6"}, "Select a valid choice."),
        ({"rating": "0"}, "Select a valid choice."),
        ({"rating": "4", "tip": "-5"}, "greater than or equal to 0"),
        ({"rating": "4", "tip": "lots"}, "Enter a whole number."),
    ],
)
def test_bad_review_rejected(
    owner_client, walker_client, owner, walker, dog, data, message
):
    booking = running_walk(owner, walker, dog)
    complete(walker_client, booking)

    response = owner_client.post(
        reverse("reports:review", args=[booking.reference]), data
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Review.objects.exists()


def test_walk_in_progress_cannot_be_rated(owner_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)

    owner_client.post(
        reverse("reports:review", args=[booking.reference]), {"rating": "5"}
    )

    assert not Review.objects.exists()


def test_other_owner_cannot_rate(
    client, other_owner, walker_client, owner, walker, dog
):
    booking = running_walk(owner, walker, dog)
    complete(walker_client, booking)
    client.force_login(other_owner)

    response = client.post(
        reverse("reports:review", args=[booking.reference]), {"rating": "1"}
    )

    assert response.status_code == 404
    assert not Review.objects.exists()


def test_profile_shows_rating_and_reports(
    owner_client, walker_client, owner, walker, dog, client
):
    from walkers.demo import make_verified

    make_verified(walker)
    booking = running_walk(owner, walker, dog)
    complete(walker_client, booking)
    owner_client.post(
        reverse("reports:review", args=[booking.reference]),
        {"rating": "4", "text": "Kind"},
    )

    content = client.get(reverse("walkers:profile", args=[walker.pk])).content.decode()

    assert "4.0" in content
    assert "1 review" in content
    assert "Kind" in content
    assert 'data-testid="reports-filed">1<' in content


# Access to the live page and report ----------------------------------------


@pytest.fixture
def walk(owner, walker, dog) -> Booking:
    return running_walk(owner, walker, dog)


@pytest.mark.parametrize("view", ["reports:walk", "reports:feed"])
def test_live_pages_by_role(
    view, walk, owner, other_owner, walker, partner, staff, client
):
    url = reverse(view, args=[walk.reference])
    expected = {
        owner: 200,
        walker.user: 200,
        staff: 200,
        other_owner: 404,
        partner: 404,
        WalkerProfileFactory().user: 404,
    }
    for user, status in expected.items():
        client.force_login(user)
        assert client.get(url).status_code == status, user.email
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("view", ["reports:start", "reports:run", "reports:report"])
def test_walker_pages_by_role(view, walk, owner, other_owner, partner, staff, client):
    url = reverse(view, args=[walk.reference])
    for user, status in {
        owner: 403,
        other_owner: 403,
        partner: 403,
        staff: 403,
        WalkerProfileFactory().user: 404,
    }.items():
        client.force_login(user)
        assert client.get(url).status_code == status, user.email


def test_feed_shows_updates_without_reload(
    owner_client, walk, walker_client, django_capture_on_commit_callbacks
):
    feed = reverse("reports:feed", args=[walk.reference])
    before = owner_client.get(feed).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        walker_client.post(
            reverse("reports:upload", args=[walk.reference]),
            {"file": upload(jpeg_bytes()), "caption": "Minum di taman"},
            HTTP_ACCEPT="application/json",
        )

    after = owner_client.get(feed).content.decode()

    assert "Minum di taman" not in before
    assert "Minum di taman" in after
    assert 'hx-trigger="every 5s"' in after


def test_share_link_lifecycle(owner_client, walk, client, walker_client):
    owner_client.post(reverse("reports:share", args=[walk.reference]))
    link = ShareLink.objects.get(booking=walk)
    url = reverse("reports:shared", args=[link.token])

    assert client.get(url).status_code == 200
    owner_client.post(reverse("reports:revoke-share", args=[walk.reference, link.pk]))
    assert client.get(url).status_code == 404
    feed = client.get(reverse("reports:shared-feed", args=[link.token]))
    assert feed.status_code == 286


def test_share_link_expires_when_walk_ends(owner_client, walk, client, walker_client):
    link = ShareLink.objects.create(booking=walk)
    complete(walker_client, walk)

    assert client.get(reverse("reports:shared", args=[link.token])).status_code == 404


def test_only_owner_makes_share_links(walk, walker_client, client, other_owner):
    assert (
        walker_client.post(reverse("reports:share", args=[walk.reference])).status_code
        == 404
    )
    client.force_login(other_owner)
    assert (
        client.post(reverse("reports:share", args=[walk.reference])).status_code == 404
    )
    assert not ShareLink.objects.exists()


def test_report_page_shows_report_to_owner(owner_client, walk, walker_client):
    complete(walker_client, walk)

    content = owner_client.get(
        reverse("reports:walk", args=[walk.reference])
    ).content.decode()

    assert 'data-testid="report"' in content
    assert "Milo loved the park." in content
    assert 'data-testid="review-form"' in content


def test_owner_page_queries_do_not_grow(
    owner_client, walk, walker_client, django_assert_max_num_queries
):
    url = reverse("reports:walk", args=[walk.reference])
    with django_assert_max_num_queries(25):
        owner_client.get(url)
    for _index in range(20):
        walker_client.post(
            reverse("reports:upload", args=[walk.reference]),
            {"file": upload(jpeg_bytes())},
            HTTP_ACCEPT="application/json",
        )
    with django_assert_max_num_queries(25):
        owner_client.get(url)


# After the walk and live pages ---------------------------------------------


def test_access_notes_hidden_once_report_filed(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    booking.access_notes = "Gate code 4711"
    booking.save(update_fields=["access_notes"])
    url = reverse("walkers:walk", args=[booking.reference])
    assert "Gate code 4711" in walker_client.get(url).content.decode()

    complete(walker_client, booking)

    # The booked end is still ahead: the walk ended early, with the report.
    assert booking.ends_at > timezone.now()
    content = walker_client.get(url).content.decode()
    assert "Gate code 4711" not in content
    assert "The walk has ended, so the access and handover notes are hidden." in (
        content
    )


def test_access_notes_kept_while_walk_runs_late(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog, minutes_ago=200)
    booking.access_notes = "Gate code 4711"
    booking.save(update_fields=["access_notes"])

    assert booking.ends_at < timezone.now()
    page = walker_client.get(reverse("walkers:walk", args=[booking.reference]))
    assert "Gate code 4711" in page.content.decode()


def test_history_lists_walk_completed_early(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    complete(walker_client, booking)
    assert booking.ends_at > timezone.now()

    content = walker_client.get(reverse("walkers:history")).content.decode()

    assert (
        booking.starts_at.astimezone(timezone.get_current_timezone()).strftime("%H:%M")
        in content.split('data-testid="past-walks"')[1]
    )
    assert "No past walks yet." not in content


@pytest.mark.parametrize("walks", [5, 15])
def test_history_queries_do_not_grow(
    walker_client, owner, walker, dog, django_assert_max_num_queries, walks
):
    # Walks an hour and ten minutes apart, so the walker's walks never overlap.
    for index in range(walks):
        complete(
            walker_client, running_walk(owner, walker, dog, minutes_ago=70 * index)
        )

    with django_assert_max_num_queries(15):
        response = walker_client.get(reverse("walkers:history"))

    assert response.content.decode().count('class="list-group-item"') == walks


def test_completed_walk_page_drops_on_the_way(walker_client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    booking.on_the_way_at = timezone.now() - dt.timedelta(minutes=30)
    booking.save(update_fields=["on_the_way_at"])
    complete(walker_client, booking)

    page = walker_client.get(reverse("walkers:walk", args=[booking.reference]))

    assert 'data-testid="on-the-way"' not in page.content.decode()


def test_completed_walk_without_records_worded_as_over(
    owner_client, owner, walker, dog
):
    booking = confirmed_walk(owner, walker, dog)
    booking.status = Booking.Status.COMPLETED
    booking.save(update_fields=["status"])

    content = owner_client.get(
        reverse("reports:walk", args=[booking.reference])
    ).content.decode()

    assert "The walk has not started yet." not in content
    assert "Updates from the walk appear here as they arrive." not in content
    assert "No pick-up was recorded for this walk." in content
    assert "No photos or videos were sent on this walk." in content


def test_completed_walk_says_walked_for(owner_client, walk, walker_client):
    complete(walker_client, walk)
    minutes = WalkReport.objects.get(booking=walk).duration_minutes

    content = owner_client.get(
        reverse("reports:walk", args=[walk.reference])
    ).content.decode()

    assert "Walking for" not in content
    assert f"Walked for {minutes} minutes" in content


def test_owner_sees_incident_resolved(owner_client, walk, walker, staff):
    resolved_at = timezone.now()
    Incident.objects.create(
        booking=walk, raised_by=walker.user, resolved_at=resolved_at, resolved_by=staff
    )
    time = timezone.localtime(resolved_at).strftime("%H:%M")

    content = owner_client.get(
        reverse("reports:feed", args=[walk.reference])
    ).content.decode()

    assert f"Pompy Go ops resolved it at {time}." in content
    assert "will call you" not in content


def test_owner_sees_open_incident_handled(owner_client, walk, walker):
    Incident.objects.create(booking=walk, raised_by=walker.user)

    content = owner_client.get(
        reverse("reports:feed", args=[walk.reference])
    ).content.decode()

    assert "Pompy Go ops are handling it and will call you." in content


def test_shared_page_worded_for_family(client, owner, walker, dog):
    booking = running_walk(owner, walker, dog)
    booking.walk_start.started_far = True
    booking.walk_start.distance_from_address_m = 6657
    booking.walk_start.save()
    Incident.objects.create(booking=booking, raised_by=walker.user)
    link = ShareLink.objects.create(booking=booking)

    for view in ("reports:shared", "reports:shared-feed"):
        content = client.get(reverse(view, args=[link.token])).content.decode()

        assert "6657" not in content
        assert "your address" not in content
        assert "will call you" not in content
        assert "Pompy Go ops are handling it." in content


@pytest.mark.parametrize("ending", ["revoked", "completed", "unknown"])
def test_ended_share_link_gets_friendly_page(client, walk, walker_client, ending):
    link = ShareLink.objects.create(booking=walk)
    token = link.token
    if ending == "revoked":
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    elif ending == "completed":
        complete(walker_client, walk)
    else:
        token = "no-such-token"

    response = client.get(reverse("reports:shared", args=[token]))

    assert response.status_code == 404
    content = response.content.decode()
    assert "This live link has ended" in content
    assert "No ShareLink matches" not in content


def test_old_report_without_incident_points_to_emergency(
    owner_client, walk, walker_client, walker
):
    complete(walker_client, walk)
    # A report filed before the emergency check, with "No" after an emergency.
    Incident.objects.create(booking=walk, raised_by=walker.user)

    content = owner_client.get(
        reverse("reports:walk", args=[walk.reference])
    ).content.decode()

    incidents_row = content.split(">Incidents</dt>")[1].split("</dd>")[0]
    assert "The walker raised an emergency: see below." in incidents_row
    assert "none" not in incidents_row
