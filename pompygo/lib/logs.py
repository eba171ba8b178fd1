"""Logging filters used by the LOGGING setting."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404


class WithoutExpectedTracebacks(logging.Filter):
    """Drop the traceback from a log record of a 403 or 404 response.

    django.request logs a denied permission with its traceback, which in a
    busy log hides the line that matters: the path and the status.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(
            record.exc_info[1], PermissionDenied | Http404
        ):
            record.exc_info = None
            record.exc_text = None
        return True
