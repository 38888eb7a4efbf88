"""Statistical inputs loaded by the ETL (soil, population, PNRR) and the indicator values.

The input tables carry no geometry: they are keyed by ISTAT code and joined to the comuni.
An indicator's values are never overwritten: each computation on new input versions adds a run
and its rows and makes that run the current one, so a figure's history stays visible.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class SuoloComune(models.Model):
    """ISPRA soil consumption of one comune: the 2024 stock and, in ``periods``, the net increment
    and the restoration per period (``net_2006_2012``, ``rip_2006_2012`` … as in the source)."""

    istat_code = models.CharField(_("codice ISTAT"), max_length=6, unique=True)
    name = models.CharField(_("comune"), max_length=80)
    stock_2024_ha = models.FloatField(_("suolo consumato 2024 (ha)"))
    stock_2024_pct = models.FloatField(_("suolo consumato 2024 (%)"))
    periods = models.JSONField(_("incrementi e ripristini per periodo (ha)"), default=dict)

    class Meta:
        verbose_name = _("consumo di suolo ISPRA")
        verbose_name_plural = _("consumo di suolo ISPRA")

    def __str__(self):
        return f"{self.istat_code} {self.name}"


class SuoloStock(models.Model):
    """Consumed soil per comune and year, derived from ISPRA (stock 2024 minus later increments)."""

    istat_code = models.CharField(_("codice ISTAT"), max_length=6)
    year = models.PositiveSmallIntegerField(_("anno"))
    ha = models.FloatField(_("suolo consumato (ha)"))
    pct = models.FloatField(_("suolo consumato (%)"), null=True)

    class Meta:
        verbose_name = _("suolo consumato per anno (elaborazione su dati ISPRA)")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["istat_code", "year"], name="suolo_stock_key")]

    def __str__(self):
        return f"{self.istat_code} {self.year}"


class PopolazioneEta(models.Model):
    """Resident population on 1 January by single year of age (100 = 100 and over) and sex."""

    istat_code = models.CharField(_("codice ISTAT"), max_length=6)
    year = models.PositiveSmallIntegerField(_("anno"))
    age = models.PositiveSmallIntegerField(_("età"))
    females = models.PositiveIntegerField(_("femmine"))
    males = models.PositiveIntegerField(_("maschi"))
    total = models.PositiveIntegerField(_("totale"))

    class Meta:
        verbose_name = _("popolazione per età e sesso")
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["istat_code", "year", "age"], name="popolazione_eta_key")]

    def __str__(self):
        return f"{self.istat_code} {self.year} {self.age}"


class PopolazioneTotale(models.Model):
    """Population totals side by side: ISTAT 1/1/2021 (pre-census series), ISTAT 1/1/2022 and
    2023 (post-census series) and ANPR January 2025."""

    istat_code = models.CharField(_("codice ISTAT"), max_length=6, unique=True)
    name = models.CharField(_("comune"), max_length=80)
    pop_2021 = models.PositiveIntegerField(_("popolazione ISTAT 1/1/2021"), null=True)
    pop_2022 = models.PositiveIntegerField(_("popolazione ISTAT 1/1/2022"), null=True)
    pop_2023 = models.PositiveIntegerField(_("popolazione ISTAT 1/1/2023"), null=True)
    pop_2025 = models.PositiveIntegerField(_("popolazione ANPR 01/2025"), null=True)

    class Meta:
        verbose_name = _("popolazione totale")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.istat_code} {self.name}"


class PnrrComune(models.Model):
    """PNRR projects per comune (Italia Domani, extraction February–March 2023)."""

    istat_code = models.CharField(_("codice ISTAT"), max_length=6, unique=True)
    cup_count = models.PositiveIntegerField(_("CUP nell'universo ReGiS"), null=True)
    projects = models.PositiveIntegerField(_("progetti validati"), null=True)
    pnrr_eur = models.DecimalField(_("finanziamento PNRR (€)"), max_digits=16, decimal_places=2, null=True)
    total_eur = models.DecimalField(_("finanziamento totale (€)"), max_digits=16, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("PNRR per comune")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.istat_code


class PnrrProgetto(models.Model):
    """A validated PNRR project (Italia Domani "Progetti – Dati validati", February 2023)."""

    cup = models.CharField(_("CUP"), max_length=20, unique=True)
    measure = models.CharField(_("submisura"), max_length=20, blank=True)
    title = models.TextField(_("titolo"), blank=True)
    pnrr_eur = models.DecimalField(_("finanziamento PNRR (€)"), max_digits=16, decimal_places=2, null=True)
    total_eur = models.DecimalField(_("finanziamento totale (€)"), max_digits=16, decimal_places=2, null=True)
    implementer = models.CharField(_("soggetto attuatore"), max_length=300, blank=True)
    comuni_istat = ArrayField(models.CharField(max_length=6), verbose_name=_("comuni"), default=list)
    updated = models.CharField(_("data di aggiornamento"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("progetto PNRR")
        verbose_name_plural = _("progetti PNRR")

    def __str__(self):
        return self.cup


class Indicator(models.Model):
    """An indicator as declared in ``indicatori/declarations/<code>.yaml`` (synced on refresh)."""

    code = models.SlugField(_("codice"), max_length=60, unique=True)
    title_it = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    description_it = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    theme = models.CharField(_("tema"), max_length=20)
    unit = models.CharField(_("unità"), max_length=20)
    levels = ArrayField(models.CharField(max_length=10), default=list)
    inputs = ArrayField(models.CharField(max_length=80), default=list)
    higher_is_better = models.BooleanField(null=True)
    declaration = models.JSONField(default=dict)
    digest = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("indicatore")
        verbose_name_plural = _("indicatori")
        ordering = ["code"]

    def __str__(self):
        return self.code


class IndicatorRun(models.Model):
    """One computation of an indicator on a given set of input dataset versions."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="runs")
    input_versions = models.JSONField(default=dict)
    trigger = models.CharField(max_length=80, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    duration_s = models.FloatField(null=True)
    values = models.PositiveIntegerField(default=0)
    current = models.BooleanField(default=False, help_text="the latest run of its indicator: its values are current")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.indicator_id} run {self.pk}"


