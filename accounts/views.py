from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.generic import UpdateView

from accounts.forms import ProfileForm
from accounts.language import remember_language
from accounts.models import User


class ProfileView(LoginRequiredMixin, SuccessMessageMixin, UpdateView):
    """The signed-in user's profile. The URL has no id, so nobody edits another's."""

    form_class = ProfileForm
    template_name = "accounts/profile.html"
    success_url = reverse_lazy("accounts:profile")
    success_message = _("Your profile is saved.")

    def get_object(self, queryset: Any = None) -> User:
        return self.request.user  # type: ignore[return-value]

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        # The pages follow the language chosen for the messages.
        translation.activate(form.instance.language)
        response = super().form_valid(form)
        remember_language(response, form.instance.language)
        return response
