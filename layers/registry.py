"""Entry points other apps use to tell the registry about their data (layers imports no project app)."""

from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from . import conf, sources
from .models import Layer


def dataset_loaded(dataset_id: str, version: int, summary: dict) -> int:
    """Record that a new version of ``dataset_id`` was loaded; returns how many layers it feeds.

    Bumps ``data_version`` (so caches keyed by it are never stale) and appends the version to
    each layer's lineage, then recomputes the layer's extent from the new data.
    """
    now = timezone.now()
    layers = list(Layer.objects.filter(dataset_id=dataset_id))
    for layer in layers:
        lineage = layer.metadata.get("lineage", [])
        lineage.append({"dataset": dataset_id, "version": version, "loaded_at": now.isoformat(), **summary})
        layer.metadata["lineage"] = lineage[-50:]
        layer.data_updated_at = now
        layer.save(update_fields=["metadata", "data_updated_at"])
    for layer in layers:  # before the version moves on: what is cached under the new version has the new extent
        refresh_extent(layer)
    Layer.objects.filter(dataset_id=dataset_id).update(data_version=F("data_version") + 1)
    data_changed(layers)
    return len(layers)


def data_changed(layers) -> None:
    """Tell the apps listed in ``REMIX["LAYER_DATA_CHANGED"]`` that these layers have a new data version
    (e.g. the map rebuilds their tile overviews), in the caller's transaction."""
    for path in conf.LAYER_DATA_CHANGED:
        import_string(path)(layers)


def refresh_extent(layer: Layer) -> list[str]:
    """Recompute the extent (EPSG:4326) and feature count kept in the layer's metadata from its data;
    returns the problems of the layer's source (empty when it is readable)."""
    problems = sources.check_source(layer)
    extent, count = (None, None) if problems else sources.data_extent(layer)
    metadata = dict(layer.metadata)
    metadata["extent"], metadata["features"] = extent, count
    if metadata != layer.metadata:
        Layer.objects.filter(pk=layer.pk).update(metadata=metadata)
        layer.metadata = metadata
    return problems
