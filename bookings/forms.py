import copy
import datetime as dt
import json
import uuid
from collections.abc import MutableMapping
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bookings.models import WEEKDAY_NAMES, Area, BookingPolicy, District, Dog, Service
from bookings.services import (
    BookingDetails,
    area_for,
    served_areas_message,
    slot_problem,
)
from pompygo.lib.money import format_rupiah
from pompygo.lib.timezones import combine_local

# Slot problems that are about the day rather than the time of day.
DATE_PROBLEMS = {"past", "dog_busy", "too_far_ahead"}


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # Service names already contain the walk's duration.
        return f"{obj.name} · {format_rupiah(obj.price)}"


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class BookingForm(forms.Form):
    dogs = forms.ModelMultipleChoiceField(
        label=_("Dogs"),
        queryset=Dog.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one of your dogs."),
            "invalid_choice": _("Choose your own dogs from the list."),
            "invalid_pk_value": _("Choose your own dogs from the list."),
        },
    )
    service = ServiceChoiceField(
        label=_("Service"),
        queryset=Service.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose a service.")},
    )
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    start_time = forms.TimeField(
        label=_("Start time (WIB)"),
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
    )
    district = DistrictChoiceField(
        label=_("District"),
        queryset=District.objects.select_related("area").filter(area__is_active=True),
        required=False,
        help_text=_("No map or location? Pick your district and we use its centre."),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=255,
        help_text=_("Street, number, building or unit, as a walker would find it."),
    )
    latitude = forms.DecimalField(
        label=_("Latitude"),
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=Decimal("-90"),
        max_value=Decimal("90"),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=Decimal("-180"),
        max_value=Decimal("180"),
    )
    access_notes = forms.CharField(
        label=_("Access notes"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Gate, lockbox or key codes. Only your assigned walker sees them."),
    )
    handover_notes = forms.CharField(
        label=_("Handover notes"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who hands over the dog, where the leash is, anything to know."),
    )
    repeat_weekdays = forms.TypedMultipleChoiceField(
        label=_("Repeat every"),
        choices=WEEKDAY_NAMES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    repeat_weeks = forms.IntegerField(
        label=_("For how many weeks"), required=False, min_value=1
    )
    request_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, owner: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.policy = BookingPolicy.current()
        dogs_field = cast(forms.ModelMultipleChoiceField, self.fields["dogs"])
        dogs_field.queryset = Dog.objects.owned_by(owner)
        max_weeks = self.policy.max_recurring_weeks
        self.fields["repeat_weeks"].widget.attrs["max"] = max_weeks
        self.fields["repeat_weeks"].validators.append(MaxValueValidator(max_weeks))
        self.fields["start_time"].widget.attrs.update(
            min=f"{self.policy.opening_time:%H:%M}",
            max=f"{self.policy.closing_time:%H:%M}",
        )
        self.fields["district"].widget.attrs["data-centres"] = json.dumps(
            {
                str(district.pk): [str(district.latitude), str(district.longitude)]
                for district in District.objects.filter(area__is_active=True)
            }
        )
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()
        if not self.is_bound:
            self.initial.setdefault("request_token", uuid.uuid4())

    @property
    def is_recurring(self) -> bool:
        return bool(self.cleaned_data.get("repeat_weekdays"))

    def clean_dogs(self) -> Any:
        dogs = self.cleaned_data["dogs"]
        if len(dogs) > self.policy.max_dogs_per_booking:
            raise forms.ValidationError(
                _("One walker takes at most %(count)s dogs at a time.")
                % {"count": self.policy.max_dogs_per_booking}
            )
        return dogs

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "request_token" in self.errors:
            # A hidden field's error would not show next to any input.
            del self.errors["request_token"]
            self.add_error(
                None,
                _("This form was not sent in full. Check the details and book again."),
            )
            # The page shows the form again with a fresh token. copy.copy
            # gives a mutable copy of the request's QueryDict.
            fresh = cast(MutableMapping[str, Any], copy.copy(self.data))
            fresh["request_token"] = str(uuid.uuid4())
            self.data = fresh
        self._clean_location(data)
        if self.is_recurring:
            if not data.get("repeat_weeks"):
                self.add_error("repeat_weeks", _("Say for how many weeks to repeat."))
        elif self._has(data, "dogs", "service", "date", "start_time"):
            problem = slot_problem(
                list(data["dogs"]),
                data["service"],
                combine_local(data["date"], data["start_time"]),
                self.policy,
            )
            if problem:
                field = "date" if problem.code in DATE_PROBLEMS else "start_time"
                self.add_error(field, problem.message())
        return data

    def _has(self, data: dict[str, Any], *names: str) -> bool:
        return all(
            data.get(name) is not None and name not in self.errors for name in names
        )

    def _clean_location(self, data: dict[str, Any]) -> None:
        latitude, longitude = data.get("latitude"), data.get("longitude")
        district = data.get("district")
        if "latitude" in self.errors or "longitude" in self.errors:
            return
        if (latitude is None or longitude is None) and district:
            latitude, longitude = district.latitude, district.longitude
        if latitude is None or longitude is None:
            self.add_error(
                "address",
                _(
                    "Set where the walk starts: use your phone's location, put a "
                    "pin on the map, or pick your district."
                ),
            )
            return
        area = area_for(latitude, longitude)
        if area is None:
            self.add_error("address", served_areas_message())
            return
        if district and district.area_id != area.pk:
            self.add_error(
                "district",
                _(
                    "%(district)s is in %(district_area)s, but the location is in "
                    "%(area)s. Pick the district again, or move the pin."
                )
                % {
                    "district": district.name,
                    "district_area": district.area.name,
                    "area": area.name,
                },
            )
            return
        data["latitude"], data["longitude"], data["area"] = latitude, longitude, area

    def details(self) -> BookingDetails:
        data = self.cleaned_data
        return BookingDetails(
            dogs=list(data["dogs"]),
            service=data["service"],
            area=data["area"],
            address=data["address"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            district=data.get("district"),
            access_notes=data["access_notes"],
            handover_notes=data["handover_notes"],
        )

    @property
    def starts_at(self) -> dt.datetime:
        return combine_local(self.cleaned_data["date"], self.cleaned_data["start_time"])

    def areas(self) -> list[Area]:
        return list(Area.objects.filter(is_active=True))
