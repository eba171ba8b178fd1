"""Checks that run before any test: the suite needs real PostgreSQL and Redis."""

import pytest
import redis
from django.conf import settings


def pytest_configure(config: pytest.Config) -> None:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit(
            "The tests run on PostgreSQL, but DATABASE_URL points to "
            f"{database['ENGINE']}. Run ./scripts/test, or set DATABASE_URL to "
            "postgres://postgres@127.0.0.1:5432/pompygo.",
            returncode=2,
        )
    import psycopg2

    try:
        psycopg2.connect(
            host=database["HOST"],
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database["PASSWORD"],
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg2.OperationalError as error:
        pytest.exit(
            f"PostgreSQL at {database['HOST']}:{database['PORT'] or 5432} is not "
            f"reachable ({error}). Start it, or point DATABASE_URL at a running one.",
            returncode=2,
        )
    if not settings.REDIS_URL:
        pytest.exit(
            "The tests need Redis: set REDIS_URL, for example "
            "redis://127.0.0.1:6379/15, or run ./scripts/test.",
            returncode=2,
        )
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.exit(
            f"Redis at {settings.REDIS_URL} is not reachable ({error}). "
            "Start it, or point REDIS_URL at a running one.",
            returncode=2,
        )
