import datetime as dt
import secrets
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Func, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bookings import signals
from bookings.constraints import PostgresExclusionConstraint
from pompygo.lib.timezones import local_today


def coordinate_field(verbose_name: Any) -> models.DecimalField:
    """Make a latitude or longitude field: decimal degrees, to about 10 cm."""
    return models.DecimalField(verbose_name, max_digits=9, decimal_places=6)


class AreaQuerySet(models.QuerySet["Area"]):
    def containing(self, latitude: Decimal, longitude: Decimal) -> "AreaQuerySet":
        return self.filter(
            is_active=True,
            min_latitude__lte=latitude,
            max_latitude__gte=latitude,
            min_longitude__lte=longitude,
            max_longitude__gte=longitude,
        )


class Area(models.Model):
    """A service area, bounded by a latitude and longitude box."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    min_latitude = coordinate_field(_("southern edge"))
    max_latitude = coordinate_field(_("northern edge"))
    min_longitude = coordinate_field(_("western edge"))
    max_longitude = coordinate_field(_("eastern edge"))
    is_active = models.BooleanField(_("served"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_latitude__lt=models.F("max_latitude"))
                & Q(min_longitude__lt=models.F("max_longitude")),
                name="bookings_area_bounds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def centre(self) -> tuple[Decimal, Decimal]:
        return (
            (self.min_latitude + self.max_latitude) / 2,
            (self.min_longitude + self.max_longitude) / 2,
        )


class District(models.Model):
    """A named neighbourhood inside an area, for picking a location by name."""

    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="districts", verbose_name=_("area")
    )
    name = models.CharField(_("name"), max_length=80)
    latitude = coordinate_field(_("latitude"))
    longitude = coordinate_field(_("longitude"))

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["area__sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "name"], name="bookings_district_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.area.name}"


class Service(models.Model):
    class Kind(models.TextChoices):
        WALK = "walk", _("Dog walk")
        PICKUP_DROPOFF = "pickup_dropoff", _("Pick-up and drop-off")

    code = models.SlugField(_("code"), unique=True)
    name_id = models.CharField(_("name in Bahasa Indonesia"), max_length=80)
    name_en = models.CharField(_("name in English"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        validators=[MinValueValidator(15), MaxValueValidator(480)],
    )
    price = models.PositiveIntegerField(
        _("price (Rp)"), help_text=_("Whole rupiah, for the first dog.")
    )
    extra_dog_price = models.PositiveIntegerField(
        _("price per extra dog (Rp)"),
        default=0,
        help_text=_("Whole rupiah, added for each dog after the first."),
    )
    is_active = models.BooleanField(_("bookable"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["sort_order", "price"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_id

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    def price_for(self, dog_count: int) -> int:
        return self.price + self.extra_dog_price * max(dog_count - 1, 0)


class BookingPolicy(models.Model):
    """The one row of booking rules that ops edit in the admin."""

    opening_time = models.TimeField(_("first start time"), default=dt.time(6, 0))
    closing_time = models.TimeField(
        _("closing time"),
        default=dt.time(20, 0),
        help_text=_("Every walk must end by this time (WIB)."),
    )
    lead_time_minutes = models.PositiveIntegerField(
        _("lead time (minutes)"),
        default=120,
        help_text=_("How long before its start a booking can still be made."),
    )
    free_cancellation_hours = models.PositiveIntegerField(
        _("free cancellation until (hours before)"), default=12
    )
    late_cancellation_fee_percent = models.PositiveSmallIntegerField(
        _("late cancellation fee (% of price)"),
        default=50,
        validators=[MaxValueValidator(100)],
    )
    max_dogs_per_booking = models.PositiveSmallIntegerField(
        _("maximum dogs per booking"), default=3, validators=[MinValueValidator(1)]
    )
    max_recurring_weeks = models.PositiveSmallIntegerField(
        _("maximum weeks of a recurring booking"), default=8
    )
    max_advance_days = models.PositiveSmallIntegerField(
        _("bookable up to (days ahead)"),
        default=90,
        validators=[MinValueValidator(1)],
    )

    class Meta:
        verbose_name = _("booking policy")
        verbose_name_plural = _("booking policy")

    def __str__(self) -> str:
        return str(_("Booking policy"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "BookingPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def free_cancellation_deadline(self, starts_at: dt.datetime) -> dt.datetime:
        return starts_at - dt.timedelta(hours=self.free_cancellation_hours)


def dog_photo_path(instance: "Dog", filename: str) -> str:
    # The stored name is random so that photo URLs cannot be guessed; the
    # uploaded name is dropped because it may carry personal details.
    return f"dogs/{uuid.uuid4().hex}.jpg"


class DogQuerySet(models.QuerySet["Dog"]):
    def owned_by(self, user: Any) -> "DogQuerySet":
        return self.filter(owner=user, removed_at__isnull=True)


class Dog(models.Model):
    class Size(models.TextChoices):
        SMALL = "small", _("Small (under 10 kg)")
        MEDIUM = "medium", _("Medium (10 to 25 kg)")
        LARGE = "large", _("Large (25 to 40 kg)")
        GIANT = "giant", _("Giant (over 40 kg)")

    class Sex(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Leash(models.TextChoices):
        CALM = "calm", _("Walks calmly on a leash")
        PULLS = "pulls", _("Pulls on the leash")
        REACTIVE = "reactive", _("Reacts to other dogs or people")
        UNTRAINED = "untrained", _("Not used to a leash")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="dogs",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=60)
    breed = models.CharField(_("breed"), max_length=80, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=Size.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    birth_date_is_estimate = models.BooleanField(
        _("birth date estimated from age"), default=False
    )
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    neutered = models.BooleanField(_("neutered or spayed"), default=False)
    temperament = models.TextField(
        _("temperament"),
        blank=True,
        help_text=_("How the dog behaves with people, other dogs, cats and traffic."),
    )
    leash_behaviour = models.CharField(
        _("on the leash"), max_length=12, choices=Leash.choices, default=Leash.CALM
    )
    medical_notes = models.TextField(
        _("medical notes"),
        blank=True,
        help_text=_("Allergies, medicines, conditions the walker must know about."),
    )
    vet_name = models.CharField(_("vet or clinic"), max_length=120, blank=True)
    vet_phone = models.CharField(_("vet phone"), max_length=20, blank=True)
    vaccination_date = models.DateField(_("last vaccination"), null=True, blank=True)
    photo = models.ImageField(_("photo"), upload_to=dog_photo_path, blank=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    removed_at = models.DateTimeField(
        _("removed"),
        null=True,
        blank=True,
        help_text=_("Removed dogs stay on their past bookings."),
    )

    objects = DogQuerySet.as_manager()

    class Meta:
        verbose_name = _("dog")
        verbose_name_plural = _("dogs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def age_years(self) -> int | None:
        if self.birth_date is None:
            return None
        today = local_today()
        years = today.year - self.birth_date.year
        if (today.month, today.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return max(years, 0)


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


# No 0/O or 1/I/L, which are easy to misread over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 8


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class IllegalTransition(Exception):
    """A status change that the booking lifecycle does not allow."""


class BookingQuerySet(models.QuerySet["Booking"]):
    def owned_by(self, user: Any) -> "BookingQuerySet":
        return self.filter(owner=user)

    def for_list(self) -> "BookingQuerySet":
        return self.select_related(
            "service", "area", "district", "walker__user"
        ).prefetch_related("dogs")

    def upcoming(self) -> "BookingQuerySet":
        """Bookings on or after today's WIB date, earliest first."""
        start_of_today = timezone.make_aware(
            dt.datetime.combine(local_today(), dt.time.min)
        )
        return (
            self.filter(ends_at__gt=timezone.now())
            .filter(starts_at__gte=start_of_today)
            .order_by("starts_at")
        )

    def past(self) -> "BookingQuerySet":
        return self.filter(ends_at__lte=timezone.now()).order_by("-starts_at")

    def holding_walker(self) -> "BookingQuerySet":
        return self.filter(walker__isnull=False).exclude(
            status__in=Booking.RELEASED_STATUSES
        )

    def overlapping(
        self, starts_at: dt.datetime, ends_at: dt.datetime
    ) -> "BookingQuerySet":
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


