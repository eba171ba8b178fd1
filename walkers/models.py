import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pompygo.lib.timezones import local_today
from walkers.storage import PrivateStorage

# The pass mark of the scored stages (interview and practical test), out of 100.
PASS_MARK = 70
MINIMUM_AGE = 18

WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]


def walker_photo_path(instance: "WalkerProfile", filename: str) -> str:
    # Random, so profile photo URLs cannot be guessed from a name.
    return f"walkers/{uuid.uuid4().hex}.jpg"


def private_document_path(instance: "WalkerDocument", filename: str) -> str:
    # The uploaded name is dropped: it often carries the person's name.
    extension = "pdf" if instance.content_type == "application/pdf" else "img"
    return f"walker-documents/{uuid.uuid4().hex}.{extension}"


class Stage(models.TextChoices):
    """The recruitment stages, in the order they are taken."""

    SCREENING = "screening", _("Screening")
    INTERVIEW = "interview", _("Competency interview")
    PRACTICAL = "practical", _("Practical skills test")
    BACKGROUND = "background", _("Background check")
    TRAINING = "training", _("Training")


STAGE_ORDER: list[str] = [stage.value for stage in Stage]
SCORED_STAGES = {Stage.INTERVIEW.value, Stage.PRACTICAL.value}

# The text on the applicant's status page while a stage is next.
NEXT_STEP_TEXT = {
    Stage.SCREENING: _(
        "We are checking your application against our minimum criteria: age, "
        "ID card, smartphone, area and experience with dogs. We contact you "
        "within three working days."
    ),
    Stage.INTERVIEW: _(
        "Next is a competency interview: we ask how you would handle real "
        "situations with dogs. We call you to set a time."
    ),
    Stage.PRACTICAL: _(
        "Next is a practical test: you walk a dog with one of our trainers, "
        "who scores your handling."
    ),
    Stage.BACKGROUND: _(
        "Next is the background check: we verify your police certificate "
        "(SKCK) and call your references."
    ),
    Stage.TRAINING: _(
        "Last step: our walker training. Once you complete it you are a "
        "verified Pompy Go walker."
    ),
}


def verified_walker_ids() -> Any:
    """Return a subquery of the ids of walkers who passed every stage."""
    return WalkerProfile.objects.verified().values("pk")


