"""Start-up of pompygo/settings.py under production and broken environments.

Each case runs manage.py in a fresh interpreter with only the variables it
sets, because settings are read once per process. The last one opens the
demo's SQLite settings in this process.
"""

import contextlib
import re
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, transaction

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "pompygo.id",
    "DATABASE_URL": "postgres://pompygo@127.0.0.1:5432/pompygo",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "OPS_PHONE": "+62 21 5550 1234",
}


def run_manage(
    environment: dict[str, str], *arguments: str
) -> subprocess.CompletedProcess:
    clean = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **environment}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_deploy_check_passes_in_production():
    result = run_manage(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr


def test_deploy_check_asks_for_ops_phone():
    environment = {**PRODUCTION}
    del environment["OPS_PHONE"]
    result = run_manage(environment, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "pompygo.W001" in result.stderr


def test_deploy_check_catches_short_secret_key():
    # Shows that the check above would fail on a real problem.
    result = run_manage(
        {**PRODUCTION, "DJANGO_SECRET_KEY": "short"},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_without_secret_key_stops():
    environment = {**PRODUCTION}
    del environment["DJANGO_SECRET_KEY"]
    result = run_manage(environment, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is missing" in result.stderr
    assert "DJANGO_DEBUG=1 for local work" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG='maybe' is not a boolean"),
        ("EMAIL_USE_TLS", "sometimes", "EMAIL_USE_TLS='sometimes' is not a boolean"),
        ("EMAIL_PORT", "smtp", "EMAIL_PORT='smtp' is not an integer"),
        ("PHOTO_MAX_BYTES", "15MB", "PHOTO_MAX_BYTES='15MB' is not an integer"),
        ("DJANGO_LOG_LEVEL", "verbose", "DJANGO_LOG_LEVEL='verbose' is not valid"),
        ("DATABASE_URL", "mysqlx://db/pompygo", "DATABASE_URL is invalid"),
    ],
)
def test_bad_value_stops_start_up(variable, value, expected):
    result = run_manage({**PRODUCTION, variable: value}, "check")
    assert result.returncode != 0
    assert expected in result.stderr


def test_demo_defaults_start_without_environment():
    result = run_manage({"DJANGO_DEBUG": "1"}, "check")
    assert result.returncode == 0, result.stderr


def test_local_facts():
    assert settings.TIME_ZONE == "Asia/Jakarta"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "id"
    assert [code for code, _name in settings.LANGUAGES] == ["id", "en"]
    assert settings.CELERY_TIMEZONE == "Asia/Jakarta"


def test_nginx_body_limit_fits_a_photo():
    nginx = (ROOT / "docs" / "nginx.conf").read_text()
    sizes = re.findall(r"^\s*client_max_body_size\s+(\d+)m;", nginx, re.MULTILINE)
    assert sizes, "docs/nginx.conf sets no client_max_body_size in megabytes"
    largest_request = settings.PHOTO_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    for size in sizes:
        assert int(size) * 1024 * 1024 > largest_request


def test_private_media_inside_public_media_stops(tmp_path):
    environment = {
        "DJANGO_DEBUG": "1",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(tmp_path / "media" / "private"),
    }
    result = run_manage(environment, "check")
    assert result.returncode != 0
    assert "which the web server publishes" in result.stderr


def test_demo_sqlite_second_writer_waits(tmp_path):
    """Two transactions that read and then write, as the site and the
    demo's worker do, both commit: the second waits for the first."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from pompygo import settings as project_settings

    database = {
        **connections["default"].settings_dict,
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "demo.sqlite3"),
        "OPTIONS": project_settings.SQLITE_OPTIONS,
    }
    first_has_read = threading.Event()
    errors: list[BaseException] = []

    def add_one(alias: str, pause: bool) -> None:
        # A connection belongs to the thread that opened it.
        connections[alias] = DatabaseWrapper(database, alias)
        try:
            with transaction.atomic(using=alias), connections[alias].cursor() as cur:
                cur.execute("SELECT value FROM counter")
                (value,) = cur.fetchone()
                if pause:
                    first_has_read.set()
                    time.sleep(0.3)
                cur.execute("UPDATE counter SET value = %s", [value + 1])
        except BaseException as error:
            errors.append(error)
        finally:
            connections[alias].close()
            del connections[alias]

    with sqlite3.connect(database["NAME"]) as setup:
        setup.execute("CREATE TABLE counter (value integer)")
        setup.execute("INSERT INTO counter VALUES (0)")
    site = threading.Thread(target=add_one, args=("site", True))
    site.start()
    assert first_has_read.wait(5)
    add_one("worker", False)
    site.join(10)

    assert errors == []
    with contextlib.closing(sqlite3.connect(database["NAME"])) as check:
        assert check.execute("SELECT value FROM counter").fetchone() == (2,)


def test_debug_log_prints_each_line_once():
    script = (
        "import logging\n"
        "from django.core.exceptions import PermissionDenied\n"
        "from django.http import Http404\n"
        "log = logging.getLogger('django.request')\n"
        "log.warning('Forbidden: %s', '/walkers/me/', exc_info=PermissionDenied('x'))\n"
        "log.warning('Not Found: %s', '/bookings/9/', exc_info=Http404('x'))\n"
        "log.error('Broken: %s', '/a/', exc_info=ValueError('kept'))\n"
    )
    result = run_manage({"DJANGO_DEBUG": "1"}, "shell", "-c", script)

    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Forbidden: /walkers/me/") == 1
    assert result.stderr.count("Not Found: /bookings/9/") == 1
    # Only the unexpected error keeps its exception.
    assert "PermissionDenied" not in result.stderr
    assert "Http404" not in result.stderr
    assert result.stderr.count("ValueError: kept") == 1
