from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import filter_users_by_email
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User

EMAIL_TAKEN = _(
    "An account with this email already exists. Log in, or reset your "
    "password if you have forgotten it."
)


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        return super().clean_email(email).strip().lower()

    def validate_unique_email(self, email: str) -> str:
        # By default allauth 65 hides a taken email at sign-up, because it
        # redirects to "verification sent" and mails the existing owner. We
        # show a form error instead, which tells a visitor that the address
        # has an account. allauth calls this hook from the sign-up form and
        # from the change-email form, which ACCOUNT_CHANGE_EMAIL leaves off.
        if filter_users_by_email(email):
            raise ValidationError(EMAIL_TAKEN, code="email_taken")
        return email

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Send each role to its own start page after logging in."""
        user = request.user
        if user.is_staff:
            return resolve_url("admin:index")
        if getattr(user, "role", None) == User.Role.WALKER:
            return resolve_url("walkers:dashboard")
        return super().get_login_redirect_url(request)

    def save_user(
        self, request: HttpRequest, user: Any, form: Any, commit: bool = True
    ) -> Any:
        # Messages we send later go out in the language the person signed up in.
        user.language = translation.get_language() or "id"
        return super().save_user(request, user, form, commit=commit)
