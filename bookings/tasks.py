import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from bookings.models import Booking

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def send_booking_received(booking_id: int) -> None:
    """Email the owner that their booking request arrived."""
    booking = (
        Booking.objects.select_related("owner", "service", "area")
        .prefetch_related("dogs")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        logger.info("Booking %s is gone; no confirmation email sent", booking_id)
        return
    owner = booking.owner
    with translation.override(owner.language):
        context = {"booking": booking, "owner": owner, "site_url": settings.SITE_URL}
        subject = render_to_string(
            "bookings/email/received_subject.txt", context
        ).strip()
        text = render_to_string("bookings/email/received.txt", context)
        html = render_to_string("bookings/email/received.html", context)
    send_mail(subject, text, None, [owner.email], html_message=html)
    logger.info("Booking received email sent for booking %s", booking.reference)
