"""Accounts: sign-up, login and password reset by email in any case, the
profile page, and the user admin."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.adapter import EMAIL_TAKEN
from accounts.models import User
from pompygo.lib.phones import INVALID_MOBILE
from tests.factories import UserFactory

PASSWORD = "kata-sandi-rahasia"
NEW_PASSWORD = "anjing-jalan-pagi-2026"
CONFIRM_LINK = re.compile(r"http://testserver(/accounts/confirm-email/[^/\s]+/)")
RESET_LINK = re.compile(r"http://testserver(/accounts/password/reset/key/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _english(settings):
    # Assertions compare English messages; the Indonesian catalogue comes later.
    settings.LANGUAGE_CODE = "en"


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def sign_up(client, email, password1=PASSWORD, password2=PASSWORD, **headers):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password1, "password2": password2},
        **headers,
    )


# Sign-up


@pytest.mark.django_db
def test_signup_sends_verification_and_confirm_logs_in(client):
    response = sign_up(client, "Nia.Putri@Contoh.co.id")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "nia.putri@contoh.co.id"
    address = EmailAddress.objects.get(user=user)
    assert address.email == "nia.putri@contoh.co.id"
    assert not address.verified
    assert signed_in_user_id(client) is None

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nia.putri@contoh.co.id"]
    assert message.subject.startswith("[Pompy Go] ")
    confirm_path = CONFIRM_LINK.search(message.body).group(1)

    page = client.get(confirm_path)
    assert page.status_code == 200
    assert b"nia.putri@contoh.co.id" in page.content

    confirmed = client.post(confirm_path)
    assert confirmed.status_code == 302
    address.refresh_from_db()
    assert address.verified
    assert signed_in_user_id(client) == str(user.pk)


@pytest.mark.django_db
def test_signup_page_uses_site_layout(client):
    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    templates = [template.name for template in response.templates]
    assert "base.html" in templates
    assert "allauth/elements/fields.html" in templates
    assert b'class="btn btn-primary w-100"' in response.content
    assert b'class="textinput form-control"' in response.content


@pytest.mark.django_db
def test_signup_stores_language_of_request(client):
    sign_up(client, "nia@contoh.co.id", HTTP_ACCEPT_LANGUAGE="en")
    sign_up(client, "wayan@contoh.co.id", HTTP_ACCEPT_LANGUAGE="id")

    assert User.objects.get(email="nia@contoh.co.id").language == "en"
    assert User.objects.get(email="wayan@contoh.co.id").language == "id"


@pytest.mark.django_db
def test_unverified_user_cannot_log_in(client):
    sign_up(client, "nia@contoh.co.id")
    client.logout()

    response = client.post(
        reverse("account_login"), {"login": "nia@contoh.co.id", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert signed_in_user_id(client) is None


@pytest.mark.parametrize(
    "email", ["dewi@contoh.co.id", "Dewi@Contoh.co.id", "DEWI@CONTOH.CO.ID"]
)
def test_signup_rejects_taken_email_in_any_case(client, owner, email):
    response = sign_up(client, email)

    assert response.status_code == 200
    form = response.context["form"]
    assert [error.code for error in form.errors.as_data()["email"]] == ["email_taken"]
    assert str(EMAIL_TAKEN) in response.content.decode()
    assert b"is-invalid" in response.content
    assert User.objects.filter(email__iexact="dewi@contoh.co.id").count() == 1
    assert EmailAddress.objects.filter(email__iexact="dewi@contoh.co.id").count() == 1
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"email": ""}, "email", id="missing-email"),
        pytest.param({"email": "dewi-at-contoh"}, "email", id="invalid-email"),
        pytest.param({"password1": ""}, "password1", id="missing-password"),
        pytest.param({"password2": "lain-sekali-99"}, "password2", id="mismatch"),
        pytest.param(
            {"password1": "12345678", "password2": "12345678"},
            "password1",
            id="numeric-password",
        ),
        pytest.param(
            {"password1": "pendek", "password2": "pendek"},
            "password1",
            id="short-password",
        ),
    ],
)
@pytest.mark.django_db
def test_signup_bad_input_shows_field_error(client, data, field):
    form_data = {"email": "nia@contoh.co.id", "password1": PASSWORD}
    form_data["password2"] = form_data["password1"]
    form_data.update(data)

    response = client.post(reverse("account_signup"), form_data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert b"invalid-feedback" in response.content
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    assert mail.outbox == []


# Login


@pytest.mark.parametrize(
    "login", ["dewi@contoh.co.id", "Dewi@Contoh.co.id", " DEWI@CONTOH.CO.ID "]
)
def test_login_accepts_email_in_any_case(client, owner, login):
    response = client.post(
        reverse("account_login"), {"login": login, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:list")
    assert signed_in_user_id(client) == str(owner.pk)


def test_login_wrong_password_shows_error(client, owner):
    response = client.post(
        reverse("account_login"),
        {"login": "Dewi@Contoh.co.id", "password": "bukan-sandinya"},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert b"alert-danger" in response.content
    assert signed_in_user_id(client) is None


@pytest.mark.parametrize("username", ["ops@pompygo.id", "Ops@PompyGo.id"])
def test_model_backend_matches_email_in_any_case(staff, username):
    # The admin login form goes through Django's ModelBackend, not allauth.
    assert authenticate(username=username, password=PASSWORD) == staff


def test_logout_page_logs_out(owner_client):
    page = owner_client.get(reverse("account_logout"))
    assert page.status_code == 200

    response = owner_client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert signed_in_user_id(owner_client) is None


# Password reset


@pytest.mark.parametrize("email", ["dewi@contoh.co.id", "DEWI@Contoh.Co.Id"])
def test_password_reset_works_with_email_in_any_case(client, owner, email):
    response = client.post(reverse("account_reset_password"), {"email": email})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dewi@contoh.co.id"]
    reset_path = RESET_LINK.search(mail.outbox[0].body).group(1)

    # allauth moves the key into the session and redirects to a key-less URL.
    key_page = client.get(reset_path, follow=True)
    assert key_page.status_code == 200
    set_password_path = key_page.redirect_chain[-1][0]
    changed = client.post(
        set_password_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert changed.status_code == 302
    assert changed["Location"] == reverse("account_reset_password_from_key_done")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_password_reset_for_unknown_email_changes_nothing(client, owner):
    response = client.post(
        reverse("account_reset_password"), {"email": "siapa@contoh.co.id"}
    )

    assert response.status_code == 302
    assert all("dewi@contoh.co.id" not in message.to for message in mail.outbox)
    assert all(not RESET_LINK.search(message.body) for message in mail.outbox)


@pytest.mark.parametrize(
    "url_name",
    [
        "account_reset_password",
        "account_reset_password_done",
        "account_email_verification_sent",
        "account_login",
    ],
)
@pytest.mark.django_db
def test_entrance_pages_render_in_layout(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert "base.html" in [template.name for template in response.templates]


@pytest.mark.parametrize("url_name", ["account_change_password", "account_email"])
def test_manage_pages_render_in_layout(owner_client, url_name):
    response = owner_client.get(reverse(url_name))

    assert response.status_code == 200
    assert "base.html" in [template.name for template in response.templates]


def test_password_change_with_wrong_old_password_changes_nothing(owner_client, owner):
    response = owner_client.post(
        reverse("account_change_password"),
        {"oldpassword": "salah", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "oldpassword" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_email_page_lists_address_with_badges(owner_client):
    response = owner_client.get(reverse("account_email"))

    assert b"dewi@contoh.co.id" in response.content
    assert b"badge text-bg-success" in response.content
    assert b'class="form-check-input"' in response.content


# Profile


def persona_user(request, persona):
    value = request.getfixturevalue(persona)
    return value.user if persona == "walker" else value


@pytest.mark.parametrize("persona", ["owner", "walker", "partner", "staff"])
def test_profile_opens_for_every_role(client, request, persona):
    user = persona_user(request, persona)
    client.force_login(user)

    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 200
    assert response.context["form"].instance == user
    assert user.email in response.content.decode()


@pytest.mark.django_db
def test_profile_redirects_visitor_to_login(client):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_profile_post_from_visitor_saves_nothing(client, owner):
    response = client.post(reverse("accounts:profile"), {"first_name": "Orang"})

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.first_name == "Dewi"


def test_profile_links_password_and_email_pages(owner_client):
    response = owner_client.get(reverse("accounts:profile"))

    assert reverse("account_change_password").encode() in response.content
    assert reverse("account_email").encode() in response.content


def profile_data(**changes):
    data = {
        "first_name": "Dewi",
        "last_name": "Lestari",
        "phone": "",
        "language": "id",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "raw",
    ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", " 0812 3456 7890 "],
)
def test_profile_saves_phone_as_e164(owner_client, owner, raw):
    response = owner_client.post(reverse("accounts:profile"), profile_data(phone=raw))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    owner.refresh_from_db()
    assert owner.phone == "+6281234567890"


def test_profile_shows_phone_in_local_format(owner_client, owner):
    owner.phone = "+6281234567890"
    owner.save()

    response = owner_client.get(reverse("accounts:profile"))

    assert b'value="0812-3456-7890"' in response.content
    assert b"+6281234567890" not in response.content


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("021-5550123", id="landline"),
        pytest.param("+62 21 5550123", id="landline-international"),
        pytest.param("+65 8123 4567", id="foreign"),
        pytest.param("0812-DOGS-7890", id="letters"),
        pytest.param("nomor saya", id="words"),
        pytest.param("0812", id="too-short"),
        pytest.param("0812-3456-78901234", id="too-long"),
    ],
)
def test_profile_rejects_bad_phone_and_saves_nothing(owner_client, owner, raw):
    owner.phone = "+6285712345678"
    owner.save()

    response = owner_client.post(
        reverse("accounts:profile"), profile_data(first_name="Dewi Baru", phone=raw)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [str(INVALID_MOBILE)]
    assert str(INVALID_MOBILE) in response.content.decode()
    owner.refresh_from_db()
    assert owner.phone == "+6285712345678"
    assert owner.first_name == "Dewi"


def test_profile_blank_phone_clears_it(owner_client, owner):
    owner.phone = "+6281234567890"
    owner.save()

    owner_client.post(reverse("accounts:profile"), profile_data(phone=""))

    owner.refresh_from_db()
    assert owner.phone == ""


def test_profile_saves_names_and_language(owner_client, owner):
    response = owner_client.post(
        reverse("accounts:profile"),
        profile_data(first_name="Dewi Ayu", last_name="Kusuma", language="en"),
        follow=True,
    )

    owner.refresh_from_db()
    assert owner.first_name == "Dewi Ayu"
    assert owner.last_name == "Kusuma"
    assert owner.language == "en"
    assert b"Your profile is saved." in response.content


def test_profile_rejects_unknown_language(owner_client, owner):
    response = owner_client.post(
        reverse("accounts:profile"), profile_data(first_name="X", language="fr")
    )

    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.language == "id"
    assert owner.first_name == "Dewi"


def test_profile_ignores_fields_it_does_not_offer(owner_client, owner):
    owner_client.post(
        reverse("accounts:profile"),
        profile_data(
            email="budi@contoh.co.id", role="staff", is_staff="on", is_superuser="on"
        ),
    )

    owner.refresh_from_db()
    assert owner.email == "dewi@contoh.co.id"
    assert owner.role == User.Role.OWNER
    assert not owner.is_staff
    assert not owner.is_superuser


def test_profile_post_cannot_change_other_user(owner_client, owner, other_owner):
    # The URL carries no id, so a post always edits the signed-in user; extra
    # id fields in the body must not point it elsewhere.
    owner_client.post(
        reverse("accounts:profile"),
        profile_data(first_name="Diubah", id=other_owner.pk, pk=other_owner.pk),
    )

    other_owner.refresh_from_db()
    owner.refresh_from_db()
    assert other_owner.first_name == "Budi"
    assert owner.first_name == "Diubah"


# Admin


def changelist(client, query):
    return client.get(reverse("admin:accounts_user_changelist"), {"q": query})


def listed_emails(response):
    return sorted(user.email for user in response.context["cl"].result_list)


@pytest.mark.parametrize(
    "query",
    ["dewi@contoh.co.id", "DEWI@CONTOH", "Lestari", "+6281234567890", "0812-3456-7890"],
)
def test_admin_search_finds_user(staff_client, owner, other_owner, query):
    owner.phone = "+6281234567890"
    owner.save()

    response = changelist(staff_client, query)

    assert response.status_code == 200
    assert listed_emails(response) == ["dewi@contoh.co.id"]


def test_admin_search_without_match_lists_nobody(staff_client, owner):
    response = changelist(staff_client, "tidak-ada")

    assert listed_emails(response) == []


def test_admin_changelist_filters_by_role(staff_client, owner, partner):
    response = staff_client.get(
        reverse("admin:accounts_user_changelist"), {"role__exact": "partner"}
    )

    assert listed_emails(response) == ["toko@contoh.co.id"]


@pytest.mark.parametrize("extra_users", [4, 40])
def test_admin_changelist_query_count(
    staff_client, django_assert_max_num_queries, extra_users
):
    UserFactory.create_batch(extra_users)

    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("admin:accounts_user_changelist"))

    assert response.context["cl"].result_count == extra_users + 1


def test_admin_user_autocomplete_uses_search_fields(staff_client, owner, other_owner):
    from django.contrib import admin

    user_admin = admin.site._registry[User]

    assert user_admin.search_fields
    results, _ = user_admin.get_search_results(None, User.objects.all(), "budi@contoh")
    assert list(results) == [other_owner]


def test_admin_add_user_stores_lowercase_email(staff_client):
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Nia@Contoh.co.id",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert User.objects.get(email="nia@contoh.co.id").check_password(NEW_PASSWORD)


def test_admin_add_user_rejects_taken_email_in_other_case(staff_client, owner):
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "DEWI@contoh.co.id",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [str(EMAIL_TAKEN)]
    assert User.objects.filter(email__iexact="dewi@contoh.co.id").count() == 1


def admin_change_data(user, **changes):
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": "",
        "language": user.language,
        "role": user.role,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
    }
    data.update(changes)
    return data


def test_admin_change_normalizes_phone(staff_client, owner):
    url = reverse("admin:accounts_user_change", args=[owner.pk])

    response = staff_client.post(url, admin_change_data(owner, phone="0812-3456-7890"))

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.phone == "+6281234567890"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "021-5550123"}, "phone", INVALID_MOBILE),
        ({"email": "Budi@Contoh.co.id"}, "email", EMAIL_TAKEN),
    ],
)
def test_admin_change_rejects_bad_input(
    staff_client, owner, other_owner, changes, field, message
):
    url = reverse("admin:accounts_user_change", args=[owner.pk])

    response = staff_client.post(url, admin_change_data(owner, **changes))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [str(message)]
    owner.refresh_from_db()
    assert owner.email == "dewi@contoh.co.id"
    assert owner.phone == ""


def test_admin_change_keeps_own_email_in_other_case(staff_client, owner):
    url = reverse("admin:accounts_user_change", args=[owner.pk])

    response = staff_client.post(
        url, admin_change_data(owner, email="Dewi@Contoh.co.id")
    )

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.email == "dewi@contoh.co.id"


@pytest.mark.parametrize("persona", ["owner", "walker", "partner"])
def test_admin_user_list_closed_to_non_staff(client, request, persona):
    client.force_login(persona_user(request, persona))

    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# createsuperuser


@pytest.mark.django_db
def test_createsuperuser_stores_lowercase_email(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", NEW_PASSWORD)

    call_command("createsuperuser", interactive=False, email="Rina@PompyGo.id")

    user = User.objects.get()
    assert user.email == "rina@pompygo.id"
    assert user.is_superuser
    assert user.role == User.Role.STAFF


def test_createsuperuser_rejects_taken_email_in_other_case(monkeypatch, owner):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", NEW_PASSWORD)

    with pytest.raises(CommandError, match="already taken"):
        call_command("createsuperuser", interactive=False, email="DEWI@contoh.co.id")

    assert User.objects.filter(email__iexact="dewi@contoh.co.id").count() == 1
