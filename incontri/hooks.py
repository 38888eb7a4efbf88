"""After an ETL load: recompute what depends on the loaded data (zonal statistics, area context)."""

from __future__ import annotations

import logging

from layers.models import Layer

log = logging.getLogger(__name__)


def source_loaded(*, source, version, **_) -> None:
    """Receiver of ``etl.signals.source_loaded``: refresh the statistics the new version made stale.

    Plain functions: the jobs queue can run :func:`incontri.zonal.refresh` and
    :func:`incontri.context.refresh` the same way (``manage.py incontri refresh``).
    """
    from django.conf import settings

    from . import context, zonal

    if not settings.REMIX.get("INCONTRI_REFRESH_ON_LOAD", True):
        return  # e.g. a benchmark of the bare load; `manage.py incontri refresh` catches up
    slugs = set(Layer.objects.filter(dataset_id=source.id).values_list("slug", flat=True))
    if not slugs:
        return
    try:
        done = zonal.refresh()
        done += [("context", k, n) for k, n in context.refresh()]
    except Exception:  # a failed analysis must not fail the load that already committed
        log.exception("incontri: refresh after loading %s failed", source.id)
        return
    for what, area_set, n in done:
        log.info("incontri: %s over %s recomputed (%d areas) after loading %s", what, area_set, n, source.id)
