"""The walk as it happens: start, media, GPS trail, incidents, report, review."""

import datetime as dt
import secrets
from functools import partial
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.geo import distance_m
from reports.storage import walk_media_storage

# A walk that starts more than this long after its booked time is flagged.
LATE_START = dt.timedelta(minutes=15)


def new_token() -> str:
    """Return a random URL-safe token of 128 bits, for URLs nobody can guess."""
    return secrets.token_urlsafe(16)


def optional_coordinate(verbose_name: Any) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=9, decimal_places=6, null=True, blank=True
    )


class WalkStart(models.Model):
    """The pick-up: checklist, position and flags of the moment a walk began."""

    booking = models.OneToOneField(
        "bookings.Booking",
        on_delete=models.CASCADE,
        related_name="walk_start",
        verbose_name=_("booking"),
    )
    handed_over = models.BooleanField(_("dog handed over by the owner"))
    leash_checked = models.BooleanField(_("leash and harness checked"))
    id_tag_on = models.BooleanField(_("ID tag on"))
    dog_condition = models.TextField(_("dog's condition at pick-up"))
    latitude = optional_coordinate(_("latitude"))
    longitude = optional_coordinate(_("longitude"))
    distance_from_address_m = models.PositiveIntegerField(
        _("distance from the address (m)"), null=True, blank=True
    )
    minutes_late = models.IntegerField(
        _("minutes after the booked start"),
        help_text=_("Negative when the walk started early."),
    )
    started_late = models.BooleanField(_("late start"), default=False)
    started_far = models.BooleanField(
        _("started far from the address"),
        default=False,
        help_text=_("Also set when the phone gave no position."),
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    gps_jumps_dropped = models.PositiveIntegerField(
        _("GPS jumps dropped"),
        default=0,
        help_text=_(
            "Positions of this walk's trail dropped because reaching them "
            "needed more than GPS_MAX_SPEED_KMH."
        ),
    )

    class Meta:
        verbose_name = _("walk start")
        verbose_name_plural = _("walk starts")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return str(self.booking)

    @property
    def has_flags(self) -> bool:
        return self.started_late or self.started_far


class WalkMedia(models.Model):
    """A photo or video of the walk, stored privately under random names."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        VIDEO = "video", _("Video")

    class Phase(models.TextChoices):
        PICKUP = "pickup", _("Pick-up")
        UPDATE = "update", _("Walk update")
        DROPOFF = "dropoff", _("Drop-off")

    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.CASCADE,
        related_name="walk_media",
        verbose_name=_("booking"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    phase = models.CharField(_("phase"), max_length=8, choices=Phase.choices)
    caption = models.CharField(_("caption"), max_length=280, blank=True)
    token = models.CharField(
        _("URL token"), max_length=32, unique=True, default=new_token, editable=False
    )
    client_id = models.UUIDField(
        _("upload id"),
        null=True,
        blank=True,
        help_text=_("Made by the phone, so a retried upload is stored once."),
    )
    file = models.FileField(_("file"), storage=walk_media_storage, max_length=200)
    display = models.FileField(
        _("display size"), storage=walk_media_storage, max_length=200, blank=True
    )
    thumbnail = models.FileField(
        _("thumbnail"), storage=walk_media_storage, max_length=200, blank=True
    )
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("walk photo or video")
        verbose_name_plural = _("walk photos and videos")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "client_id"], name="reports_media_unique_upload"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.kind} {self.pk}"

    @property
    def is_photo(self) -> bool:
        return self.kind == self.Kind.PHOTO

    def variant(self, name: str) -> models.fields.files.FieldFile | None:
        """Return the stored file of a size, falling back to the full file."""
        if name == "thumb" and self.thumbnail:
            return self.thumbnail
        if name in ("thumb", "display") and self.display:
            return self.display
        return self.file


@receiver(post_delete, sender=WalkMedia)
def remove_media_files(sender: Any, instance: WalkMedia, **kwargs: Any) -> None:
    """Delete the stored files once the row's deletion is committed."""
    for field_file in (instance.file, instance.display, instance.thumbnail):
        storage, name = field_file.storage, field_file.name
        if name:
            transaction.on_commit(partial(storage.delete, name))


class TrackPoint(models.Model):
    """One position of the walker's phone during the walk."""

    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.CASCADE,
        related_name="track_points",
        verbose_name=_("booking"),
    )
    recorded_at = models.DateTimeField(_("recorded"))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    accuracy_m = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("GPS point")
        verbose_name_plural = _("GPS points")
        ordering = ["recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "recorded_at"], name="reports_point_unique_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.latitude},{self.longitude} {self.recorded_at:%H:%M:%S}"


class IncidentQuerySet(models.QuerySet["Incident"]):
    def open(self) -> "IncidentQuerySet":
        return self.filter(resolved_at__isnull=True)


