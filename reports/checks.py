from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


@register("pompygo", deploy=True)
def ops_phone_set(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Warn on deployment when the emergency page would list no ops number."""
    if settings.OPS_PHONE:
        return []
    return [
        Warning(
            "OPS_PHONE is empty, so a walker's emergency page lists no number "
            "for Pompy Go ops.",
            hint="Set OPS_PHONE to the ops phone line, e.g. +62 21 5550 1234.",
            id="pompygo.W001",
        )
    ]
