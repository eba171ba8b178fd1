import logging
from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import User
from bookings.access import get_owned_dog, owner_required
from bookings.dog_forms import DogForm
from bookings.models import Booking, Dog

logger = logging.getLogger(__name__)


@owner_required
def dog_list(request: HttpRequest) -> HttpResponse:
    dogs = Dog.objects.owned_by(request.user)
    return render(request, "bookings/dog_list.html", {"dogs": dogs})


@owner_required
def dog_add(request: HttpRequest) -> HttpResponse:
    dog = Dog(owner=cast(User, request.user))
    if request.method == "POST":
        form = DogForm(request.POST, request.FILES, instance=dog)
        if form.is_valid():
            dog = form.save()
            logger.info("Dog %s added by owner %s", dog.pk, request.user.pk)
            messages.success(request, _("%(name)s is added.") % {"name": dog.name})
            return redirect("dogs:list")
    else:
        form = DogForm(instance=dog)
    return render(request, "bookings/dog_form.html", {"form": form, "dog": None})


@owner_required
def dog_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dog = get_owned_dog(request, pk)
    if request.method == "POST":
        form = DogForm(request.POST, request.FILES, instance=dog)
        if form.is_valid():
            dog = form.save()
            messages.success(request, _("%(name)s is saved.") % {"name": dog.name})
            return redirect("dogs:list")
    else:
        form = DogForm(instance=dog)
    # The form changes its instance while it validates, so the page shows the
    # stored photo and name from a fresh copy.
    stored = get_owned_dog(request, pk) if form.is_bound else dog
    return render(request, "bookings/dog_form.html", {"form": form, "dog": stored})


@owner_required
@require_http_methods(["GET", "POST"])
def dog_remove(request: HttpRequest, pk: int) -> HttpResponse:
    dog = get_owned_dog(request, pk)
    if request.method == "POST":
        # The row stays, so past bookings still show the dog.
        dog.removed_at = timezone.now()
        dog.save(update_fields=["removed_at"])
        logger.info("Dog %s removed by owner %s", dog.pk, request.user.pk)
        messages.success(request, _("%(name)s is removed.") % {"name": dog.name})
        return redirect("dogs:list")
    upcoming_bookings = (
        dog.bookings.upcoming().filter(status__in=Booking.CANCELLABLE_STATUSES).count()
    )
    return render(
        request,
        "bookings/dog_confirm_remove.html",
        {"dog": dog, "upcoming_bookings": upcoming_bookings},
    )
