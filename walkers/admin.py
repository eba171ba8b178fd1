import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from walkers.eligibility import eligibility_problems_for
from walkers.models import (
    AvailabilityException,
    PreferredWalker,
    WalkerDocument,
    WalkerProfile,
    WalkerStage,
    WeeklyAvailability,
    screening_problems,
    stage_order_problem,
    verified_walker_ids,
)
from walkers.services import reactivate, suspend

logger = logging.getLogger(__name__)


def _booking_admin_url(booking: Any) -> str:
    try:
        return reverse("admin:bookings_booking_change", args=[booking.pk])
    except NoReverseMatch:
        return reverse("admin:index")


class StageFormSet(forms.BaseInlineFormSet):
    """Checks the order of the stages over the whole inline, as it will be saved."""

    def clean(self) -> None:
        super().clean()
        decided = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("stage"):
                continue
            decided[data["stage"]] = data.get("outcome")
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("stage"):
                continue
            problem = stage_order_problem(decided, data["stage"])
            if problem:
                form.add_error("stage", problem)


class WalkerStageInline(admin.TabularInline):
    model = WalkerStage
    formset = StageFormSet
    extra = 1
    fields = [
        "stage",
        "outcome",
        "score",
        "skck_verified",
        "references_called",
        "rejection_reason",
        "notes",
        "decided_on",
        "decided_by",
    ]
    readonly_fields = ["decided_by"]
    formfield_overrides = {
        # Short boxes keep the row on one line of the admin table.
        WalkerStage._meta.get_field("notes").__class__: {
            "widget": forms.Textarea(attrs={"rows": 2, "cols": 30})
        },
    }


class WeeklyAvailabilityInline(admin.TabularInline):
    model = WeeklyAvailability
    extra = 0


class AvailabilityExceptionInline(admin.TabularInline):
    model = AvailabilityException
    extra = 0


class WalkerDocumentInline(admin.TabularInline):
    model = WalkerDocument
    extra = 0
    fields = ["kind", "open_link", "content_type", "size", "uploaded_at"]
    readonly_fields = ["kind", "open_link", "content_type", "size", "uploaded_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("file"))
    def open_link(self, document: WalkerDocument) -> str:
        url = reverse("walkers:document", args=[document.pk])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Open")
        )


