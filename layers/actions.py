"""Mutations of the registry with rules: publish and unpublish, one function each.

The admin, the CLI, `layers sync` and the tests all go through these: permission check, change
and audit entry happen together in one transaction, and the hooks of layers.signals run after
it commits.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .errors import ActionPermissionError
from .models import Layer, LayerEvent
from .signals import layer_published, layer_unpublished

PUBLISH_PERMISSION = "layers.publish_layer"


def can_publish(actor) -> bool:
    """None is the system (CLI, sync); a user needs the publish_layer permission."""
    return actor is None or actor.has_perm(PUBLISH_PERMISSION)


def publish(layer: Layer, actor=None, *, via: str = "cli") -> bool:
    """Publish ``layer``; returns False when it already was (no event, no hook)."""
    return _set_published(layer, True, actor, via)


def unpublish(layer: Layer, actor=None, *, via: str = "cli") -> bool:
    """Withdraw ``layer`` from the catalogue, the map and the services; False when it was not published."""
    return _set_published(layer, False, actor, via)


def _set_published(layer: Layer, published: bool, actor, via: str) -> bool:
    if not can_publish(actor):
        raise ActionPermissionError("Non hai il permesso di pubblicare o ritirare strati.")
    with transaction.atomic():
        locked = Layer.objects.select_for_update().get(pk=layer.pk)
        if locked.published == published:
            return False
        locked.published = published
        locked.published_at = timezone.now() if published else None
        locked.save(update_fields=["published", "published_at", "updated_at"])
        action = LayerEvent.Action.PUBLISH if published else LayerEvent.Action.UNPUBLISH
        LayerEvent.objects.create(layer=locked, action=action, actor=actor, via=via)
        signal = layer_published if published else layer_unpublished
        transaction.on_commit(lambda: signal.send(sender=Layer, layer=locked, actor=actor, via=via))
    layer.published, layer.published_at = locked.published, locked.published_at
    return True
