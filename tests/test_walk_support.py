"""Shared builders for the walk tests: running walks and made media files."""

import datetime as dt
import io
import struct
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from bookings.models import Booking
from reports import services
from tests.factories import MENTENG, BookingFactory

PICKUP_CHECKLIST = {
    "handed_over": True,
    "leash_checked": True,
    "id_tag_on": True,
    "dog_condition": "Happy, wagging",
}


def jpeg_bytes(
    size: tuple[int, int] = (120, 80), orientation: int | None = None, gps: bool = False
) -> bytes:
    """Return a JPEG whose top half is bright and bottom half dark, as stored."""
    image = Image.new("RGB", size, (20, 20, 20))
    image.paste((240, 240, 240), (0, 0, size[0], size[1] // 2))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd.update({1: "S", 2: (6.0, 11.0, 45.0), 3: "E", 4: (106.0, 49.0, 0.0)})
    exif[0x010F] = "PhoneMaker"
    exif[0xA431] = "SERIAL-123456"
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif.tobytes())
    return output.getvalue()


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def mp4_bytes(brand: bytes = b"isom", payload: int = 1000) -> bytes:
    """Return a minimal MP4 with a GPS position in moov/udta and in a top-level meta."""

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + kind + body

    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    udta = box(b"udta", box(b"\xa9xyz", b"\x00\x12\x15\xc7-06.1958+106.8320/"))
    trak = box(b"trak", box(b"tkhd", bytes(84)) + box(b"udta", b"Serial:XYZ987"))
    moov = box(b"moov", box(b"mvhd", bytes(100)) + trak + udta)
    meta = box(b"meta", b"com.apple.quicktime.location.ISO6709 -06.1958+106.8320")
    mdat = box(b"mdat", bytes(payload))
    return ftyp + moov + meta + mdat


def webm_bytes() -> bytes:
    """Return a minimal WebM: EBML header, a Segment with Info and Tags."""
    ebml = (
        b"\x1a\x45\xdf\xa3"
        + b"\x8f"
        + b"\x42\x82\x84webm"
        + b"\x42\x87\x81\x04"
        + b"\x42\x85\x81\x02"
    )
    info = b"\x15\x49\xa9\x66" + b"\x83" + b"\x2a\xd7\xb1"
    tag_body = b"\x73\x73" + b"\x90" + b"GPS -6.19,106.83"
    tags = b"\x12\x54\xc3\x67" + bytes([0x80 | len(tag_body)]) + tag_body
    body = info + tags
    segment = b"\x18\x53\x80\x67" + bytes([0x80 | len(body)]) + body
    return ebml + segment


def confirmed_walk(owner: Any, walker: Any, dog: Any, minutes_ago: int = 20) -> Booking:
    starts_at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return BookingFactory(
        owner=owner,
        dogs=[dog],
        walker=walker,
        status=Booking.Status.CONFIRMED,
        starts_at=starts_at,
    )


def running_walk(owner: Any, walker: Any, dog: Any, **kwargs: Any) -> Booking:
    booking = confirmed_walk(owner, walker, dog, **kwargs)
    services.start_walk(
        booking,
        walker_user=walker.user,
        checklist=PICKUP_CHECKLIST,
        photo=upload(jpeg_bytes()),
        latitude=MENTENG[0],
        longitude=MENTENG[1],
        # Started a while ago, so the tests can send positions of the past.
        now=timezone.now() - dt.timedelta(minutes=15),
    )
    booking.refresh_from_db()
    return booking
