from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from bookings import demo
from bookings.models import Booking
from reports import demo as report_demo
from walkers import demo as walker_demo
from walkers.models import WalkerProfile


class Command(BaseCommand):
    help = (
        "Load demo owners, dogs, walkers and bookings, and print the demo logins. "
        "Safe to run twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        staff = demo.load_staff()
        walker_logins = walker_demo.load_walkers()
        walkers = list(WalkerProfile.objects.assignable().prefetch_related("areas"))
        owners = demo.load_owners_and_bookings(walkers, staff)
        clinics = report_demo.load_clinics()

        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Open {settings.SITE_URL}/ and log in with one of these:")
        self._login("ops staff", staff.email, demo.DEMO_PASSWORD, "admin at /admin/")
        for owner in owners:
            self._login("pet owner", owner.email, demo.DEMO_PASSWORD)
        for login in walker_logins:
            self._login("walker", login["email"], login["password"], login["shows"])
        self.stdout.write(f"{clinics} vet clinics listed for the emergency page.")
        soon = (
            Booking.objects.filter(
                status=Booking.Status.CONFIRMED, ends_at__gt=timezone.now()
            )
            .select_related("walker__user", "owner")
            .order_by("starts_at")
            .first()
        )
        if soon and soon.walker:
            start = timezone.localtime(soon.starts_at)
            self.stdout.write(
                f"Next walk to run: booking {soon.reference} at {start:%H:%M} WIB on "
                f"{start:%d-%m-%Y}, walker {soon.walker.user.email}, "
                f"owner {soon.owner.email}."
            )

    def _login(self, role: str, email: str, password: str, note: str = "") -> None:
        line = f"  {role:<10} {email:<32} {password}"
        self.stdout.write(f"{line}  ({note})" if note else line)
