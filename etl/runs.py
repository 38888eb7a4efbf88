"""What a load run returns and the version it records: shared by the pipeline and the raster load.

Kept apart from ``etl.pipeline`` so that the steps the pipeline calls (``etl.rasters``) can build
their result without importing the pipeline back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import DatasetVersion


@dataclass
class RunResult:
    """What a run did, for the CLI summary and the callers' tests."""

    source_id: str
    status: str
    version: int | None = None
    read: int = 0
    loaded: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    duration_s: float = 0.0
    rejects: list[tuple[int, str]] = field(default_factory=list)
    note: str = ""


def next_version(source_id: str) -> int:
    """The version number the next load of ``source_id`` records (one more than the latest)."""
    latest = (
        DatasetVersion.objects.filter(source_id=source_id, version__isnull=False)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return (latest or 0) + 1
