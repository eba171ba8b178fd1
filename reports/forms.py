from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import Review, WalkReport
from reports.services import StoredContent, clean_media

YES_NO = [(True, _("Yes")), (False, _("No"))]
MEDIA_ACCEPT = "image/*,video/mp4,video/quicktime,video/webm,.heic,.heif"


class PositionForm(forms.Form):
    """The phone's position, filled in by the page's script when it has one."""

    latitude = forms.DecimalField(
        required=False,
        min_value=-90,
        max_value=90,
        max_digits=9,
        decimal_places=6,
        widget=forms.HiddenInput,
    )
    longitude = forms.DecimalField(
        required=False,
        min_value=-180,
        max_value=180,
        max_digits=9,
        decimal_places=6,
        widget=forms.HiddenInput,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A position arrives whole or not at all.
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            cleaned["latitude"] = cleaned["longitude"] = None
        return cleaned


class StartForm(PositionForm):
    handed_over = forms.BooleanField(
        label=_("The owner (or their helper) handed the dog over to me"),
        error_messages={"required": _("Confirm the handover before you start.")},
    )
    leash_checked = forms.BooleanField(
        label=_("Leash and harness are checked and fit well"),
        error_messages={"required": _("Check the leash and harness before you start.")},
    )
    id_tag_on = forms.BooleanField(
        label=_("The ID tag is on the collar"),
        error_messages={"required": _("Make sure the dog wears its ID tag.")},
    )
    dog_condition = forms.CharField(
        label=_("The dog's condition at pick-up"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Mood, energy, anything unusual: limping, a wound, not eating."),
        error_messages={"required": _("Describe how the dog is at pick-up.")},
    )
    # Empty files reach the photo checks, whose message is clearer.
    photo = forms.FileField(
        allow_empty_file=True,
        label=_("Pick-up photo"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*,.heic,.heif", "capture": "environment"}
        ),
        error_messages={"required": _("Take a pick-up photo of the dog.")},
    )

    def clean_photo(self) -> Any:
        """Check the photo with the other items, so every error shows at once."""
        photo = self.cleaned_data["photo"]
        self.photo_content: StoredContent = clean_media(photo, photo_only=True)
        return photo


class UpdateForm(forms.Form):
    file = forms.FileField(
        allow_empty_file=True,
        label=_("Photo or video"),
        widget=forms.ClearableFileInput(attrs={"accept": MEDIA_ACCEPT}),
        error_messages={"required": _("Choose a photo or a video to send.")},
    )
    caption = forms.CharField(label=_("Caption"), max_length=280, required=False)
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)


class ReportForm(forms.ModelForm):
    dropoff_photo = forms.FileField(
        allow_empty_file=True,
        label=_("Drop-off photo"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*,.heic,.heif", "capture": "environment"}
        ),
    )

    class Meta:
        model = WalkReport
        fields = [
            "handed_over_to",
            "leash_removed",
            "dog_condition",
            "condition_notes",
            "peed",
            "pooed",
            "water",
            "food",
            "behaviour",
            "had_incident",
            "incident_notes",
            "notes_for_owner",
        ]
        widgets = {
            "dog_condition": forms.RadioSelect,
            "water": forms.RadioSelect,
            "behaviour": forms.RadioSelect,
            "condition_notes": forms.Textarea(attrs={"rows": 2}),
            "incident_notes": forms.Textarea(attrs={"rows": 2}),
            "notes_for_owner": forms.Textarea(attrs={"rows": 3}),
        }

    # The messages of a filed report, one per required item.
    REQUIRED = {
        "handed_over_to": _("Say who took the dog back at drop-off."),
        "leash_removed": _("Say whether you took off the leash and harness."),
        "dog_condition": _("Choose the dog's condition."),
        "peed": _("Say whether the dog peed."),
        "pooed": _("Say whether the dog pooed."),
        "water": _("Say whether the dog drank water."),
        "behaviour": _("Choose how the dog behaved."),
        "had_incident": _("Say whether anything happened on the walk."),
        "notes_for_owner": _("Write a few words for the owner."),
    }

    def __init__(
        self,
        *args: Any,
        has_dropoff_photo: bool = False,
        had_emergency: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.has_dropoff_photo = has_dropoff_photo
        self.had_emergency = had_emergency
        if had_emergency and self.instance.had_incident is None:
            self.initial["had_incident"] = True
        for name in ("leash_removed", "peed", "pooed", "had_incident"):
            self.fields[name] = forms.NullBooleanField(
                label=self.fields[name].label,
                required=False,
                widget=forms.RadioSelect(choices=YES_NO),
            )
        for name in ("dog_condition", "water", "behaviour"):
            field = self.fields[name]
            choices = field.choices  # type: ignore[attr-defined]
            field.choices = [c for c in choices if c[0] != ""]  # type: ignore[attr-defined]

    def clean_dropoff_photo(self) -> Any:
        """Check the photo now, so a bad one is a form error and nothing is saved."""
        photo = self.cleaned_data.get("dropoff_photo")
        self.dropoff_content: StoredContent | None = None
        if photo:
            self.dropoff_content = clean_media(photo, photo_only=True)
        return photo

    def check_complete(self) -> bool:
        """Add a message for each missing item of a filed report; True if none."""
        data = self.cleaned_data
        for name, message in self.REQUIRED.items():
            if data.get(name) in (None, ""):
                self.add_error(name, message)
        if data.get("leash_removed") is False:
            self.add_error(
                "leash_removed",
                _("Take off the leash and harness, or hand them over, first."),
            )
        if data.get("dog_condition") in (
            WalkReport.Condition.CONCERN,
            WalkReport.Condition.HURT,
        ) and not data.get("condition_notes"):
            self.add_error(
                "condition_notes", _("Describe what the owner should watch.")
            )
        if self.had_emergency and data.get("had_incident") is False:
            self.add_error(
                "had_incident",
                _(
                    "You raised an emergency on this walk. Answer Yes and "
                    "describe what happened."
                ),
            )
        if data.get("had_incident") and not data.get("incident_notes"):
            self.add_error("incident_notes", _("Describe what happened."))
        if not (self.has_dropoff_photo or data.get("dropoff_photo")):
            self.add_error("dropoff_photo", _("Take a drop-off photo of the dog."))
        return not self.errors


class ReviewForm(forms.ModelForm):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5 stars.")},
    )
    tip = forms.IntegerField(
        label=_("Tip for the walker (Rp)"),
        min_value=0,
        max_value=1_000_000,
        required=False,
        help_text=_("Optional. Whole rupiah, paid to the walker with their earnings."),
    )

    class Meta:
        model = Review
        fields = ["rating", "text", "tip"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        labels = {"text": _("Your review (optional)")}

    def clean_tip(self) -> int:
        return self.cleaned_data.get("tip") or 0
