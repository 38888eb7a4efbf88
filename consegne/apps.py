"""App config of consegne: PGT deliveries by municipalities (upload, validation, review, publish)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsegneConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consegne"
    verbose_name = _("Consegne PGT")

    def ready(self):
        from mappature.openapi import EXTRA_PATHS

        from .openapi import openapi_paths

        if openapi_paths not in EXTRA_PATHS:
            EXTRA_PATHS.append(openapi_paths)
