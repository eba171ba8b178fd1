"""Demo data: owners with dogs and bookings across the three areas.

Every row is found or created by a fixed key (an email, a dog name per owner,
a request token derived from a name), so loading twice changes nothing.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings.matching import queue_matching
from bookings.models import Area, Booking, BookingEvent, District, Dog, Service
from pompygo.lib.timezones import combine_local

DEMO_PASSWORD = "pompygo-demo"
DEMO_NAMESPACE = uuid.UUID("5d1f3c1e-8f7a-4b7e-9a53-7c2f0b1d9e44")

OWNERS: list[dict[str, Any]] = [
    {
        "email": "dewi@pompygo.test",
        "first_name": "Dewi",
        "last_name": "Lestari",
        "phone": "+6281234567890",
        "district": "Menteng",
        "address": "Jl. Teuku Umar No. 12, Menteng",
        "dogs": [
            {
                "name": "Milo",
                "breed": "Golden Retriever",
                "size": Dog.Size.LARGE,
                "sex": Dog.Sex.MALE,
                "birth_date": dt.date(2020, 3, 14),
                "temperament": "Friendly with everyone, loves water.",
                "leash_behaviour": Dog.Leash.PULLS,
            },
            {
                "name": "Kiki",
                "breed": "Pomeranian",
                "size": Dog.Size.SMALL,
                "sex": Dog.Sex.FEMALE,
                "birth_date": dt.date(2022, 8, 2),
                "temperament": "Barks at motorbikes.",
                "medical_notes": "Allergic to chicken treats.",
            },
        ],
    },
    {
        "email": "budi@pompygo.test",
        "first_name": "Budi",
        "last_name": "Santoso",
        "phone": "+6281398765432",
        "district": "BSD City",
        "address": "Jl. Pahlawan Seribu, Cluster Kencana Loka Blok C2/7, BSD City",
        "dogs": [
            {
                "name": "Bobby",
                "breed": "Siberian Husky",
                "size": Dog.Size.LARGE,
                "sex": Dog.Sex.MALE,
                "birth_date": dt.date(2019, 11, 30),
                "temperament": "Energetic, pulls towards cats.",
                "leash_behaviour": Dog.Leash.REACTIVE,
                "neutered": True,
            },
        ],
    },
    {
        "email": "sari@pompygo.test",
        "first_name": "Sari",
        "last_name": "Wijaya",
        "phone": "+6285711223344",
        "district": "Karawaci",
        "address": "Jl. Imam Bonjol No. 88, Karawaci",
        "dogs": [
            {
                "name": "Mochi",
                "breed": "Shiba Inu",
                "size": Dog.Size.MEDIUM,
                "sex": Dog.Sex.FEMALE,
                "birth_date": dt.date(2021, 1, 20),
                "temperament": "Calm, a little shy with strangers.",
            },
        ],
    },
]

# (owner index, days from today, start hour, service code, status)
BOOKINGS: list[tuple[int, int, int, str, str]] = [
    (0, -9, 7, "walk-60", Booking.Status.COMPLETED),
    (0, -4, 16, "walk-30", Booking.Status.COMPLETED),
    (0, -2, 8, "walk-30", Booking.Status.CANCELLED),
    (0, 1, 7, "walk-60", Booking.Status.CONFIRMED),
    (0, 3, 17, "walk-30", Booking.Status.REQUESTED),
    (1, -6, 6, "walk-60", Booking.Status.COMPLETED),
    (1, 2, 6, "walk-60", Booking.Status.REQUESTED),
    (1, 5, 9, "pickup-dropoff", Booking.Status.REQUESTED),
    (2, -3, 18, "walk-30", Booking.Status.NO_SHOW),
    (2, 1, 16, "walk-30", Booking.Status.CONFIRMED),
    (2, 4, 7, "walk-60", Booking.Status.REQUESTED),
]


def _user(email: str, password: str, **fields: Any) -> User:
    user, created = User.objects.get_or_create(email=email, defaults=fields)
    if created:
        user.set_password(password)
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def load_staff() -> User:
    return _user(
        "ops@pompygo.test",
        DEMO_PASSWORD,
        first_name="Rina",
        last_name="Ops",
        role=User.Role.STAFF,
        is_staff=True,
        is_superuser=True,
    )


def _event_time(booking: Booking, status: str) -> dt.datetime:
    """Return a plausible time for a demo status change of this booking."""
    if status == Booking.Status.IN_PROGRESS:
        return booking.starts_at + dt.timedelta(minutes=3)
    if status == Booking.Status.COMPLETED:
        return booking.ends_at
    if status == Booking.Status.NO_SHOW:
        return booking.starts_at + dt.timedelta(minutes=20)
    if status == Booking.Status.REQUESTED:
        return booking.created_at
    return booking.created_at + dt.timedelta(hours=2)


def _history(booking: Booking, statuses: list[str], actor: User | None) -> None:
    previous = ""
    for status in statuses:
        BookingEvent.objects.create(
            booking=booking,
            from_status=previous,
            to_status=status,
            actor=booking.owner if status == Booking.Status.REQUESTED else actor,
            created_at=_event_time(booking, status),
        )
        previous = status


PATHS: dict[str, list[str]] = {
    Booking.Status.REQUESTED: [Booking.Status.REQUESTED],
    Booking.Status.CONFIRMED: [Booking.Status.REQUESTED, Booking.Status.CONFIRMED],
    Booking.Status.CANCELLED: [Booking.Status.REQUESTED, Booking.Status.CANCELLED],
    Booking.Status.NO_SHOW: [
        Booking.Status.REQUESTED,
        Booking.Status.CONFIRMED,
        Booking.Status.NO_SHOW,
    ],
    Booking.Status.COMPLETED: [
        Booking.Status.REQUESTED,
        Booking.Status.CONFIRMED,
        Booking.Status.IN_PROGRESS,
        Booking.Status.COMPLETED,
    ],
}


@transaction.atomic
def load_owners_and_bookings(walkers: list[Any], staff: User) -> list[User]:
    """Create the demo owners, their dogs and bookings; return the owners."""
    owners = []
    for spec in OWNERS:
        owner = _user(
            spec["email"],
            DEMO_PASSWORD,
            first_name=spec["first_name"],
            last_name=spec["last_name"],
            phone=spec["phone"],
            role=User.Role.OWNER,
        )
        for dog_spec in spec["dogs"]:
            Dog.objects.get_or_create(
                owner=owner, name=dog_spec["name"], defaults=dog_spec
            )
        owners.append(owner)

    today = timezone.localdate()
    plans = [
        (
            f"booking-{number}",
            owner_index,
            combine_local(today + dt.timedelta(days=days), dt.time(hour, 0)),
            code,
            status,
        )
        for number, (owner_index, days, hour, code, status) in enumerate(BOOKINGS)
    ]
    # A confirmed walk that starts soon, so its walker can start it right away.
    soon = _soon_start()
    plans.append(
        (f"booking-soon-{soon:%Y%m%d}", 0, soon, "walk-30", Booking.Status.CONFIRMED)
    )
    for key, owner_index, starts_at, code, status in plans:
        token = uuid.uuid5(DEMO_NAMESPACE, key)
        if Booking.objects.filter(request_token=token).exists():
            continue
        spec, owner = OWNERS[owner_index], owners[owner_index]
        district = District.objects.select_related("area").get(name=spec["district"])
        service = Service.objects.get(code=code)
        dogs = list(Dog.objects.owned_by(owner))
        needs_walker = status not in (
            Booking.Status.REQUESTED,
            Booking.Status.CANCELLED,
        )
        walker = (
            _walker_for(walkers, district.area, starts_at) if needs_walker else None
        )
        if needs_walker and walker is None:
            status = Booking.Status.REQUESTED
        booking = Booking.objects.create(
            owner=owner,
            service=service,
            area=district.area,
            district=district,
            starts_at=starts_at,
            ends_at=starts_at + service.duration,
            address=spec["address"],
            latitude=district.latitude + Decimal("0.001"),
            longitude=district.longitude - Decimal("0.001"),
            access_notes="Gate code 2580, the dog's leash hangs by the door.",
            handover_notes="The housekeeper, Ibu Ani, hands over the dog.",
            price=service.price_for(len(dogs)),
            cancellation_fee=0,
            status=status,
            walker=walker,
            request_token=token,
        )
        booking.dogs.set(dogs)
        Booking.objects.filter(pk=booking.pk).update(
            created_at=starts_at - dt.timedelta(days=2)
        )
        booking.refresh_from_db()
        _history(booking, PATHS[status], staff)
        if status == Booking.Status.REQUESTED and starts_at > timezone.now():
            # As for a booking made on the site: a walker gets an offer once
            # this commits, rather than when the sweeper next runs.
            queue_matching(booking.pk, "created")
    return owners


def _soon_start() -> dt.datetime:
    """Return the quarter hour about 45 minutes from now, or the next 07:00.

    Walkers may start a walk up to two hours before its time, so a demo walk
    at this time can be run at once. Outside 06:00-19:00 WIB it waits for
    the morning.
    """
    now = timezone.localtime()
    start = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=45)
    start += dt.timedelta(minutes=-start.minute % 15)
    if start.hour < 6 or start.hour >= 19:
        day = now.date() + dt.timedelta(days=1 if start.hour >= 19 else 0)
        start = combine_local(day, dt.time(7, 0))
    return start


def _walker_for(walkers: list[Any], area: Area, starts_at: dt.datetime) -> Any:
    """Pick a demo walker of the area who is free at that time, if any."""
    for walker in walkers:
        if not walker.areas.filter(pk=area.pk).exists():
            continue
        busy = (
            Booking.objects.holding_walker()
            .filter(walker=walker)
            .overlapping(starts_at, starts_at + dt.timedelta(hours=2))
        )
        if not busy.exists():
            return walker
    return None
