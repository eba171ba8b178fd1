"""Signals of the walk, for the apps that react to it (notifications).

Each is sent inside the transaction that made the change. A receiver that
queues work (a task, a message) must do it with ``transaction.on_commit``,
so nothing is queued for a change that rolls back. The emergency alert
email itself is sent by reports.tasks.send_emergency_alert, not through
these signals.
"""

from django.dispatch import Signal

# booking (now "in progress"), walk_start: the WalkStart with the pick-up
# checklist and the late and far flags.
walk_started = Signal()

# booking, media: a WalkMedia photo or video posted during the walk. Sent
# once per upload, not again when a retried upload is recognised.
walk_update_posted = Signal()

# booking, incident: the Incident that the walker's emergency button created.
emergency_raised = Signal()

# booking (now "completed"), report: the filed WalkReport.
report_filed = Signal()

# booking, review: the owner's Review with its rating and tip.
walk_reviewed = Signal()
