import datetime as dt
import json
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from bookings.models import Booking, IllegalTransition
from reports import services
from reports.access import get_share_link, get_viewable_booking, get_viewable_media
from reports.forms import PositionForm, ReportForm, ReviewForm, StartForm, UpdateForm
from reports.geo import draw_route, trail_length_m
from reports.models import Incident, Review, ShareLink, VetClinic, WalkMedia, WalkReport
from reports.storage import serves_local_files
from walkers.access import get_assigned_booking, walker_required
from walkers.models import WalkerProfile

logger = logging.getLogger(__name__)

# The most positions one batch may carry: an hour of one fix every 5 s.
MAX_POINTS_PER_BATCH = 720
NEAREST_CLINICS = 3
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# htmx stops polling when a response has this status.
HTMX_STOP_POLLING = 286


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# The walker's pages ----------------------------------------------------------


@walker_required
def start(request: HttpRequest, walker: WalkerProfile, reference: str) -> HttpResponse:
    booking = get_assigned_booking(walker, reference)
    if booking.status == Booking.Status.IN_PROGRESS:
        return redirect("reports:run", reference=booking.reference)
    if not services.can_start(booking):
        messages.error(
            request,
            _("You can start a confirmed walk from two hours before its time."),
        )
        return redirect("walkers:walk", reference=booking.reference)
    form = StartForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.start_walk(
                booking,
                walker_user=walker.user,
                checklist=data,
                photo=data["photo"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                cleaned_photo=form.photo_content,
            )
        except ValidationError as error:
            form.add_error("photo", error)
        except IllegalTransition:
            logger.info("Walk start rejected for booking %s", booking.reference)
            messages.error(request, _("This walk changed meanwhile; check it again."))
            return redirect("walkers:walk", reference=booking.reference)
        else:
            messages.success(request, _("The walk has started. Have a good walk!"))
            return redirect("reports:run", reference=booking.reference)
    return render(
        request,
        "reports/start.html",
        {"booking": booking, "dogs": booking.dogs.all(), "form": form},
    )


def _running_booking(walker: WalkerProfile, reference: str) -> Booking | None:
    booking = get_assigned_booking(walker, reference)
    return booking if booking.status == Booking.Status.IN_PROGRESS else None


@walker_required
def run(request: HttpRequest, walker: WalkerProfile, reference: str) -> HttpResponse:
    booking = get_assigned_booking(walker, reference)
    if booking.status == Booking.Status.CONFIRMED:
        return redirect("reports:start", reference=booking.reference)
    if booking.status != Booking.Status.IN_PROGRESS:
        return redirect("reports:walk", reference=booking.reference)
    return render(
        request,
        "reports/run.html",
        {
            "booking": booking,
            "walk_start": booking.walk_start,
            "media": booking.walk_media.all(),
            "form": UpdateForm(),
            "video_max_bytes": settings.VIDEO_MAX_BYTES,
            "photo_max_bytes": settings.PHOTO_MAX_BYTES,
            "limits": _("Photos up to %(photo)s, videos up to %(video)s.")
            % {
                "photo": filesizeformat(settings.PHOTO_MAX_BYTES),
                "video": filesizeformat(settings.VIDEO_MAX_BYTES),
            },
        },
    )


@walker_required
@require_POST
def upload(request: HttpRequest, walker: WalkerProfile, reference: str) -> HttpResponse:
    """Store one photo or video update; answer JSON to the page's script."""
    booking = _running_booking(walker, reference)
    if booking is None:
        return _upload_error(request, reference, _("This walk is not running."), 409)
    form = UpdateForm(request.POST, request.FILES)
    if not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _upload_error(request, reference, message, 400)
    data = form.cleaned_data
    try:
        media, created = services.add_media(
            booking,
            data["file"],
            phase=WalkMedia.Phase.UPDATE,
            caption=data["caption"],
            client_id=data["client_id"],
        )
    except ValidationError as error:
        return _upload_error(request, reference, " ".join(error.messages), 400)
    logger.info(
        "Walk %s media %s stored (new=%s)", booking.reference, media.pk, created
    )
    if _wants_json(request):
        return JsonResponse(
            {
                "id": media.pk,
                "kind": media.kind,
                "created": created,
                "url": reverse("reports:media", args=[media.token, "thumb"]),
                "caption": media.caption,
            },
            status=201 if created else 200,
        )
    messages.success(request, _("Sent: the owner sees it now."))
    return redirect("reports:run", reference=booking.reference)


def _upload_error(
    request: HttpRequest, reference: str, message: str, status: int
) -> HttpResponse:
    logger.info("Walk %s upload rejected: %s", reference, status)
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return redirect("reports:run", reference=reference)


def _parse_points(
    payload: Any,
) -> list[tuple[dt.datetime, Decimal, Decimal, int | None]]:
    """Read a batch of positions; raise ValueError naming the first bad one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("points"), list):
        raise ValueError('expected {"points": [...]}')
    raw_points = payload["points"]
    if len(raw_points) > MAX_POINTS_PER_BATCH:
        raise ValueError(f"at most {MAX_POINTS_PER_BATCH} points per batch")
    points = []
    for index, raw in enumerate(raw_points):
        try:
            # Whole milliseconds, so a resent point compares equal to its copy.
            at = EPOCH + dt.timedelta(milliseconds=round(float(raw["t"])))
            latitude = Decimal(str(raw["lat"])).quantize(Decimal("0.000001"))
            longitude = Decimal(str(raw["lng"])).quantize(Decimal("0.000001"))
            accuracy = raw.get("acc")
            accuracy = None if accuracy is None else max(0, round(float(accuracy)))
        except (KeyError, TypeError, ValueError, InvalidOperation, OverflowError):
            raise ValueError(f"point {index} is invalid") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError(f"point {index} is outside the globe")
        points.append((at, latitude, longitude, accuracy))
    return points


@walker_required
@require_POST
def track(request: HttpRequest, walker: WalkerProfile, reference: str) -> HttpResponse:
    """Store a batch of GPS positions sent by the walker's page."""
    booking = get_assigned_booking(walker, reference)
    if booking.status not in (Booking.Status.IN_PROGRESS, Booking.Status.COMPLETED):
        return JsonResponse({"error": "This walk has not started."}, status=409)
    try:
        points = _parse_points(json.loads(request.body))
    except (ValueError, UnicodeDecodeError) as error:
        logger.info("Walk %s GPS batch rejected: %s", booking.reference, error)
        return JsonResponse({"error": f"Invalid GPS batch: {error}."}, status=400)
    result = services.record_points(booking, points)
    return JsonResponse({"stored": result.stored, "dropped": result.dropped})


@walker_required
@require_POST
def emergency(
    request: HttpRequest, walker: WalkerProfile, reference: str
) -> HttpResponse:
    booking = get_assigned_booking(walker, reference)
    if booking.status not in (Booking.Status.IN_PROGRESS, Booking.Status.CONFIRMED):
        raise Http404("This walk is not running.")
    position = PositionForm(request.POST)
    position.is_valid()
    incident = services.raise_emergency(
        booking,
        user=walker.user,
        latitude=position.cleaned_data.get("latitude"),
        longitude=position.cleaned_data.get("longitude"),
        located_at=timezone.now(),
    )
    return redirect(
        "reports:emergency-detail", reference=booking.reference, pk=incident.pk
    )


@walker_required
def emergency_detail(
    request: HttpRequest, walker: WalkerProfile, reference: str, pk: int
) -> HttpResponse:
    booking = get_assigned_booking(walker, reference)
    incident = get_object_or_404(Incident, booking=booking, pk=pk)
    here = (
        (incident.latitude, incident.longitude)
        if incident.latitude is not None
        else (booking.latitude, booking.longitude)
    )
    clinics = sorted(
        VetClinic.objects.filter(is_active=True),
        key=lambda clinic: clinic.distance_to(*here),
    )[:NEAREST_CLINICS]
    for clinic in clinics:
        clinic.distance_km = round(clinic.distance_to(*here) / 1000, 1)  # type: ignore[attr-defined]
    return render(
        request,
        "reports/emergency.html",
        {
            "booking": booking,
            "incident": incident,
            "clinics": clinics,
            "dogs": booking.dogs.all(),
            "owner": booking.owner,
            "ops_phone": settings.OPS_PHONE,
        },
    )


@walker_required
def report(request: HttpRequest, walker: WalkerProfile, reference: str) -> HttpResponse:
    booking = get_assigned_booking(walker, reference)
    if booking.status != Booking.Status.IN_PROGRESS:
        if booking.status == Booking.Status.COMPLETED:
            return redirect("reports:walk", reference=booking.reference)
        return redirect("walkers:walk", reference=booking.reference)
    draft, _created = WalkReport.objects.get_or_create(booking=booking)
    dropoff = booking.walk_media.filter(phase=WalkMedia.Phase.DROPOFF).first()
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        instance=draft,
        has_dropoff_photo=dropoff is not None,
        had_emergency=booking.incidents.exists(),
    )
    if request.method == "POST" and form.is_valid():
        filing = request.POST.get("action") == "file"
        if filing and not form.check_complete():
            return _report_page(request, booking, form, dropoff, status=400)
        photo = form.cleaned_data.get("dropoff_photo")
        # clean_dropoff_photo has already checked the photo, so add_media does
        # not raise on its content. The photo and the answers share one
        # transaction.
        with transaction.atomic():
            if photo:
                dropoff, _new = services.add_media(
                    booking,
                    photo,
                    phase=WalkMedia.Phase.DROPOFF,
                    cleaned=form.dropoff_content,
                )
            form.save()
        if not filing:
            if _wants_json(request):
                return JsonResponse({"saved": timezone.localtime().isoformat()})
            messages.success(request, _("Draft saved. You can finish it later."))
            return redirect("reports:report", reference=booking.reference)
        try:
            services.file_report(draft, walker.user)
        except IllegalTransition:
            messages.error(request, _("This walk changed meanwhile; check it again."))
            return redirect("walkers:walk", reference=booking.reference)
        messages.success(request, _("Report filed. The walk is complete. Thank you!"))
        return redirect("walkers:walk", reference=booking.reference)
    status = 400 if request.method == "POST" else 200
    return _report_page(request, booking, form, dropoff, status=status)


