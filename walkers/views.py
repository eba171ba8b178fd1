import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from bookings.matching import OfferUnavailable, accept_offer, decline_offer
from bookings.models import Area, Booking, Dog, IllegalTransition, Offer
from bookings.services import mark_on_the_way
from walkers.access import (
    access_notes_visible,
    can_mark_on_the_way,
    get_assigned_booking,
    walker_required,
)
from walkers.forms import (
    ApplicationForm,
    AvailabilityExceptionForm,
    AvailabilitySettingsForm,
    DeclineOfferForm,
    DocumentForm,
    ProfileForm,
    WeeklyPatternForm,
)
from walkers.models import (
    AvailabilityException,
    PreferredWalker,
    WalkerDocument,
    WalkerProfile,
)
from walkers.reliability import reliability_of
from walkers.services import add_document, submit_application

logger = logging.getLogger(__name__)

PAGE_SIZE = 20


def apply(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "walkers/apply_start.html")
    if WalkerProfile.objects.filter(user=user).exists():
        return redirect("walkers:dashboard")
    if user.role != User.Role.OWNER:
        raise PermissionDenied("Only a new account can apply to walk.")
    if user.dogs.exists() or user.bookings.exists():
        return render(request, "walkers/apply_separate_account.html")
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES, user=user)
        pattern = WeeklyPatternForm(request.POST)
        if form.is_valid() and pattern.is_valid():
            submit_application(user, form, pattern)
            messages.success(
                request,
                _("Thank you! Your application is in. Here is what happens next."),
            )
            return redirect("walkers:dashboard")
    else:
        form = ApplicationForm(user=user)
        pattern = WeeklyPatternForm()
    return render(
        request, "walkers/apply_form.html", {"form": form, "pattern": pattern}
    )


def _walker_with_stages(walker: WalkerProfile) -> WalkerProfile:
    return WalkerProfile.objects.prefetch_related("stages", "areas").get(pk=walker.pk)


# How often the dashboard fetches the open offers again. An offer stays
# open for minutes, so a few seconds' delay costs the walker nothing.
OFFERS_REFRESH_SECONDS = 10


def _open_offers(walker: WalkerProfile) -> Any:
    return (
        Offer.objects.open()
        .filter(walker=walker)
        .select_related("booking__service", "booking__area", "booking__district")
        .prefetch_related("booking__dogs")
        .order_by("booking__starts_at")
    )


def offers(request: HttpRequest) -> HttpResponse:
    """Render the dashboard's list of open offers, which htmx fetches again.

    A logged-out request gets a bare 401 rather than the login page, which
    htmx would otherwise put in place of the list.
    """
    user = request.user
    if not user.is_authenticated:
        return HttpResponse(status=401)
    if user.role != User.Role.WALKER:
        raise PermissionDenied("Only walker accounts can use this page.")
    walker = get_object_or_404(WalkerProfile, user=user)
    return render(
        request,
        "walkers/_offers.html",
        {
            "offers": _open_offers(walker),
            "offers_refresh_seconds": OFFERS_REFRESH_SECONDS,
        },
    )


@walker_required
def dashboard(request: HttpRequest, walker: WalkerProfile) -> HttpResponse:
    walker = _walker_with_stages(walker)
    walks = list(
        Booking.objects.filter(walker=walker)
        .exclude(status=Booking.Status.CANCELLED)
        .upcoming()
        .select_related("service", "area", "owner")
        .prefetch_related("dogs")
    )
    today = timezone.localdate()
    documents = WalkerDocument.objects.filter(walker=walker).only(
        "kind", "uploaded_at", "walker_id"
    )
    return render(
        request,
        "walkers/dashboard.html",
        {
            "walker": walker,
            "offers": _open_offers(walker),
            "offers_refresh_seconds": OFFERS_REFRESH_SECONDS,
            "pipeline": walker.pipeline(),
            "documents": documents,
            "today_walks": [w for w in walks if w.local_date == today],
            "later_walks": [w for w in walks if w.local_date > today],
        },
    )


