"""Local time in WIB (Asia/Jakarta): what "today" and "upcoming" mean here."""

import datetime as dt

from django.utils import timezone


def local_now() -> dt.datetime:
    return timezone.localtime(timezone.now())


def local_today() -> dt.date:
    return local_now().date()


def combine_local(day: dt.date, time: dt.time) -> dt.datetime:
    """Return the aware datetime of a WIB wall-clock date and time."""
    return timezone.make_aware(dt.datetime.combine(day, time))


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return the aware start of a WIB day and the start of the next one."""
    start = combine_local(day, dt.time.min)
    return start, start + dt.timedelta(days=1)