def _report_page(
    request: HttpRequest, booking: Booking, form: ReportForm, dropoff: Any, status: int
) -> HttpResponse:
    return render(
        request,
        "reports/report_form.html",
        {"booking": booking, "form": form, "dropoff": dropoff},
        status=status,
    )


# The owner's pages -------------------------------------------------------------


def _walk_context(booking: Booking, media_url: Any) -> dict[str, Any]:
    walk_start = getattr(booking, "walk_start", None)
    points = services.trail_of(booking)
    distance = round(trail_length_m(points))
    media = [
        {
            "item": item,
            "thumb": media_url(item, "thumb"),
            "display": media_url(item, "display"),
            "full": media_url(item, "full"),
        }
        for item in booking.walk_media.all()
    ]
    report = WalkReport.objects.filter(booking=booking, state="filed").first()
    return {
        "booking": booking,
        "walk_start": walk_start,
        "walked_minutes": report.duration_minutes if report else None,
        "media": media,
        "route": draw_route(points),
        "points_json": [[round(p[0], 6), round(p[1], 6)] for p in points],
        "distance_km": distance / 1000,
        "incidents": list(booking.incidents.all()),
        "now": timezone.now(),
    }


def _login_or_404(request: HttpRequest) -> HttpResponseRedirect | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


