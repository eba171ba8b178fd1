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

# booking, walker: the assigned walker set off to the owner's address.
walker_on_the_way = Signal()
