"""What staff read when a background job failed: its reason and traceback, kept after the job is gone."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobFailure(models.Model):
    """One failure of one background job (a validation, a load, an export), with its traceback.

    ``kind`` and ``object_id`` name the domain row the job worked on (a delivery, an ETL job, an
    export): users see that row's own state and reason; this record is for staff, in the admin.
    """

    kind = models.CharField(_("tipo di lavoro"), max_length=20)  # validation | load | export | other
    object_id = models.BigIntegerField(_("oggetto"), null=True, blank=True)
    task_name = models.CharField(_("compito"), max_length=200)
    job_id = models.BigIntegerField(_("lavoro procrastinate"), null=True, blank=True)
    attempt = models.PositiveIntegerField(_("tentativo"), default=0)
    final = models.BooleanField(_("definitivo"), default=True)  # False: it will be retried
    reason = models.TextField(_("motivo"))
    traceback = models.TextField(_("traceback"), blank=True)
    created_at = models.DateTimeField(_("quando"), auto_now_add=True)

    class Meta:
        verbose_name = _("errore di un lavoro in background")
        verbose_name_plural = _("errori dei lavori in background")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "object_id"])]

    def __str__(self):
        return f"{self.kind} {self.object_id or '-'}: {self.reason[:80]}"
