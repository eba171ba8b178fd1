from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    # TODO: the profile form (name, phone, language) replaces this page.
    return render(request, "accounts/profile.html")
