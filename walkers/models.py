from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WalkerQuerySet(models.QuerySet["WalkerProfile"]):
    def assignable(self) -> "WalkerQuerySet":
        """Walkers that ops may put on a booking."""
        return self.filter(is_active=True)


class WalkerProfile(models.Model):
    class Level(models.TextChoices):
        NEW = "new", _("New")
        CERTIFIED = "certified", _("Certified")
        MENTOR = "mentor", _("Mentor")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="walker_profile",
        verbose_name=_("user"),
    )
    areas = models.ManyToManyField(
        "bookings.Area", related_name="walkers", blank=True, verbose_name=_("areas")
    )
    bio = models.TextField(_("about me"), blank=True)
    level = models.CharField(
        _("level"), max_length=16, choices=Level.choices, default=Level.NEW
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive walkers are never assigned new bookings."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WalkerQuerySet.as_manager()

    class Meta:
        verbose_name = _("walker")
        verbose_name_plural = _("walkers")
        ordering = ["user__first_name", "user__email"]

    def __str__(self) -> str:
        return self.user.display_name

    def eligibility_problems(self, booking: Any) -> list[str]:
        """Return why this walker may not take the booking; empty when they may."""
        problems = []
        if not self.is_active:
            problems.append(str(_("The walker is not active.")))
        return problems
