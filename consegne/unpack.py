"""Safe unpacking of an uploaded delivery: every hostile archive is refused before anything is written.

Zip entries are checked from the central directory (names, symlinks, nested archives, types) and
then decompressed with a running byte count, so a zip bomb is stopped by what it really expands
to, not by what its headers claim.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from . import conf
from .errors import MESSAGES, UploadRejected

SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg"}
# Side files GIS tools write next to a shapefile; PDF "schede" may travel with the delivery.
HARMLESS = {".qix", ".sbn", ".sbx", ".xml", ".qmd", ".qml", ".sld", ".pdf", ".txt"}
ARCHIVES = {".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".gpkg", ".kmz"}
MAX_ENTRIES = 500
SQLITE_MAGIC = b"SQLite format 3\x00"
CHUNK = 1 << 20


def kind_of(name: str) -> str:
    """'zip' or 'gpkg' from the uploaded file name; anything else is refused."""
    suffix = Path(name).suffix.lower()
    if suffix == ".zip":
        return "zip"
    if suffix == ".gpkg":
        return "gpkg"
    raise UploadRejected(MESSAGES["bad_extension"])


def check_size(size: int) -> None:
    limit = conf.CONSEGNE_MAX_UPLOAD_MB
    if size > limit * 1024 * 1024:
        raise UploadRejected(MESSAGES["too_big"] % {"limit": limit})


def check_gpkg(path: Path) -> None:
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise UploadRejected(MESSAGES["corrupt_gpkg"])


def _check_name(info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise UploadRejected(MESSAGES["traversal"] % {"name": name})
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UploadRejected(MESSAGES["symlink"] % {"name": name})
    if info.is_dir():
        return
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in ARCHIVES:
        raise UploadRejected(MESSAGES["nested"] % {"name": name})
    if suffix not in SHAPEFILE_PARTS | HARMLESS:
        raise UploadRejected(MESSAGES["foreign_file"] % {"name": name})


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise UploadRejected(MESSAGES["corrupt_zip"]) from err


def inspect_zip(path: Path) -> list[zipfile.ZipInfo]:
    """Check every entry of the archive; return the shapefile parts to extract."""
    max_total = conf.CONSEGNE_MAX_UNPACKED_MB * 1024 * 1024
    ratio = conf.CONSEGNE_MAX_RATIO
    with _open(path) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise UploadRejected(MESSAGES["too_many"] % {"count": len(infos)})
        for info in infos:
            _check_name(info)
        declared = sum(i.file_size for i in infos)
        compressed = sum(i.compress_size for i in infos) or 1
        if declared > max_total or (declared > CHUNK * 10 and declared / compressed > ratio):
            raise UploadRejected(MESSAGES["bomb"] % {"limit": max_total // CHUNK})
        parts = [i for i in infos if not i.is_dir() and PurePosixPath(i.filename).suffix.lower() in SHAPEFILE_PARTS]
        names = [_flat_name(i) for i in parts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:  # the same layer in two folders: which one is meant cannot be guessed
            raise UploadRejected(MESSAGES["duplicate_file"] % {"name": twice[0]})
        if not any(i.filename.lower().endswith(".shp") for i in parts):
            raise UploadRejected(MESSAGES["empty"])
        # Decompress once, counting real bytes: a lying header or a corrupt member shows up here.
        _drain(archive, parts, max_total)
    return parts


def _drain(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], max_total: int) -> None:
    total = 0
    try:
        for info in parts:
            with archive.open(info) as member:
                while chunk := member.read(CHUNK):
                    total += len(chunk)
                    if total > max_total:
                        raise UploadRejected(MESSAGES["bomb"] % {"limit": max_total // CHUNK})
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as err:
        raise UploadRejected(MESSAGES["corrupt_zip"]) from err


def _flat_name(info: zipfile.ZipInfo) -> str:
    return PurePosixPath(info.filename.replace("\\", "/")).name.lower()


def extract(path: Path, dest: Path) -> Path:
    """Extract the shapefile parts of an inspected archive flat into ``dest`` (names lower-cased)."""
    parts = inspect_zip(path)
    dest.mkdir(parents=True, exist_ok=True)
    with _open(path) as archive:
        for info in parts:
            target = dest / _flat_name(info)
            with archive.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
    return dest
