"""One language per user: the language switch, login and the profile."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "kata-sandi-rahasia"
COOKIE = settings.LANGUAGE_COOKIE_NAME


def switch(client, language):
    return client.post(reverse("set_language"), {"language": language, "next": "/"})


def language_of(user: User) -> str:
    user.refresh_from_db()
    return user.language


def test_switch_saves_signed_in_users_language(client, owner):
    client.force_login(owner)

    response = switch(client, "en")

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "en"
    assert language_of(owner) == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_switch_back_to_indonesian(client, owner):
    owner.language = "en"
    owner.save()
    client.force_login(owner)

    switch(client, "id")

    assert language_of(owner) == "id"


def test_switch_by_visitor_sets_cookie_only(client):
    response = switch(client, "en")

    assert response.cookies[COOKIE].value == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_switch_to_unknown_language_rejected(client, owner):
    client.force_login(owner)

    response = switch(client, "fr")

    assert response.status_code == 400
    assert COOKIE not in response.cookies
    assert language_of(owner) == "id"


def test_switch_by_get_not_allowed(client, owner):
    client.force_login(owner)

    response = client.get(reverse("set_language"), {"language": "en"})

    assert response.status_code == 405
    assert language_of(owner) == "id"


def test_login_sets_pages_to_users_language(client, owner):
    owner.language = "en"
    owner.save()

    response = client.post(
        reverse("account_login"), {"login": owner.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_profile_language_sets_pages_language(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "Dewi", "last_name": "Lestari", "phone": "", "language": "en"},
        follow=True,
    )

    assert client.cookies[COOKIE].value == "en"
    assert language_of(owner) == "en"
    assert "Your profile is saved." in response.content.decode()
    assert '<html lang="en">' in response.content.decode()