def _member_media_url(item: WalkMedia, variant: str) -> str:
    return reverse("reports:media", args=[item.token, variant])


@never_cache
def walk(request: HttpRequest, reference: str) -> HttpResponse:
    """The walk for its owner (and its walker and staff): live, then the report."""
    if login := _login_or_404(request):
        return login
    booking = get_viewable_booking(request, reference)
    context = _walk_context(booking, _member_media_url)
    report = WalkReport.objects.filter(booking=booking, state="filed").first()
    review = Review.objects.filter(booking=booking).first()
    is_owner = booking.owner_id == request.user.pk
    context.update(
        {
            "report": report,
            "review": review,
            "is_owner": is_owner,
            "review_form": ReviewForm()
            if is_owner and booking.status == Booking.Status.COMPLETED and not review
            else None,
            "share_links": ShareLink.objects.usable().filter(booking=booking)
            if is_owner
            else [],
            "feed_url": reverse("reports:feed", args=[booking.reference]),
        }
    )
    return render(request, "reports/walk.html", context)


@never_cache
def feed(request: HttpRequest, reference: str) -> HttpResponse:
    if login := _login_or_404(request):
        return login
    booking = get_viewable_booking(request, reference)
    return _feed_response(request, booking, _member_media_url)


def _feed_response(
    request: HttpRequest, booking: Booking, media_url: Any, shared: bool = False
) -> HttpResponse:
    context = _walk_context(booking, media_url)
    context["shared"] = shared
    response = render(request, "reports/_feed.html", context)
    if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.IN_PROGRESS):
        # The walk is over: the page reloads once to show the report.
        response["HX-Refresh"] = "true"
    return response


@require_POST
def share(request: HttpRequest, reference: str) -> HttpResponse:
    if login := _login_or_404(request):
        return login
    booking = get_viewable_booking(request, reference)
    if booking.owner_id != request.user.pk:
        raise Http404("No such walk.")
    if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.IN_PROGRESS):
        messages.error(
            request, _("A live link can be shared only until the walk ends.")
        )
    else:
        ShareLink.objects.create(booking=booking)
        messages.success(
            request,
            _("Live link made. Send it to family: it stops when the walk ends."),
        )
    return redirect("reports:walk", reference=booking.reference)


