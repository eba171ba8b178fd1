"""Walk workflows that span the booking and the walk's own records."""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image

from bookings.models import Booking
from pompygo.lib.images import process_photo
from reports import signals
from reports.geo import Fix, distance_m, plausible_fixes, trail_length_m
from reports.models import (
    LATE_START,
    Incident,
    Review,
    TrackPoint,
    WalkMedia,
    WalkReport,
    WalkStart,
    new_token,
)
from reports.videos import check_video, sniff_video, strip_metadata

logger = logging.getLogger(__name__)

# The stored photo: large enough to zoom, small enough for libjpeg's draft
# mode to decode a 12-megapixel (4032x3024) photo at half size.
STORED_PHOTO_SIDE = 1920
DISPLAY_SIDE = 1280
THUMBNAIL_SIDE = 320
# A phone may send a position this long after the walk has ended (a batch
# still queued while offline), but no later.
TRACK_GRACE = dt.timedelta(minutes=5)

NOT_A_MEDIA_FILE = _(
    "This file is neither a photo nor a video that we can read. Upload a JPEG, "
    "PNG, WebP or HEIC photo, or an MP4, MOV or WebM video."
)


def media_path(token: str, variant: str, extension: str) -> str:
    return f"walks/{token}/{variant}.{extension}"


@dataclass(frozen=True)
class StoredContent:
    kind: str
    content: File
    content_type: str
    extension: str


def clean_media(upload: File, *, photo_only: bool = False) -> StoredContent:
    """Check an uploaded photo or video and return the content to store.

    Photos are re-encoded as metadata-free JPEGs; videos keep their streams
    and lose their metadata boxes. With ``photo_only`` (the pick-up and
    drop-off photos) a video is rejected like any other non-photo. Raises
    ValidationError with a message for the walker.
    """
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    video_type = None if photo_only else sniff_video(head)
    if video_type is not None:
        check_video(upload)
        stream = getattr(upload, "file", upload)
        blanked = strip_metadata(stream, video_type)
        upload.seek(0)
        logger.info(
            "Video accepted: %s, %s metadata boxes blanked", video_type, blanked
        )
        extension = {"video/mp4": "mp4", "video/quicktime": "mov"}.get(
            video_type, "webm"
        )
        return StoredContent(WalkMedia.Kind.VIDEO, upload, video_type, extension)
    try:
        photo = process_photo(upload, max_side=STORED_PHOTO_SIDE)
    except ValidationError as error:
        if error.code == "photo_unsupported" and not photo_only:
            raise ValidationError(NOT_A_MEDIA_FILE, code="media_unsupported") from None
        raise
    return StoredContent(WalkMedia.Kind.PHOTO, photo, "image/jpeg", "jpg")


def add_media(
    booking: Booking,
    upload: File,
    *,
    phase: str,
    caption: str = "",
    client_id: uuid.UUID | None = None,
    cleaned: StoredContent | None = None,
) -> tuple[WalkMedia, bool]:
    """Store a checked photo or video of the walk; return it and whether it is new.

    A retried upload with the same ``client_id`` returns the first one. Pass
    ``cleaned`` when a form has already run ``clean_media`` on the upload.
    The pick-up and drop-off phases take photos only.
    """
    if client_id is not None:
        existing = WalkMedia.objects.filter(booking=booking, client_id=client_id)
        if first := existing.first():
            return first, False
    if cleaned is None:
        cleaned = clean_media(upload, photo_only=phase != WalkMedia.Phase.UPDATE)
    token = new_token()
    media = WalkMedia(
        booking=booking,
        kind=cleaned.kind,
        phase=phase,
        caption=caption,
        token=token,
        client_id=client_id,
        content_type=cleaned.content_type,
        size=cleaned.content.size or 0,
    )
    if cleaned.kind == WalkMedia.Kind.PHOTO:
        cleaned.content.seek(0)
        with Image.open(cleaned.content) as image:
            media.width, media.height = image.size
        cleaned.content.seek(0)
    media.file.save(
        media_path(token, "full", cleaned.extension), cleaned.content, save=False
    )
    try:
        with transaction.atomic():
            media.save()
    except IntegrityError:
        # The same upload, retried while the first was being processed.
        media.file.delete(save=False)
        return WalkMedia.objects.get(booking=booking, client_id=client_id), False
    if media.is_photo:
        from reports.tasks import make_photo_sizes

        media_pk = media.pk
        transaction.on_commit(lambda: make_photo_sizes.delay(media_pk))
    if phase == WalkMedia.Phase.UPDATE:
        signals.walk_update_posted.send(sender=WalkMedia, booking=booking, media=media)
    return media, True


