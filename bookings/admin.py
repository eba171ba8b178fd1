import logging
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from bookings.matching import batch_assign, rank_candidates
from bookings.models import (
    Area,
    Booking,
    BookingEvent,
    BookingMatch,
    BookingPolicy,
    BookingSeries,
    District,
    Dog,
    IllegalTransition,
    MatchRun,
    Offer,
    Service,
    UnplacedBooking,
)
from bookings.services import WalkerUnavailable, assign_walker
from pompygo.lib.money import format_rupiah
from walkers.models import WalkerProfile

logger = logging.getLogger(__name__)


class DistrictInline(admin.TabularInline):
    model = District
    extra = 0


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "min_latitude",
        "max_latitude",
        "min_longitude",
        "max_longitude",
    ]
    list_filter = ["is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DistrictInline]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "area", "latitude", "longitude"]
    list_filter = ["area"]
    list_select_related = ["area"]
    search_fields = ["name", "area__name"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_id",
        "name_en",
        "kind",
        "duration_minutes",
        "price_display",
        "is_active",
    ]
    list_editable = ["is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name_id", "name_en"]

    @admin.display(description=_("price"), ordering="price")
    def price_display(self, service: Service) -> str:
        return format_rupiah(service.price)


@admin.register(BookingPolicy)
class BookingPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "opening_time",
        "closing_time",
        "lead_time_minutes",
        "free_cancellation_hours",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not BookingPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Dog)
class DogAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "breed", "size", "birth_date", "removed_at"]
    list_filter = ["size", "sex", "neutered", "leash_behaviour"]
    list_select_related = ["owner"]
    search_fields = [
        "name",
        "breed",
        "owner__email",
        "owner__first_name",
        "owner__last_name",
    ]
    autocomplete_fields = ["owner"]
    date_hierarchy = "created_at"


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "created_at",
        "from_status",
        "to_status",
        "actor",
        "note",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[BookingEvent]:
        return super().get_queryset(request).select_related("actor")


def offer_score(offer: Offer) -> str:
    # Three decimals, as in the matching run's table, tell close candidates apart.
    return number_format(offer.score, decimal_pos=3)


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "walker",
        "state",
        "score_display",
        "sent_at",
        "expires_at",
        "answered_at",
        "decline_reason",
        "note",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Offer]:
        # Each row's title is the offer's __str__, which names the booking and
        # the walker.
        return super().get_queryset(request).select_related("booking", "walker__user")

    @admin.display(description=_("score"), ordering="score")
    def score_display(self, offer: Offer) -> str:
        return offer_score(offer)


