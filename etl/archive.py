"""Keep the file each dataset version was loaded from, and restore a version from that copy."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from . import conf
from .errors import EtlError
from .models import DatasetVersion
from .sources import Source


class RestoreError(EtlError, LookupError):
    """The asked version does not exist or its archived copy is gone."""


def keep(source: Source, record: DatasetVersion, path: Path | None) -> None:
    """Copy (hard-link when possible) the loaded file under the archive, content-addressed."""
    if path is None or not path.is_file():
        return
    folder = Path(conf.ETL_ARCHIVE_DIR) / source.id / record.checksum[:16]
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / path.name
    if not copy.exists():
        try:
            os.link(path, copy)
        except OSError:
            shutil.copy2(path, copy)
    record.archive = str(copy)
    record.save(update_fields=["archive"])


def restore(source: Source, version: int, run_by: str = "cli"):
    """Load again the archived copy of ``version``; the result is a new version marked restored."""
    from . import pipeline

    try:
        old = DatasetVersion.objects.get(source_id=source.id, version=version)
    except DatasetVersion.DoesNotExist:
        raise RestoreError(f"«{source.id}» non ha una versione {version}.") from None
    if not old.archive or not Path(old.archive).is_file():
        raise RestoreError(f"La copia archiviata della versione {version} di «{source.id}» non è disponibile.")
    return pipeline.run(source, location=old.archive, run_by=run_by, force=True, restored_from=version)
