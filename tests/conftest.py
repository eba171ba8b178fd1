"""Personas and shared fixtures: every test reads as one of these people."""

from typing import Any

import pytest
from django.core.cache import cache

from accounts.models import User
from tests.factories import DogFactory, UserFactory, WalkerProfileFactory


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tasks run in the test's own process unless a test starts a real worker.
    from pompygo.celery import app

    app.conf.task_always_eager = True
    yield
    cache.clear()


@pytest.fixture
def owner(db: Any) -> User:
    return UserFactory(email="dewi@contoh.co.id", first_name="Dewi", last_name="Lestari")


@pytest.fixture
def other_owner(db: Any) -> User:
    return UserFactory(email="budi@contoh.co.id", first_name="Budi", last_name="Santoso")


@pytest.fixture
def walker(db: Any) -> Any:
    return WalkerProfileFactory(
        user__email="agus@contoh.co.id", user__first_name="Agus", user__last_name="Pratama"
    )


@pytest.fixture
def partner(db: Any) -> User:
    return UserFactory(email="toko@contoh.co.id", first_name="Sari", role=User.Role.PARTNER)


@pytest.fixture
def staff(db: Any) -> User:
    return UserFactory(
        email="ops@pompygo.id",
        first_name="Rina",
        role=User.Role.STAFF,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def dog(owner: User) -> Any:
    return DogFactory(owner=owner, name="Milo")


@pytest.fixture
def owner_client(client: Any, owner: User) -> Any:
    client.force_login(owner)
    return client


@pytest.fixture
def staff_client(client: Any, staff: User) -> Any:
    client.force_login(staff)
    return client
