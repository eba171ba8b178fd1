"""Who may see a walk, and loading walks and media through those rules."""

from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from accounts.models import User
from bookings.models import Booking
from reports.models import ShareLink, WalkMedia


def may_view_walk(user: Any, booking: Booking) -> bool:
    """Tell whether a user may follow this walk: its owner, its walker or staff."""
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_staff:
        return True
    if booking.owner_id == user.pk:
        return True
    return booking.walker is not None and booking.walker.user_id == user.pk


def get_viewable_booking(request: HttpRequest, reference: str) -> Booking:
    """Return a booking the user may follow; 404 for anyone else's."""
    booking = get_object_or_404(
        Booking.objects.exclude(status=Booking.Status.CANCELLED).select_related(
            "service", "area", "district", "owner", "walker__user"
        ),
        reference=reference,
    )
    if not may_view_walk(request.user, booking):
        raise Http404("No such walk.")
    return booking


def get_share_link(token: str) -> ShareLink:
    """Return a share link that still works; 404 when revoked or the walk ended."""
    return get_object_or_404(
        ShareLink.objects.usable().select_related(
            "booking__service", "booking__walker__user", "booking__walk_start"
        ),
        token=token,
    )


def get_viewable_media(request: HttpRequest, token: str) -> WalkMedia:
    media = get_object_or_404(
        WalkMedia.objects.select_related("booking__walker"), token=token
    )
    if not may_view_walk(request.user, media.booking):
        raise Http404("No such file.")
    return media
