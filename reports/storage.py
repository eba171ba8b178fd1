"""Where walk photos and videos are stored: never in the public media folder."""

from django.conf import settings
from django.core.files.storage import Storage, storages

from walkers.storage import PrivateStorage

# An entry of this name in STORAGES (for example django-storages' S3 backend
# with signed URLs) replaces the private folder for walk media.
STORAGE_ALIAS = "walk_media"


def walk_media_storage() -> Storage:
    if STORAGE_ALIAS in settings.STORAGES:
        return storages[STORAGE_ALIAS]
    return PrivateStorage()


def serves_local_files(storage: Storage) -> bool:
    """Tell whether files of this storage are read from the local disk."""
    return isinstance(storage, PrivateStorage)
