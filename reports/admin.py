"""Ops' view of the walk records.

The walk itself writes these rows (start, photos, GPS points, incidents,
report, review, share links), so none can be added here, and the fields
that are evidence of the walk are read-only. Ops edit only their own
fields: an incident's resolution and notes, a photo's caption.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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


class WalkRecordAdmin(admin.ModelAdmin):
    """An admin for rows that only the walk itself creates."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class EvidenceAdmin(WalkRecordAdmin):
    """An admin for rows that cannot be changed: the walk's evidence."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def media_preview(item: WalkMedia) -> str:
    """Return a thumbnail of a photo, or a link to a video, through the media view.

    The media view checks the viewer's permission, so the admin never links
    the stored files directly.
    """
    if item.is_photo:
        return format_html(
            '<a href="{}"><img src="{}" alt="" style="max-height: 120px"></a>',
            reverse("reports:media", args=[item.token, "display"]),
            reverse("reports:media", args=[item.token, "thumb"]),
        )
    return format_html(
        '<a href="{}">{}</a>',
        reverse("reports:media", args=[item.token, "full"]),
        _("Play the video"),
    )


def walk_media_previews(booking_id: int) -> str:
    """Return the previews of every photo and video of a walk, in one query."""
    items = WalkMedia.objects.filter(booking_id=booking_id)
    html = format_html_join(" ", "{}", ((media_preview(item),) for item in items))
    return html or str(_("No photos or videos."))


@admin.register(Incident)
class IncidentAdmin(WalkRecordAdmin):
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
        "walk_media",
    ]
    fields = [*readonly_fields, "resolved_at", "ops_notes"]
    actions = ["resolve"]

    @admin.display(description=_("photos and videos of the walk"))
    def walk_media(self, incident: Incident) -> str:
        return walk_media_previews(incident.booking_id)

    def save_model(
        self, request: HttpRequest, obj: Incident, form: Any, change: bool
    ) -> None:
        if obj.resolved_at is not None and obj.resolved_by_id is None:
            obj.resolved_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    @admin.display(boolean=True, description=_("open"))
    def is_open(self, incident: Incident) -> bool:
        return incident.is_open

    @admin.action(description=_("Mark the selected incidents resolved"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        count = queryset.filter(resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=request.user
        )
        message = ngettext(
            "%(count)s incident resolved.", "%(count)s incidents resolved.", count
        )
        self.message_user(request, message % {"count": count})


class GpsJumpsFilter(admin.SimpleListFilter):
    title = _("GPS jumps dropped")
    parameter_name = "jumps"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("Some")), ("0", _("None"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "1":
            return queryset.filter(gps_jumps_dropped__gt=0)
        if self.value() == "0":
            return queryset.filter(gps_jumps_dropped=0)
        return queryset


@admin.register(WalkStart)
class WalkStartAdmin(EvidenceAdmin):
    list_display = [
        "booking",
        "started_at",
        "minutes_late",
        "started_late",
        "distance_from_address_m",
        "started_far",
        "gps_jumps_dropped",
    ]
    list_filter = ["started_late", "started_far", GpsJumpsFilter]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]
    readonly_fields = [f.name for f in WalkStart._meta.fields]


@admin.register(WalkMedia)
class WalkMediaAdmin(WalkRecordAdmin):
    list_display = ["preview", "booking", "kind", "phase", "caption", "created_at"]
    list_filter = ["kind", "phase"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]
    # Everything but the caption is what the walker's phone sent.
    readonly_fields = [
        "preview",
        "booking",
        "kind",
        "phase",
        "content_type",
        "size",
        "width",
        "height",
        "created_at",
        "client_id",
        "token",
    ]
    fields = [*readonly_fields, "caption"]

    @admin.display(description=_("preview"))
    def preview(self, item: WalkMedia) -> str:
        return media_preview(item)


@admin.register(TrackPoint)
class TrackPointAdmin(EvidenceAdmin):
    list_display = ["booking", "recorded_at", "latitude", "longitude", "accuracy_m"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]
    show_full_result_count = False


@admin.register(WalkReport)
class WalkReportAdmin(EvidenceAdmin):
    list_display = ["booking", "state", "dog_condition", "had_incident", "filed_at"]
    list_filter = ["state", "dog_condition", "had_incident"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]
    readonly_fields = [
        *(f.name for f in WalkReport._meta.fields if f.name != "id"),
        "gps_jumps_dropped",
        "walk_media",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WalkReport]:
        return super().get_queryset(request).select_related("booking__walk_start")

    @admin.display(description=_("GPS jumps dropped"))
    def gps_jumps_dropped(self, report: WalkReport) -> int | None:
        walk_start = getattr(report.booking, "walk_start", None)
        return walk_start.gps_jumps_dropped if walk_start else None

    @admin.display(description=_("photos and videos of the walk"))
    def walk_media(self, report: WalkReport) -> str:
        return walk_media_previews(report.booking_id)


@admin.register(Review)
class ReviewAdmin(WalkRecordAdmin):
    list_display = ["booking", "walker", "rating", "tip", "created_at"]
    list_filter = ["rating"]
    search_fields = ["booking__reference", "walker__user__email"]
    list_select_related = ["booking", "walker__user"]


@admin.register(ShareLink)
class ShareLinkAdmin(WalkRecordAdmin):
    list_display = ["booking", "created_at", "revoked_at"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]
    readonly_fields = ["token"]


@admin.register(VetClinic)
class VetClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "is_partner", "open_24_hours", "is_active"]
    list_filter = ["is_partner", "open_24_hours", "is_active"]
    search_fields = ["name", "address"]
