"""Access rules of the walker pages, and loading walks through their walker."""

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from walkers.models import WalkerProfile


def walker_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in logged-in walkers who applied; pass their profile as ``walker``."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.role != User.Role.WALKER:  # type: ignore[union-attr]
            raise PermissionDenied("Only walker accounts can use this page.")
        walker = get_object_or_404(WalkerProfile, user=user)
        return view(request, walker, *args, **kwargs)

    return wrapper


def get_assigned_booking(walker: WalkerProfile, reference: str) -> Any:
    """Return a booking of this walker by reference; 404 for anyone else's."""
    from bookings.models import Booking

    return get_object_or_404(
        Booking.objects.filter(walker=walker)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("service", "area", "owner", "district"),
        reference=reference,
    )


# The assigned walker can read the access and handover notes (key and lockbox
# codes) from this long before the walk until it ends.
NOTES_LEAD_TIME = dt.timedelta(hours=2)


def access_notes_visible(booking: Any, now: dt.datetime | None = None) -> bool:
    """Tell whether the walker may read the notes now.

    A walk ends when its report is filed (the booking is completed), which
    may be before or after its booked end: a running walk keeps the notes
    past the booked end, a completed or cancelled one hides them at once.
    """
    from bookings.models import Booking

    now = now or timezone.now()
    if booking.status == Booking.Status.IN_PROGRESS:
        return True
    if booking.status in (Booking.Status.COMPLETED, Booking.Status.CANCELLED):
        return False
    return bool(booking.starts_at - NOTES_LEAD_TIME <= now < booking.ends_at)


def can_mark_on_the_way(booking: Any, now: dt.datetime | None = None) -> bool:
    from bookings.models import Booking

    return booking.status == Booking.Status.CONFIRMED and access_notes_visible(
        booking, now
    )
