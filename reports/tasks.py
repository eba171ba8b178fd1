import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from reports import services
from reports.models import Incident, WalkMedia

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def make_photo_sizes(media_id: int) -> None:
    """Make the display size and the thumbnail of an uploaded walk photo."""
    media = WalkMedia.objects.filter(pk=media_id, kind=WalkMedia.Kind.PHOTO).first()
    if media is None:
        logger.info("Walk photo %s is gone; no sizes made", media_id)
        return
    if media.thumbnail:
        return
    try:
        services.make_photo_sizes(media)
    except (ValidationError, FileNotFoundError):
        # The stored file passed the same checks, so this means it was lost.
        logger.exception("Walk photo %s could not be resized", media_id)
        return
    logger.info("Walk photo %s resized", media_id)


@shared_task(
    acks_late=True,
    soft_time_limit=25,
    time_limit=30,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=10,
)
def send_emergency_alert(incident_id: int) -> None:
    """Email ops and the owner about an emergency on a walk, once."""
    incident = (
        Incident.objects.select_related("booking__owner", "booking__walker__user")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        logger.info("Incident %s is gone; no alert sent", incident_id)
        return
    if incident.alert_sent_at is not None:
        logger.info("Incident %s alert already sent", incident_id)
        return
    booking = incident.booking
    context = {
        "incident": incident,
        "booking": booking,
        "dogs": list(booking.dogs.all()),
        "walker": booking.walker,
        "site_url": settings.SITE_URL,
        "live_url": settings.SITE_URL
        + reverse("reports:walk", args=[booking.reference]),
        "admin_url": settings.SITE_URL
        + reverse("admin:reports_incident_change", args=[incident.pk]),
    }
    owner = booking.owner
    # NOTE: when the owner's email fails after the ops email went out, the
    # retry sends the ops email again. A repeated alert is better than none.
    for recipients, language, audience in (
        (list(settings.OPS_ALERT_EMAILS), "en", "ops"),
        ([owner.email], owner.language, "owner"),
    ):
        with translation.override(language):
            context["audience"] = audience
            subject = render_to_string(
                "reports/email/emergency_subject.txt", context
            ).strip()
            text = render_to_string("reports/email/emergency.txt", context)
            html = render_to_string("reports/email/emergency.html", context)
        send_mail(subject, text, None, recipients, html_message=html)
    Incident.objects.filter(pk=incident.pk).update(alert_sent_at=timezone.now())
    logger.warning(
        "Emergency alert sent for incident %s on walk %s",
        incident.pk,
        booking.reference,
    )
