"""The notification list, the unread count, the settings page and the admin log."""

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import (
    Channel,
    Event,
    Message,
    Notification,
    NotificationPreference,
)
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("notifications:list")
SETTINGS_URL = reverse("notifications:preferences")


def add_notifications(user: User, count: int, **fields: Any) -> list[Notification]:
    fields.setdefault("url", "/bookings/")
    return Notification.objects.bulk_create(
        Notification(
            recipient=user,
            event=Event.WALK_STARTED,
            title=f"Walk {number} has started",
            body="Agus picked up Milo.",
            **fields,
        )
        for number in range(count)
    )


@pytest.fixture
def role_user(request: Any) -> User:
    user = request.getfixturevalue(request.param)
    return user.user if hasattr(user, "user") else user


ROLES = ["owner", "walker", "partner", "staff"]


@pytest.mark.parametrize("role_user", ROLES, indirect=True)
def test_list_shows_own_notifications(client, role_user, other_owner):
    add_notifications(role_user, 2)
    Notification.objects.create(
        recipient=other_owner, event=Event.WALK_STARTED, title="Budi's walk"
    )
    client.force_login(role_user)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="notification"') == 2
    assert "Budi&#x27;s walk" not in html


@pytest.mark.parametrize("url", [LIST_URL, SETTINGS_URL])
def test_pages_redirect_logged_out_visitor(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_mark_read_logged_out_redirects(client, owner):
    [notification] = add_notifications(owner, 1)

    response = client.post(reverse("notifications:read", args=[notification.pk]))

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.is_unread


@pytest.mark.parametrize("role_user", ROLES, indirect=True)
def test_mark_read_of_another_user_is_404(client, role_user, other_owner):
    [theirs] = add_notifications(other_owner, 1)
    client.force_login(role_user)

    response = client.post(reverse("notifications:read", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_unread


def test_mark_read_needs_post(owner_client, owner):
    [notification] = add_notifications(owner, 1)

    response = owner_client.get(reverse("notifications:read", args=[notification.pk]))

    assert response.status_code == 405


def test_mark_read_sets_read_time(owner_client, owner):
    [notification] = add_notifications(owner, 1)

    response = owner_client.post(reverse("notifications:read", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_open_follows_the_link(owner_client, owner):
    [notification] = add_notifications(owner, 1)

    response = owner_client.post(
        reverse("notifications:read", args=[notification.pk]), {"open": "1"}
    )

    assert response["Location"] == "/bookings/"


def test_open_ignores_external_link(owner_client, owner):
    [notification] = add_notifications(owner, 1, url="https://evil.example/")

    response = owner_client.post(
        reverse("notifications:read", args=[notification.pk]), {"open": "1"}
    )

    assert response["Location"] == LIST_URL


def test_mark_all_read_leaves_others_alone(owner_client, owner, other_owner):
    add_notifications(owner, 3)
    add_notifications(other_owner, 2)

    response = owner_client.post(reverse("notifications:read-all"))

    assert response.status_code == 302
    assert not Notification.objects.for_user(owner).unread().exists()
    assert Notification.objects.for_user(other_owner).unread().count() == 2


UNREAD_URL = reverse("notifications:unread-count")


def test_unread_count_counts_own_unread(owner_client, owner, other_owner):
    add_notifications(owner, 3)
    add_notifications(owner, 2, read_at=timezone.now())
    add_notifications(other_owner, 4)

    response = owner_client.get(UNREAD_URL)

    assert response.status_code == 200
    assert response.json() == {"unread": 3}
    assert response["Cache-Control"] == "private, no-store"


def test_unread_count_logged_out_is_401(client):
    response = client.get(UNREAD_URL)

    assert response.status_code == 401
    assert response.json() == {"error": "Log in to see your notifications."}


@pytest.mark.parametrize("role_user", ROLES, indirect=True)
def test_unread_count_for_every_role(client, role_user):
    add_notifications(role_user, 1)
    client.force_login(role_user)

    assert client.get(UNREAD_URL).json() == {"unread": 1}


@pytest.mark.parametrize("count", [5, 500])
def test_unread_count_query_count_fixed(
    owner_client, owner, count, django_assert_num_queries
):
    add_notifications(owner, count)

    # The session, the user and one COUNT, however many notifications.
    with django_assert_num_queries(3):
        response = owner_client.get(UNREAD_URL)

    assert response.json() == {"unread": count}


def test_navbar_links_list_and_loads_badge(owner_client, owner):
    html = owner_client.get(reverse("bookings:list")).content.decode()

    assert 'data-testid="notifications-link"' in html
    assert f'data-unread-count-url="{UNREAD_URL}"' in html
    assert "notifications/unread.js" in html


def test_navbar_hidden_for_logged_out_visitor(client):
    html = client.get(reverse("home")).content.decode()

    assert 'data-testid="notifications-link"' not in html


@pytest.mark.parametrize("count", [5, 500])
def test_list_query_count_fixed(
    owner_client, owner, count, django_assert_max_num_queries
):
    add_notifications(owner, count)

    with django_assert_max_num_queries(8):
        response = owner_client.get(LIST_URL)

    assert response.status_code == 200
    shown = response.content.decode().count('data-testid="notification"')
    assert shown == min(count, 30)


def test_list_second_page(owner_client, owner):
    add_notifications(owner, 35)

    response = owner_client.get(LIST_URL, {"page": 2})

    assert response.content.decode().count('data-testid="notification"') == 5


@pytest.mark.parametrize("role_user", ROLES, indirect=True)
def test_settings_page_for_every_role(client, role_user):
    client.force_login(role_user)

    response = client.get(SETTINGS_URL)

    assert response.status_code == 200
    assert 'name="whatsapp"' in response.content.decode()


def test_whatsapp_without_phone_rejected(owner_client, owner, english):
    response = owner_client.post(SETTINGS_URL, {"whatsapp": "on"})

    assert response.status_code == 200
    assert (
        "Add your mobile number on your profile first: WhatsApp messages go to "
        "that number." in response.content.decode()
    )
    preference = NotificationPreference.objects.get(user=owner)
    assert preference.whatsapp is False


def test_whatsapp_with_phone_saved(owner_client, owner):
    owner.phone = "+6281234567890"
    owner.save()

    response = owner_client.post(SETTINGS_URL, {"whatsapp": "on"})

    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=owner).whatsapp is True


def test_whatsapp_turned_off(owner_client, owner):
    NotificationPreference.objects.create(user=owner, whatsapp=True)

    response = owner_client.post(SETTINGS_URL, {})

    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=owner).whatsapp is False


def test_settings_page_says_whatsapp_is_off(owner_client, settings):
    settings.WHATSAPP_TOKEN = ""

    html = owner_client.get(SETTINGS_URL).content.decode()

    assert 'data-testid="whatsapp-off"' in html


def test_settings_page_without_banner_when_whatsapp_on(owner_client, settings):
    settings.WHATSAPP_TOKEN = "token"
    settings.WHATSAPP_PHONE_NUMBER_ID = "123"

    html = owner_client.get(SETTINGS_URL).content.decode()

    assert 'data-testid="whatsapp-off"' not in html


def add_messages(owner: User, count: int) -> None:
    booking = BookingFactory(owner=owner)
    Message.objects.bulk_create(
        Message(
            event=Event.WALK_UPDATE,
            event_key=f"walk_update:{booking.pk}:{number}",
            recipient=owner,
            channel=Channel.SITE,
            booking=booking,
            state=Message.State.FAILED if number % 2 else Message.State.SENT,
            error="HTTP 400" if number % 2 else "",
        )
        for number in range(count)
    )


@pytest.mark.parametrize("count", [5, 500])
def test_admin_log_query_count_fixed(
    staff_client, owner, count, django_assert_max_num_queries
):
    add_messages(owner, count)

    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("admin:notifications_message_changelist"))

    assert response.status_code == 200


def test_admin_log_search_and_filter(staff_client, owner, other_owner):
    add_messages(owner, 4)
    add_messages(other_owner, 2)
    url = reverse("admin:notifications_message_changelist")

    by_email = staff_client.get(url, {"q": "budi@"})
    failed = staff_client.get(url, {"state__exact": "failed"})

    assert by_email.context["cl"].result_count == 2
    assert failed.context["cl"].result_count == 3


def test_admin_log_not_for_owners(owner_client):
    response = owner_client.get(reverse("admin:notifications_message_changelist"))

    assert response.status_code == 302


def test_admin_send_again_requeues_failed(staff_client, owner, mailoutbox):
    add_messages(owner, 2)
    failed = Message.objects.get(state=Message.State.FAILED)

    staff_client.post(
        reverse("admin:notifications_message_changelist"),
        {"action": "send_again", "_selected_action": [failed.pk]},
    )

    failed.refresh_from_db()
    # Queued again and sent by the in-process task: a site message.
    assert failed.state == Message.State.SENT
    assert failed.attempts == 1
    assert Notification.objects.filter(message=failed).count() == 1