def make_photo_sizes(media: WalkMedia) -> None:
    """Store the display size and the thumbnail of a stored photo."""
    for field_name, side, variant in (
        ("display", DISPLAY_SIDE, "display"),
        ("thumbnail", THUMBNAIL_SIDE, "thumb"),
    ):
        with media.file.open("rb") as source:
            resized = process_photo(source, max_side=side)
        getattr(media, field_name).save(
            media_path(media.token, variant, "jpg"), resized, save=False
        )
    media.save(update_fields=["display", "thumbnail"])


def can_start(booking: Booking, now: dt.datetime | None = None) -> bool:
    from walkers.access import access_notes_visible

    return booking.status == Booking.Status.CONFIRMED and access_notes_visible(
        booking, now
    )


def start_walk(
    booking: Booking,
    *,
    walker_user: Any,
    checklist: dict[str, Any],
    photo: File,
    latitude: Decimal | None,
    longitude: Decimal | None,
    now: dt.datetime | None = None,
    cleaned_photo: StoredContent | None = None,
) -> WalkStart:
    """Record the pick-up and its photo, then move the booking to "in progress".

    Raises ValidationError for a bad photo, and IllegalTransition when the
    booking changed meanwhile; nothing is stored in either case. Pass
    ``cleaned_photo`` when a form has already checked the photo.
    """
    now = now or timezone.now()
    distance = None
    if latitude is not None and longitude is not None:
        distance = round(
            distance_m(
                (float(latitude), float(longitude)),
                (float(booking.latitude), float(booking.longitude)),
            )
        )
    late_by = now - booking.starts_at
    with transaction.atomic():
        start = WalkStart.objects.create(
            booking=booking,
            handed_over=checklist["handed_over"],
            leash_checked=checklist["leash_checked"],
            id_tag_on=checklist["id_tag_on"],
            dog_condition=checklist["dog_condition"],
            latitude=latitude,
            longitude=longitude,
            distance_from_address_m=distance,
            minutes_late=int(late_by.total_seconds() // 60),
            started_late=late_by > LATE_START,
            started_far=distance is None
            or distance > settings.WALK_START_MAX_DISTANCE_M,
            started_at=now,
        )
        add_media(booking, photo, phase=WalkMedia.Phase.PICKUP, cleaned=cleaned_photo)
        booking.transition(
            Booking.Status.IN_PROGRESS, actor=walker_user, note="Pick-up checklist done"
        )
        signals.walk_started.send(sender=WalkStart, booking=booking, walk_start=start)
    logger.info(
        "Walk %s started: late=%s far=%s",
        booking.reference,
        start.started_late,
        start.started_far,
    )
    return start


@dataclass(frozen=True)
class TrackResult:
    stored: int
    dropped: int


def record_points(
    booking: Booking, points: list[tuple[dt.datetime, Decimal, Decimal, int | None]]
) -> TrackResult:
    """Store a batch of positions of a running walk, without impossible jumps.

    Points before the walk started, after it ended (with a short grace for a
    batch sent late), repeated, or too far from their neighbour are dropped.
    """
    started_at = booking.walk_start.started_at
    ended_at = _walk_end(booking)
    accepted_window = [
        point
        for point in points
        if point[0] >= started_at - dt.timedelta(minutes=1)
        and (ended_at is None or point[0] <= ended_at)
        and point[0] <= timezone.now() + dt.timedelta(minutes=1)
    ]
    stored = [
        Fix(at, float(lat), float(lng), stored=True)
        for at, lat, lng in TrackPoint.objects.filter(booking=booking).values_list(
            "recorded_at", "latitude", "longitude"
        )
    ]
    stored_times = {fix.at for fix in stored}
    new = {point[0]: point for point in accepted_window if point[0] not in stored_times}
    candidates = [Fix(at, float(p[1]), float(p[2])) for at, p in new.items()]
    max_speed = settings.GPS_MAX_SPEED_KMH / 3.6
    kept = [
        fix for fix in plausible_fixes(stored + candidates, max_speed) if not fix.stored
    ]
    rows = [
        TrackPoint(
            booking=booking,
            recorded_at=fix.at,
            latitude=new[fix.at][1],
            longitude=new[fix.at][2],
            accuracy_m=new[fix.at][3],
        )
        for fix in kept
    ]
    before = len(stored)
    jumps = len(candidates) - len(kept)
    with transaction.atomic():
        TrackPoint.objects.bulk_create(rows, ignore_conflicts=True)
        if jumps:
            WalkStart.objects.filter(booking=booking).update(
                gps_jumps_dropped=F("gps_jumps_dropped") + jumps
            )
    # bulk_create returns every row, stored or ignored, so count instead.
    added = TrackPoint.objects.filter(booking=booking).count() - before
    result = TrackResult(stored=added, dropped=len(points) - added)
    if result.dropped:
        logger.info(
            "Walk %s: %s GPS points stored, %s dropped, %s of them jumps",
            booking.reference,
            result.stored,
            result.dropped,
            jumps,
        )
    return result


def _walk_end(booking: Booking) -> dt.datetime | None:
    if booking.status == Booking.Status.IN_PROGRESS:
        return None
    report = WalkReport.objects.filter(booking=booking, filed_at__isnull=False).first()
    end = report.filed_at if report and report.filed_at else booking.updated_at
    return end + TRACK_GRACE


def trail_of(booking: Booking) -> list[tuple[float, float]]:
    return [
        (float(lat), float(lng))
        for lat, lng in booking.track_points.values_list("latitude", "longitude")
    ]


def trail_summary(booking: Booking) -> tuple[int, int]:
    """Return the trail's distance in metres and duration in seconds."""
    rows = list(
        booking.track_points.values_list("recorded_at", "latitude", "longitude")
    )
    if len(rows) < 2:
        return 0, 0
    length = trail_length_m([(float(lat), float(lng)) for _at, lat, lng in rows])
    duration = (rows[-1][0] - rows[0][0]).total_seconds()
    return round(length), round(duration)


def raise_emergency(
    booking: Booking,
    *,
    user: Any,
    latitude: Decimal | None,
    longitude: Decimal | None,
    located_at: dt.datetime | None = None,
) -> Incident:
    """Record an emergency and alert ops and the owner as soon as it commits.

    Without a position from the phone, the last point of the trail is used.
    """
    if latitude is None or longitude is None:
        last = booking.track_points.order_by("-recorded_at").first()
        if last is not None:
            latitude, longitude, located_at = (
                last.latitude,
                last.longitude,
                last.recorded_at,
            )
    with transaction.atomic():
        incident = Incident.objects.create(
            booking=booking,
            raised_by=user,
            latitude=latitude,
            longitude=longitude,
            located_at=located_at if latitude is not None else None,
        )
        from reports.tasks import send_emergency_alert

        incident_pk = incident.pk
        transaction.on_commit(
            lambda: send_emergency_alert.apply_async(
                args=(incident_pk,), queue="urgent"
            )
        )
        signals.emergency_raised.send(
            sender=Incident, booking=booking, incident=incident
        )
    logger.warning(
        "Emergency raised on walk %s: incident %s", booking.reference, incident.pk
    )
    return incident


def file_report(report: WalkReport, walker_user: Any) -> None:
    """File a complete report and complete the walk; IllegalTransition if it moved."""
    booking = report.booking
    distance, duration = trail_summary(booking)
    if not duration:
        duration = round(
            (timezone.now() - booking.walk_start.started_at).total_seconds()
        )
    with transaction.atomic():
        report.state = WalkReport.State.FILED
        report.filed_at = timezone.now()
        report.distance_m = distance
        report.duration_seconds = duration
        report.save()
        booking.transition(
            Booking.Status.COMPLETED, actor=walker_user, note="Walk report filed"
        )
        signals.report_filed.send(sender=WalkReport, booking=booking, report=report)
    logger.info("Walk %s report filed, %s m", booking.reference, distance)


def add_review(booking: Booking, *, rating: int, text: str, tip: int) -> Review:
    """Record the owner's review; IntegrityError if the walk already has one."""
    walker = booking.walker
    if walker is None:
        raise ValueError(f"Booking {booking.reference} has no walker to review")
    with transaction.atomic():
        review = Review.objects.create(
            booking=booking, walker=walker, rating=rating, text=text, tip=tip
        )
        signals.walk_reviewed.send(sender=Review, booking=booking, review=review)
    return review
