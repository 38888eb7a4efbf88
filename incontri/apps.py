from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncontriConfig(AppConfig):
    """Where projects meet opportunities: zonal statistics, area context, matching, project ideas
    and the Bilancio delle diffusività territoriali."""

    name = "incontri"
    verbose_name = _("Incontri tra progetti e opportunità")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from etl import signals

        from . import hooks

        signals.source_loaded.connect(hooks.source_loaded, dispatch_uid="incontri.source_loaded")

        from consegne import extensions

        from .views import review_section

        if review_section not in extensions.REVIEW_SECTIONS:
            extensions.REVIEW_SECTIONS.append(review_section)

        from mappature.openapi import EXTRA_PATHS

        from .openapi import openapi_paths

        if openapi_paths not in EXTRA_PATHS:
            EXTRA_PATHS.append(openapi_paths)

        from mappature.api_views import IDENTIFY_EXTRAS

        from .views import identify_statistics

        if identify_statistics not in IDENTIFY_EXTRAS:
            IDENTIFY_EXTRAS.append(identify_statistics)
