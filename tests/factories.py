"""factory_boy factories for the models the tests build on."""

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from accounts.models import User
from bookings.models import Area, Booking, Dog, Service
from walkers.models import WalkerProfile

# A point in Menteng, Central Jakarta: inside the Jakarta service area.
MENTENG = (Decimal("-6.196000"), Decimal("106.832000"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@contoh.co.id")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.OWNER
    password = factory.PostGenerationMethodCall("set_password", "kata-sandi-rahasia")

    @factory.post_generation
    def verified(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Give the user a verified primary email, as allauth requires to log in."""
        if not create:
            return
        from allauth.account.models import EmailAddress

        self.save()
        EmailAddress.objects.create(
            user=self, email=self.email, verified=True, primary=True
        )


class WalkerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WalkerProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=User.Role.WALKER)

    @factory.post_generation
    def areas(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.areas.set(extracted or [Area.objects.get(slug="jakarta")])

    @factory.post_generation
    def verified(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Pass every recruitment stage and open every day, 06:00 to 20:00.

        The walker lives in Menteng, takes every dog size and up to eight
        walks a day. ``verified=False`` leaves a bare applicant instead.
        """
        if not create or extracted is False:
            return
        from walkers.demo import make_available, make_verified

        make_verified(self)
        make_available(self)
        self.max_walks_per_day = 8
        self.save(update_fields=["max_walks_per_day"])


class DogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dog

    owner = factory.SubFactory(UserFactory)
    name = factory.Iterator(["Milo", "Luna", "Coco", "Bobby", "Mochi", "Kiki"])
    breed = "Shiba Inu"
    size = Dog.Size.MEDIUM
    sex = Dog.Sex.MALE
    birth_date = dt.date(2021, 5, 1)


def walk_start(days: int = 2, hour: int = 9) -> dt.datetime:
    """Return an aware WIB datetime some days ahead, on the hour."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    service = factory.LazyFunction(lambda: Service.objects.get(code="walk-60"))
    area = factory.LazyFunction(lambda: Area.objects.get(slug="jakarta"))
    starts_at = factory.LazyFunction(walk_start)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + o.service.duration)
    address = "Jl. Teuku Umar No. 10, Menteng"
    latitude = MENTENG[0]
    longitude = MENTENG[1]
    price = factory.LazyAttribute(lambda o: o.service.price)

    @factory.post_generation
    def dogs(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        self.dogs.set(extracted or [DogFactory(owner=self.owner)])
