from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bookings.models import Area, Service


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "home.html",
        {
            "services": Service.objects.filter(is_active=True),
            "areas": Area.objects.filter(is_active=True),
        },
    )
