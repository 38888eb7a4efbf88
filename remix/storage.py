"""Files shared by every app server and worker, through Django's storage API (django-storages).

Uploaded deliveries (alias ``consegne``), GeoPackage exports (alias ``exports``) and published rasters
(alias ``rasters``) are kept in a storage, not on one machine's disk: with ``make run`` a folder (the
``CONSEGNE_DIR`` / ``EXPORT_DIR`` / ``RASTER_DIR`` settings, read at each access so tests can point them
elsewhere), in production an S3-compatible object store (``REMIX_STORAGE=s3``, see remix/settings.py
and docs/operations.md). A process that needs a real file (GDAL, the zip reader) copies it into its
own scratch folder with :func:`fetch`; one that reads the same file again and again (MapServer, the
zonal statistics) keeps a copy per version with :func:`cached`. A storage that is a folder (local or
mounted) is read in place: nothing is copied.
"""

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.utils import validate_file_name
from django.utils.deconstruct import deconstructible

CONSEGNE = "consegne"
EXPORTS = "exports"
RASTERS = "rasters"
CACHE_MARK = "@"  # <stem>@<owner>@<version><suffix>: a cached copy of one version of a stored file
CACHE_KEEP = 2  # copies kept per file and owner: the current one and the one before


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


def local_path(alias: str, name: str) -> Path | None:
    """Where the stored file ``name`` is on this machine when the storage is a folder; None otherwise
    (an object store, or a storage marked ``remote = True``: e.g. a slow network folder)."""
    store = storages[alias]
    if getattr(store, "remote", False):
        return None
    try:
        return Path(store.path(name))
    except NotImplementedError:  # an object store: no path
        return None


def replace(alias: str, name: str, local: Path) -> None:
    """Store the local file ``local`` under exactly ``name``, replacing the file stored there.

    In a folder the new file is written beside the old one and renamed over it (readers see the old
    file or the new one, never half of one); in an object store it is one upload of a whole object
    (``file_overwrite``), or a delete then an upload for a storage that does not overwrite.
    """
    store = storages[alias]
    target = local_path(alias, name)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, local.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
            mode = getattr(store, "file_permissions_mode", None)
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return
    if not getattr(store, "file_overwrite", False) and store.exists(name):
        store.delete(name)
    stored = save(alias, name, local)
    if stored != name:  # another process stored the same name in between: theirs stays
        store.delete(stored)
        raise FileExistsError(f"{alias}/{name} was stored by another process meanwhile")


def cached(alias: str, name: str, owner: str, version: str, folder: Path) -> Path:
    """A file on this machine with the content of the stored file ``name`` at ``version``.

    A folder storage gives its own path (nothing copied). Otherwise the file is downloaded once into
    ``folder`` as ``<stem>@<owner>@<version><suffix>`` (written aside, then renamed, so concurrent
    readers never see half a file) and read from there until the version changes. ``owner`` (a layer,
    an ETL source) says whose version it is: of one owner's copies the current and the previous one
    are kept (a map loaded a moment ago may still draw from it), the older ones removed. The path
    returned does not exist when nothing is stored under ``name``.
    """
    own = local_path(alias, name)
    if own is not None:
        return own
    validate_file_name(name, allow_relative_path=True)
    stored = PurePosixPath(name)
    prefix = f"{stored.stem}{CACHE_MARK}{_safe(owner)}{CACHE_MARK}"
    target = folder.joinpath(*stored.parent.parts, f"{prefix}{_safe(version)}{stored.suffix}")
    if target.exists():
        return target
    store = storages[alias]
    if not store.exists(name):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, store.open(name, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    copies = [p for p in _copies(target.parent, stored) if p.name.startswith(prefix)]
    for old in sorted(copies, key=lambda p: p.stat().st_mtime, reverse=True)[CACHE_KEEP:]:
        old.unlink(missing_ok=True)
    return target


def forget(name: str, folder: Path) -> None:
    """Remove this machine's cached copies of the stored file ``name`` (after it was replaced here)."""
    stored = PurePosixPath(name)
    for old in _copies(folder.joinpath(*stored.parent.parts), stored):
        old.unlink(missing_ok=True)


def _safe(part: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(part))


def _copies(folder: Path, stored: PurePosixPath) -> list[Path]:
    if not folder.is_dir():
        return []
    prefix, suffix = f"{stored.stem}{CACHE_MARK}", stored.suffix
    return [p for p in folder.iterdir() if p.name.startswith(prefix) and p.name.endswith(suffix) and p.is_file()]


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