class Incident(models.Model):
    """An emergency raised by the walker's button, for ops to handle."""

    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("booking"),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    latitude = optional_coordinate(_("latitude"))
    longitude = optional_coordinate(_("longitude"))
    located_at = models.DateTimeField(_("position taken"), null=True, blank=True)
    alert_sent_at = models.DateTimeField(_("alert sent"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    ops_notes = models.TextField(_("ops notes"), blank=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = [models.F("resolved_at").asc(nulls_first=True), "-raised_at"]
        indexes = [models.Index(fields=["resolved_at", "raised_at"])]

    def __str__(self) -> str:
        return f"{self.booking} {timezone.localtime(self.raised_at):%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class VetClinic(models.Model):
    """A vet clinic the emergency page lists, nearest first."""

    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=255)
    phone = models.CharField(_("phone"), max_length=20)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    is_partner = models.BooleanField(_("Pompy Go partner"), default=False)
    open_24_hours = models.BooleanField(_("open 24 hours"), default=False)
    is_active = models.BooleanField(_("listed"), default=True)

    class Meta:
        verbose_name = _("vet clinic")
        verbose_name_plural = _("vet clinics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def distance_to(self, latitude: Any, longitude: Any) -> float:
        return distance_m(
            (float(self.latitude), float(self.longitude)),
            (float(latitude), float(longitude)),
        )


class WalkReport(models.Model):
    """The post-walk report with the drop-off checklist; a draft until filed."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FILED = "filed", _("Filed")

    class Condition(models.TextChoices):
        GREAT = "great", _("Happy and healthy")
        TIRED = "tired", _("Tired but fine")
        CONCERN = "concern", _("Something to watch")
        HURT = "hurt", _("Hurt or unwell")

    class Water(models.TextChoices):
        NONE = "none", _("Did not drink")
        SOME = "some", _("Drank a little")
        PLENTY = "plenty", _("Drank plenty")

    class Behaviour(models.TextChoices):
        CALM = "calm", _("Calm")
        PLAYFUL = "playful", _("Playful")
        PULLING = "pulling", _("Pulled on the leash")
        ANXIOUS = "anxious", _("Anxious or fearful")
        REACTIVE = "reactive", _("Reacted to dogs or people")

    booking = models.OneToOneField(
        "bookings.Booking",
        on_delete=models.CASCADE,
        related_name="walk_report",
        verbose_name=_("booking"),
    )
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.DRAFT
    )
    handed_over_to = models.CharField(
        _("dog handed back to"), max_length=120, blank=True
    )
    leash_removed = models.BooleanField(_("leash and harness taken off"), null=True)
    dog_condition = models.CharField(
        _("dog's condition"), max_length=10, choices=Condition.choices, blank=True
    )
    condition_notes = models.TextField(_("about the condition"), blank=True)
    peed = models.BooleanField(_("peed"), null=True)
    pooed = models.BooleanField(_("pooed"), null=True)
    water = models.CharField(
        _("water"), max_length=8, choices=Water.choices, blank=True
    )
    food = models.CharField(
        _("food or treats given"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty if none."),
    )
    behaviour = models.CharField(
        _("behaviour"), max_length=10, choices=Behaviour.choices, blank=True
    )
    had_incident = models.BooleanField(_("anything happened"), null=True)
    incident_notes = models.TextField(_("what happened"), blank=True)
    notes_for_owner = models.TextField(_("notes for the owner"), blank=True)
    distance_m = models.PositiveIntegerField(_("distance (m)"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(
        _("duration (seconds)"), null=True, blank=True
    )
    updated_at = models.DateTimeField(_("saved"), auto_now=True)
    filed_at = models.DateTimeField(_("filed"), null=True, blank=True)

    class Meta:
        verbose_name = _("walk report")
        verbose_name_plural = _("walk reports")
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="draft") | Q(filed_at__isnull=False),
                name="reports_report_filed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return str(self.booking)

    @property
    def is_filed(self) -> bool:
        return self.state == self.State.FILED

    @property
    def distance_km(self) -> float:
        return (self.distance_m or 0) / 1000

    @property
    def duration_minutes(self) -> int:
        return round((self.duration_seconds or 0) / 60)


class Review(models.Model):
    """The owner's rating of a completed walk, with an optional tip."""

    booking = models.OneToOneField(
        "bookings.Booking",
        on_delete=models.PROTECT,
        related_name="review",
        verbose_name=_("booking"),
    )
    walker = models.ForeignKey(
        "walkers.WalkerProfile",
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("walker"),
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(_("review"), blank=True, max_length=2000)
    tip = models.PositiveIntegerField(
        _("tip (Rp)"),
        default=0,
        help_text=_("Whole rupiah, recorded now and paid out with the earnings."),
    )
    created_at = models.DateTimeField(_("reviewed"), default=timezone.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["walker", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="reports_review_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking} {self.rating}/5"


class ShareLinkQuerySet(models.QuerySet["ShareLink"]):
    def usable(self) -> "ShareLinkQuerySet":
        from bookings.models import Booking

        return self.filter(
            revoked_at__isnull=True,
            booking__status__in=[Booking.Status.CONFIRMED, Booking.Status.IN_PROGRESS],
        )


class ShareLink(models.Model):
    """A link to the live walk for someone without an account.

    It works until the owner revokes it or the walk ends.
    """

    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.CASCADE,
        related_name="share_links",
        verbose_name=_("booking"),
    )
    token = models.CharField(
        _("token"), max_length=32, unique=True, default=new_token, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.booking} {self.created_at:%Y-%m-%d %H:%M}"
