"""After logging in, each role lands on its own start page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize(
    ("persona", "landing"),
    [
        ("owner", "bookings:list"),
        ("walker", "walkers:dashboard"),
        ("staff", "admin:index"),
    ],
)
def test_login_lands_on_role_page(client, request, persona, landing):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    response = client.post(
        reverse("account_login"),
        {"login": user.email.upper(), "password": "kata-sandi-rahasia"},
    )

    assert response.status_code == 302
    assert response.url == reverse(landing)


def test_next_parameter_wins_over_role_page(client, walker):
    target = reverse("walkers:availability")
    response = client.post(
        f"{reverse('account_login')}?next={target}",
        {"login": walker.user.email, "password": "kata-sandi-rahasia"},
    )

    assert response.url == target


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        ("owner", "My bookings", "My walks"),
        ("walker", "My walks", "My bookings"),
    ],
)
def test_menu_follows_role(client, request, persona, shown, hidden):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    page = client.get(reverse("home")).content.decode()

    assert shown in page
    assert hidden not in page


def test_visitor_menu_offers_walker_application(client):
    page = client.get(reverse("home")).content.decode()

    assert reverse("walkers:apply") in page
    assert reverse("walkers:list") in page
