"""Personas and shared fixtures: every test reads as one of these people."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from accounts.models import User
from tests import celery_worker
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
def worker() -> Iterator[celery_worker.TaskRuns]:
    """A real Celery worker on the test Redis; see tests/celery_worker.py."""
    with celery_worker.running_worker() as runs:
        yield runs


@pytest.fixture
def queue_only() -> Iterator[None]:
    """Tasks queued on the test Redis with no worker running."""
    with celery_worker.queue_only():
        yield


@pytest.fixture
def owner(db: Any) -> User:
    return UserFactory(
        email="dewi@contoh.co.id", first_name="Dewi", last_name="Lestari"
    )


@pytest.fixture
def other_owner(db: Any) -> User:
    return UserFactory(
        email="budi@contoh.co.id", first_name="Budi", last_name="Santoso"
    )


@pytest.fixture
def walker(db: Any) -> Any:
    return WalkerProfileFactory(
        user__email="agus@contoh.co.id",
        user__first_name="Agus",
        user__last_name="Pratama",
    )


@pytest.fixture
def partner(db: Any) -> User:
    return UserFactory(
        email="toko@contoh.co.id", first_name="Sari", role=User.Role.PARTNER
    )


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


@pytest.fixture(autouse=True)
def _database(db: Any) -> None:
    """Give every test the database, so pytest-django orders them all by it.

    pytest-django runs tests that request the database lazily (through
    request.getfixturevalue) after the transactional ones, which empty the
    catalogue tables. Naming the fixture here keeps them in the first group.
    """


@pytest.fixture(autouse=True)
def _catalogue_after_flush(request: Any) -> None:
    """Reload the catalogue rows that transactional tests flush away.

    Areas, districts, services and the policy come from a data migration.
    Tests that commit for real (races, Celery workers, the live server for
    browsers) empty every table after each test, so they reload the rows.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    catalogue = importlib.import_module("bookings.migrations.0003_catalogue")
    catalogue.load_catalogue(apps, None)


@pytest.fixture
def english(settings: Any) -> Any:
    """Run in English, for tests that compare messages word for word.

    The site defaults to Bahasa Indonesia; the translation tests cover that.
    """
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
