"""The admin's matching pages: candidates per booking, the ops queue, the batch."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.matching import match
from bookings.models import Booking, BookingMatch, District
from tests.factories import BookingFactory, WalkerProfileFactory
from walkers.demo import make_available, make_verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DAY = timezone.localdate() + dt.timedelta(days=3)


def wib(hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(DAY, dt.time(hour, 0)))


def ready(name: str, district: str = "Menteng"):
    walker = WalkerProfileFactory(user__first_name=name, user__last_name="Test")
    make_verified(walker)
    return make_available(walker, District.objects.get(name=district))


def escalated(starts_at=None, reason=BookingMatch.Reason.NO_CANDIDATES) -> Booking:
    booking = BookingFactory(starts_at=starts_at or wib(9))
    BookingMatch.objects.create(
        booking=booking,
        state=BookingMatch.State.ESCALATED,
        escalation_reason=reason,
        escalated_at=timezone.now(),
    )
    return booking


def candidates_url(booking: Booking) -> str:
    return reverse("admin:bookings_booking_candidates", args=[booking.pk])


QUEUE = "admin:bookings_unplacedbooking_changelist"


def test_booking_page_shows_last_run(staff_client):
    ready("Agus")
    suspended = ready("Budi")
    suspended.is_active = False
    suspended.save()
    booking = BookingFactory(starts_at=wib(9))
    match(booking.pk, "created")
    page = staff_client.get(
        reverse("admin:bookings_booking_change", args=[booking.pk])
    ).content.decode()
    assert "Agus Test" in page
    assert "2 walkers considered" in page
    assert "lists every excluded walker with the reasons" in page
    assert candidates_url(booking) in page


def test_candidates_page_lists_scores_and_reasons(staff_client):
    ready("Agus")
    far = ready("Dimas", "BSD City")
    far.service_radius_km = 5
    far.save()
    booking = escalated()
    response = staff_client.get(candidates_url(booking))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Agus Test" in page
    assert "beyond the service radius of 5 km" in page
    assert "No walker can take it" in page


def test_manual_assignment_from_candidates(staff_client, staff):
    agus = ready("Agus")
    booking = escalated()
    response = staff_client.post(candidates_url(booking), {"walker": agus.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse(QUEUE)
    booking.refresh_from_db()
    assert booking.walker == agus
    assert booking.events.last().actor == staff
    assert BookingMatch.objects.get(booking=booking).state == "assigned"


def test_manual_assignment_of_busy_walker_rejected(staff_client):
    agus = ready("Agus")
    BookingFactory(walker=agus, status=Booking.Status.CONFIRMED, starts_at=wib(9))
    booking = escalated()
    response = staff_client.post(
        candidates_url(booking), {"walker": agus.pk}, follow=True
    )
    assert "overlapping time" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).walker is None


@pytest.mark.parametrize("walker", ["", "abc", "999999"])
def test_manual_assignment_needs_a_walker(staff_client, walker):
    booking = escalated()
    response = staff_client.post(
        candidates_url(booking), {"walker": walker}, follow=True
    )
    assert "Choose a walker." in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).walker is None


def test_candidates_page_for_unknown_booking_404(staff_client):
    assert (
        staff_client.get(
            reverse("admin:bookings_booking_candidates", args=[99999])
        ).status_code
        == 404
    )


def test_candidates_page_logged_out_redirects(client):
    booking = escalated()
    response = client.get(candidates_url(booking))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize("persona", ["owner", "walker"])
def test_candidates_page_not_for_non_staff(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    booking = escalated()
    response = client.post(candidates_url(booking), {"walker": "1"})
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert Booking.objects.get(pk=booking.pk).walker is None


def test_ops_queue_lists_only_unplaced(staff_client):
    waiting = BookingFactory(starts_at=wib(8))
    BookingMatch.objects.create(booking=waiting)
    queued = escalated(reason=BookingMatch.Reason.DECLINES)
    assigned = escalated(starts_at=wib(11))
    agus = ready("Agus")
    assigned.walker = agus
    assigned.status = Booking.Status.CONFIRMED
    assigned.save()
    page = staff_client.get(reverse(QUEUE)).content.decode()
    assert queued.reference in page
    assert "Too many offers declined or unanswered" in page
    assert waiting.reference not in page
    assert assigned.reference not in page


def test_ops_queue_row_opens_candidates(staff_client):
    booking = escalated()
    response = staff_client.get(
        reverse("admin:bookings_unplacedbooking_change", args=[booking.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == candidates_url(booking)


@pytest.mark.parametrize("rows", [5, 30])
def test_ops_queue_query_count(staff_client, django_assert_max_num_queries, rows):
    for n in range(rows):
        escalated(starts_at=wib(6) + dt.timedelta(minutes=15 * n))
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse(QUEUE))
    assert response.status_code == 200


def test_batch_action_assigns_selected(staff_client):
    ready("Agus")
    ready("Budi", "Tebet")
    first = BookingFactory(starts_at=wib(9))
    second = BookingFactory(starts_at=wib(9))
    response = staff_client.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": "batch_assign_action", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "Batch: 2 assigned" in response.content.decode()
    walkers = {Booking.objects.get(pk=b.pk).walker_id for b in (first, second)}
    assert len(walkers) == 2
    assert None not in walkers
