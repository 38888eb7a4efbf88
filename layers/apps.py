"""The layer registry: catalogue, metadata, styles, publishing and the services built on them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("Catalogo degli strati")

    def ready(self):
        from django.db.models.signals import post_save

        from . import registry
        from .models import Layer
        from .ogc import signals

        signals.connect()
        post_save.connect(registry.layer_saved, sender=Layer, dispatch_uid="layers-relation-forget")
