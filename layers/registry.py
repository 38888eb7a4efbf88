"""Entry points other apps use to tell the registry about their data (layers imports no project app).

:func:`data_changed` is the one call after a layer's data changed — an ETL load (through
:func:`dataset_loaded`), a PGT publication or rollback, ``layers sync`` filling a late layer's lineage,
an admin pointing a layer at other data. No app bumps ``data_version`` or touches the OGC stamp itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from remix import db

from . import conf, relations, source_data
from .models import Layer
from .ogc.service import registry_changed


def dataset_loaded(dataset_id: str, version: int, summary: dict) -> int:
    """Record that a new version of ``dataset_id`` was loaded; returns how many layers it feeds.

    Appends the version to each layer's lineage, then :func:`data_changed` (new extent, new data
    version, hooks, OGC maps rebuilt).
    """
    now = timezone.now()
    layers = list(Layer.objects.filter(dataset_id=dataset_id))
    for layer in layers:
        lineage = layer.metadata.get("lineage", [])
        lineage.append({"dataset": dataset_id, "version": version, "loaded_at": now.isoformat(), **summary})
        layer.metadata["lineage"] = lineage[-50:]
        layer.data_updated_at = now
        layer.save(update_fields=["metadata", "data_updated_at"])
    data_changed(layers)
    return len(layers)


def data_changed(layers: Iterable[Layer], version: int | None = None) -> dict[str, list[str]]:
    """The layers' data changed: the one call that keeps everything derived from it in step.

    In the caller's transaction, for each layer: its relation's cached columns are forgotten
    (``remix.db.forget``), its extent and feature count recomputed, its ``data_version`` moved on (one up,
    or to ``version``: ``layers sync`` giving a late layer the count of its dataset's loads) so that caches
    keyed by it (tiles, OGC maps, exports) are never stale; then the ``REMIX["LAYER_DATA_CHANGED"]`` hooks
    run (the map rebuilds the tile overviews) and every OGC worker rebuilds its maps at its next request.
    ``layers`` are updated in memory too. Returns the problems of each layer's source (slug → problems).
    """
    layers = list(layers)
    if not layers:
        return {}
    db.forget([relations.split(layer.source) for layer in layers if layer.kind == Layer.Kind.VECTOR])
    # Before the version moves on: what is cached under the new version has the new extent.
    problems = {layer.slug: refresh_extent(layer) for layer in layers}
    moved = Layer.objects.filter(pk__in=[layer.pk for layer in layers])
    moved.update(data_version=F("data_version") + 1 if version is None else version)
    versions = dict(moved.values_list("pk", "data_version"))
    for layer in layers:
        layer.data_version = versions.get(layer.pk, layer.data_version)
    run_hooks(layers)
    registry_changed()  # the OGC stamp: every worker re-reads the registry (and the new versions) at once
    return problems


def run_hooks(layers) -> None:
    """Run the ``REMIX["LAYER_DATA_CHANGED"]`` hooks (e.g. the map rebuilds tile overviews that are not
    those of the layer's current version), in the caller's transaction. :func:`data_changed` calls them;
    ``layers sync`` alone calls them without a data change, so that a layer declared after its data was
    loaded gets what a load would have built."""
    for path in conf.LAYER_DATA_CHANGED:
        import_string(path)(layers)


def refresh_extent(layer: Layer) -> list[str]:
    """Recompute the extent (EPSG:4326) and feature count kept in the layer's metadata from its data;
    returns the problems of the layer's source (empty when it is readable)."""
    problems = source_data.check_source(layer)
    extent, count = (None, None) if problems else source_data.data_extent(layer)
    metadata = dict(layer.metadata)
    metadata["extent"], metadata["features"] = extent, count
    if metadata != layer.metadata:
        Layer.objects.filter(pk=layer.pk).update(metadata=metadata)
        layer.metadata = metadata
    return problems


def layer_saved(sender, instance: Layer, **kwargs) -> None:
    """A registry row was saved (its source may name other data now): read its relation's columns again."""
    if instance.kind == Layer.Kind.VECTOR and instance.source:
        db.forget([relations.split(instance.source)])
