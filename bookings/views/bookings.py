import datetime as dt
import logging
import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings.access import get_owned_booking, get_owned_series, owner_required
from bookings.forms import BookingForm
from bookings.models import (
    Booking,
    BookingEvent,
    BookingPolicy,
    Dog,
    IllegalTransition,
    Service,
)
from bookings.services import (
    SLOT_MESSAGES,
    book,
    book_series,
    cancel,
    quote_cancellation,
)

logger = logging.getLogger(__name__)


@owner_required
def booking_list(request: HttpRequest) -> HttpResponse:
    bookings = Booking.objects.owned_by(request.user).for_list()
    upcoming = list(bookings.upcoming())
    past_page = Paginator(bookings.past(), 20).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(
        request,
        "bookings/booking_list.html",
        {
            "today_bookings": [b for b in upcoming if b.local_date == today],
            "later_bookings": [b for b in upcoming if b.local_date > today],
            "past_page": past_page,
            "has_dogs": Dog.objects.owned_by(request.user).exists(),
        },
    )


@owner_required
def booking_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        already = _booking_of_token(request)
        if already:
            # A double click or a resubmitted form: the first request booked it.
            messages.info(request, _("This booking was already made; here it is."))
            if already.series_id:
                return redirect("bookings:series", pk=already.series_id)
            return redirect("bookings:detail", reference=already.reference)
        form = BookingForm(request.POST, owner=request.user)
        if form.is_valid():
            data = form.cleaned_data
            if form.is_recurring:
                series, created = book_series(
                    request.user,
                    form.details(),
                    data["date"],
                    data["start_time"],
                    data["repeat_weekdays"],
                    data["repeat_weeks"],
                    data["request_token"],
                )
                return redirect("bookings:series", pk=series.pk)
            booking, created = book(
                request.user, form.details(), form.starts_at, data["request_token"]
            )
            if created:
                messages.success(
                    request, _("Your walk is booked. We will confirm your walker soon.")
                )
            else:
                messages.info(request, _("This booking was already made; here it is."))
            return redirect("bookings:detail", reference=booking.reference)
    else:
        form = BookingForm(
            owner=request.user, initial=_initial_from_last_booking(request)
        )
    areas = form.areas()
    return render(
        request,
        "bookings/booking_form.html",
        {
            "form": form,
            "policy": form.policy,
            "areas": areas,
            "area_bounds": [
                [
                    float(area.min_latitude),
                    float(area.min_longitude),
                    float(area.max_latitude),
                    float(area.max_longitude),
                ]
                for area in areas
            ],
            "service_prices": {
                service.pk: {"price": service.price, "extra": service.extra_dog_price}
                for service in Service.objects.filter(is_active=True)
            },
        },
    )


def _booking_of_token(request: HttpRequest) -> Booking | None:
    try:
        token = uuid.UUID(request.POST.get("request_token", ""))
    except ValueError:
        return None
    return Booking.objects.owned_by(request.user).filter(request_token=token).first()


def _initial_from_last_booking(request: HttpRequest) -> dict[str, object]:
    """Prefill the address of the owner's latest booking: most walks start at home."""
    last = Booking.objects.owned_by(request.user).order_by("-created_at").first()
    initial: dict[str, object] = {"date": timezone.localdate() + dt.timedelta(days=1)}
    if last:
        initial.update(
            address=last.address,
            latitude=last.latitude,
            longitude=last.longitude,
            district=last.district_id,
        )
    return initial


@owner_required
def booking_detail(request: HttpRequest, reference: str) -> HttpResponse:
    booking = get_owned_booking(request, reference)
    events = BookingEvent.objects.filter(booking=booking).select_related("actor")
    return render(
        request,
        "bookings/booking_detail.html",
        {
            "booking": booking,
            "dogs": booking.dogs.all(),
            "events": events,
            "quote": quote_cancellation(booking) if booking.is_cancellable else None,
            "policy": BookingPolicy.current(),
        },
    )


@owner_required
@require_POST
def booking_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    booking = get_owned_booking(request, reference)
    if not booking.is_cancellable:
        messages.error(request, _("This booking can no longer be cancelled."))
        return redirect("bookings:detail", reference=booking.reference)
    try:
        quote = cancel(booking, request.user)
    except IllegalTransition:
        logger.info("Cancel of booking %s rejected: status changed", booking.reference)
        messages.error(
            request, _("This booking changed meanwhile and can no longer be cancelled.")
        )
    else:
        if quote.is_free:
            messages.success(request, _("Booking cancelled, free of charge."))
        else:
            messages.warning(
                request, _("Booking cancelled. A late cancellation fee applies.")
            )
    return redirect("bookings:detail", reference=booking.reference)


@owner_required
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    series = get_owned_series(request, pk)
    bookings = series.bookings.select_related("service").prefetch_related(
        Prefetch("dogs", queryset=Dog.objects.only("name"))
    )
    skipped = [
        {
            "date": dt.date.fromisoformat(item["date"]),
            "reason": str(SLOT_MESSAGES[item["code"]]) % item["params"],
        }
        for item in series.skipped
    ]
    return render(
        request,
        "bookings/series_detail.html",
        {"series": series, "bookings": bookings, "skipped": skipped},
    )
