"""The thematic domain (territory, interventions, plans) and the planners' map."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MappatureConfig(AppConfig):
    name = "mappature"
    verbose_name = _("Mappature dinamiche")
