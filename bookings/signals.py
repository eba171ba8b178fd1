"""Signals of the booking lifecycle, for the apps that react to it.

Each is sent inside the transaction that made the change. A receiver that
queues work (a task, a message) must do it with ``transaction.on_commit``,
so nothing is queued for a change that rolls back.
"""

from django.dispatch import Signal

# booking: the new Booking, with its dogs set.
booking_created = Signal()

# booking, from_status, to_status, actor (a User, or None for the system).
booking_status_changed = Signal()

# booking, walker (a WalkerProfile), actor: sent for a first assignment and
# for a change of walker.
walker_assigned = Signal()

# pairs (a list of (booking, walker)), actor: bookings assigned together by
# services.assign_walkers in one transaction. Sent in place of
# walker_assigned for each booking, so that receivers work in bulk. A
# receiver of walker_assigned must receive this one too.
walkers_assigned = Signal()

# booking, walker: the assigned walker set off to the owner's address.
walker_on_the_way = Signal()

# Matching. ``offer`` is a bookings.models.Offer with its booking and walker.

# offer: a new offer, sent to offer.walker, open until offer.expires_at.
offer_sent = Signal()

# offer: an offer that was not answered in time; the next candidate, if any,
# gets an offer of its own.
offer_expired = Signal()

# offer_ids, reason ("cancelled", "taken" or "busy"): open offers closed
# because the booking was cancelled, another walker was assigned to it, or
# its walker was assigned a walk at a clashing time.
offers_withdrawn = Signal()

# offer, booking, walker: the walker accepted and is now assigned to the
# booking. walker_assigned is sent as well, inside the same transaction.
offer_accepted = Signal()

# booking, reason (a BookingMatch.Reason value: "declines", "starts_soon" or
# "no_candidates"): the matching cannot place the booking and it is now in
# the ops queue for a person to assign. Sent once per escalation.
booking_escalated = Signal()
