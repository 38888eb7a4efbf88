"""Regeneration interventions ("Realizzazioni") with their funding, status and domains."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.utils.translation import gettext_lazy as _

from .territorio import STORAGE_SRID


class Realizzazione(models.Model):
    """An intervention; placed at its comuni until staff refine the location to the site."""

    class Precision(models.TextChoices):
        COMUNE = "comune", _("comune")
        ADDRESS = "address", _("indirizzo")
        SITE = "site", _("sito")

    code = models.CharField(_("codice"), max_length=20, unique=True)
    cup = models.CharField(_("CUP"), max_length=20, blank=True)
    programme = models.CharField(_("programma"), max_length=300)
    funding_sources = ArrayField(
        models.CharField(max_length=300), verbose_name=_("fonti di finanziamento"), default=list
    )
    title = models.TextField(_("titolo"))
    comuni_istat = ArrayField(models.CharField(max_length=6), verbose_name=_("comuni (codici ISTAT)"), default=list)
    address = models.TextField(_("indirizzo"), blank=True)
    status = models.CharField(_("stato"), max_length=60, blank=True)
    amount_eur = models.DecimalField(_("importo (€)"), max_digits=14, decimal_places=2, null=True, blank=True)
    cofunding_eur = models.DecimalField(
        _("cofinanziamento (€)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    domains = ArrayField(models.CharField(max_length=80), verbose_name=_("ambiti tematici"), default=list)
    year_start = models.PositiveSmallIntegerField(_("anno di inizio"), null=True, blank=True)
    year_end = models.PositiveSmallIntegerField(_("anno di fine"), null=True, blank=True)
    source_url = models.URLField(_("fonte"), max_length=500, blank=True)
    source_date = models.CharField(_("data della fonte"), max_length=80, blank=True)
    attribution = models.TextField(_("attribuzione"), blank=True)
    notes = models.TextField(_("note"), blank=True)
    location_precision = models.CharField(
        _("precisione della localizzazione"), max_length=10, choices=Precision.choices, default=Precision.COMUNE
    )
    location_refined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location_refined_at = models.DateTimeField(null=True, blank=True)
    geom = models.MultiPointField(_("localizzazione"), srid=STORAGE_SRID, null=True, blank=True)
    synthetic = models.BooleanField(_("dato sintetico"), default=False)
    source_id = models.SlugField(
        _("sorgente ETL"),
        max_length=80,
        default="realizzazioni",
        editable=False,
        help_text=_("La sorgente che ha caricato la riga (ogni sorgente cancella solo le proprie)."),
    )

    class Meta:
        verbose_name = _("realizzazione")
        verbose_name_plural = _("realizzazioni")
        ordering = ["code"]
        indexes = [GinIndex(fields=["comuni_istat"]), GinIndex(fields=["domains"])]

    def __str__(self):
        return f"{self.code} {self.title[:60]}"