@require_POST
def revoke_share(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    if login := _login_or_404(request):
        return login
    booking = get_viewable_booking(request, reference)
    if booking.owner_id != request.user.pk:
        raise Http404("No such walk.")
    link = get_object_or_404(ShareLink, booking=booking, pk=pk, revoked_at__isnull=True)
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    messages.success(request, _("The live link no longer works."))
    return redirect("reports:walk", reference=booking.reference)


@require_POST
def review(request: HttpRequest, reference: str) -> HttpResponse:
    if login := _login_or_404(request):
        return login
    booking = get_viewable_booking(request, reference)
    if booking.owner_id != request.user.pk:
        raise Http404("No such walk.")
    if booking.status != Booking.Status.COMPLETED:
        messages.error(request, _("You can rate a walk once it is completed."))
        return redirect("reports:walk", reference=booking.reference)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        context = _walk_context(booking, _member_media_url)
        context.update(
            {
                "report": WalkReport.objects.filter(
                    booking=booking, state="filed"
                ).first(),
                "is_owner": True,
                "review_form": form,
                "feed_url": reverse("reports:feed", args=[booking.reference]),
            }
        )
        return render(request, "reports/walk.html", context, status=400)
    data = form.cleaned_data
    try:
        services.add_review(
            booking, rating=data["rating"], text=data["text"], tip=data["tip"]
        )
    except IntegrityError:
        messages.error(request, _("You have already rated this walk."))
        return redirect("reports:walk", reference=booking.reference)
    messages.success(request, _("Thank you for rating the walk!"))
    return redirect("reports:walk", reference=booking.reference)


# Share links -----------------------------------------------------------------


def _shared_media_url(token: str) -> Any:
    def url(item: WalkMedia, variant: str) -> str:
        return reverse("reports:shared-media", args=[token, item.token, variant])

    return url


@never_cache
def shared(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = get_share_link(token)
    except Http404:
        # Revoked, ended or never made: the visitor reads why, not Django's 404.
        return render(request, "reports/shared_ended.html", status=404)
    context = _walk_context(link.booking, _shared_media_url(token))
    context["feed_url"] = reverse("reports:shared-feed", args=[token])
    context["shared"] = True
    return render(request, "reports/shared.html", context)


@never_cache
def shared_feed(request: HttpRequest, token: str) -> HttpResponse:
    link = ShareLink.objects.filter(token=token).select_related("booking").first()
    if link is None:
        raise Http404("No such link.")
    if not ShareLink.objects.usable().filter(pk=link.pk).exists():
        response = render(request, "reports/_shared_ended.html")
        response.status_code = HTMX_STOP_POLLING
        return response
    return _feed_response(request, link.booking, _shared_media_url(token), shared=True)


# Media -----------------------------------------------------------------------


def _serve(item: WalkMedia, variant: str) -> HttpResponseBase:
    field_file = item.variant(variant)
    if field_file is None or not field_file.name:
        raise Http404("No such file.")
    storage = field_file.storage
    content_type = "image/jpeg" if field_file is not item.file else item.content_type
    if not serves_local_files(storage):
        # A cloud storage hands out a short-lived signed URL instead.
        return HttpResponseRedirect(storage.url(field_file.name))
    if settings.WALK_MEDIA_ACCEL_PREFIX:
        response: HttpResponseBase = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = (
            settings.WALK_MEDIA_ACCEL_PREFIX + field_file.name
        )
    else:
        try:
            response = FileResponse(field_file.open("rb"), content_type=content_type)
        except FileNotFoundError:
            logger.error("Walk media %s has no file in storage", item.pk)
            raise Http404("No such file.") from None
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


VARIANTS = ("thumb", "display", "full")


def media(request: HttpRequest, token: str, variant: str) -> HttpResponseBase:
    if variant not in VARIANTS:
        raise Http404("No such size.")
    if login := _login_or_404(request):
        return login
    return _serve(get_viewable_media(request, token), variant)


def shared_media(
    request: HttpRequest, share_token: str, token: str, variant: str
) -> HttpResponseBase:
    if variant not in VARIANTS:
        raise Http404("No such size.")
    link = get_share_link(share_token)
    item = get_object_or_404(WalkMedia, booking=link.booking_id, token=token)
    return _serve(item, variant)
