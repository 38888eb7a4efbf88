"""After an ETL load: recompute what depends on the loaded data (zonal statistics, area context)."""

from __future__ import annotations

import logging

from layers.models import Layer

log = logging.getLogger(__name__)


def source_loaded(*, source, version, **_) -> None:
    """Receiver of ``etl.signals.source_loaded``: refresh the analyses the new version made stale.

    Only what reads the loaded source is recomputed (a raster: its statistics; areas: theirs and their
    context; stations, LUM, Rete Verde, farmland, interventions: the context). Plain functions, so the
    jobs queue can run them the same way (``manage.py incontri refresh``).
    """
    from django.conf import settings

    from . import context, zonal

    if not settings.REMIX.get("INCONTRI_REFRESH_ON_LOAD", True):
        return  # `manage.py incontri refresh` or the first read catches up (incontri.freshness)
    layers = list(Layer.objects.filter(dataset_id=source.id))
    if not layers:
        return
    slugs = {layer.slug for layer in layers}
    try:
        done = []
        rasters = [layer.slug for layer in layers if layer.kind == Layer.Kind.RASTER]
        area_sets = [s.code for s in zonal.area_sets() if s.layer in slugs]
        if rasters:
            done += zonal.refresh(rasters=rasters)
        if area_sets:
            done += zonal.refresh(sets=area_sets)
        if slugs & set(context.versions()):
            done += [("context", k, n) for k, n in context.refresh()]
    except Exception:  # a failed analysis must not fail the load that already committed
        log.exception("incontri: refresh after loading %s failed", source.id)
        return
    for what, area_set, n in done:
        log.info("incontri: %s over %s recomputed (%d areas) after loading %s", what, area_set, n, source.id)
