"""After an ETL load: queue the recomputation of what depends on the loaded data (zonal statistics,
area context), so the load itself stays fast."""

from __future__ import annotations

import logging

from layers.models import Layer

from . import conf

log = logging.getLogger(__name__)


def concerns(source) -> bool:
    """True when the loaded source feeds an analysis: a raster layer, an area set or a context input."""
    from . import context, zonal

    layers = list(Layer.objects.filter(dataset_id=source.id))
    slugs = {layer.slug for layer in layers}
    return bool(
        any(layer.kind == Layer.Kind.RASTER for layer in layers)
        or any(s.layer in slugs for s in zonal.area_sets())
        or slugs & set(context.versions())
    )


def source_loaded(*, source, version, **_) -> None:
    """Receiver of ``etl.signals.source_loaded``: defer one background refresh (``incontri.tasks``).

    The job recomputes only the pairs whose data versions moved on; ``manage.py incontri refresh`` runs
    the same synchronously, and a reader catches up on its own (``incontri.freshness``).
    """
    if not conf.INCONTRI_REFRESH_ON_LOAD:
        return
    try:
        if not concerns(source):
            return
        from . import tasks

        queued = tasks.defer()
    except Exception:  # a refresh that could not be queued must not fail the load that already committed
        log.exception("incontri: could not queue the refresh after loading %s", source.id)
        return
    log.info("incontri: refresh %s after loading %s", "queued" if queued else "already queued", source.id)
