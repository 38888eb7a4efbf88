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
    service.registry_changed()
    if instance is not None and instance.published:
        transaction.on_commit(_rewrite_public_mapfile)


def publication_changed(sender, layer=None, **kwargs) -> None:
    """The registry's layer_published/layer_unpublished (sent after commit): rewrite the public mapfile."""
    service.registry_changed()
    _rewrite_public_mapfile()


def connect() -> None:
    from ..signals import layer_published, layer_unpublished

    layer_published.connect(publication_changed, dispatch_uid="ogc-published")
    layer_unpublished.connect(publication_changed, dispatch_uid="ogc-unpublished")
    post_save.connect(layer_changed, sender=Layer, dispatch_uid="ogc-layer-saved")
    post_delete.connect(layer_changed, sender=Layer, dispatch_uid="ogc-layer-deleted")
    m2m_changed.connect(service.registry_changed, sender=Layer.groups.through, dispatch_uid="ogc-layer-groups")
    m2m_changed.connect(service.registry_changed, sender=get_user_model().groups.through,
                        dispatch_uid="ogc-user-groups")
