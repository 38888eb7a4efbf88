"""Stored results of the analyses (zonal statistics, area context) and the comuni's project ideas.

Every stored figure carries the data versions it was computed from (``Layer.data_version`` of
the raster and of the areas), so a reader can tell a current figure from a stale one.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.utils.translation import gettext_lazy as _

from mappature.models import Comune
from mappature.models.territorio import STORAGE_SRID


class ZonalStat(models.Model):
    """Statistics of one raster layer over one area (a comune, a zona, an opportunity area…)."""

    raster = models.SlugField(_("strato raster"), max_length=80)
    raster_version = models.PositiveIntegerField(_("versione del raster"))
    area_set = models.SlugField(_("insieme di aree"), max_length=60)
    area_id = models.CharField(_("area"), max_length=80)
    area_version = models.PositiveIntegerField(_("versione delle aree"))
    istat_code = models.CharField(_("codice ISTAT"), max_length=6, blank=True)
    mean = models.FloatField(_("media"), null=True)
    max = models.FloatField(_("massimo"), null=True)
    share_above = models.FloatField(_("quota sopra la soglia"), null=True)
    threshold = models.FloatField(_("soglia"))
    covered_m2 = models.FloatField(_("superficie coperta dal raster (m²)"))
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("statistica zonale")
        verbose_name_plural = _("statistiche zonali")
        constraints = [models.UniqueConstraint(fields=["raster", "area_set", "area_id"], name="zonal_stat_key")]
        # (area_set, area_id): the statistics of the areas an identify click lists, read by id (zonal.stats_for_many)
        indexes = [models.Index(fields=["area_set", "istat_code"]), models.Index(fields=["area_set", "area_id"])]


class AreaContext(models.Model):
    """The context of one opportunity area, as data (distances, overlaps, funding nearby)."""

    kind = models.SlugField(_("tipo di opportunità"), max_length=60)
    area_id = models.BigIntegerField(_("area"))
    istat_code = models.CharField(_("codice ISTAT"), max_length=6)
    name = models.CharField(_("nome"), max_length=200, blank=True)
    facts = models.JSONField(_("contesto"), default=dict)
    versions = models.JSONField(_("versioni dei dati"), default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contesto di un'area di opportunità")
        verbose_name_plural = _("contesti delle aree di opportunità")
        constraints = [models.UniqueConstraint(fields=["kind", "area_id"], name="area_context_key")]
        indexes = [models.Index(fields=["istat_code"])]


class ProjectIdea(models.Model):
    """A project idea a comune proposes (the "elenco" of proposals of art. 14 NdA PTM)."""

    comune = models.ForeignKey(Comune, on_delete=models.PROTECT, related_name="project_ideas", verbose_name=_("comune"))
    title = models.CharField(_("titolo"), max_length=200)
    domains = ArrayField(models.CharField(max_length=80), verbose_name=_("ambiti tematici"), default=list)
    expected_cost_eur = models.DecimalField(
        _("costo previsto (€)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("descrizione"), blank=True)
    geom = models.PointField(_("localizzazione"), srid=STORAGE_SRID, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("idea progettuale")
        verbose_name_plural = _("idee progettuali")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title
