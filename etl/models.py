"""Every load of a declared source is a DatasetVersion, with its counts and rejected rows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DatasetVersion(models.Model):
    """One run of one source: where it read from, what it did, how long it took, who ran it."""

    class Status(models.TextChoices):
        RUNNING = "running", _("in corso")
        LOADED = "loaded", _("caricato")
        UNCHANGED = "unchanged", _("invariato")
        FAILED = "failed", _("fallito")
        RESTORED = "restored", _("ripristinato")

    source_id = models.SlugField(_("sorgente"), max_length=80, db_index=True)
    version = models.PositiveIntegerField(_("versione"), null=True, blank=True)
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    location = models.TextField(_("posizione della sorgente"))
    reader = models.CharField(_("lettore"), max_length=40)
    checksum = models.CharField(_("impronta SHA-256"), max_length=64, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_deleted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(_("errore"), blank=True)
    run_by = models.CharField(_("eseguito da"), max_length=120, blank=True)
    archive = models.TextField(_("copia archiviata della sorgente"), blank=True)
    restored_from = models.PositiveIntegerField(_("ripristino della versione"), null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("versione di dataset")
        verbose_name_plural = _("versioni di dataset")
        ordering = ["source_id", "-started_at"]
        constraints = [models.UniqueConstraint(fields=["source_id", "version"], name="dataset_version_unique")]

    def __str__(self):
        return f"{self.source_id} v{self.version or '-'} ({self.status})"

    def lineage_facts(self) -> dict:
        """What a layer's lineage records of this version besides its dates."""
        facts = {"rows": self.rows_loaded + self.rows_unchanged, "checksum": self.checksum, "location": self.location}
        return {**facts, "restored_from": self.restored_from} if self.restored_from else facts


class RejectedRow(models.Model):
    """A source row that was not loaded, with the reason in Italian and the row as read."""

    dataset_version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="rejects")
    row_number = models.PositiveIntegerField(_("riga"))
    reason = models.TextField(_("motivo"))
    data = models.JSONField(_("dati"), default=dict)

    class Meta:
        ordering = ["dataset_version", "row_number"]

    def __str__(self):
        return f"{self.dataset_version} riga {self.row_number}: {self.reason}"


class EtlJob(models.Model):
    """A load queued to run in the background (``etl run --background``), run by ``manage.py worker``.

    procrastinate runs it (etl/jobs.py, etl/tasks.py); this row is what an operator reads: status,
    current step, outcome or the reason of the failure. A job whose worker died is resumed or failed
    by the job system's recovery (background/runtime.py).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("in coda")
        RUNNING = "running", _("in corso")
        DONE = "done", _("completato")
        FAILED = "failed", _("fallito")

    source_id = models.SlugField(_("sorgente"), max_length=80)
    options = models.JSONField(_("opzioni"), default=dict)
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.CharField(_("richiesto da"), max_length=120, blank=True)
    worker = models.CharField(_("esecutore"), max_length=120, blank=True)
    step = models.CharField(_("fase"), max_length=60, blank=True)
    version = models.PositiveIntegerField(_("versione caricata"), null=True, blank=True)
    result = models.CharField(_("esito"), max_length=20, blank=True)
    error = models.TextField(_("errore"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("caricamento in background")
        verbose_name_plural = _("caricamenti in background")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self):
        return f"job {self.pk} {self.source_id} ({self.status})"
