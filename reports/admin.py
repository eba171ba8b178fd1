from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.models import (
    Incident,
    Review,
    ShareLink,
    TrackPoint,
    VetClinic,
    WalkMedia,
    WalkReport,
    WalkStart,
)


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("Open")), ("0", _("Resolved"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "1":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "0":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    # The model's ordering puts open incidents first, newest first.
    list_display = ["booking", "raised_at", "raised_by", "is_open", "alert_sent_at"]
    list_filter = [OpenFilter, "raised_at"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking", "raised_by"]
    readonly_fields = [
        "booking",
        "raised_by",
        "raised_at",
        "latitude",
        "longitude",
        "located_at",
        "alert_sent_at",
        "resolved_by",
    ]
    fields = [*readonly_fields, "resolved_at", "ops_notes"]
    actions = ["resolve"]

    @admin.display(boolean=True, description=_("open"))
    def is_open(self, incident: Incident) -> bool:
        return incident.is_open

    @admin.action(description=_("Mark the selected incidents resolved"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        count = queryset.filter(resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=request.user
        )
        self.message_user(
            request, _("%(count)s incidents resolved.") % {"count": count}
        )


@admin.register(WalkStart)
class WalkStartAdmin(admin.ModelAdmin):
    list_display = [
        "booking",
        "started_at",
        "minutes_late",
        "started_late",
        "distance_from_address_m",
        "started_far",
    ]
    list_filter = ["started_late", "started_far"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]
    readonly_fields = [f.name for f in WalkStart._meta.fields]


@admin.register(WalkMedia)
class WalkMediaAdmin(admin.ModelAdmin):
    list_display = ["booking", "kind", "phase", "caption", "size", "created_at"]
    list_filter = ["kind", "phase"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]
    exclude = ["file", "display", "thumbnail"]
    readonly_fields = ["booking", "kind", "phase", "content_type", "size", "token"]


@admin.register(TrackPoint)
class TrackPointAdmin(admin.ModelAdmin):
    list_display = ["booking", "recorded_at", "latitude", "longitude", "accuracy_m"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]
    show_full_result_count = False


@admin.register(WalkReport)
class WalkReportAdmin(admin.ModelAdmin):
    list_display = ["booking", "state", "dog_condition", "had_incident", "filed_at"]
    list_filter = ["state", "dog_condition", "had_incident"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["booking", "walker", "rating", "tip", "created_at"]
    list_filter = ["rating"]
    search_fields = ["booking__reference", "walker__user__email"]
    list_select_related = ["booking", "walker__user"]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ["booking", "created_at", "revoked_at"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]
    readonly_fields = ["token"]


@admin.register(VetClinic)
class VetClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "is_partner", "open_24_hours", "is_active"]
    list_filter = ["is_partner", "open_24_hours", "is_active"]
    search_fields = ["name", "address"]
