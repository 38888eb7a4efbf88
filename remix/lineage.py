"""The dataset versions the ETL recorded, handed to the layer registry (layers may not import etl).

Named in REMIX["DATASET_LINEAGE"]; `layers sync` uses it to give a newly declared layer the
lineage of data loaded before the layer existed.
"""

from etl.models import DatasetVersion


def versions(dataset_id: str, limit: int = 50) -> list[dict]:
    """Loaded (or restored) versions of one ETL source, oldest first, shaped like registry.dataset_loaded's
    entries; a restored version names the version it brought back (``restored_from``)."""
    statuses = [DatasetVersion.Status.LOADED, DatasetVersion.Status.RESTORED]
    rows = DatasetVersion.objects.filter(source_id=dataset_id, status__in=statuses, version__isnull=False).order_by(
        "-version"
    )[:limit]
    return [
        {
            "dataset": dataset_id,
            "version": v.version,
            "loaded_at": (v.finished_at or v.started_at).isoformat(),
            **v.lineage_facts(),
        }
        for v in reversed(rows)
    ]