class WalkerQuerySet(models.QuerySet["WalkerProfile"]):
    def verified(self) -> "WalkerQuerySet":
        return self.filter(stages_passed=len(STAGE_ORDER))

    def verified_active(self) -> "WalkerQuerySet":
        """Walkers who passed every stage and are not suspended."""
        return self.verified().filter(is_active=True)

    def assignable(self) -> "WalkerQuerySet":
        """Walkers that ops may put on a booking: verified and active."""
        return self.verified_active()

    def with_passed_stage_count(self) -> "WalkerQuerySet":
        passed = (
            WalkerStage.objects.filter(
                walker=OuterRef("pk"), outcome=WalkerStage.Outcome.PASSED
            )
            .values("walker")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(passed_stage_count=Subquery(passed))


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
    photo = models.ImageField(
        _("profile photo"), upload_to=walker_photo_path, blank=True
    )
    level = models.CharField(
        _("level"), max_length=16, choices=Level.choices, default=Level.NEW
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive walkers are never assigned new bookings."),
    )
    suspended_reason = models.CharField(
        _("reason for suspension"), max_length=255, blank=True
    )

    # What the application collected.
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    id_number = models.CharField(
        _("ID card (KTP) number"),
        max_length=16,
        blank=True,
        validators=[
            RegexValidator(r"^\d{16}$", _("A KTP number (NIK) has 16 digits."))
        ],
    )
    has_smartphone = models.BooleanField(_("has a smartphone"), default=False)
    years_of_experience = models.PositiveSmallIntegerField(
        _("years of experience with dogs"),
        default=0,
        validators=[MaxValueValidator(60)],
    )
    experience = models.TextField(_("experience with dogs"), blank=True)
    references = models.TextField(
        _("references"),
        blank=True,
        help_text=_("Names and phone numbers of two people we may call."),
    )

    # Availability and matching.
    home_district = models.ForeignKey(
        "bookings.District",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("home district"),
    )
    home_latitude = models.DecimalField(
        _("home base latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    home_longitude = models.DecimalField(
        _("home base longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    service_radius_km = models.PositiveSmallIntegerField(
        _("service radius (km)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("How far from the home base the walker takes walks."),
    )
    dog_sizes = models.CharField(
        _("dog sizes accepted"),
        max_length=40,
        blank=True,
        help_text=_("Sizes from the dog profile, separated by commas: small,medium."),
    )
    max_walks_per_day = models.PositiveSmallIntegerField(
        _("maximum walks per day"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    created_at = models.DateTimeField(_("applied"), auto_now_add=True)
    # The number of this walker's stages with the outcome "passed", stored so
    # that matching can filter verified walkers without counting stages.
    # Database triggers (walkers migration 0003) recount it whenever a stage
    # or this row is written, so a stale or forged value is replaced.
    stages_passed = models.PositiveSmallIntegerField(
        _("recruitment stages passed"), default=0, editable=False
    )

    objects = WalkerQuerySet.as_manager()

    class Meta:
        verbose_name = _("walker")
        verbose_name_plural = _("walkers")
        ordering = ["user__first_name", "user__email"]

    def __str__(self) -> str:
        return self.user.display_name

    @property
    def first_name(self) -> str:
        return self.user.first_name or str(_("Walker"))

    @property
    def dog_size_list(self) -> list[str]:
        return [size for size in self.dog_sizes.split(",") if size]

    def dog_size_labels(self) -> list[str]:
        from bookings.models import Dog

        labels = dict(Dog.Size.choices)
        return [str(labels[size]) for size in self.dog_size_list if size in labels]

    @property
    def masked_id_number(self) -> str:
        """The KTP number with all but its last four digits hidden."""
        if not self.id_number:
            return ""
        return "•" * (len(self.id_number) - 4) + self.id_number[-4:]

    @property
    def age(self) -> int | None:
        if self.date_of_birth is None:
            return None
        today = local_today()
        born = self.date_of_birth
        return (
            today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        )

    def stage_records(self) -> dict[str, "WalkerStage"]:
        """Return the decided stages by stage code; uses prefetched stages if any."""
        return {record.stage: record for record in self.stages.all()}

    @property
    def is_verified(self) -> bool:
        """True once every stage is passed, judged from the stage records."""
        count = getattr(self, "passed_stage_count", None)
        if count is not None:
            return bool(count == len(STAGE_ORDER))
        records = self.stage_records()
        return all(
            stage in records and records[stage].outcome == WalkerStage.Outcome.PASSED
            for stage in STAGE_ORDER
        )

    def pipeline(self) -> "Pipeline":
        return Pipeline(self.stage_records())

    def eligibility_problems(self, booking: Any) -> list[str]:
        """Return why this walker may not take the booking; empty when they may."""
        from walkers.eligibility import eligibility_problems_for

        return eligibility_problems_for(booking, [self])[self.pk]


class Pipeline:
    """An applicant's progress through recruitment, from their decided stages."""

    def __init__(self, records: dict[str, "WalkerStage"]) -> None:
        self.records = records
        self.rows = [(Stage(stage), records.get(stage)) for stage in STAGE_ORDER]

    @property
    def failed(self) -> "WalkerStage | None":
        for _stage, record in self.rows:
            if record and record.outcome == WalkerStage.Outcome.FAILED:
                return record
        return None

    @property
    def next_stage(self) -> Stage | None:
        """The first stage not yet passed, or None when all are passed or one failed."""
        if self.failed:
            return None
        for stage, record in self.rows:
            if record is None or record.outcome != WalkerStage.Outcome.PASSED:
                return stage
        return None

    @property
    def is_verified(self) -> bool:
        return self.failed is None and self.next_stage is None

    @property
    def passed(self) -> list["WalkerStage"]:
        return [
            record
            for _stage, record in self.rows
            if record and record.outcome == WalkerStage.Outcome.PASSED
        ]

    @property
    def status_label(self) -> str:
        if self.failed:
            return str(
                _("Not accepted at: %(stage)s")
                % {"stage": self.failed.get_stage_display()}
            )
        if self.next_stage is None:
            return str(_("Verified"))
        return str(_("Waiting for: %(stage)s") % {"stage": self.next_stage.label})

    @property
    def next_step_text(self) -> str:
        if self.next_stage is None:
            return ""
        return str(NEXT_STEP_TEXT[self.next_stage])


class WalkerStage(models.Model):
    """A staff decision on one recruitment stage of one walker."""

    class Outcome(models.TextChoices):
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    walker = models.ForeignKey(
        WalkerProfile,
        on_delete=models.CASCADE,
        related_name="stages",
        verbose_name=_("walker"),
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    score = models.PositiveSmallIntegerField(
        _("score (0 to 100)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("For the interview and the practical test; the pass mark is 70."),
    )
    skck_verified = models.BooleanField(
        _("SKCK verified"), default=False, help_text=_("Background check only.")
    )
    references_called = models.BooleanField(
        _("references called"), default=False, help_text=_("Background check only.")
    )
    notes = models.TextField(_("staff notes"), blank=True)
    rejection_reason = models.CharField(
        _("reason shown to the applicant"),
        max_length=255,
        blank=True,
        help_text=_("Required when the stage is failed."),
    )
    decided_on = models.DateField(_("date"), default=local_today)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("recruitment stage")
        verbose_name_plural = _("recruitment stages")
        ordering = ["walker", "decided_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["walker", "stage"], name="walkers_stage_once_per_walker"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.get_outcome_display()}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        passing = self.outcome == self.Outcome.PASSED
        if self.stage in SCORED_STAGES:
            if self.score is None:
                errors["score"] = _("Enter the score for this stage.")
            elif passing and self.score < PASS_MARK:
                errors["score"] = _(
                    "A score of %(score)s is below the pass mark of %(mark)s."
                ) % {"score": self.score, "mark": PASS_MARK}
        if self.stage == Stage.BACKGROUND and passing:
            if not self.skck_verified:
                errors["skck_verified"] = _(
                    "Verify the SKCK before passing this stage."
                )
            if not self.references_called:
                errors["references_called"] = _(
                    "Call the references before passing this stage."
                )
        if self.outcome == self.Outcome.FAILED and not self.rejection_reason.strip():
            errors["rejection_reason"] = _("Say why, in words the applicant will read.")
        if self.stage == Stage.SCREENING and passing and self._outcome_changed():
            unmet = screening_problems(self.walker)
            if unmet:
                errors["outcome"] = " ".join(unmet)
        if errors:
            raise ValidationError(errors)

    def _outcome_changed(self) -> bool:
        """Tell whether this decision is new, so a saved pass is not re-judged."""
        if not self.walker_id:
            return False
        if self._state.adding:
            return True
        return not WalkerStage.objects.filter(pk=self.pk, outcome=self.outcome).exists()


def stage_order_problem(decided: dict[str, str], stage: str) -> str:
    """Return why this stage cannot be decided yet, or "" when it can.

    Stages are decided in order: each earlier stage must be passed first, so
    nothing is decided after a failed stage.
    """
    for earlier in STAGE_ORDER[: STAGE_ORDER.index(stage)]:
        if decided.get(earlier) != WalkerStage.Outcome.PASSED:
            return str(
                _("%(stage)s comes after %(earlier)s, which is not passed.")
                % {"stage": Stage(stage).label, "earlier": Stage(earlier).label}
            )
    return ""


def screening_problems(walker: WalkerProfile) -> list[str]:
    """Return which minimum criteria the applicant does not meet."""
    problems = []
    if walker.age is None or walker.age < MINIMUM_AGE:
        problems.append(str(_("The applicant must be 18 or over.")))
    if (
        not walker.id_number
        or not walker.documents.filter(kind=WalkerDocument.Kind.KTP).exists()
    ):
        problems.append(str(_("The KTP number and photo are missing.")))
    if not walker.has_smartphone:
        problems.append(str(_("The applicant has no smartphone.")))
    if not walker.areas.exists():
        problems.append(str(_("The applicant chose no service area.")))
    if not walker.experience.strip():
        problems.append(str(_("The applicant described no experience with dogs.")))
    return problems


class WalkerDocument(models.Model):
    """A private file of an applicant: served to staff only, never listed."""

    class Kind(models.TextChoices):
        KTP = "ktp", _("ID card (KTP) photo")
        SKCK = "skck", _("Police certificate (SKCK)")

    walker = models.ForeignKey(
        WalkerProfile,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("walker"),
    )
    kind = models.CharField(_("document"), max_length=8, choices=Kind.choices)
    file = models.FileField(
        _("file"), upload_to=private_document_path, storage=PrivateStorage()
    )
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("private document")
        verbose_name_plural = _("private documents")
        ordering = ["walker", "kind", "-uploaded_at"]

    def __str__(self) -> str:
        return str(self.get_kind_display())


@receiver(post_delete, sender=WalkerDocument)
def remove_document_file(sender: Any, instance: WalkerDocument, **kwargs: Any) -> None:
    """Delete the stored file once the row's deletion is committed."""
    storage, name = instance.file.storage, instance.file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


class WeeklyAvailability(models.Model):
    """A window of the week, in WIB, when the walker takes walks."""

    walker = models.ForeignKey(
        WalkerProfile,
        on_delete=models.CASCADE,
        related_name="weekly_availability",
        verbose_name=_("walker"),
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=WEEKDAYS)
    start_time = models.TimeField(_("from (WIB)"))
    end_time = models.TimeField(_("until (WIB)"))

    class Meta:
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        ordering = ["walker", "weekday", "start_time"]
        indexes = [
            # Matching reads one weekday's windows of every walker of an
            # area, and with the times included it reads them from the index.
            models.Index(
                fields=["weekday", "walker"],
                include=["start_time", "end_time"],
                name="walkers_weekly_by_weekday",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="walkers_weekly_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        hours = f"{self.start_time:%H:%M}-{self.end_time:%H:%M}"
        return f"{self.get_weekday_display()} {hours}"

    def covers(self, start: dt.time, end: dt.time) -> bool:
        return self.start_time <= start and end <= self.end_time


class AvailabilityException(models.Model):
    """A date, or part of one, when the walker does not work (leave, errands)."""

    walker = models.ForeignKey(
        WalkerProfile,
        on_delete=models.CASCADE,
        related_name="availability_exceptions",
        verbose_name=_("walker"),
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(
        _("from (WIB)"), null=True, blank=True, help_text=_("Empty for the whole day.")
    )
    end_time = models.TimeField(
        _("until (WIB)"), null=True, blank=True, help_text=_("Empty for the whole day.")
    )
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("unavailable time")
        verbose_name_plural = _("unavailable times")
        ordering = ["walker", "date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True))
                | Q(end_time__gt=models.F("start_time")),
                name="walkers_exception_whole_day_or_ordered",
            ),
        ]

    def __str__(self) -> str:
        if self.is_whole_day:
            return f"{self.date:%d-%m-%Y}"
        return f"{self.date:%d-%m-%Y} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    @property
    def is_whole_day(self) -> bool:
        return self.start_time is None

    def blocks(self, start: dt.time, end: dt.time) -> bool:
        if self.start_time is None or self.end_time is None:
            return True
        return self.start_time < end and start < self.end_time


class PreferredWalker(models.Model):
    """An owner's mark that they want this walker for their walks."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preferred_walkers",
        verbose_name=_("owner"),
    )
    walker = models.ForeignKey(
        WalkerProfile,
        on_delete=models.CASCADE,
        related_name="preferred_by",
        verbose_name=_("walker"),
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("preferred walker")
        verbose_name_plural = _("preferred walkers")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "walker"], name="walkers_preferred_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} -> {self.walker_id}"
