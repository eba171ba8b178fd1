import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from notifications.forms import PreferenceForm
from notifications.models import Notification, NotificationPreference
from notifications.providers import whatsapp_provider

logger = logging.getLogger(__name__)

PAGE_SIZE = 30


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.for_user(request.user).order_by(
        "-created_at", "-pk"
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {"page": page})


@require_GET
def unread_count(request: HttpRequest) -> HttpResponse:
    """Return the signed-in user's unread count as JSON, for the navbar badge."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Log in to see your notifications."}, status=401)
    count = Notification.objects.for_user(request.user).unread().count()
    response = JsonResponse({"unread": count})
    response["Cache-Control"] = "private, no-store"
    return response


def _safe_next(request: HttpRequest, url: str) -> str | None:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's notifications read, then follow its link."""
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    if request.POST.get("open") and _safe_next(request, notification.url):
        return redirect(notification.url)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = (
        Notification.objects.for_user(request.user)
        .unread()
        .update(read_at=timezone.now())
    )
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    preference, _created = NotificationPreference.objects.get_or_create(
        user=request.user
    )
    whatsapp_on = whatsapp_provider() is not None
    # An unticked box sends no field, so a POST may be empty and still count.
    data = request.POST if request.method == "POST" else None
    form = PreferenceForm(data, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        logger.info(
            "User %s set WhatsApp messages %s",
            request.user.pk,
            "on" if preference.whatsapp else "off",
        )
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "whatsapp_on": whatsapp_on},
    )
