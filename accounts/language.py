"""One language per user, for the pages and for the messages sent to them.

User.language decides the language of emails and notifications, and the
language cookie decides the pages' (Django's LocaleMiddleware). These keep
the two the same: the language switch saves the choice on the user, and
logging in or saving the profile sets the cookie from it.
"""

import logging
from typing import Any

from allauth.account.signals import user_logged_in
from django.conf import settings
from django.dispatch import receiver
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
)
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

logger = logging.getLogger(__name__)

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def remember_language(response: HttpResponseBase, language: str) -> None:
    """Set the language cookie, with the settings Django's own switch uses."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the site's language, and a signed-in user's messages with it."""
    language = request.POST.get("language", "")
    if language not in LANGUAGE_CODES:
        # Django's view would set any language it has a catalogue for.
        logger.info("Language switch to %r rejected", language[:16])
        return HttpResponseBadRequest("Unknown language.")
    response = django_set_language(request)
    user = request.user
    if user.is_authenticated and language != getattr(user, "language", language):
        user.language = language
        user.save(update_fields=["language"])
        logger.info("User %s switched to language %s", user.pk, language)
    return response


@receiver(user_logged_in, dispatch_uid="accounts-language-on-login")
def _language_on_login(
    sender: Any,
    request: HttpRequest,
    response: HttpResponseBase,
    user: Any,
    **kwargs: Any,
) -> None:
    language = getattr(user, "language", "")
    if language in LANGUAGE_CODES and response is not None:
        remember_language(response, language)
        translation.activate(language)
