r"""Time the walker's photo upload request over HTTP, with the resizing deferred.

Run on a database that exists and is migrated. The script adds its own rows:
    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pompygo_upbench \
        REDIS_URL=redis://127.0.0.1:6379/1 CACHE_KEY_PREFIX=pompygo-upbench \
        .venv/bin/python scripts/bench_upload.py

The script starts gunicorn (2 workers) on 127.0.0.1:8500 twice. The first
server has REDIS_URL, so the resize task is queued to Redis and no worker
runs it. The second has no REDIS_URL, so Celery runs the task eagerly inside
the request, as the demo does. For each server and each photo it sends
RUNS timed POSTs to the upload URL, with the walker's session cookie and the
CSRF token, and prints a Markdown table of the median and the spread. The
time is from sending the first byte to reading the whole response, on
loopback. Media files go to a temporary folder that is removed at the end,
and the tasks left queued in the Redis database are purged.
"""

import http.client
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pompygo.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
MEDIA_DIR = Path(tempfile.mkdtemp(prefix="bench-upload-"))
os.environ["DJANGO_MEDIA_ROOT"] = str(MEDIA_DIR / "public")
os.environ["DJANGO_PRIVATE_MEDIA_ROOT"] = str(MEDIA_DIR / "private")
django.setup()

import datetime as dt  # noqa: E402
from decimal import Decimal  # noqa: E402

from allauth.account.models import EmailAddress  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from accounts.models import User  # noqa: E402
from bookings.models import Area, Booking, Dog, Service  # noqa: E402
from reports.services import start_walk  # noqa: E402
from scripts.bench_images import make_photo  # noqa: E402
from walkers.demo import make_available, make_verified  # noqa: E402
from walkers.models import WalkerProfile  # noqa: E402

HOST = "127.0.0.1"
PORT = 8500
RUNS = 9
MENTENG = (-6.1958, 106.8320)


def create_running_walk() -> tuple[Booking, User]:
    """Create an owner, a verified walker and their walk, started by the walker."""
    suffix = uuid.uuid4().hex[:8]
    owner = User.objects.create_user(
        f"owner-{suffix}@contoh.co.id", "kata-sandi-rahasia", role=User.Role.OWNER
    )
    walker_user = User.objects.create_user(
        f"walker-{suffix}@contoh.co.id", "kata-sandi-rahasia", role=User.Role.WALKER
    )
    for user in (owner, walker_user):
        EmailAddress.objects.create(
            user=user, email=user.email, verified=True, primary=True
        )

    walker = WalkerProfile.objects.create(user=walker_user)
    make_available(make_verified(walker))
    dog = Dog.objects.create(
        owner=owner,
        name="Milo",
        breed="Shiba Inu",
        size=Dog.Size.MEDIUM,
        sex=Dog.Sex.MALE,
        birth_date=dt.date(2021, 5, 1),
    )

    service = Service.objects.get(code="walk-60")
    starts_at = timezone.now() - dt.timedelta(minutes=10)
    booking = Booking.objects.create(
        owner=owner,
        walker=walker,
        service=service,
        area=Area.objects.get(slug="jakarta"),
        status=Booking.Status.CONFIRMED,
        starts_at=starts_at,
        ends_at=starts_at + service.duration,
        address="Jl. Teuku Umar No. 10, Menteng",
        latitude=MENTENG[0],
        longitude=MENTENG[1],
        price=service.price,
    )
    booking.dogs.set([dog])

    pickup_photo = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 180, 160)).save(pickup_photo, "JPEG")
    start_walk(
        booking,
        walker_user=walker_user,
        checklist={
            "handed_over": True,
            "leash_checked": True,
            "id_tag_on": True,
            "dog_condition": "Happy",
        },
        photo=SimpleUploadedFile("pickup.jpg", pickup_photo.getvalue()),
        latitude=Decimal(str(MENTENG[0])),
        longitude=Decimal(str(MENTENG[1])),
    )
    booking.refresh_from_db()
    return booking, walker_user


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def start_server(eager: bool) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    if eager:
        env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "pompygo.wsgi",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            "2",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, PORT, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError(f"gunicorn did not respond on {HOST}:{PORT} within 30 s")


def csrf_token(reference: str, session: str) -> str:
    """Open the walker's run page, as the phone does, and return its CSRF cookie."""
    connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
    connection.request(
        "GET",
        f"/walk/{reference}/run/",
        headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
    )
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"run page returned {response.status}, expected 200")
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("csrftoken="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise RuntimeError("run page set no csrftoken cookie")


def multipart_body(token: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    fields = {"csrfmiddlewaretoken": token, "caption": "", "client_id": ""}
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        f"{value}\r\n".encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream'
        "\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def time_upload(
    reference: str, session: str, token: str, filename: str, data: bytes
) -> float:
    """Send one upload and return the milliseconds until the whole response."""
    body, content_type = multipart_body(token, filename, data)
    headers = {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; csrftoken={token}",
        "X-CSRFToken": token,
        "Accept": "application/json",
        "Content-Type": content_type,
        "Referer": f"http://{HOST}:{PORT}/walk/{reference}/run/",
    }
    connection = http.client.HTTPConnection(HOST, PORT, timeout=120)
    connection.connect()
    start = time.perf_counter()
    connection.request("POST", f"/walk/{reference}/updates/", body, headers)
    response = connection.getresponse()
    payload = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"upload returned {response.status}: {payload[:300]!r}")
    return elapsed


def measure(eager: bool, photos: dict[str, tuple[str, bytes]]) -> list[str]:
    booking, walker_user = create_running_walk()
    session = session_cookie(walker_user)
    server = start_server(eager)
    rows = []
    try:
        token = csrf_token(booking.reference, session)
        for label, (filename, data) in photos.items():
            # An untimed upload first, so that imports and connections are warm
            # in at least one of the two workers.
            time_upload(booking.reference, session, token, filename, data)
            times = [
                time_upload(booking.reference, session, token, filename, data)
                for _run in range(RUNS)
            ]
            mode = "eager (in the request)" if eager else "deferred (queued to Redis)"
            rows.append(
                f"| {label} | {len(data):,} | {mode} | {statistics.median(times):.0f} "
                f"| {min(times):.0f} | {max(times):.0f} |"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main() -> None:
    import pillow_heif

    from pompygo.celery import app

    if not os.environ.get("REDIS_URL"):
        raise SystemExit("REDIS_URL is missing: the deferred case queues to Redis.")
    pillow_heif.register_heif_opener()
    photos = {
        "JPEG": ("photo.jpg", make_photo("JPEG")),
        "HEIC": ("photo.heic", make_photo("HEIF")),
    }
    print(f"Pillow {Image.__version__}, pillow-heif {pillow_heif.__version__}")
    print(f"gunicorn 2 workers on {HOST}:{PORT}, median of {RUNS} uploads")
    print(f"CPU: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}\n")
    print("| file | bytes | resize task | median ms | min ms | max ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    try:
        for eager in (False, True):
            for row in measure(eager, photos):
                print(row, flush=True)
    finally:
        purged = app.control.purge()
        print(f"\nPurged {purged} queued tasks; load {os.getloadavg()[0]:.1f}")
        shutil.rmtree(MEDIA_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
