"""Files shared by every app server and worker, through Django's storage API (django-storages).

Uploaded deliveries (alias ``consegne``) and GeoPackage exports (alias ``exports``) are kept in a
storage, not on one machine's disk: with ``make run`` a folder (the ``CONSEGNE_DIR`` / ``EXPORT_DIR``
settings, read at each access so tests can point them elsewhere), in production an S3-compatible
object store (``REMIX_STORAGE=s3``, see remix/settings.py and docs/operations.md). A process that
needs a real file (GDAL, the zip reader) copies it into its own scratch folder with :func:`fetch`.
"""

import os
import shutil
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.utils.deconstruct import deconstructible

CONSEGNE = "consegne"
EXPORTS = "exports"


@deconstructible(path="remix.storage.SettingFileSystemStorage")
class SettingFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage whose folder is ``settings.REMIX[setting]``, looked up at each access."""

    def __init__(self, setting: str, **kwargs):
        self.setting = setting
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return str(settings.REMIX[self.setting])

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def get(alias: str):
    return storages[alias]


def save(alias: str, name: str, local: Path) -> str:
    """Store the local file ``local`` under ``name`` (or a free variant of it); returns the stored name."""
    with local.open("rb") as fh:
        return storages[alias].save(name, File(fh, name=PurePosixPath(name).name))


def fetch(alias: str, name: str, folder: Path) -> Path:
    """Copy the stored file ``name`` into ``folder`` (this process' own disk); returns the local path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / PurePosixPath(name).name
    with storages[alias].open(name, "rb") as src, target.open("wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
    return target


def s3_options(prefix: str) -> dict:
    """OPTIONS of django-storages' S3Storage for one kind of file (a key prefix in one bucket)."""
    options = {
        "bucket_name": os.environ.get("REMIX_S3_BUCKET", "remix"),
        "location": prefix,
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
    }
    for option, variable in (
        ("endpoint_url", "REMIX_S3_ENDPOINT_URL"),
        ("region_name", "REMIX_S3_REGION"),
        ("access_key", "REMIX_S3_ACCESS_KEY"),
        ("secret_key", "REMIX_S3_SECRET_KEY"),
    ):
        if os.environ.get(variable):
            options[option] = os.environ[variable]
    return options
