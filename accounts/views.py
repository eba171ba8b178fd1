from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import UpdateView

from accounts.forms import ProfileForm
from accounts.models import User


class ProfileView(LoginRequiredMixin, SuccessMessageMixin, UpdateView):
    """The signed-in user's profile. The URL has no id, so nobody edits another's."""

    form_class = ProfileForm
    template_name = "accounts/profile.html"
    success_url = reverse_lazy("accounts:profile")
    success_message = _("Your profile is saved.")

    def get_object(self, queryset: Any = None) -> User:
        return self.request.user  # type: ignore[return-value]
