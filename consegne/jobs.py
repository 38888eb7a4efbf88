"""Validations as background jobs (queue ``validations``, see background/runtime.py).

The delivery row is what users see (``in_coda`` → ``in_validazione`` with progress → an outcome);
procrastinate runs the job: one job per delivery (queueing lock and lock ``consegna:<id>``), so a
delivery is never validated twice at once and queueing it again while it waits or runs is refused.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from procrastinate.contrib.django import app

from background import runtime
from remix import conf as remix_conf

from . import staging
from .checks import Found
from .errors import ConsegneError
from .models import Consegna

ACTIVE = (Consegna.State.IN_CODA, Consegna.State.IN_VALIDAZIONE)
# The validation task (consegne.tasks, which imports this module), deferred by its name.
TASK = "validate_delivery"


class AlreadyQueued(ConsegneError):
    """The delivery is already waiting for or undergoing validation."""


def lock(consegna_id: int) -> str:
    return f"consegna:{consegna_id}"


def queue(consegna_id: int) -> None:
    """Defer the validation of a delivery (raises :class:`AlreadyQueued` if one is waiting)."""
    task = app.configure_task(TASK, allow_unknown=False, queueing_lock=lock(consegna_id), lock=lock(consegna_id))
    try:
        task.defer(consegna_id=consegna_id)
    except runtime.AlreadyEnqueued as err:
        raise AlreadyQueued(_("La consegna %(id)s è già in coda per la validazione.") % {"id": consegna_id}) from err


def requeue(consegna: Consegna) -> None:
    """Validate again a delivery whose validation failed (errore interno); refused while one waits or runs."""
    with transaction.atomic():
        current = Consegna.objects.select_for_update().get(pk=consegna.pk)
        if current.state in ACTIVE:
            raise AlreadyQueued(
                _("La consegna %(id)s è già in coda o in validazione: non viene rimessa in coda.") % {"id": consegna.pk}
            )
        if current.state != Consegna.State.FALLITA:
            raise AlreadyQueued(_("Solo una consegna con un errore interno di validazione può essere rimessa in coda."))
        Consegna.objects.filter(pk=consegna.pk).update(
            state=Consegna.State.IN_CODA, progress=0, progress_step="", finished_at=None
        )
        queue(consegna.pk)


def run(consegna_id: int) -> Consegna | None:
    """The job's body: claim the delivery (a resumed job finds it ``in_validazione``), clean what an
    interrupted run left, validate."""
    from .validation import validate

    with transaction.atomic():
        consegna = (
            Consegna.objects.select_for_update()
            .select_related("comune")
            .filter(pk=consegna_id, state__in=ACTIVE)
            .first()
        )
        if consegna is None:
            return None  # deleted, or ended meanwhile (a job deferred twice finds nothing to do)
        consegna.state, consegna.started_at, consegna.progress = Consegna.State.IN_VALIDAZIONE, timezone.now(), 1
        consegna.save(update_fields=["state", "started_at", "progress"])
    cleanup(consegna_id)
    return validate(consegna)


def cleanup(consegna_id: int) -> None:
    """Drop the delivery's staging tables and remove its temporary folders (left by a killed worker)."""
    staging.Staging(consegna_id).drop()
    work = Path(remix_conf.WORK_DIR)
    for folder in work.glob(f"consegna-{consegna_id}-*"):
        shutil.rmtree(folder, ignore_errors=True)


def give_up(consegna_id: int, reason: str) -> None:
    """End a validation that cannot go on: the delivery fails with ``reason``, nothing is left behind."""
    from .validation import _finish, _store

    cleanup(consegna_id)
    with transaction.atomic():
        consegna = Consegna.objects.select_for_update().filter(pk=consegna_id, state__in=ACTIVE).first()
        if consegna is None:
            return
        consegna.findings.all().delete()
        _store(consegna, [Found("internal_error", params={"detail": reason})])
        _finish(consegna, Consegna.State.FALLITA)


def orphans(grace: timedelta) -> tuple[list[int], list[int]]:
    cutoff = timezone.now() - grace
    queued = Consegna.objects.filter(state=Consegna.State.IN_CODA, created_at__lt=cutoff)
    running = Consegna.objects.filter(state=Consegna.State.IN_VALIDAZIONE, started_at__lt=cutoff)
    return list(queued.values_list("pk", flat=True)), list(running.values_list("pk", flat=True))
