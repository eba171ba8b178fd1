"""The service areas, their districts, the services and the booking policy.

Production needs these rows as much as the demo does, so they are data
migrations rather than demo fixtures. Ops edit prices and bounds in the admin.
"""

from decimal import Decimal

from django.db import migrations

# Bounding boxes (south, north, west, east) in decimal degrees. They do not
# overlap, so a point belongs to at most one area. The edges follow the
# administrative borders only roughly; ops can adjust them in the admin.
AREAS = [
    ("Jakarta", "jakarta", ("-6.380000", "-6.080000", "106.690000", "106.980000")),
    ("Tangerang", "tangerang", ("-6.235000", "-6.090000", "106.550000", "106.690000")),
    (
        "Gading Serpong",
        "gading-serpong",
        ("-6.340000", "-6.235000", "106.580000", "106.690000"),
    ),
]

DISTRICTS = {
    "jakarta": [
        ("Menteng", "-6.196000", "106.832000"),
        ("Kebayoran Baru", "-6.243000", "106.799000"),
        ("Kemang", "-6.261000", "106.813000"),
        ("Pondok Indah", "-6.283000", "106.781000"),
        ("Cilandak", "-6.291000", "106.800000"),
        ("Tebet", "-6.226000", "106.858000"),
        ("Kelapa Gading", "-6.158000", "106.908000"),
        ("Pantai Indah Kapuk", "-6.110000", "106.740000"),
        ("Kuningan", "-6.229000", "106.830000"),
        ("Pluit", "-6.126000", "106.796000"),
    ],
    "tangerang": [
        ("Karawaci", "-6.225000", "106.605000"),
        ("Cipondoh", "-6.185000", "106.675000"),
        ("Tangerang Kota", "-6.178000", "106.630000"),
        ("Modernland", "-6.200000", "106.650000"),
    ],
    "gading-serpong": [
        ("Gading Serpong", "-6.250000", "106.628000"),
        ("BSD City", "-6.301000", "106.653000"),
        ("Alam Sutera", "-6.243000", "106.655000"),
        ("Serpong", "-6.315000", "106.670000"),
    ],
}

SERVICES = [
    ("walk-30", "Jalan-jalan 30 menit", "30-minute walk", "walk", 30, 75000, 35000, 1),
    ("walk-60", "Jalan-jalan 60 menit", "60-minute walk", "walk", 60, 120000, 50000, 2),
    (
        "pickup-dropoff",
        "Antar-jemput",
        "Pick-up and drop-off",
        "pickup_dropoff",
        90,
        90000,
        25000,
        3,
    ),
]


def load_catalogue(apps, schema_editor):
    Area = apps.get_model("bookings", "Area")
    District = apps.get_model("bookings", "District")
    Service = apps.get_model("bookings", "Service")
    BookingPolicy = apps.get_model("bookings", "BookingPolicy")

    for order, (name, slug, (south, north, west, east)) in enumerate(AREAS):
        area, _ = Area.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "min_latitude": Decimal(south),
                "max_latitude": Decimal(north),
                "min_longitude": Decimal(west),
                "max_longitude": Decimal(east),
                "sort_order": order,
            },
        )
        for district, latitude, longitude in DISTRICTS[slug]:
            District.objects.update_or_create(
                area=area,
                name=district,
                defaults={
                    "latitude": Decimal(latitude),
                    "longitude": Decimal(longitude),
                },
            )

    for code, name_id, name_en, kind, minutes, price, extra, order in SERVICES:
        Service.objects.update_or_create(
            code=code,
            defaults={
                "name_id": name_id,
                "name_en": name_en,
                "kind": kind,
                "duration_minutes": minutes,
                "price": price,
                "extra_dog_price": extra,
                "sort_order": order,
            },
        )

    BookingPolicy.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0002_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
