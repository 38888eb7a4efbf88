"""Restore a dataset version from the copy of its file the load kept (``pipeline._keep_archive``)."""

from __future__ import annotations

from pathlib import Path

from . import pipeline
from .declarations import Source
from .errors import EtlError
from .models import DatasetVersion


class RestoreError(EtlError, LookupError):
    """The asked version does not exist or its archived copy is gone."""


def restore(source: Source, version: int, run_by: str = "cli"):
    """Load again the archived copy of ``version``; the result is a new version marked restored."""
    try:
        old = DatasetVersion.objects.get(source_id=source.id, version=version)
    except DatasetVersion.DoesNotExist:
        raise RestoreError(f"«{source.id}» non ha una versione {version}.") from None
    if not old.archive or not Path(old.archive).is_file():
        raise RestoreError(f"La copia archiviata della versione {version} di «{source.id}» non è disponibile.")
    return pipeline.run(source, location=old.archive, run_by=run_by, force=True, restored_from=version)
