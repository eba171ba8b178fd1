"""Storage for the walkers' private documents, outside the public media folder."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


def private_media_root() -> Path:
    default = Path(settings.BASE_DIR) / "private_media"
    return Path(getattr(settings, "PRIVATE_MEDIA_ROOT", default))


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files that have no public URL: only the staff document view reads them.

    The folder is read from PRIVATE_MEDIA_ROOT on each use, so a test can
    point it at a temporary folder. It must not lie inside MEDIA_ROOT, which
    the web server publishes.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    @property
    def base_location(self) -> Path:
        return private_media_root()

    @property
    def location(self) -> str:
        return str(private_media_root().resolve())

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Private documents have no URL; use the staff view.")
