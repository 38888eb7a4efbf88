"""Loading datasets into PostGIS: declared sources, readers, staged and versioned loads."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EtlConfig(AppConfig):
    name = "etl"
    verbose_name = _("Caricamento dati (ETL)")
