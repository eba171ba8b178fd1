"""Signal receivers that turn booking and walk events into messages.

Each runs inside the sender's transaction and records its messages there
(notify() queues the sending on commit), so a change that rolls back sends
nothing. The event key names the occurrence: an event sent twice for the
same occurrence records its messages once.
"""

import datetime as dt
import importlib
import logging
from typing import Any

from django.apps import apps
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import User
from bookings import signals as booking_signals
from bookings.models import Booking, Offer
from notifications.models import Event, Message
from notifications.services import Occurrence, notify, notify_many, ops_users

logger = logging.getLogger(__name__)


def _walker_user(booking: Booking) -> Any:
    return booking.walker.user if booking.walker_id and booking.walker else None


def on_booking_created(sender: Any, booking: Booking, **kwargs: Any) -> None:
    if booking.is_series_follow_up:
        return
    notify(
        Event.BOOKING_RECEIVED,
        f"{Event.BOOKING_RECEIVED}:{booking.pk}",
        [booking.owner],
        booking=booking,
    )


def on_walker_assigned(
    sender: Any, booking: Booking, walker: Any, **kwargs: Any
) -> None:
    notify(
        Event.WALKER_ASSIGNED,
        f"{Event.WALKER_ASSIGNED}:{booking.pk}:{walker.pk}",
        [booking.owner, walker.user],
        booking=booking,
    )


def on_walkers_assigned(
    sender: Any, pairs: list[tuple[Booking, Any]], **kwargs: Any
) -> None:
    # The batch assigns hundreds of walks at once: the owners' and the
    # walkers' accounts come in one query rather than two per booking.
    users = User.objects.in_bulk(
        {booking.owner_id for booking, _walker in pairs}
        | {walker.user_id for _booking, walker in pairs}
    )
    notify_many(
        Event.WALKER_ASSIGNED,
        [
            Occurrence(
                f"{Event.WALKER_ASSIGNED}:{booking.pk}:{walker.pk}",
                [users.get(booking.owner_id), users.get(walker.user_id)],
                booking,
            )
            for booking, walker in pairs
        ],
    )


def on_status_changed(
    sender: Any, booking: Booking, to_status: str, **kwargs: Any
) -> None:
    if to_status != Booking.Status.CANCELLED:
        return
    notify(
        Event.BOOKING_CANCELLED,
        f"{Event.BOOKING_CANCELLED}:{booking.pk}",
        [booking.owner, _walker_user(booking)],
        booking=booking,
    )


def on_walker_on_the_way(sender: Any, booking: Booking, **kwargs: Any) -> None:
    notify(
        Event.WALKER_ON_THE_WAY,
        f"{Event.WALKER_ON_THE_WAY}:{booking.pk}",
        [booking.owner],
        booking=booking,
    )


def on_walk_started(sender: Any, booking: Booking, **kwargs: Any) -> None:
    notify(
        Event.WALK_STARTED,
        f"{Event.WALK_STARTED}:{booking.pk}",
        [booking.owner],
        booking=booking,
    )


# A walker may post a photo every few minutes; the owner follows them all
# on the live page, so messages about them are spaced at least this far.
WALK_UPDATE_SPACING = dt.timedelta(minutes=10)


def on_walk_update_posted(
    sender: Any, booking: Booking, media: Any, **kwargs: Any
) -> None:
    recent = Message.objects.filter(
        booking=booking,
        event=Event.WALK_UPDATE,
        created_at__gt=timezone.now() - WALK_UPDATE_SPACING,
    )
    if recent.exists():
        logger.info(
            "Walk update %s on booking %s: owner was told less than %s ago",
            media.pk,
            booking.pk,
            WALK_UPDATE_SPACING,
        )
        return
    notify(
        Event.WALK_UPDATE,
        f"{Event.WALK_UPDATE}:{booking.pk}:{media.pk}",
        [booking.owner],
        booking=booking,
        context={"caption": getattr(media, "caption", "")},
    )


def on_emergency_raised(
    sender: Any, booking: Booking, incident: Any, **kwargs: Any
) -> None:
    notify(
        Event.EMERGENCY,
        f"{Event.EMERGENCY}:{booking.pk}:{incident.pk}",
        [booking.owner, *ops_users()],
        booking=booking,
    )


def on_report_filed(sender: Any, booking: Booking, **kwargs: Any) -> None:
    notify(
        Event.REPORT_READY,
        f"{Event.REPORT_READY}:{booking.pk}",
        [booking.owner],
        booking=booking,
    )


def on_offer_sent(sender: Any, offer: Any, **kwargs: Any) -> None:
    expires_at = getattr(offer, "expires_at", None)
    notify(
        Event.OFFER_SENT,
        f"{Event.OFFER_SENT}:{offer.pk}",
        [offer.walker.user],
        booking=offer.booking,
        context={"expires_at": expires_at.isoformat() if expires_at else ""},
    )


def on_offer_expired(sender: Any, offer: Any, **kwargs: Any) -> None:
    notify(
        Event.OFFER_EXPIRED,
        f"{Event.OFFER_EXPIRED}:{offer.pk}",
        [offer.walker.user],
        booking=offer.booking,
    )


def on_offers_withdrawn(
    sender: Any, offer_ids: list[int], reason: str, **kwargs: Any
) -> None:
    offers = Offer.objects.filter(pk__in=offer_ids).select_related(
        "walker__user", "booking"
    )
    notify_many(
        Event.OFFER_WITHDRAWN,
        [
            Occurrence(
                f"{Event.OFFER_WITHDRAWN}:{offer.pk}",
                [offer.walker.user],
                offer.booking,
                {"reason": reason},
            )
            for offer in offers
        ],
    )


def on_booking_escalated(sender: Any, booking: Booking, **kwargs: Any) -> None:
    # The same key as the periodic check in tasks.escalate_to_ops, so ops
    # hear of one unmatched booking once.
    notify(
        Event.UNMATCHED_BOOKING,
        f"{Event.UNMATCHED_BOOKING}:{booking.pk}",
        ops_users(),
        booking=booking,
        context={"reason": str(kwargs.get("reason", ""))[:200]},
    )


BOOKING_RECEIVERS = {
    "booking_created": on_booking_created,
    "walker_assigned": on_walker_assigned,
    "walkers_assigned": on_walkers_assigned,
    "booking_status_changed": on_status_changed,
    "walker_on_the_way": on_walker_on_the_way,
    "booking_escalated": on_booking_escalated,
    "offer_sent": on_offer_sent,
    "offer_expired": on_offer_expired,
    "offers_withdrawn": on_offers_withdrawn,
}

WALK_RECEIVERS = {
    "walk_started": on_walk_started,
    "walk_update_posted": on_walk_update_posted,
    "emergency_raised": on_emergency_raised,
    "report_filed": on_report_filed,
}


def _connect(module: Any, receivers: dict[str, Any]) -> None:
    for name, receiver in receivers.items():
        signal = getattr(module, name, None)
        if isinstance(signal, Signal):
            signal.connect(receiver, dispatch_uid=f"notifications.{name}")


def connect_all() -> None:
    """Connect to the booking signals, and to the walk app's when installed."""
    _connect(booking_signals, BOOKING_RECEIVERS)
    if apps.is_installed("reports"):
        _connect(importlib.import_module("reports.signals"), WALK_RECEIVERS)
