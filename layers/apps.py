"""The layer registry: catalogue, metadata, styles, publishing and the services built on them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("Catalogo degli strati")

    def ready(self):
        from .ogc import signals

        signals.connect()
