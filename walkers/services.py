"""Walker workflows that touch several models: applying and suspending."""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from walkers.models import WalkerDocument, WalkerProfile

logger = logging.getLogger(__name__)


def submit_application(user: User, form: Any, pattern: Any) -> WalkerProfile:
    """Create the walker profile, documents and weekly pattern from valid forms."""
    data = form.cleaned_data
    with transaction.atomic():
        user.first_name = data["first_name"]
        user.last_name = data["last_name"]
        user.phone = data["phone"]
        user.role = User.Role.WALKER
        user.save(update_fields=["first_name", "last_name", "phone", "role"])
        walker = form.save(commit=False)
        walker.user = user
        district = data["home_district"]
        walker.home_latitude, walker.home_longitude = (
            district.latitude,
            district.longitude,
        )
        photo = data.get("profile_photo")
        if photo:
            walker.photo.save("photo.jpg", photo, save=False)
        walker.save()
        form.save_m2m()
        pattern.save(walker)
        for kind, field in (
            (WalkerDocument.Kind.KTP, "ktp_photo"),
            (WalkerDocument.Kind.SKCK, "skck"),
        ):
            content, content_type = data[field]
            add_document(walker, kind, content, content_type)
    logger.info("Walker application %s submitted by user %s", walker.pk, user.pk)
    return walker


def add_document(
    walker: WalkerProfile, kind: str, content: Any, content_type: str
) -> WalkerDocument:
    document = WalkerDocument(
        walker=walker, kind=kind, content_type=content_type, size=content.size
    )
    document.file.save("document", content, save=False)
    document.save()
    return document


def suspend(walker: WalkerProfile, actor: Any, reason: str = "") -> list[Any]:
    """Take the walker off all future bookings; return the bookings that lost them.

    The bookings go back to "requested" through the booking's own transition,
    which records who did it, so ops find them in the queue of bookings that
    need a walker.
    """
    from bookings.models import Booking, IllegalTransition

    walker.is_active = False
    walker.suspended_reason = reason[:255]
    walker.save(update_fields=["is_active", "suspended_reason"])
    released = []
    future = Booking.objects.filter(
        walker=walker, status=Booking.Status.CONFIRMED, starts_at__gt=timezone.now()
    )
    note = _("Walker suspended: %(walker)s needs a replacement") % {"walker": walker}
    for booking in future:
        try:
            booking.transition(
                Booking.Status.REQUESTED, actor=actor, note=note, walker=None
            )
        except IllegalTransition:
            logger.info(
                "Booking %s changed while suspending walker %s",
                booking.reference,
                walker.pk,
            )
            continue
        released.append(booking)
    logger.info(
        "Walker %s suspended by user %s; %s bookings released",
        walker.pk,
        actor.pk,
        len(released),
    )
    return released


def reactivate(walker: WalkerProfile) -> None:
    walker.is_active = True
    walker.suspended_reason = ""
    walker.save(update_fields=["is_active", "suspended_reason"])
