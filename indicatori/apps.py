"""Indicators of the territorial knowledge system (PTM art. 13) and the atlas sheets."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatoriConfig(AppConfig):
    name = "indicatori"
    verbose_name = _("Indicatori e atlante")

    def ready(self):
        from etl.signals import source_loaded

        from .refresh import on_source_loaded

        source_loaded.connect(on_source_loaded, dispatch_uid="indicatori-refresh")

        from mappature.openapi import EXTRA_PATHS

        from .api_views import openapi_paths

        if openapi_paths not in EXTRA_PATHS:
            EXTRA_PATHS.append(openapi_paths)