class PipelineFilter(admin.SimpleListFilter):
    title = _("recruitment")
    parameter_name = "recruitment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [
            ("verified", _("Verified")),
            ("in_progress", _("In progress")),
            ("rejected", _("Rejected")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        rejected = WalkerStage.objects.filter(
            outcome=WalkerStage.Outcome.FAILED
        ).values("walker")
        if self.value() == "verified":
            return queryset.filter(pk__in=verified_walker_ids())
        if self.value() == "rejected":
            return queryset.filter(pk__in=rejected)
        if self.value() == "in_progress":
            return queryset.exclude(pk__in=verified_walker_ids()).exclude(
                pk__in=rejected
            )
        return queryset


@admin.register(WalkerProfile)
class WalkerProfileAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "email",
        "recruitment",
        "level",
        "is_active",
        "created_at",
    ]
    list_filter = [PipelineFilter, "level", "is_active", "areas"]
    search_fields = [
        "user__email",
        "user__first_name",
        "user__last_name",
        "user__phone",
        "id_number",
    ]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    filter_horizontal = ["areas"]
    readonly_fields = ["recruitment", "screening_checklist", "created_at"]
    actions = ["suspend_walkers", "reactivate_walkers"]
    inlines = [
        WalkerStageInline,
        WalkerDocumentInline,
        WeeklyAvailabilityInline,
        AvailabilityExceptionInline,
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "user",
                    "recruitment",
                    "is_active",
                    "suspended_reason",
                    "level",
                ]
            },
        ),
        (
            _("Application"),
            {
                "fields": [
                    "screening_checklist",
                    "date_of_birth",
                    "id_number",
                    "has_smartphone",
                    "years_of_experience",
                    "experience",
                    "references",
                    "created_at",
                ]
            },
        ),
        (_("Public profile"), {"fields": ["photo", "bio", "areas"]}),
        (
            _("Where and how much"),
            {
                "fields": [
                    "home_district",
                    "home_latitude",
                    "home_longitude",
                    "service_radius_km",
                    "dog_sizes",
                    "max_walks_per_day",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("stages")

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, walker: WalkerProfile) -> str:
        return walker.user.email

    @admin.display(description=_("recruitment"))
    def recruitment(self, walker: WalkerProfile) -> str:
        if not walker.pk:
            return "-"
        return walker.pipeline().status_label

    @admin.display(description=_("minimum criteria"))
    def screening_checklist(self, walker: WalkerProfile) -> str:
        if not walker.pk:
            return "-"
        problems = screening_problems(walker)
        if not problems:
            return str(_("All met: age 18 or over, KTP, smartphone, area, experience."))
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((p,) for p in problems))
        )

    def save_model(
        self, request: HttpRequest, obj: WalkerProfile, form: Any, change: bool
    ) -> None:
        was_active = (
            change and WalkerProfile.objects.filter(pk=obj.pk, is_active=True).exists()
        )
        super().save_model(request, obj, form, change)
        if was_active and not obj.is_active:
            # Unticking "active" must release the walks, as the action does.
            self._report_released(
                request, obj, suspend(obj, request.user, obj.suspended_reason)
            )

    def save_formset(
        self, request: HttpRequest, form: Any, formset: Any, change: bool
    ) -> None:
        if formset.model is not WalkerStage:
            super().save_formset(request, form, formset, change)
            return
        for stage in formset.save(commit=False):
            stage.decided_by = request.user
            stage.save()
            logger.info(
                "Walker %s stage %s %s by user %s",
                stage.walker_id,
                stage.stage,
                stage.outcome,
                request.user.pk,
            )
        for stage in formset.deleted_objects:
            stage.delete()

    @admin.action(description=_("Suspend: take off future bookings"))
    def suspend_walkers(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for walker in queryset.select_related("user"):
            released = suspend(walker, request.user, str(_("Suspended by ops")))
            self._report_released(request, walker, released)

    @admin.action(description=_("Reactivate"))
    def reactivate_walkers(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for walker in queryset:
            reactivate(walker)
        self.message_user(request, _("Walkers reactivated."), messages.SUCCESS)

    def _report_released(
        self, request: HttpRequest, walker: WalkerProfile, released: list[Any]
    ) -> None:
        if not released:
            self.message_user(
                request,
                _("%(walker)s is suspended and had no future walks.")
                % {"walker": walker},
            )
            return
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((_booking_admin_url(b), b.reference) for b in released),
        )
        text = ngettext(
            "%(walker)s is suspended. This booking needs a new walker:",
            "%(walker)s is suspended. These bookings need a new walker:",
            len(released),
        ) % {"walker": walker}
        self.message_user(request, format_html("{} {}", text, links), messages.WARNING)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "eligibility/",
                self.admin_site.admin_view(self.eligibility_view),
                name="walkers_walkerprofile_eligibility",
            ),
            *super().get_urls(),
        ]

    def eligibility_view(self, request: HttpRequest) -> HttpResponse:
        """List every active walker with the reasons they cannot take a booking."""
        from bookings.models import Booking

        reference = request.GET.get("booking", "").strip().upper()
        booking = (
            Booking.objects.select_related("area", "service")
            .filter(reference=reference)
            .first()
            if reference
            else None
        )
        rows = []
        if booking:
            walkers = list(
                WalkerProfile.objects.filter(is_active=True).select_related("user")
            )
            problems = eligibility_problems_for(booking, walkers)
            rows = sorted(
                ((walker, problems[walker.pk]) for walker in walkers),
                key=lambda row: (len(row[1]), str(row[0])),
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Which walkers can take a booking"),
            "reference": reference,
            "booking": booking,
            "rows": rows,
            "opts": self.model._meta,
        }
        return render(request, "admin/walkers/eligibility.html", context)


@admin.register(PreferredWalker)
class PreferredWalkerAdmin(admin.ModelAdmin):
    list_display = ["owner", "walker", "created_at"]
    list_select_related = ["owner", "walker__user"]
    search_fields = ["owner__email", "walker__user__email", "walker__user__first_name"]
    raw_id_fields = ["owner", "walker"]
