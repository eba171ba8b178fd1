"""Demo vet clinics for the emergency page, one or two per area.

The clinics and their phone numbers are made up for the demo.
"""

from decimal import Decimal

from reports.models import VetClinic

CLINICS = [
    (
        "Klinik Hewan Menteng (demo)",
        "Jl. Cikini Raya 20, Menteng",
        "-6.193000",
        "106.838000",
        True,
        True,
    ),
    (
        "Klinik Hewan Kemang (demo)",
        "Jl. Kemang Raya 45, Kemang",
        "-6.262000",
        "106.816000",
        True,
        False,
    ),
    (
        "Klinik Hewan Kelapa Gading (demo)",
        "Jl. Boulevard Raya 8, Kelapa Gading",
        "-6.160000",
        "106.905000",
        False,
        True,
    ),
    (
        "Klinik Hewan Karawaci (demo)",
        "Jl. Imam Bonjol 120, Karawaci",
        "-6.222000",
        "106.610000",
        True,
        False,
    ),
    (
        "Klinik Hewan BSD (demo)",
        "Jl. Pahlawan Seribu 3, BSD City",
        "-6.298000",
        "106.660000",
        True,
        True,
    ),
]


def load_clinics() -> int:
    """Create the demo clinics that are missing; return how many exist."""
    for number, (name, address, latitude, longitude, partner, always_open) in enumerate(
        CLINICS
    ):
        VetClinic.objects.get_or_create(
            name=name,
            defaults={
                "address": address,
                "phone": f"021-555-01{number:02d}",
                "latitude": Decimal(latitude),
                "longitude": Decimal(longitude),
                "is_partner": partner,
                "open_24_hours": always_open,
            },
        )
    return VetClinic.objects.count()
