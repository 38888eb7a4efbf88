"""Keeps the OGC services in step with the registry: a change to a layer, its groups or a user's groups
invalidates every worker's cached maps, and publishing rewrites the public mapfile on disk."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from ..models import Layer
from . import service
from .errors import OgcError

log = logging.getLogger(__name__)


def _rewrite_public_mapfile() -> None:
    try:
        service.write_mapfile(service.visible_layers(None))
    except OgcError as err:
        log.warning("public mapfile not rewritten: %s", err)


def layer_changed(sender, instance=None, **kwargs) -> None:
    """A saved or deleted layer: drop the cached maps; rewrite the public mapfile (after commit) when a
    published layer changed or a layer was published or withdrawn (the publish actions save ``published``)."""
    service.registry_changed()
    publication = "published" in (kwargs.get("update_fields") or ())
    if instance is not None and (instance.published or publication):
        transaction.on_commit(_rewrite_public_mapfile)


def connect() -> None:
    post_save.connect(layer_changed, sender=Layer, dispatch_uid="ogc-layer-saved")
    post_delete.connect(layer_changed, sender=Layer, dispatch_uid="ogc-layer-deleted")
    m2m_changed.connect(service.registry_changed, sender=Layer.groups.through, dispatch_uid="ogc-layer-groups")
    m2m_changed.connect(
        service.registry_changed, sender=get_user_model().groups.through, dispatch_uid="ogc-user-groups"
    )