@walker_required
def edit_profile(request: HttpRequest, walker: WalkerProfile) -> HttpResponse:
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, instance=walker)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile is saved."))
            return redirect("walkers:edit-profile")
    else:
        form = ProfileForm(instance=walker)
    return _profile_page(request, walker, form, DocumentForm())


def _profile_page(
    request: HttpRequest, walker: WalkerProfile, form: Any, document_form: Any
) -> HttpResponse:
    documents = WalkerDocument.objects.filter(walker=walker).only(
        "kind", "uploaded_at", "walker_id"
    )
    return render(
        request,
        "walkers/edit_profile.html",
        {
            "walker": walker,
            "form": form,
            "document_form": document_form,
            "documents": documents,
        },
    )


@walker_required
@require_POST
def upload_document(request: HttpRequest, walker: WalkerProfile) -> HttpResponse:
    document_form = DocumentForm(request.POST, request.FILES)
    if not document_form.is_valid():
        return _profile_page(
            request, walker, ProfileForm(instance=walker), document_form
        )
    content, content_type = document_form.cleaned_data["content"]
    document = add_document(
        walker, document_form.cleaned_data["kind"], content, content_type
    )
    logger.info("Walker %s uploaded private document %s", walker.pk, document.pk)
    messages.success(request, _("Thank you: our staff will check the new document."))
    return redirect("walkers:edit-profile")


@walker_required
def walk_detail(
    request: HttpRequest, walker: WalkerProfile, reference: str
) -> HttpResponse:
    booking = get_assigned_booking(walker, reference)
    now = timezone.now()
    return render(
        request,
        "walkers/walk_detail.html",
        {
            "booking": booking,
            "dogs": booking.dogs.all(),
            "notes_visible": access_notes_visible(booking, now),
            "can_mark_on_the_way": can_mark_on_the_way(booking, now),
        },
    )


@walker_required
@require_POST
def on_the_way(
    request: HttpRequest, walker: WalkerProfile, reference: str
) -> HttpResponse:
    booking = get_assigned_booking(walker, reference)
    if not can_mark_on_the_way(booking):
        messages.error(
            request,
            _("You can say you are on your way from two hours before the walk."),
        )
        return redirect("walkers:walk", reference=booking.reference)
    try:
        mark_on_the_way(booking, walker)
    except IllegalTransition:
        logger.info("On-the-way mark rejected for booking %s", booking.reference)
        messages.error(request, _("This walk changed meanwhile; check it again."))
    else:
        messages.success(request, _("The owner can now see that you are on your way."))
    return redirect("walkers:walk", reference=booking.reference)


def _get_offer(walker: WalkerProfile, pk: int) -> Offer:
    """Return one of this walker's offers; 404 for anyone else's."""
    return get_object_or_404(
        Offer.objects.filter(walker=walker).select_related(
            "booking__service", "booking__area", "booking__district", "booking__owner"
        ),
        pk=pk,
    )


def _offer_page(
    request: HttpRequest, offer: Offer, form: DeclineOfferForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "walkers/offer_detail.html",
        {
            "offer": offer,
            "booking": offer.booking,
            "dogs": offer.booking.dogs.all(),
            "form": form,
        },
        status=status,
    )


def _offer_unavailable(
    request: HttpRequest, offer: Offer, walker: WalkerProfile, reason: str = ""
) -> HttpResponse:
    offer.refresh_from_db()
    booking = offer.booking
    booking.refresh_from_db(fields=["walker", "status"])
    if offer.state == Offer.State.ACCEPTED and booking.walker_id == walker.pk:
        # The same walker accepted twice, from two tabs or a double tap.
        messages.info(request, _("You have already accepted this walk."))
        return redirect("walkers:walk", reference=booking.reference)
    # 409 Conflict: the walk went to someone else or the offer closed.
    return render(
        request,
        "walkers/offer_unavailable.html",
        {"offer": offer, "reason": reason},
        status=409,
    )


@walker_required
def offer_detail(request: HttpRequest, walker: WalkerProfile, pk: int) -> HttpResponse:
    return _offer_page(request, _get_offer(walker, pk), DeclineOfferForm())


