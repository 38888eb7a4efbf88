"""Retention of uploaded files: the file of a delivery that ended without becoming a PGT version
(non valida, errore interno, rinviata) is deleted ``CONSEGNE_RETENTION_DAYS`` after it ended.

Only the file goes: the delivery row, its report, findings and audit entries stay, and the row is
marked ``purged_at`` so its pages say the file is no longer available. Published deliveries keep
their file (the source of a PGT version); deliveries still queued, validating or in review are never
touched. Files outside ``CONSEGNE_DIR`` are never deleted. Each run that is not a dry run appends one
audit entry (``eliminazione_file``). The job system runs it daily (``consegne.tasks.purge_delivery_files``);
``manage.py consegne purge`` runs it by hand.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from remix import storage

from . import audit, conf
from .models import Consegna

log = logging.getLogger(__name__)

AUDIT_ACTION = "eliminazione_file"


@dataclass
class PurgeResult:
    cutoff: datetime
    dry_run: bool
    purged: list[int] = field(default_factory=list)  # deliveries whose file was (or, dry run, would be) deleted
    bytes: int = 0
    outside: list[int] = field(default_factory=list)  # stored outside CONSEGNE_DIR: left alone
    errors: dict[int, str] = field(default_factory=dict)


def retention_days() -> int:
    return conf.CONSEGNE_RETENTION_DAYS


def candidates(cutoff: datetime) -> QuerySet[Consegna]:
    """Deliveries that ended without a version before ``cutoff`` and still have their file.

    A delivery ends when its validation finishes (non valida, errore interno) or when it is sent back.
    """
    return (
        Consegna.objects.filter(state__in=Consegna.ENDED_WITHOUT_VERSION, purged_at__isnull=True)
        .annotate(ended=Coalesce("reviewed_at", "finished_at", "created_at"))
        .filter(ended__lt=cutoff)
        .order_by("id")
    )


def _stored_name(stored: str, root: Path) -> str | None:
    """The delivery's name in the deliveries' storage; None for a file kept anywhere else.

    Rows written before the storage hold an absolute path: inside ``CONSEGNE_DIR`` it is the same file.
    """
    path = Path(stored)
    if path.is_absolute():
        if not path.resolve().is_relative_to(root.resolve()):
            return None
        return path.resolve().relative_to(root.resolve()).as_posix()
    return None if ".." in PurePosixPath(stored).parts else stored


def _remove_empty_folder(files, name: str) -> None:
    """The delivery's own folder (<istat>/<uuid>) on a filesystem storage, if now empty."""
    parent = PurePosixPath(name).parent
    if parent == PurePosixPath("."):
        return
    with contextlib.suppress(NotImplementedError, OSError):  # object stores have no folders
        Path(files.path(str(parent))).rmdir()


def purge(days: int | None = None, dry_run: bool = False) -> PurgeResult:
    """Delete the files of the deliveries :func:`candidates` finds ``days`` (default: the setting) ago."""
    days = retention_days() if days is None else days
    now = timezone.now()
    result = PurgeResult(cutoff=now - timedelta(days=days), dry_run=dry_run)
    root = Path(conf.CONSEGNE_DIR)
    for pk in candidates(result.cutoff).values_list("pk", flat=True):
        _purge_one(pk, root, now, result)
    if not dry_run:
        audit.record(
            None,
            AUDIT_ACTION,
            None,
            giorni=days,
            prima_del=result.cutoff.isoformat(),
            consegne=result.purged,
            byte=result.bytes,
            fuori_cartella=result.outside,
            errori={str(k): v for k, v in result.errors.items()},
        )
    return result


def _purge_one(pk: int, root: Path, now: datetime, result: PurgeResult) -> None:
    """One delivery: lock its row (a concurrent run skips it), delete the file, mark the row, together."""
    with transaction.atomic():
        consegna = (
            Consegna.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, state__in=Consegna.ENDED_WITHOUT_VERSION, purged_at__isnull=True)
            .first()
        )
        if consegna is None:
            return
        name = _stored_name(consegna.stored_path, root)
        if name is None:
            result.outside.append(pk)
            return
        files = storage.get(storage.CONSEGNE)
        try:
            size = files.size(name) if files.exists(name) else 0
            if not result.dry_run:
                files.delete(name)
        except OSError as err:  # e.g. a folder without permission: reported, the other deliveries go on
            log.warning("consegna %s: file %s not deleted: %s", pk, name, err)
            result.errors[pk] = str(err)
            return
        if not result.dry_run:
            _remove_empty_folder(files, name)
            consegna.purged_at = now
            consegna.save(update_fields=["purged_at"])
        result.purged.append(pk)
        result.bytes += size
