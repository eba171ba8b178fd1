"""Demo walkers at every recruitment stage, and verified walkers in each area.

`load_walkers` is safe to run again: it finds the demo walkers by email and
adds only what is missing. Tests use `make_verified` and `make_available`
to build walkers that may take a booking.
"""

import datetime as dt
import io
from typing import Any, NamedTuple

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from accounts.models import User
from bookings.models import Area, District, Dog
from pompygo.lib.timezones import local_today
from walkers.models import (
    SCORED_STAGES,
    STAGE_ORDER,
    WalkerDocument,
    WalkerProfile,
    WalkerStage,
    WeeklyAvailability,
)
from walkers.services import add_document

DEMO_PASSWORD = "pompygo-demo"
STAFF_EMAIL = "rekrutmen@pompygo.test"


class DemoWalker(NamedTuple):
    email: str
    first_name: str
    last_name: str
    district: str
    stages_passed: int
    failed_stage: str
    shows: str


WALKERS = [
    DemoWalker(
        "walker.applied@pompygo.test",
        "Putri",
        "Wulandari",
        "Tebet",
        0,
        "",
        "applied, waiting for screening",
    ),
    DemoWalker(
        "walker.screened@pompygo.test",
        "Bayu",
        "Saputra",
        "Kemang",
        1,
        "",
        "passed screening",
    ),
    DemoWalker(
        "walker.interviewed@pompygo.test",
        "Citra",
        "Anggraini",
        "Cipondoh",
        2,
        "",
        "passed the interview",
    ),
    DemoWalker(
        "walker.practical@pompygo.test",
        "Dimas",
        "Prasetyo",
        "BSD City",
        3,
        "",
        "passed the practical test",
    ),
    DemoWalker(
        "walker.checked@pompygo.test",
        "Eka",
        "Rahmawati",
        "Karawaci",
        4,
        "",
        "background checked, in training",
    ),
    DemoWalker(
        "walker.rejected@pompygo.test",
        "Fajar",
        "Hidayat",
        "Pluit",
        1,
        "interview",
        "rejected at the interview",
    ),
    DemoWalker(
        "agus.walker@pompygo.test",
        "Agus",
        "Pratama",
        "Menteng",
        5,
        "",
        "verified, Jakarta",
    ),
    DemoWalker(
        "sri.walker@pompygo.test",
        "Sri",
        "Handayani",
        "Kebayoran Baru",
        5,
        "",
        "verified, Jakarta",
    ),
    DemoWalker(
        "rudi.walker@pompygo.test",
        "Rudi",
        "Gunawan",
        "Tangerang Kota",
        5,
        "",
        "verified, Tangerang",
    ),
    DemoWalker(
        "maya.walker@pompygo.test",
        "Maya",
        "Kusuma",
        "Gading Serpong",
        5,
        "",
        "verified, Gading Serpong",
    ),
]


def staff_decider() -> User:
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    if staff:
        return staff
    staff = User.objects.create_user(
        STAFF_EMAIL,
        DEMO_PASSWORD,
        first_name="Rina",
        role=User.Role.STAFF,
        is_staff=True,
    )
    EmailAddress.objects.create(
        user=staff, email=staff.email, verified=True, primary=True
    )
    return staff


def pass_stages(
    walker: WalkerProfile, count: int, decided_by: Any, on: dt.date
) -> None:
    """Record the first ``count`` stages as passed, a day apart, ending ``on``."""
    for index, stage in enumerate(STAGE_ORDER[:count]):
        WalkerStage.objects.get_or_create(
            walker=walker,
            stage=stage,
            defaults={
                "outcome": WalkerStage.Outcome.PASSED,
                "score": 85 if stage in SCORED_STAGES else None,
                "skck_verified": True,
                "references_called": True,
                "decided_on": on - dt.timedelta(days=count - 1 - index),
                "decided_by": decided_by,
            },
        )


def make_verified(walker: WalkerProfile, decided_by: Any = None) -> WalkerProfile:
    pass_stages(walker, len(STAGE_ORDER), decided_by or staff_decider(), local_today())
    return walker


def make_available(
    walker: WalkerProfile,
    district: District | None = None,
    *,
    start: dt.time = dt.time(6, 0),
    end: dt.time = dt.time(20, 0),
    radius_km: int = 15,
) -> WalkerProfile:
    """Give the walker a home base, every dog size and every day of the week."""
    district = district or walker.home_district or District.objects.get(name="Menteng")
    walker.home_district = district
    walker.home_latitude, walker.home_longitude = district.latitude, district.longitude
    walker.service_radius_km = radius_km
    walker.dog_sizes = ",".join(Dog.Size.values)
    walker.max_walks_per_day = max(walker.max_walks_per_day, 4)
    walker.save()
    walker.areas.add(district.area)
    for weekday in range(1, 8):
        WeeklyAvailability.objects.get_or_create(
            walker=walker,
            weekday=weekday,
            defaults={"start_time": start, "end_time": end},
        )
    return walker


def _demo_photo() -> ContentFile:
    output = io.BytesIO()
    Image.new("RGB", (320, 200), (200, 210, 230)).save(output, "JPEG")
    return ContentFile(output.getvalue(), name="ktp.jpg")


DEMO_PDF = b"%PDF-1.4\n% Demo SKCK: not a real certificate\n%%EOF\n"


def _ensure_walker(row: DemoWalker, staff: User) -> WalkerProfile:
    email, first_name, last_name = row.email, row.first_name, row.last_name
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "role": User.Role.WALKER,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.phone = "+6281234500" + f"{User.objects.count() % 100:02d}"
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    district = District.objects.select_related("area").get(name=row.district)
    walker, _created = WalkerProfile.objects.get_or_create(
        user=user,
        defaults={
            "date_of_birth": dt.date(1996, 3, 14),
            "id_number": f"31710{user.pk:011d}",
            "has_smartphone": True,
            "years_of_experience": 3,
            "experience": "Walked the neighbours' dogs for three years.",
            "references": "Ibu Ratna 0812-1111-2222, Pak Hendra 0813-3333-4444",
            "bio": f"Halo! I am {first_name} and I love long morning walks.",
            "level": (
                WalkerProfile.Level.CERTIFIED
                if row.stages_passed == len(STAGE_ORDER)
                else WalkerProfile.Level.NEW
            ),
        },
    )
    make_available(walker, district)
    if not walker.documents.exists():
        add_document(walker, WalkerDocument.Kind.KTP, _demo_photo(), "image/jpeg")
        add_document(
            walker, WalkerDocument.Kind.SKCK, ContentFile(DEMO_PDF), "application/pdf"
        )
    day = local_today() - dt.timedelta(days=2)
    pass_stages(walker, row.stages_passed, staff, day)
    if row.failed_stage:
        WalkerStage.objects.get_or_create(
            walker=walker,
            stage=row.failed_stage,
            defaults={
                "outcome": WalkerStage.Outcome.FAILED,
                "score": 40,
                "rejection_reason": "Unsafe answers on handling a reactive dog.",
                "decided_on": day,
                "decided_by": staff,
            },
        )
    return walker


def load_walkers() -> list[dict[str, str]]:
    """Create the demo walkers; return their logins and what each one shows."""
    Area.objects.get(slug="jakarta")  # fails early when the areas are missing
    with transaction.atomic():
        staff = staff_decider()
        logins = []
        for row in WALKERS:
            _ensure_walker(row, staff)
            logins.append(
                {"email": row.email, "password": DEMO_PASSWORD, "shows": row.shows}
            )
    return logins
