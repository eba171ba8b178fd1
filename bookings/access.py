"""Access rules of the owner pages, and loading objects through their owner."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.models import User
from bookings.models import Booking, BookingSeries, Dog


def owner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in logged-in pet owners only; other roles get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.role != User.Role.OWNER:  # type: ignore[union-attr]
            raise PermissionDenied("Only pet owner accounts can use this page.")
        return view(request, *args, **kwargs)

    return wrapper


def get_owned_booking(request: HttpRequest, reference: str) -> Booking:
    return get_object_or_404(
        Booking.objects.owned_by(request.user).select_related(
            "service", "area", "district", "walker__user", "series"
        ),
        reference=reference,
    )


def get_owned_dog(request: HttpRequest, pk: int) -> Dog:
    return get_object_or_404(Dog.objects.owned_by(request.user), pk=pk)


def get_owned_series(request: HttpRequest, pk: int) -> BookingSeries:
    return get_object_or_404(BookingSeries.objects.filter(owner=request.user.pk), pk=pk)
