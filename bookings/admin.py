import logging
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from bookings.models import (
    Area,
    Booking,
    BookingEvent,
    BookingPolicy,
    BookingSeries,
    District,
    Dog,
    IllegalTransition,
    Service,
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
    ]
    inlines = [BookingEventInline]
    actions = ["assign_walker_action"]

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
                    request, f"{booking.reference}: {error}", messages.ERROR
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
