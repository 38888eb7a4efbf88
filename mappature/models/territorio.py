"""Comuni and zone omogenee: the administrative frame every map is queried by."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

STORAGE_SRID = 32632  # WGS84 / UTM 32N, as Regione Lombardia's PGT mosaic


class ZonaOmogenea(models.Model):
    """One of the 7 zone omogenee of CMM, or the Comune di Milano as its own area.

    The geometry is the union of its comuni, recomputed after every load of the comuni.
    """

    code = models.SlugField(_("codice"), max_length=40, unique=True)
    name = models.CharField(_("nome"), max_length=80, unique=True)
    geom = models.MultiPolygonField(_("geometria"), srid=STORAGE_SRID, null=True, blank=True)

    class Meta:
        verbose_name = _("zona omogenea")
        verbose_name_plural = _("zone omogenee")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Comune(models.Model):
    """A comune of CMM, keyed by its 6-character ISTAT code (leading zeros kept)."""

    istat_code = models.CharField(_("codice ISTAT"), max_length=6, unique=True)
    name = models.CharField(_("nome"), max_length=80, db_index=True)
    catasto_code = models.CharField(_("codice catastale"), max_length=4, blank=True)
    zona = models.ForeignKey(
        ZonaOmogenea, on_delete=models.PROTECT, related_name="comuni", verbose_name=_("zona omogenea")
    )
    zona_confirmed = models.BooleanField(
        _("assegnazione alla zona confermata"),
        default=True,
        help_text=_("Falso quando l'appartenenza alla zona è dedotta e non confermata da una fonte."),
    )
    zona_source = models.CharField(_("fonte dell'assegnazione alla zona"), max_length=120, blank=True)
    population = models.PositiveIntegerField(_("popolazione"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("anno della popolazione"), null=True, blank=True)
    # The official surface (ISTAT, as implied by ISPRA's consumed-soil ha/% pair): the boundaries in
    # ``geom`` are generalised, so areas computed from them are off by up to 20 %. Densities use this.
    official_area_km2 = models.DecimalField(
        _("superficie ufficiale (km²)"), max_digits=10, decimal_places=4, null=True, blank=True
    )
    geom = models.MultiPolygonField(_("geometria"), srid=STORAGE_SRID)

    class Meta:
        verbose_name = _("comune")
        verbose_name_plural = _("comuni")
        ordering = ["name"]

    def __str__(self):
        return self.name
