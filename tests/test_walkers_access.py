"""Every walker URL, tried by every role and by a logged-out visitor."""

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from tests.factories import BookingFactory, UserFactory, WalkerProfileFactory
from walkers.demo import make_available, make_verified
from walkers.models import AvailabilityException, WalkerDocument
from walkers.services import add_document

ROLES = ["anonymous", "owner", "walker", "partner", "staff"]


@pytest.fixture(autouse=True)
def _private_root(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


def log_in(client: Any, request: Any, role: str) -> Any:
    if role == "anonymous":
        return None
    persona = request.getfixturevalue(role)
    user = persona.user if role == "walker" else persona
    client.force_login(user)
    return persona


def is_login_redirect(response: Any) -> bool:
    return (
        response.status_code == 302 and reverse("account_login") in response["Location"]
    )


@pytest.fixture
def ready_walker(walker: Any, staff: User) -> Any:
    return make_available(make_verified(walker, staff))


@pytest.fixture
def other_walker(staff: User) -> Any:
    other = WalkerProfileFactory(user__email="sri@contoh.co.id", user__first_name="Sri")
    return make_available(make_verified(other, staff))


@pytest.fixture
def walk(ready_walker: Any, owner: User) -> Booking:
    return BookingFactory(
        owner=owner, walker=ready_walker, status=Booking.Status.CONFIRMED
    )


WALKER_PAGES = ["walkers:dashboard", "walkers:history", "walkers:availability"]


@pytest.mark.parametrize("name", WALKER_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_walker_pages(db, client, request, name, role):
    log_in(client, request, role)
    response = client.get(reverse(name))
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role == "walker":
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_walk_page(client, request, role, walk):
    log_in(client, request, role)
    response = client.get(reverse("walkers:walk", args=[walk.reference]))
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role == "walker":
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_on_the_way_post(client, request, role, ready_walker, owner):
    soon = timezone.now() + dt.timedelta(minutes=30)
    walk = BookingFactory(
        owner=owner,
        walker=ready_walker,
        status=Booking.Status.CONFIRMED,
        starts_at=soon,
    )
    log_in(client, request, role)
    response = client.post(reverse("walkers:on-the-way", args=[walk.reference]))
    walk.refresh_from_db()
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role == "walker":
        assert response.status_code == 302
    else:
        assert response.status_code == 403
    assert (walk.on_the_way_at is not None) is (role == "walker")


def test_on_the_way_needs_post(client, walk):
    client.force_login(walk.walker.user)
    response = client.get(reverse("walkers:on-the-way", args=[walk.reference]))
    assert response.status_code == 405


def test_other_walkers_walk_is_not_found(client, walk, other_walker):
    client.force_login(other_walker.user)
    assert client.get(reverse("walkers:walk", args=[walk.reference])).status_code == 404
    response = client.post(reverse("walkers:on-the-way", args=[walk.reference]))
    assert response.status_code == 404
    walk.refresh_from_db()
    assert walk.on_the_way_at is None


def test_unassigned_booking_is_not_found(client, ready_walker):
    booking = BookingFactory()
    client.force_login(ready_walker.user)
    assert (
        client.get(reverse("walkers:walk", args=[booking.reference])).status_code == 404
    )


def test_cancelled_walk_is_not_found(client, walk):
    walk.status = Booking.Status.CANCELLED
    walk.save()
    client.force_login(walk.walker.user)
    assert client.get(reverse("walkers:walk", args=[walk.reference])).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_time_off_add(client, request, role, walker):
    log_in(client, request, role)
    day = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(reverse("walkers:add-time-off"), {"date": day.isoformat()})
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role == "walker":
        assert response.status_code == 302
    else:
        assert response.status_code == 403
    assert AvailabilityException.objects.exists() is (role == "walker")


@pytest.mark.parametrize("role", ROLES)
def test_time_off_delete(client, request, role, walker):
    exception = AvailabilityException.objects.create(
        walker=walker, date=timezone.localdate() + dt.timedelta(days=3)
    )
    log_in(client, request, role)
    response = client.post(reverse("walkers:delete-time-off", args=[exception.pk]))
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role == "walker":
        assert response.status_code == 302
    else:
        assert response.status_code == 403
    assert AvailabilityException.objects.exists() is (role != "walker")


def test_other_walkers_time_off_is_not_found(client, walker, other_walker):
    theirs = AvailabilityException.objects.create(
        walker=other_walker, date=timezone.localdate() + dt.timedelta(days=3)
    )
    client.force_login(walker.user)
    response = client.post(reverse("walkers:delete-time-off", args=[theirs.pk]))
    assert response.status_code == 404
    assert AvailabilityException.objects.filter(pk=theirs.pk).exists()


def test_walker_role_without_profile_is_not_found(client, db):
    user = UserFactory(role=User.Role.WALKER)
    client.force_login(user)
    assert client.get(reverse("walkers:dashboard")).status_code == 404


@pytest.fixture
def ktp(walker: Any) -> WalkerDocument:
    return add_document(
        walker,
        WalkerDocument.Kind.KTP,
        ContentFile(b"\xff\xd8 pretend jpeg"),
        "image/jpeg",
    )


@pytest.mark.parametrize("role", ROLES)
def test_document(client, request, role, ktp, caplog):
    log_in(client, request, role)
    with caplog.at_level(logging.WARNING, logger="walkers.views"):
        response = client.get(reverse("walkers:document", args=[ktp.pk]))
    if role == "anonymous":
        assert is_login_redirect(response)
        assert "denied" in caplog.text
    elif role == "staff":
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == b"\xff\xd8 pretend jpeg"
    else:
        assert response.status_code == 404
        assert "denied" in caplog.text


def test_own_document_is_not_served_to_the_walker(client, walker, ktp):
    client.force_login(walker.user)
    assert client.get(reverse("walkers:document", args=[ktp.pk])).status_code == 404


def test_staff_without_permission_gets_not_found(client, ktp):
    clerk = UserFactory(role=User.Role.STAFF, is_staff=True)
    client.force_login(clerk)
    assert client.get(reverse("walkers:document", args=[ktp.pk])).status_code == 404
    clerk.user_permissions.add(Permission.objects.get(codename="view_walkerdocument"))
    clerk = User.objects.get(pk=clerk.pk)
    client.force_login(clerk)
    assert client.get(reverse("walkers:document", args=[ktp.pk])).status_code == 200


def test_missing_document_is_not_found_for_staff(staff_client, db):
    assert (
        staff_client.get(reverse("walkers:document", args=[999999])).status_code == 404
    )


@pytest.mark.parametrize("role", ROLES)
def test_public_pages(client, request, role, ready_walker):
    log_in(client, request, role)
    assert client.get(reverse("walkers:list")).status_code == 200
    response = client.get(reverse("walkers:profile", args=[ready_walker.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_unverified_profile_is_not_found(client, request, role, staff):
    applicant = WalkerProfileFactory()
    applicant.stages.all().delete()
    log_in(client, request, role)
    assert (
        client.get(reverse("walkers:profile", args=[applicant.pk])).status_code == 404
    )


def test_suspended_profile_is_not_found(client, ready_walker):
    ready_walker.is_active = False
    ready_walker.save()
    assert (
        client.get(reverse("walkers:profile", args=[ready_walker.pk])).status_code
        == 404
    )


@pytest.mark.parametrize("role", ROLES)
def test_prefer(client, request, role, ready_walker):
    user = log_in(client, request, role)
    url = reverse("walkers:prefer", args=[ready_walker.pk])
    response = client.post(url, {"preferred": "1"})
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role == "owner":
        assert response.status_code == 302
        assert ready_walker.preferred_by.filter(owner=user).exists()
    else:
        assert response.status_code == 403
    assert ready_walker.preferred_by.exists() is (role == "owner")


def test_document_with_missing_file_is_not_found(staff_client, ktp, caplog):
    Path(ktp.file.path).unlink()
    assert (
        staff_client.get(reverse("walkers:document", args=[ktp.pk])).status_code == 404
    )
    assert "no file in storage" in caplog.text


def test_deleting_a_document_removes_its_file(ktp, django_capture_on_commit_callbacks):
    path = Path(ktp.file.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ktp.delete()
    assert not path.exists()


def test_private_root_inside_media_root_fails_the_check(settings, tmp_path):
    from walkers.checks import private_media_outside_media_root

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media" / "private"
    errors = private_media_outside_media_root(None)
    assert [error.id for error in errors] == ["walkers.E001"]
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    assert private_media_outside_media_root(None) == []
