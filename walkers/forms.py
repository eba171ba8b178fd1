import datetime as dt
import itertools
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bookings.models import Area, District, Dog, Offer
from pompygo.lib.phones import normalize_indonesian_mobile
from pompygo.lib.timezones import local_today
from walkers.documents import clean_document
from walkers.models import (
    MINIMUM_AGE,
    WEEKDAYS,
    AvailabilityException,
    WalkerDocument,
    WalkerProfile,
    WeeklyAvailability,
)

# Two windows a day cover the usual morning and late-afternoon walking hours.
WINDOWS_PER_DAY = 2
EDGE_LABELS = {"start": _("from"), "end": _("until")}


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


def _district_field() -> DistrictChoiceField:
    return DistrictChoiceField(
        label=_("Home district"),
        queryset=District.objects.select_related("area").filter(area__is_active=True),
        help_text=_("Where you usually start from. Walks are offered around it."),
        error_messages={"required": _("Choose the district you live in.")},
    )


def _areas_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Service areas"),
        queryset=Area.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one area you can walk in.")},
    )


def _sizes_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Dog sizes you can handle"),
        choices=Dog.Size.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one dog size.")},
    )


class WeeklyPatternForm(forms.Form):
    """The weekly availability: up to two windows for each day, in WIB."""

    def __init__(self, *args: Any, walker: WalkerProfile | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for weekday, _label in WEEKDAYS:
            for slot in range(WINDOWS_PER_DAY):
                for edge in ("start", "end"):
                    self.fields[self.field_name(weekday, slot, edge)] = forms.TimeField(
                        required=False,
                        widget=forms.TimeInput(
                            attrs={
                                "type": "time",
                                "step": 900,
                                "class": "form-control form-control-sm",
                                "aria-label": f"{_label} {EDGE_LABELS[edge]}",
                            },
                            format="%H:%M",
                        ),
                    )
        if walker is not None and walker.pk and not self.is_bound:
            self._load(walker)

    @staticmethod
    def field_name(weekday: int, slot: int, edge: str) -> str:
        return f"day{weekday}_{slot}_{edge}"

    def _load(self, walker: WalkerProfile) -> None:
        slots: dict[int, int] = {}
        for window in walker.weekly_availability.all():
            slot = slots.get(window.weekday, 0)
            if slot >= WINDOWS_PER_DAY:
                continue
            slots[window.weekday] = slot + 1
            self.initial[self.field_name(window.weekday, slot, "start")] = (
                window.start_time
            )
            self.initial[self.field_name(window.weekday, slot, "end")] = window.end_time

    def days(self) -> list[dict[str, Any]]:
        """Return the fields grouped by day, for the template."""
        return [
            {
                "label": label,
                "windows": [
                    (
                        self[self.field_name(weekday, slot, "start")],
                        self[self.field_name(weekday, slot, "end")],
                    )
                    for slot in range(WINDOWS_PER_DAY)
                ],
            }
            for weekday, label in WEEKDAYS
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self.windows: list[tuple[int, dt.time, dt.time]] = []
        for weekday, label in WEEKDAYS:
            day_windows = []
            for slot in range(WINDOWS_PER_DAY):
                start_name = self.field_name(weekday, slot, "start")
                start = data.get(start_name)
                end = data.get(self.field_name(weekday, slot, "end"))
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    self.add_error(
                        start_name,
                        _("%(day)s: give both a start and an end time.")
                        % {"day": label},
                    )
                elif end <= start:
                    self.add_error(
                        start_name,
                        _("%(day)s: the end time must be after the start time.")
                        % {"day": label},
                    )
                else:
                    day_windows.append((start, end))
            day_windows.sort()
            for (_s1, end1), (start2, _e2) in itertools.pairwise(day_windows):
                if start2 < end1:
                    self.add_error(
                        self.field_name(weekday, 0, "start"),
                        _("%(day)s: the two times overlap.") % {"day": label},
                    )
            self.windows.extend((weekday, start, end) for start, end in day_windows)
        if not self.errors and not self.windows:
            raise ValidationError(
                _("Give at least one time in the week when you can walk.")
            )
        return data

    def save(self, walker: WalkerProfile) -> None:
        walker.weekly_availability.all().delete()
        WeeklyAvailability.objects.bulk_create(
            WeeklyAvailability(
                walker=walker, weekday=day, start_time=start, end_time=end
            )
            for day, start, end in self.windows
        )


class DogSizesMixin:
    """Store the chosen sizes in the model's comma-separated field."""

    def _init_sizes(self) -> None:
        instance = self.instance  # type: ignore[attr-defined]
        if instance.pk:
            self.initial["dog_sizes"] = instance.dog_size_list  # type: ignore[attr-defined]

    def clean_dog_sizes(self) -> str:
        chosen = self.cleaned_data["dog_sizes"]  # type: ignore[attr-defined]
        return ",".join(size for size in Dog.Size.values if size in chosen)


class ApplicationForm(DogSizesMixin, forms.ModelForm):
    """The public "become a walker" form. Staff-only fields are not on it."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        help_text=_("Never shown on your public profile."),
    )
    phone = forms.CharField(
        label=_("Mobile number (WhatsApp)"),
        max_length=20,
        help_text=_("For example 0812-3456-7890."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    home_district = _district_field()
    areas = _areas_field()
    dog_sizes = _sizes_field()
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    id_number = forms.RegexField(
        label=_("KTP number (NIK)"),
        regex=r"^\d{16}$",
        max_length=16,
        error_messages={
            "invalid": _("Enter the 16 digits of your NIK, without spaces.")
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    ktp_photo = forms.FileField(
        label=_("Photo of your KTP"),
        help_text=_("A clear photo of the front of the card. Only our staff see it."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    skck = forms.FileField(
        label=_("Police certificate (SKCK)"),
        help_text=_(
            "A PDF or a photo, issued in the last six months. Only our staff see it."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    profile_photo = forms.FileField(
        label=_("Profile photo"),
        required=False,
        help_text=_("Your face, clearly. Owners see it on your public profile."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    consent = forms.BooleanField(
        label=_("I agree that Pompy Go checks my SKCK and calls my references."),
        error_messages={
            "required": _("We can only accept walkers whose background we check.")
        },
    )

    class Meta:
        model = WalkerProfile
        fields = [
            "date_of_birth",
            "id_number",
            "has_smartphone",
            "home_district",
            "areas",
            "years_of_experience",
            "experience",
            "dog_sizes",
            "references",
            "bio",
        ]
        labels = {
            "has_smartphone": _("I have a smartphone with mobile data"),
            "experience": _("Your experience with dogs"),
            "bio": _("About you, for owners to read"),
        }
        widgets = {
            "experience": forms.Textarea(attrs={"rows": 3}),
            "references": forms.Textarea(attrs={"rows": 2}),
            "bio": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["first_name"].initial = user.first_name
        self.fields["last_name"].initial = user.last_name
        self.fields["phone"].initial = user.phone_display
        self.fields["experience"].required = True
        self.fields["references"].required = True
        self.fields["date_of_birth"].widget.attrs["max"] = local_today().isoformat()

    def clean_phone(self) -> str:
        return normalize_indonesian_mobile(self.cleaned_data["phone"])

    def clean_date_of_birth(self) -> dt.date:
        born = self.cleaned_data["date_of_birth"]
        today = local_today()
        age = (
            today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        )
        if age < MINIMUM_AGE:
            raise ValidationError(_("Walkers must be 18 or over."))
        if age > 100:
            raise ValidationError(_("Check the year of your date of birth."))
        return born

    def clean_ktp_photo(self) -> Any:
        return clean_document(self.cleaned_data["ktp_photo"], allow_pdf=False)

    def clean_skck(self) -> Any:
        return clean_document(self.cleaned_data["skck"], allow_pdf=True)

    def clean_profile_photo(self) -> Any:
        upload = self.cleaned_data.get("profile_photo")
        if not upload:
            return None
        from pompygo.lib.images import process_photo

        return process_photo(upload, max_side=800)


class AvailabilitySettingsForm(DogSizesMixin, forms.ModelForm):
    """Where, what and how much the walker takes on; they edit it themselves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_sizes()

    home_district = _district_field()
    areas = _areas_field()
    dog_sizes = _sizes_field()

    class Meta:
        model = WalkerProfile
        fields = [
            "home_district",
            "home_latitude",
            "home_longitude",
            "service_radius_km",
            "areas",
            "dog_sizes",
            "max_walks_per_day",
        ]
        help_texts = {
            "home_latitude": _("Leave empty to use the centre of your home district."),
            "home_longitude": _("Leave empty to use the centre of your home district."),
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        latitude, longitude = data.get("home_latitude"), data.get("home_longitude")
        if (latitude is None) != (longitude is None):
            self.add_error(
                "home_latitude",
                _("Give both the latitude and the longitude, or neither."),
            )
        elif latitude is None and data.get("home_district"):
            data["home_latitude"] = data["home_district"].latitude
            data["home_longitude"] = data["home_district"].longitude
        return data


class AvailabilityExceptionForm(forms.ModelForm):
    class Meta:
        model = AvailabilityException
        fields = ["date", "start_time", "end_time", "reason"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "start_time": forms.TimeInput(
                attrs={"type": "time", "step": 900}, format="%H:%M"
            ),
            "end_time": forms.TimeInput(
                attrs={"type": "time", "step": 900}, format="%H:%M"
            ),
        }
        help_texts = {
            "start_time": _("Leave both times empty to block the whole day."),
            "end_time": "",
        }

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        if day < local_today():
            raise ValidationError(_("Choose today or a later date."))
        return day

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start_time"), data.get("end_time")
        if (start is None) != (end is None):
            self.add_error(
                "start_time",
                _("Give both times, or leave both empty for the whole day."),
            )
        elif start is not None and end is not None and end <= start:
            self.add_error("end_time", _("The end time must be after the start time."))
        return data


class ProfileForm(forms.ModelForm):
    """The public profile text and photo, as the walker edits them."""

    new_photo = forms.FileField(
        label=_("New profile photo"),
        required=False,
        help_text=_("Your face, clearly. Leave empty to keep the current photo."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    class Meta:
        model = WalkerProfile
        fields = ["bio", "years_of_experience"]
        labels = {"bio": _("About you, for owners to read")}
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def clean_new_photo(self) -> Any:
        upload = self.cleaned_data.get("new_photo")
        if not upload:
            return None
        from pompygo.lib.images import process_photo

        return process_photo(upload, max_side=800)

    def save(self, commit: bool = True) -> WalkerProfile:
        walker = super().save(commit=False)
        photo = self.cleaned_data.get("new_photo")
        if photo:
            if walker.photo:
                walker.photo.delete(save=False)
            walker.photo.save("photo.jpg", photo, save=False)
        if commit:
            walker.save()
        return walker


class DocumentForm(forms.Form):
    """A new KTP photo or SKCK, for example when the old SKCK expired."""

    kind = forms.ChoiceField(label=_("Document"), choices=WalkerDocument.Kind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("KTP: a photo. SKCK: a PDF or a photo. Only our staff see it."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "kind" in data and data.get("file"):
            allow_pdf = data["kind"] == WalkerDocument.Kind.SKCK
            try:
                data["content"] = clean_document(data["file"], allow_pdf=allow_pdf)
            except ValidationError as error:
                self.add_error("file", error)
        return data


class DeclineOfferForm(forms.Form):
    # The empty first choice is selected by default, so a walker who taps
    # Decline without choosing gets a form error, not the first reason.
    reason = forms.ChoiceField(
        label=_("Why not?"),
        choices=[("", _("Choose a reason")), *Offer.DeclineReason.choices],
        error_messages={"required": _("Choose why you are declining.")},
    )
    note = forms.CharField(
        label=_("Anything to add (optional)"), max_length=255, required=False
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("reason") == Offer.DeclineReason.OTHER
            and not cleaned.get("note", "").strip()
        ):
            self.add_error("note", _("Tell us the reason in a few words."))
        return cleaned