def rejection_message(
    booking: Booking, error: WalkerUnavailable | IllegalTransition
) -> str:
    """Return the admin message that explains why a booking was not assigned."""
    if isinstance(error, IllegalTransition):
        # The lifecycle's own text is for the log. Ops need the status that
        # stopped the assignment, which another request may just have set.
        status = (
            Booking.objects.filter(pk=booking.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status is not None:
            return _(
                "Booking %(reference)s was not assigned because its status is "
                "%(status)s."
            ) % {
                "reference": booking.reference,
                "status": Booking.Status(status).label,
            }
    return _("Booking %(reference)s: %(reason)s") % {
        "reference": booking.reference,
        "reason": error,
    }


class AssignWalkerForm(forms.Form):
    walker = forms.ModelChoiceField(
        label=_("Walker"),
        queryset=WalkerProfile.objects.assignable().select_related("user"),
    )


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "starts_at",
        "service",
        "owner",
        "area",
        "walker",
        "status",
        "price_display",
    ]
    list_filter = ["status", "area", "service", "starts_at"]
    list_select_related = ["service", "owner", "area", "walker__user"]
    search_fields = [
        "reference",
        "owner__email",
        "owner__first_name",
        "owner__last_name",
        "address",
        "dogs__name",
    ]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["owner", "dogs"]
    # Status and walker change through the lifecycle (the action below), never
    # by editing the field, so that every change is checked and recorded.
    readonly_fields = [
        "reference",
        "status",
        "walker",
        "cancellation_fee",
        "on_the_way_at",
        "created_at",
        "updated_at",
        "matching",
    ]
    # Once a walker is assigned, the time, dogs and place are what the walker
    # agreed to, so ops cancel and rebook rather than move the booking.
    HELD_FIELDS = (
        "owner",
        "dogs",
        "service",
        "area",
        "district",
        "starts_at",
        "ends_at",
    )
    inlines = [BookingEventInline, OfferInline]
    actions = ["assign_walker_action", "batch_assign_action"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and (
            obj.walker_id or obj.status != Booking.Status.REQUESTED
        ):
            fields.extend(self.HELD_FIELDS)
        return fields

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # A booking being added has no offers yet.
        return (
            [BookingEventInline] if obj is None else [BookingEventInline, OfferInline]
        )

    def get_urls(self) -> list[Any]:
        urls = [
            path(
                "<int:booking_id>/candidates/",
                self.admin_site.admin_view(self.candidates_view),
                name="bookings_booking_candidates",
            ),
        ]
        return urls + super().get_urls()

    @admin.display(description=_("matching"))
    def matching(self, booking: Booking) -> SafeString:
        """Render the last matching run: candidates, their scores, and the excluded."""
        if booking.pk is None:
            return format_html("{}", "-")
        run = MatchRun.objects.filter(booking=booking).first()
        link = reverse("admin:bookings_booking_candidates", args=[booking.pk])
        return format_html(
            '{}<p><a class="button" href="{}">{}</a></p>',
            render_to_string("admin/bookings/_match_run.html", {"run": run}),
            link,
            _("See the candidates now and assign by hand"),
        )

    def candidates_view(self, request: HttpRequest, booking_id: int) -> HttpResponse:
        """Show a fresh candidate list beside the manual assignment of one booking."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        booking = get_object_or_404(
            Booking.objects.select_related("area", "owner", "service", "walker__user"),
            pk=booking_id,
        )
        if request.method == "POST":
            return self._assign_from_candidates(request, booking)
        ranking = rank_candidates(booking, explain=True)
        run = ranking.save("ops")
        return render(
            request,
            "admin/bookings/candidates.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Candidates for booking %(reference)s")
                % {"reference": booking.reference},
                "booking": booking,
                "run": run,
                "match": BookingMatch.objects.filter(booking=booking).first(),
                "opts": self.model._meta,
            },
        )

    def _assign_from_candidates(
        self, request: HttpRequest, booking: Booking
    ) -> HttpResponseRedirect:
        walker_id = request.POST.get("walker", "")
        walker = (
            WalkerProfile.objects.filter(pk=walker_id).first()
            if walker_id.isdigit()
            else None
        )
        here = reverse("admin:bookings_booking_candidates", args=[booking.pk])
        if walker is None:
            self.message_user(request, _("Choose a walker."), messages.ERROR)
            return redirect(here)
        try:
            assign_walker(booking, walker, request.user)
        except (WalkerUnavailable, IllegalTransition) as error:
            logger.info(
                "Assignment of booking %s rejected: %s", booking.reference, error
            )
            self.message_user(
                request, rejection_message(booking, error), messages.ERROR
            )
            return redirect(here)
        self.message_user(
            request,
            _("%(walker)s assigned to booking %(reference)s.")
            % {"walker": walker, "reference": booking.reference},
            messages.SUCCESS,
        )
        return redirect(reverse("admin:bookings_unplacedbooking_changelist"))

    @admin.action(description=_("Assign the selected bookings together (batch)"))
    def batch_assign_action(
        self, request: HttpRequest, queryset: QuerySet[Booking]
    ) -> None:
        open_offers = Offer.objects.open().values("booking_id")
        bookings = list(
            queryset.filter(
                status=Booking.Status.REQUESTED, walker__isnull=True
            ).exclude(pk__in=open_offers)
        )
        result = batch_assign(bookings)
        self.message_user(
            request,
            _(
                "Batch: %(assigned)s assigned, %(unplaced)s with no walker free, "
                "%(lost)s taken meanwhile, %(skipped)s skipped (not waiting for "
                "a walker, or an offer is out)."
            )
            % {
                "assigned": len(result.assigned),
                "unplaced": len(result.unplaced),
                "lost": len(result.lost_races),
                "skipped": queryset.count() - len(bookings),
            },
            messages.INFO,
        )

    def save_model(
        self, request: HttpRequest, obj: Booking, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            BookingEvent.objects.create(
                booking=obj,
                to_status=obj.status,
                actor=cast(User, request.user),
                note=str(_("Created in the admin")),
            )

    @admin.display(description=_("price"), ordering="price")
    def price_display(self, booking: Booking) -> str:
        return format_rupiah(booking.price)

    @admin.action(description=_("Assign a walker to the selected bookings"))
    def assign_walker_action(
        self, request: HttpRequest, queryset: QuerySet[Booking]
    ) -> HttpResponse | None:
        if "apply" in request.POST:
            form = AssignWalkerForm(request.POST)
            if form.is_valid():
                self._assign(request, queryset, form.cleaned_data["walker"])
                return None
        else:
            form = AssignWalkerForm()
        return render(
            request,
            "admin/bookings/assign_walker.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Assign a walker"),
                "bookings": queryset.select_related("service", "owner", "area"),
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _assign(
        self, request: HttpRequest, queryset: QuerySet[Booking], walker: WalkerProfile
    ) -> None:
        assigned = 0
        for booking in queryset.order_by("starts_at"):
            try:
                assign_walker(booking, walker, request.user)
            except (WalkerUnavailable, IllegalTransition) as error:
                logger.info(
                    "Assignment of booking %s rejected: %s", booking.reference, error
                )
                self.message_user(
                    request, rejection_message(booking, error), messages.ERROR
                )
            else:
                assigned += 1
        if assigned:
            self.message_user(
                request,
                ngettext(
                    "%(count)s booking assigned to %(walker)s.",
                    "%(count)s bookings assigned to %(walker)s.",
                    assigned,
                )
                % {"count": assigned, "walker": walker},
                messages.SUCCESS,
            )


@admin.register(BookingSeries)
class BookingSeriesAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "first_date", "weeks", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["owner__email", "owner__first_name", "owner__last_name"]
    autocomplete_fields = ["owner"]
    date_hierarchy = "first_date"


@admin.register(BookingEvent)
class BookingEventAdmin(admin.ModelAdmin):
    list_display = ["booking", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    list_select_related = ["booking", "actor"]
    search_fields = ["booking__reference", "note"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(UnplacedBooking)
class OpsQueueAdmin(admin.ModelAdmin):
    """Bookings the matching could not place, oldest alert first."""

    # The button comes second, so it is on screen however narrow the window.
    list_display = [
        "reference",
        "candidates_link",
        "starts_at",
        "area",
        "service",
        "reason",
        "escalated_at",
        "refusals",
    ]
    list_filter = ["area", "match__escalation_reason"]
    list_select_related = ["area", "service", "match"]
    search_fields = ["reference", "owner__email", "dogs__name"]
    ordering = ["starts_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[UnplacedBooking]:
        return (
            super()
            .get_queryset(request)
            .filter(
                match__state=BookingMatch.State.ESCALATED,
                status=Booking.Status.REQUESTED,
                walker__isnull=True,
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        return redirect(reverse("admin:bookings_booking_candidates", args=[object_id]))

    @admin.display(description=_("why"), ordering="match__escalation_reason")
    def reason(self, booking: UnplacedBooking) -> str:
        return str(booking.match.get_escalation_reason_display())

    @admin.display(description=_("in the queue since"), ordering="match__escalated_at")
    def escalated_at(self, booking: UnplacedBooking) -> Any:
        return booking.match.escalated_at

    @admin.display(description=_("declined or expired"))
    def refusals(self, booking: UnplacedBooking) -> int:
        return booking.match.refusals

    @admin.display(description=_("assign"))
    def candidates_link(self, booking: UnplacedBooking) -> SafeString:
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:bookings_booking_candidates", args=[booking.pk]),
            _("Candidates"),
        )


# The offer list's columns, which its read-only page shows first too.
OFFER_COLUMNS = ("booking", "walker", "state", "score_display", "sent_at", "expires_at")


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = OFFER_COLUMNS
    list_filter = ["state", "decline_reason"]
    list_select_related = ["booking", "walker__user"]
    search_fields = ["booking__reference", "walker__user__email"]
    date_hierarchy = "sent_at"
    readonly_fields = [
        *OFFER_COLUMNS,
        "answered_at",
        "decline_reason",
        "note",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("score"), ordering="score")
    def score_display(self, offer: Offer) -> str:
        return offer_score(offer)
