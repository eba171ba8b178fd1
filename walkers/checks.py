"""A start-up check that the private documents cannot end up public."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from walkers.storage import private_media_root


@register()
def private_media_outside_media_root(
    app_configs: Any, **kwargs: Any
) -> list[CheckMessage]:
    private = private_media_root().resolve()
    public = Path(settings.MEDIA_ROOT).resolve()
    if private == public or public in private.parents:
        return [
            Error(
                f"PRIVATE_MEDIA_ROOT ({private}) is inside MEDIA_ROOT ({public}), "
                "which the web server publishes.",
                hint="Point PRIVATE_MEDIA_ROOT at a folder outside MEDIA_ROOT.",
                id="walkers.E001",
            )
        ]
    return []
