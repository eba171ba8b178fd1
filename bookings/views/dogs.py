from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bookings.access import owner_required
from bookings.models import Dog


@owner_required
def dog_list(request: HttpRequest) -> HttpResponse:
    # TODO: add, edit and remove views come with the dog form.
    return render(request, "bookings/dog_list.html", {"dogs": Dog.objects.owned_by(request.user)})
