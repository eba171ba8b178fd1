from typing import Any

from django.core.management.base import BaseCommand

from bookings import demo


class Command(BaseCommand):
    help = (
        "Load demo owners, dogs, walkers and bookings, and print the demo logins. "
        "Safe to run twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        staff = demo.load_staff()
        walkers, walker_logins = self._walkers()
        owners = demo.load_owners_and_bookings(walkers, staff)

        self.stdout.write(
            self.style.SUCCESS(
                "Demo data loaded. Log in at http://127.0.0.1:8000/accounts/login/"
            )
        )
        self.stdout.write(f"  password for every demo login: {demo.DEMO_PASSWORD}")
        self.stdout.write(f"  ops staff (admin at /admin/): {staff.email}")
        for owner in owners:
            self.stdout.write(f"  pet owner: {owner.email}")
        for email, description in walker_logins:
            self.stdout.write(f"  walker: {email} ({description})")

    def _walkers(self) -> tuple[list[Any], list[tuple[str, str]]]:
        from walkers import demo as walker_demo

        return walker_demo.load_walkers()