@walker_required
@require_POST
def offer_accept(request: HttpRequest, walker: WalkerProfile, pk: int) -> HttpResponse:
    offer = _get_offer(walker, pk)
    try:
        booking = accept_offer(offer, walker)
    except OfferUnavailable as error:
        return _offer_unavailable(request, offer, walker, str(error))
    messages.success(request, _("The walk is yours. Thank you!"))
    return redirect("walkers:walk", reference=booking.reference)


@walker_required
@require_POST
def offer_decline(request: HttpRequest, walker: WalkerProfile, pk: int) -> HttpResponse:
    offer = _get_offer(walker, pk)
    form = DeclineOfferForm(request.POST)
    if not form.is_valid():
        return _offer_page(request, offer, form)
    try:
        decline_offer(
            offer, walker, form.cleaned_data["reason"], form.cleaned_data["note"]
        )
    except OfferUnavailable as error:
        return _offer_unavailable(request, offer, walker, str(error))
    messages.info(request, _("Declined. We will offer the walk to someone else."))
    return redirect("walkers:dashboard")


@walker_required
def history(request: HttpRequest, walker: WalkerProfile) -> HttpResponse:
    # A walk completed before its booked end is past too, so the list matches
    # the "walks completed" count.
    past = (
        Booking.objects.filter(walker=walker)
        .filter(Q(ends_at__lte=timezone.now()) | Q(status=Booking.Status.COMPLETED))
        .order_by("-starts_at")
        .select_related("service", "area")
        .prefetch_related(Prefetch("dogs", queryset=Dog.objects.only("name")))
    )
    return render(
        request,
        "walkers/history.html",
        {
            "walker": walker,
            "page": Paginator(past, PAGE_SIZE).get_page(request.GET.get("page")),
            "reliability": reliability_of(walker),
        },
    )


@walker_required
def availability(request: HttpRequest, walker: WalkerProfile) -> HttpResponse:
    if request.method == "POST":
        form = AvailabilitySettingsForm(request.POST, instance=walker)
        pattern = WeeklyPatternForm(request.POST, walker=walker)
        if form.is_valid() and pattern.is_valid():
            form.save()
            pattern.save(walker)
            messages.success(request, _("Your availability is saved."))
            return redirect("walkers:availability")
    else:
        form = AvailabilitySettingsForm(instance=walker)
        pattern = WeeklyPatternForm(walker=walker)
    return _availability_page(
        request, walker, form, pattern, AvailabilityExceptionForm()
    )


def _availability_page(
    request: HttpRequest,
    walker: WalkerProfile,
    form: Any,
    pattern: Any,
    exception_form: Any,
) -> HttpResponse:
    exceptions = AvailabilityException.objects.filter(
        walker=walker, date__gte=timezone.localdate()
    )
    return render(
        request,
        "walkers/availability.html",
        {
            "form": form,
            "pattern": pattern,
            "exception_form": exception_form,
            "exceptions": exceptions,
        },
    )


@walker_required
@require_POST
def exception_add(request: HttpRequest, walker: WalkerProfile) -> HttpResponse:
    exception_form = AvailabilityExceptionForm(request.POST)
    if exception_form.is_valid():
        exception = exception_form.save(commit=False)
        exception.walker = walker
        exception.save()
        messages.success(request, _("Saved: you get no walks at that time."))
        return redirect("walkers:availability")
    return _availability_page(
        request,
        walker,
        AvailabilitySettingsForm(instance=walker),
        WeeklyPatternForm(walker=walker),
        exception_form,
    )


@walker_required
@require_POST
def exception_delete(
    request: HttpRequest, walker: WalkerProfile, pk: int
) -> HttpResponse:
    exception = get_object_or_404(AvailabilityException, walker=walker, pk=pk)
    exception.delete()
    messages.success(request, _("Removed: you are available again at that time."))
    return redirect("walkers:availability")


