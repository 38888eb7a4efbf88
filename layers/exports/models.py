"""An export job: what was asked (layers, area), by whom, how far it got and where the file is."""

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    """One GeoPackage export. The area is stored here so that the export SQL joins it by id."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("in coda")
        RUNNING = "running", _("in corso")
        DONE = "done", _("completata")
        FAILED = "failed", _("non riuscita")

    layers = models.JSONField(_("strati"), default=list)
    area_kind = models.CharField(_("tipo di area"), max_length=20, blank=True)  # comune | zona | bbox | ""
    area_key = models.CharField(_("area"), max_length=80, blank=True)
    area_label = models.CharField(_("nome dell'area"), max_length=200, blank=True)
    area = models.MultiPolygonField(_("geometria dell'area"), srid=32632, null=True, blank=True)
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    background = models.BooleanField(_("in background"), default=False)
    layer_counts = models.JSONField(default=dict, blank=True)  # slug → features, counted when planned
    features_total = models.PositiveBigIntegerField(default=0)
    features_done = models.PositiveBigIntegerField(default=0)
    message = models.TextField(_("messaggio"), blank=True)
    file = models.CharField(_("file"), max_length=300, blank=True)
    # Secret part of the download link: anonymous exports are fetched by whoever holds the link.
    token = models.CharField(max_length=43, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "layers"
        verbose_name = _("esportazione GeoPackage")
        verbose_name_plural = _("esportazioni GeoPackage")
        ordering = ["-created_at"]

    def __str__(self):
        return f"GeoPackage #{self.pk} ({self.get_status_display()})"

    @property
    def progress(self) -> int:
        """Percentage of features written (100 when done)."""
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.features_done / self.features_total) if self.features_total else 0