class Booking(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        CONFIRMED = "confirmed", _("Confirmed")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    # The whole lifecycle: a status may only move to the statuses listed for
    # it. Payment statuses slot in between "requested" and "confirmed".
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.REQUESTED: frozenset(
            {Status.AWAITING_PAYMENT, Status.CONFIRMED, Status.CANCELLED}
        ),
        Status.AWAITING_PAYMENT: frozenset({Status.CONFIRMED, Status.CANCELLED}),
        Status.CONFIRMED: frozenset(
            {Status.REQUESTED, Status.IN_PROGRESS, Status.CANCELLED, Status.NO_SHOW}
        ),
        Status.IN_PROGRESS: frozenset({Status.COMPLETED}),
        Status.COMPLETED: frozenset(),
        Status.CANCELLED: frozenset(),
        Status.NO_SHOW: frozenset(),
    }
    CANCELLABLE_STATUSES = (Status.REQUESTED, Status.AWAITING_PAYMENT, Status.CONFIRMED)
    # A cancelled booking no longer blocks its walker's time.
    RELEASED_STATUSES = (Status.CANCELLED,)

    reference = models.CharField(
        _("reference"), max_length=8, unique=True, default=new_reference, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("owner"),
    )
    dogs = models.ManyToManyField(Dog, related_name="bookings", verbose_name=_("dogs"))
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("service"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("area")
    )
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("district"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    address = models.CharField(_("address"), max_length=255)
    latitude = coordinate_field(_("latitude"))
    longitude = coordinate_field(_("longitude"))
    access_notes = models.TextField(
        _("access notes"),
        blank=True,
        help_text=_("Gate, lockbox or key codes. Only the assigned walker sees them."),
    )
    handover_notes = models.TextField(_("handover notes"), blank=True)
    price = models.PositiveIntegerField(_("price (Rp)"))
    cancellation_fee = models.PositiveIntegerField(
        _("cancellation fee (Rp)"), default=0
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    walker = models.ForeignKey(
        "walkers.WalkerProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("walker"),
    )
    on_the_way_at = models.DateTimeField(
        _("walker on the way since"), null=True, blank=True
    )
    series = models.ForeignKey(
        "BookingSeries",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("recurring series"),
    )
    request_token = models.UUIDField(
        _("request token"),
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("Sent with the booking form, so a resubmitted form books once."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["owner", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["walker", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="bookings_booking_ends_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
            # Half-open ranges [start, end): a walk from 10:00 to 11:00 and
            # one from 11:00 to 12:00 touch but do not overlap.
            PostgresExclusionConstraint(
                name="bookings_booking_walker_no_overlap",
                expressions=[
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                    ("walker", RangeOperators.EQUAL),
                ],
                condition=Q(walker__isnull=False) & ~Q(status="cancelled"),
                violation_error_message=_(
                    "This walker already has a walk at an overlapping time."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def transition(
        self,
        to_status: str,
        *,
        actor: Any,
        note: str = "",
        **changes: Any,
    ) -> "BookingEvent":
        """Move the booking to another status and record who did it and when.

        The change is a conditional UPDATE on the status this object was
        loaded with, so two requests racing to change one booking cannot both
        win: the loser gets IllegalTransition and nothing is written. Other
        fields that change with the status (walker, fee) go in ``changes``.
        """
        from_status = self.status
        if to_status not in self.TRANSITIONS[from_status]:
            raise IllegalTransition(
                _("Booking %(reference)s cannot go from %(from)s to %(to)s.")
                % {
                    "reference": self.reference,
                    "from": self.Status(from_status).label,
                    "to": self.Status(to_status).label,
                }
            )
        now = timezone.now()
        with transaction.atomic():
            updated = Booking.objects.filter(pk=self.pk, status=from_status).update(
                status=to_status, updated_at=now, **changes
            )
            if updated != 1:
                raise IllegalTransition(
                    _("Booking %(reference)s is no longer %(status)s.")
                    % {
                        "reference": self.reference,
                        "status": self.Status(from_status).label.lower(),
                    }
                )
            event = BookingEvent.objects.create(
                booking=self,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
                note=note[:255],
                created_at=now,
            )
            self.status = to_status
            self.updated_at = now
            for field, value in changes.items():
                setattr(self, field, value)
            signals.booking_status_changed.send(
                sender=Booking,
                booking=self,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
            )
        return event

    @property
    def is_series_follow_up(self) -> bool:
        """Whether this is a later booking of a weekly series.

        Only the first booking of a series carries the form's token, and
        messages about the whole series go out with that one.
        """
        return self.series_id is not None and self.request_token is None

    @property
    def is_cancellable(self) -> bool:
        return (
            self.status in self.CANCELLABLE_STATUSES and self.starts_at > timezone.now()
        )

    @property
    def local_date(self) -> dt.date:
        return timezone.localtime(self.starts_at).date()


class BookingEvent(models.Model):
    """One status change of a booking: the booking's timestamped history."""

    booking = models.ForeignKey(
        Booking,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("booking"),
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=Booking.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=Booking.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when the system made the change."),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("booking event")
        verbose_name_plural = _("booking history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        if not self.from_status:
            return str(
                _("Created as %(status)s") % {"status": self.get_to_status_display()}
            )
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


WEEKDAY_NAMES = [
    (1, _("Mon")),
    (2, _("Tue")),
    (3, _("Wed")),
    (4, _("Thu")),
    (5, _("Fri")),
    (6, _("Sat")),
    (7, _("Sun")),
]


class BookingSeries(models.Model):
    """A recurring booking: the rule that created a set of single bookings."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="booking_series",
        verbose_name=_("owner"),
    )
    weekdays = models.CharField(
        _("weekdays"),
        max_length=13,
        help_text=_("ISO weekday numbers separated by commas, 1 = Monday."),
    )
    start_time = models.TimeField(_("start time (WIB)"))
    first_date = models.DateField(_("first date"))
    weeks = models.PositiveSmallIntegerField(_("weeks"))
    skipped = models.JSONField(
        _("dates not booked"),
        default=list,
        blank=True,
        help_text=_("Each date the rule produced that could not be booked, and why."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("recurring booking")
        verbose_name_plural = _("recurring bookings")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        names = dict(WEEKDAY_NAMES)
        days = ", ".join(str(names[day]) for day in self.weekday_numbers)
        return f"{days} {self.start_time:%H:%M} ({self.owner})"

    @property
    def weekday_numbers(self) -> list[int]:
        return [int(day) for day in self.weekdays.split(",") if day]


# Matching: the machine's attempts to place a booking with a walker.


class BookingMatch(models.Model):
    """Where the automatic matching of one booking stands.

    Its row is locked while a matching task works on the booking, so two
    tasks for one booking (a retry, the sweeper) take turns.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for an offer")
        OFFERED = "offered", _("Offer out")
        ASSIGNED = "assigned", _("Walker assigned")
        ESCALATED = "escalated", _("In the ops queue")
        CLOSED = "closed", _("No longer matched")

    class Reason(models.TextChoices):
        DECLINES = "declines", _("Too many offers declined or unanswered")
        STARTS_SOON = "starts_soon", _("The walk starts soon")
        NO_CANDIDATES = "no_candidates", _("No walker can take it")

    booking = models.OneToOneField(
        Booking,
        on_delete=models.CASCADE,
        related_name="match",
        verbose_name=_("booking"),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.WAITING
    )
    refusals = models.PositiveSmallIntegerField(
        _("offers declined or expired"), default=0
    )
    escalation_reason = models.CharField(
        _("why it is in the ops queue"),
        max_length=16,
        choices=Reason.choices,
        blank=True,
    )
    escalated_at = models.DateTimeField(
        _("sent to the ops queue"), null=True, blank=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("booking matching")
        verbose_name_plural = _("booking matching")
        indexes = [models.Index(fields=["state", "escalated_at"])]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.state}"


class MatchRun(models.Model):
    """One pass of candidate filtering and scoring for a booking, as shown to ops."""

    class Trigger(models.TextChoices):
        """Labels for the trigger codes that the matching and the admin store."""

        CREATED = "created", _("new booking")
        HANDED_BACK = "handed_back", _("walk handed back")
        DECLINED = "declined", _("offer declined")
        EXPIRED = "expired", _("offer expired")
        ACCEPT_FAILED = "accept_failed", _("acceptance failed")
        SWEEPER = "sweeper", _("periodic check")
        WALKER_FREE = "walker_free", _("a walker's other offer closed")
        WALKER_BUSY = "walker_busy", _("the offered walker took another walk")
        OPS = "ops", _("candidates page")

    booking = models.ForeignKey(
        Booking,
        on_delete=models.CASCADE,
        related_name="match_runs",
        verbose_name=_("booking"),
    )
    trigger = models.CharField(_("trigger"), max_length=20)
    considered = models.PositiveIntegerField(_("walkers considered"), default=0)
    # [{"walker": id, "name": str, "score": float, "tier": int, "parts": {...}}],
    # best first.
    candidates = models.JSONField(_("candidates"), default=list)
    # [{"walker": id, "name": str, "reasons": [str, ...]}]
    excluded = models.JSONField(_("excluded walkers"), default=list)
    created_at = models.DateTimeField(_("run at"), default=timezone.now)

    class Meta:
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["booking", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.created_at:%Y-%m-%d %H:%M}"

    def get_trigger_display(self) -> str:
        """Return the trigger's label, or the code itself if it has none."""
        if self.trigger in self.Trigger.values:
            return str(self.Trigger(self.trigger).label)
        return self.trigger


class OfferQuerySet(models.QuerySet["Offer"]):
    def open(self) -> "OfferQuerySet":
        return self.filter(state=Offer.State.SENT, expires_at__gt=timezone.now())


class Offer(models.Model):
    """A booking offered to one walker, who accepts or declines it."""

    class State(models.TextChoices):
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class DeclineReason(models.TextChoices):
        BUSY = "busy", _("I am busy at that time")
        TOO_FAR = "too_far", _("It is too far for me")
        DOG = "dog", _("I am not comfortable with this dog")
        OTHER = "other", _("Another reason")

    booking = models.ForeignKey(
        Booking,
        on_delete=models.CASCADE,
        related_name="offers",
        verbose_name=_("booking"),
    )
    walker = models.ForeignKey(
        "walkers.WalkerProfile",
        on_delete=models.CASCADE,
        related_name="offers",
        verbose_name=_("walker"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.SENT
    )
    score = models.FloatField(_("score"), default=0)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    answered_at = models.DateTimeField(_("answered or closed"), null=True, blank=True)
    decline_reason = models.CharField(
        _("reason for declining"),
        max_length=10,
        choices=DeclineReason.choices,
        blank=True,
    )
    note = models.CharField(
        _("note"),
        max_length=255,
        blank=True,
        help_text=_("The walker's own words when declining, or why it was withdrawn."),
    )

    objects = OfferQuerySet.as_manager()

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["walker", "state"]),
            models.Index(fields=["state", "expires_at"]),
        ]
        constraints = [
            # A walker is offered a booking once, and a booking has at most
            # one offer out at a time: a matching task that runs twice cannot
            # send a second one.
            models.UniqueConstraint(
                fields=["booking", "walker"], name="bookings_offer_once_per_walker"
            ),
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(state="sent"),
                name="bookings_offer_one_open_per_booking",
            ),
        ]

    def __str__(self) -> str:
        return _("%(reference)s offered to %(walker)s: %(state)s") % {
            "reference": self.booking.reference,
            "walker": self.walker,
            "state": self.get_state_display(),
        }

    @property
    def is_open(self) -> bool:
        return self.state == self.State.SENT and self.expires_at > timezone.now()

    @property
    def is_expired(self) -> bool:
        """Whether the offer timed out, including before the expiry job records it.

        accept_offer and decline_offer reject a sent offer past expires_at,
        so the walker's page calls it expired as soon as its time is up.
        """
        if self.state == self.State.EXPIRED:
            return True
        return self.state == self.State.SENT and self.expires_at <= timezone.now()


class UnplacedBooking(Booking):
    """A booking the matching sent to the ops queue, for the admin's queue page."""

    class Meta:
        proxy = True
        verbose_name = _("ops queue booking")
        verbose_name_plural = _("ops queue")
