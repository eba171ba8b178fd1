"""The dog profile form: the owner's description of a dog for its walkers."""

import datetime as dt
from typing import Any

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.utils.translation import gettext_lazy as _

from bookings.models import Dog
from pompygo.lib.images import process_photo
from pompygo.lib.timezones import local_today

MAX_AGE_YEARS = 30
DOG_PHOTO_MAX_SIDE = 1600

INVALID_VET_PHONE = _(
    "Enter the vet's phone number with its area code, for example "
    "(021) 555-1234 or 0812-3456-7890."
)


def normalize_phone(raw: str) -> str:
    """Return the E.164 form of any valid phone number, landlines included.

    Numbers without a country code are read as Indonesian. An extension
    ("ext. 12") is not kept, because E.164 has no place for it.
    """
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException:
        raise ValidationError(INVALID_VET_PHONE, code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(INVALID_VET_PHONE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Return a stored number as people write it: (021) 5551234, +65 6123 4567."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "ID")
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 62
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        # 29 February in a year that has none.
        return day.replace(year=day.year - years, day=28)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DogForm(forms.ModelForm):
    # Radio buttons without the "---------" choice that ModelForm adds, because
    # no button is checked until the owner picks one.
    size = forms.ChoiceField(
        label=_("Size"),
        choices=Dog.Size.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose your dog's size.")},
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=Dog.Sex.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether your dog is male or female.")},
    )
    age_years = forms.IntegerField(
        label=_("Or age in years"),
        required=False,
        min_value=0,
        help_text=_(
            "If you do not know the birth date. Enter 0 for a puppy under one."
        ),
        error_messages={"min_value": _("The age cannot be negative.")},
    )
    # Wider than the stored E.164 value, because people type spaces, dashes
    # and brackets.
    vet_phone = forms.CharField(
        label=_("Vet phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    # A plain file field: forms.ImageField would decode the upload with
    # Pillow before process_photo checks its size and pixel count.
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
        help_text=_(
            "A recent photo helps the walker find your dog. JPEG, PNG, WebP or HEIC."
        ),
    )

    remove_photo = forms.BooleanField(
        label=_("Remove the current photo"), required=False
    )

    class Meta:
        model = Dog
        fields = [
            "name",
            "breed",
            "size",
            "sex",
            "neutered",
            "birth_date",
            "temperament",
            "leash_behaviour",
            "medical_notes",
            "vaccination_date",
            "vet_name",
            "vet_phone",
            "photo",
        ]
        widgets = {
            "birth_date": DateInput(),
            "vaccination_date": DateInput(),
            "temperament": forms.Textarea(attrs={"rows": 3}),
            "medical_notes": forms.Textarea(attrs={"rows": 3}),
            "leash_behaviour": forms.RadioSelect,
        }
        error_messages = {
            "name": {"required": _("Enter your dog's name.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.previous_photo_name = self.instance.photo.name if self.instance.pk else ""
        self.fields["birth_date"].label = _("Birth date")
        self.fields["birth_date"].help_text = _(
            "Leave empty and enter an age if unsure."
        )
        if self.instance.pk and self.instance.birth_date_is_estimate:
            self.initial["birth_date"] = None
            self.initial["age_years"] = self.instance.age_years
        self.initial["vet_phone"] = format_phone(self.initial.get("vet_phone", ""))
        if not self.previous_photo_name:
            del self.fields["remove_photo"]
        self.helper = self._build_helper()

    def _build_helper(self) -> FormHelper:
        photo_fields = ["photo"]
        if "remove_photo" in self.fields:
            photo_fields.append("remove_photo")
        helper = FormHelper()
        helper.form_tag = False
        helper.layout = Layout(
            Fieldset(
                _("About your dog"),
                "name",
                "breed",
                Row(Column("size"), Column("sex")),
                "neutered",
                *photo_fields,
            ),
            Fieldset(
                _("Age"),
                Row(Column("birth_date"), Column("age_years")),
            ),
            Fieldset(_("Behaviour"), "temperament", "leash_behaviour"),
            Fieldset(
                _("Health"),
                "medical_notes",
                "vaccination_date",
                Row(Column("vet_name"), Column("vet_phone")),
            ),
        )
        return helper

    def clean_birth_date(self) -> dt.date | None:
        birth_date: dt.date | None = self.cleaned_data.get("birth_date")
        if birth_date is None:
            return None
        today = local_today()
        if birth_date > today:
            raise ValidationError(
                _("The birth date cannot be in the future."), code="future_birth_date"
            )
        if birth_date < years_before(today, MAX_AGE_YEARS):
            raise ValidationError(
                _("A dog cannot be older than %(max_age)s years. Check the date."),
                code="too_old",
                params={"max_age": MAX_AGE_YEARS},
            )
        return birth_date

    def clean_age_years(self) -> int | None:
        age: int | None = self.cleaned_data.get("age_years")
        if age is not None and age > MAX_AGE_YEARS:
            raise ValidationError(
                _("A dog cannot be older than %(max_age)s years. Check the age."),
                code="too_old",
                params={"max_age": MAX_AGE_YEARS},
            )
        return age

    def clean_vaccination_date(self) -> dt.date | None:
        vaccination_date: dt.date | None = self.cleaned_data.get("vaccination_date")
        if vaccination_date is not None and vaccination_date > local_today():
            raise ValidationError(
                _("The last vaccination date cannot be in the future."),
                code="future_vaccination_date",
            )
        return vaccination_date

    def clean_vet_phone(self) -> str:
        raw: str = self.cleaned_data.get("vet_phone", "").strip()
        return normalize_phone(raw) if raw else ""

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        # Only a new upload is processed. Without one, the value is None or
        # the photo already stored.
        if isinstance(photo, UploadedFile):
            return process_photo(photo, max_side=DOG_PHOTO_MAX_SIDE)
        return photo

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        assert cleaned_data is not None
        if "birth_date" not in self.errors and "age_years" not in self.errors:
            self._clean_birth_date_or_age(cleaned_data)
        if cleaned_data.get("remove_photo"):
            if "photo" in self.changed_data:
                self.add_error(
                    "remove_photo",
                    ValidationError(
                        _("Choose a new photo or remove the current one, not both."),
                        code="photo_and_remove",
                    ),
                )
            else:
                # False empties the model's photo field when the form saves.
                cleaned_data["photo"] = False
        return cleaned_data

    def _clean_birth_date_or_age(self, cleaned_data: dict[str, Any]) -> None:
        birth_date: dt.date | None = cleaned_data.get("birth_date")
        age: int | None = cleaned_data.get("age_years")
        if birth_date is not None and age is not None:
            self.add_error(
                "age_years",
                ValidationError(
                    _("Enter either a birth date or an age, not both."),
                    code="birth_date_and_age",
                ),
            )
        elif birth_date is None and age is None:
            self.add_error(
                "birth_date",
                ValidationError(
                    _("Enter your dog's birth date, or its age in years if unsure."),
                    code="no_birth_date_or_age",
                ),
            )
        elif age is not None:
            self._estimate_birth_date(age)
        else:
            self.instance.birth_date_is_estimate = False
        vaccination_date = cleaned_data.get("vaccination_date")
        if birth_date and vaccination_date and vaccination_date < birth_date:
            self.add_error(
                "vaccination_date",
                ValidationError(
                    _("The last vaccination date cannot be before the birth date."),
                    code="vaccination_before_birth",
                ),
            )

    def _estimate_birth_date(self, age: int) -> None:
        # Saving an unchanged age keeps the earlier estimate, so the birth
        # date does not drift each time the owner edits something else.
        if self.instance.birth_date_is_estimate and age == self.initial.get(
            "age_years"
        ):
            self.cleaned_data["birth_date"] = self.instance.birth_date
        else:
            self.cleaned_data["birth_date"] = years_before(local_today(), age)
        self.instance.birth_date_is_estimate = True

    def save(self, commit: bool = True) -> Dog:
        """Save the dog, then delete the photo file it no longer uses.

        The old file goes only after the transaction commits, so a rollback
        leaves the row pointing at a file that still exists.
        """
        if not commit:
            raise ValueError(
                "DogForm.save() always commits, because it deletes the replaced photo."
            )
        previous = self.previous_photo_name
        storage = self.instance.photo.storage
        try:
            with transaction.atomic():
                dog = super().save()
                if previous and previous != dog.photo.name:
                    transaction.on_commit(lambda: storage.delete(previous))
        except DatabaseError:
            # The new file was written before the query failed, so delete it.
            if self.instance.photo.name and self.instance.photo.name != previous:
                storage.delete(self.instance.photo.name)
            raise
        return dog
