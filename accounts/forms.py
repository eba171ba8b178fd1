from typing import Any

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.adapter import EMAIL_TAKEN
from accounts.models import User
from pompygo.lib.phones import (
    format_indonesian_mobile,
    normalize_indonesian_mobile,
)


def clean_unique_email(email: str, user: User) -> str:
    """Lower-case an email and reject it if another account has it in any case."""
    email = email.strip().lower()
    others = User.objects.filter(email__iexact=email)
    if user.pk is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise ValidationError(EMAIL_TAKEN, code="email_taken")
    return email


def clean_optional_mobile(raw: str) -> str:
    """Return the E.164 form of a typed mobile number, or "" for a blank one."""
    if not raw.strip():
        return ""
    return normalize_indonesian_mobile(raw)


class PhoneInput(forms.TextInput):
    input_type = "tel"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {
                "autocomplete": "tel",
                "inputmode": "tel",
                "placeholder": "0812-3456-7890",
                **(attrs or {}),
            }
        )


def phone_form_field() -> forms.CharField:
    # Wider than the stored E.164 value: people type spaces, dashes and "+62".
    return forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=32,
        widget=PhoneInput(),
        help_text=_("An Indonesian mobile number, for example 0812-3456-7890."),
    )


class ProfileForm(forms.ModelForm):
    phone = phone_form_field()

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "language"]
        labels = {"language": _("Language")}
        help_texts = {
            "language": _(
                "The language of these pages and of the emails and messages we "
                "send you."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["phone"] = format_indonesian_mobile(self.instance.phone)

    def clean_phone(self) -> str:
        return clean_optional_mobile(self.cleaned_data["phone"])


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        return clean_unique_email(self.cleaned_data["email"], self.instance)


class UserAdminChangeForm(UserChangeForm):
    phone = phone_form_field()

    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["phone"] = format_indonesian_mobile(self.instance.phone)

    def clean_email(self) -> str:
        return clean_unique_email(self.cleaned_data["email"], self.instance)

    def clean_phone(self) -> str:
        return clean_optional_mobile(self.cleaned_data["phone"])