def walker_list(request: HttpRequest) -> HttpResponse:
    walkers = (
        WalkerProfile.objects.verified_active()
        .select_related("user")
        .prefetch_related("areas")
        .annotate(
            walks_completed=Count(
                "bookings", filter=Q(bookings__status=Booking.Status.COMPLETED)
            )
        )
    )
    areas = Area.objects.filter(is_active=True)
    area = areas.filter(slug=request.GET.get("area", "")).first()
    if "area" not in request.GET:
        area = _home_area_of(request.user)
    if area:
        walkers = walkers.filter(areas=area)
    size = request.GET.get("size", "")
    if size in Dog.Size.values:
        # No size name is part of another, so a substring test is exact.
        walkers = walkers.filter(dog_sizes__contains=size)
    level = request.GET.get("level", "")
    if level in WalkerProfile.Level.values:
        walkers = walkers.filter(level=level)
    page = Paginator(walkers.order_by("user__first_name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "walkers/walker_list.html",
        {
            "page": page,
            "areas": areas,
            "area": area,
            "size": size,
            "level": level,
            "sizes": Dog.Size.choices,
            "levels": WalkerProfile.Level.choices,
        },
    )


def _home_area_of(user: Any) -> Area | None:
    """Return the area of an owner's latest booking, where their walks start."""
    if not isinstance(user, User) or user.role != User.Role.OWNER:
        return None
    latest = (
        Booking.objects.owned_by(user).select_related("area").order_by("-created_at")
    )
    booking = latest.first()
    return booking.area if booking else None


def walker_profile(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the public profile of a verified, active walker; 404 for anyone else."""
    walker = get_object_or_404(
        WalkerProfile.objects.verified_active()
        .select_related("user")
        .prefetch_related("areas", "stages"),
        pk=pk,
    )
    user = request.user
    is_owner = isinstance(user, User) and user.role == User.Role.OWNER
    preferred = (
        isinstance(user, User)
        and is_owner
        and PreferredWalker.objects.filter(owner=user, walker=walker).exists()
    )
    return render(
        request,
        "walkers/walker_profile.html",
        {
            "walker": walker,
            "passed_stages": walker.pipeline().passed,
            "reliability": reliability_of(walker),
            "is_owner": is_owner,
            "preferred": preferred,
        },
    )


@login_required
@require_POST
def prefer(request: HttpRequest, pk: int) -> HttpResponse:
    owner = request.user
    if not isinstance(owner, User) or owner.role != User.Role.OWNER:
        raise PermissionDenied("Only pet owners choose preferred walkers.")
    walker = get_object_or_404(WalkerProfile.objects.verified_active(), pk=pk)
    if request.POST.get("preferred") == "1":
        PreferredWalker.objects.get_or_create(owner=owner, walker=walker)
        messages.success(
            request,
            _("%(name)s is now one of your preferred walkers.")
            % {"name": walker.first_name},
        )
    else:
        PreferredWalker.objects.filter(owner=owner, walker=walker).delete()
        messages.info(
            request,
            _("%(name)s is no longer a preferred walker.")
            % {"name": walker.first_name},
        )
    return redirect("walkers:profile", pk=walker.pk)


def document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Serve a private document to staff who may view documents; 404 to anyone else.

    A logged-out visitor is sent to log in, whatever the id, so the redirect
    reveals nothing about which documents exist.
    """
    user = request.user
    if not user.is_authenticated:
        logger.warning("Private document %s denied to a logged-out visitor", pk)
        return redirect_to_login(request.get_full_path())
    if not (user.is_staff and user.has_perm("walkers.view_walkerdocument")):
        logger.warning("Private document %s denied to user %s", pk, user.pk)
        raise Http404("No such document.")
    doc = get_object_or_404(WalkerDocument, pk=pk)
    logger.info(
        "Private document %s of walker %s viewed by user %s",
        doc.pk,
        doc.walker_id,
        user.pk,
    )
    try:
        opened = doc.file.open("rb")
    except FileNotFoundError:
        logger.error("Private document %s has no file in storage", doc.pk)
        raise Http404("No such document.") from None
    response = FileResponse(opened, content_type=doc.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    return response
