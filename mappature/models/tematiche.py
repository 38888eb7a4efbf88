"""Stations and the other thematic layers (PTM, STTM, Re.mix incubator) keyed by layer code."""

from django.contrib.gis.db import models
from django.db.models import JSONField
from django.utils.translation import gettext_lazy as _

from .territorio import STORAGE_SRID


class Stazione(models.Model):
    """A railway or metro station inside CMM (RFI list, ATM metro); the anchor of the PTM's LUM."""

    class Network(models.TextChoices):
        RFI = "rfi", _("ferrovia (RFI)")
        METRO = "metro", _("metropolitana (ATM)")

    code = models.CharField(_("codice"), max_length=12, unique=True)
    network = models.CharField(_("rete"), max_length=10, choices=Network.choices, default=Network.RFI)
    lines = models.CharField(_("linee"), max_length=40, blank=True)
    name = models.CharField(_("nome"), max_length=120)
    istat_code = models.CharField(_("codice ISTAT del comune"), max_length=6, db_index=True)
    geom = models.PointField(_("posizione"), srid=STORAGE_SRID)

    class Meta:
        verbose_name = _("stazione")
        verbose_name_plural = _("stazioni")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ThematicFeature(models.Model):
    """A feature of a thematic layer that has no model of its own (PTM, STTM, incubator areas).

    ``layer`` is the registry layer code (e.g. ``ptm_lum``); ``attrs`` holds the layer's own
    attributes as declared by its ETL source.
    """

    layer = models.SlugField(_("strato"), max_length=60)
    feature_key = models.CharField(_("chiave"), max_length=80)
    name = models.CharField(_("nome"), max_length=200, blank=True)
    istat_code = models.CharField(_("codice ISTAT del comune"), max_length=6, blank=True, db_index=True)
    attrs = JSONField(_("attributi"), default=dict)
    synthetic = models.BooleanField(_("dato sintetico"), default=False)
    geom = models.GeometryField(_("geometria"), srid=STORAGE_SRID)

    class Meta:
        verbose_name = _("elemento tematico")
        verbose_name_plural = _("elementi tematici")
        constraints = [models.UniqueConstraint(fields=["layer", "feature_key"], name="thematic_layer_key")]
        indexes = [models.Index(fields=["layer", "istat_code"])]