class IndicatorValue(models.Model):
    """The value of an indicator for an area (comune, zona, cmm, nil) and period, from one run.

    Written by the thousand in one INSERT … SELECT per run: no foreign-key triggers and one index
    (the runs are the unit of integrity). The current values are those of each indicator's current
    run (view ``indicatori_currentvalue``).
    """

    run = models.ForeignKey(
        IndicatorRun, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    level = models.CharField(max_length=10)
    area_code = models.CharField(max_length=40)
    period = models.CharField(max_length=20)
    value = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=["run", "level", "area_code", "period"], name="ind_value_run")]

    def __str__(self):
        return f"{self.level}:{self.area_code} {self.period} = {self.value}"


class AtlasBuild(models.Model):
    """A background build of atlas sheets (``manage.py atlante build`` or a PDF/zip asked on the web):
    what users see while it runs — queued, running with progress, done or failed with a reason.

    ``scope`` names the set of sheets (``cmm``, ``all``, ``zona:<code>``, ``area:<slug>``); at most one
    build per scope and language is queued or running at a time (procrastinate's queueing lock)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("in coda")
        RUNNING = "running", _("in corso")
        DONE = "done", _("completata")
        FAILED = "failed", _("non riuscita")

    scope = models.CharField(_("schede"), max_length=40)
    lang = models.CharField(_("lingua"), max_length=2, default="it")
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(_("schede pronte"), default=0)
    total = models.PositiveIntegerField(_("schede"), default=0)
    current = models.CharField(_("ultima scheda"), max_length=120, blank=True)
    message = models.TextField(_("messaggio"), blank=True)
    created_at = models.DateTimeField(_("creata"), auto_now_add=True)
    started_at = models.DateTimeField(_("iniziata"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminata"), null=True, blank=True)

    class Meta:
        verbose_name = _("costruzione dell'atlante")
        verbose_name_plural = _("costruzioni dell'atlante")
        indexes = [models.Index(fields=["scope", "lang", "status"], name="atlasbuild_scope")]

    def __str__(self):
        return f"{self.scope} {self.lang} {self.status} {self.done}/{self.total}"

    @property
    def live(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
