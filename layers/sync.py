"""`layers sync`: create and update registry rows from the declarations without losing admin edits.

The rule (a three-way merge per field, and per key of the metadata):
- a field whose current value still equals the value last declared follows the declaration;
- a field edited in the admin (current value ≠ last declared) is kept, and reported;
- a field never declared before is filled only when the row has no value for it;
- publication, groups and computed metadata (extent, feature count, lineage) are never taken from
  a declaration after creation: a new layer declared ``published: true`` is published once,
  through layers.actions.publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.module_loading import import_string

from . import actions, conf
from .declarations import Declaration, load_all
from .models import Layer, LayerEvent
from .registry import data_changed, refresh_extent, run_hooks

_UNSET = object()


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    kept: dict[str, list[str]] = field(default_factory=dict)  # slug → fields kept as edited in the admin
    problems: dict[str, list[str]] = field(default_factory=dict)
    undeclared: list[str] = field(default_factory=list)


def sync(declarations: list[Declaration] | None = None) -> SyncReport:
    """Apply every declaration to the registry; rows without a declaration are listed, never deleted."""
    declarations = load_all() if declarations is None else declarations
    report = SyncReport()
    for declaration in declarations:
        layer = apply(declaration, report)
        version = backfill_lineage(layer)  # declared after its data was loaded: that data is new here
        problems = refresh_extent(layer) if version is None else data_changed([layer], version=version)[layer.slug]
        if problems:
            report.problems[layer.slug] = problems
    # Layers declared after their data was loaded get what a load would have built (tile overviews).
    run_hooks(Layer.objects.filter(slug__in=[d.slug for d in declarations]))
    declared = {d.slug for d in declarations}
    report.undeclared = sorted(Layer.objects.exclude(slug__in=declared).values_list("slug", flat=True))
    return report


def apply(declaration: Declaration, report: SyncReport) -> Layer:
    """Create or update one layer from its declaration, recording what changed and what was kept."""
    snapshot = {"fields": declaration.fields, "metadata": declaration.metadata}
    with transaction.atomic():
        layer = Layer.objects.select_for_update().filter(slug=declaration.slug).first()
        if layer is None:
            layer = Layer(
                slug=declaration.slug, metadata=dict(declaration.metadata), declared=snapshot, **declaration.fields
            )
            layer.save()
            LayerEvent.objects.create(layer=layer, action=LayerEvent.Action.CREATE, via="sync")
            report.created.append(layer.slug)
            created = True
        else:
            changed, kept = merge(layer, declaration)
            if changed or layer.declared != snapshot:
                layer.declared = snapshot
                layer.save()
            if changed:
                LayerEvent.objects.create(
                    layer=layer, action=LayerEvent.Action.SYNC, via="sync", detail={"changed": changed, "kept": kept}
                )
                report.updated[layer.slug] = changed
            if kept:
                report.kept[layer.slug] = kept
            created = False
    if created and declaration.published:
        actions.publish(layer, None, via="sync")
    return layer


def merge(layer: Layer, declaration: Declaration) -> tuple[list[str], list[str]]:
    """Apply the three-way rule to ``layer`` in memory; returns (changed, kept) field names."""
    previous = layer.declared or {}
    changed, kept = [], []
    for name, new in declaration.fields.items():
        outcome = _decide(getattr(layer, name), previous.get("fields", {}).get(name, _UNSET), new)
        if outcome == "set":
            setattr(layer, name, new)
            changed.append(name)
        elif outcome == "keep":
            kept.append(name)
    metadata = dict(layer.metadata)
    for key, new in declaration.metadata.items():
        outcome = _decide(metadata.get(key, _UNSET), previous.get("metadata", {}).get(key, _UNSET), new)
        if outcome == "set":
            metadata[key] = new
            changed.append(f"metadata.{key}")
        elif outcome == "keep":
            kept.append(f"metadata.{key}")
    layer.metadata = metadata
    return changed, kept


def edited_fields(layer: Layer) -> list[str]:
    """Fields and metadata keys whose value differs from the last declaration (edited in the admin)."""
    previous = layer.declared or {}
    fields = [name for name, value in previous.get("fields", {}).items() if getattr(layer, name) != value]
    metadata = [
        f"metadata.{key}"
        for key, value in previous.get("metadata", {}).items()
        if (layer.metadata or {}).get(key, _UNSET) != value
    ]
    return fields + metadata


def _decide(current, last_declared, new) -> str:
    """'same' (nothing to do), 'set' (follow the declaration) or 'keep' (an admin edit wins)."""
    if current == new:
        return "same"
    if last_declared is _UNSET:
        return "set" if current in (_UNSET, None, "", [], {}) else "keep"
    return "set" if current == last_declared else "keep"


def backfill_lineage(layer: Layer) -> int | None:
    """Give a layer with no lineage the versions of its dataset loaded before it was declared; returns
    the data version it should have (one per load: the caller tells ``registry.data_changed``), or None."""
    path = conf.DATASET_LINEAGE
    if not path or not layer.dataset_id or layer.metadata.get("lineage"):
        return None
    versions = import_string(path)(layer.dataset_id)
    if not versions:
        return None
    layer.metadata = {**layer.metadata, "lineage": versions}
    layer.data_updated_at = datetime.fromisoformat(versions[-1]["loaded_at"])
    Layer.objects.filter(pk=layer.pk).update(metadata=layer.metadata, data_updated_at=layer.data_updated_at)
    return len(versions)
