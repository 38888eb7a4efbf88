"""Background loads as jobs of the ``loads`` queue (procrastinate, see background/runtime.py).

The ``EtlJob`` row is what an operator sees (``etl jobs``, the admin): queued, running with the
current step, done or failed with the reason. One job per source waits at a time (queueing lock
``etl:<source>``) and loads of one source never overlap (lock ``etl:<source>``, on top of the
pipeline's own advisory lock).
"""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from procrastinate.contrib.django import app

from background import runtime

from . import pipeline
from .declarations import get_source
from .errors import EtlError
from .models import DatasetVersion, EtlJob


class AlreadyQueued(EtlError):
    """A load of the same source is already waiting in the queue."""


def lock(source_id: str) -> str:
    return f"etl:{source_id}"


def enqueue(source_id: str, *, options: dict | None = None, requested_by: str = "cli") -> EtlJob:
    """Queue a load; refused (:class:`AlreadyQueued`) when a load of that source is already waiting."""
    get_source(source_id)  # refuse unknown sources now, not in the worker
    with transaction.atomic():  # the row and its job are committed together, or neither
        job = EtlJob.objects.create(source_id=source_id, options=options or {}, requested_by=requested_by)
        defer(job)
    return job


def defer(job: EtlJob) -> None:
    try:
        run_load.configure(queueing_lock=lock(job.source_id), lock=lock(job.source_id)).defer(job_id=job.pk)
    except runtime.AlreadyEnqueued as err:
        raise AlreadyQueued(
            f"Un caricamento di «{job.source_id}» è già in coda: non ne viene aggiunto un altro."
        ) from err


def requeue(job_id: int) -> None:
    """Queue again a job found queued with no live job (see background.runtime.reconcile)."""
    defer(EtlJob.objects.get(pk=job_id))


def run(job_id: int, context=None) -> EtlJob | None:
    """The job's body: claim the row (a resumed job finds it ``running``), load, record the outcome.

    An :class:`EtlError` is the source's fault: the job fails with its message and is not retried.
    """
    with transaction.atomic():
        job = (
            EtlJob.objects.select_for_update()
            .filter(pk=job_id, status__in=[EtlJob.Status.QUEUED, EtlJob.Status.RUNNING])
            .first()
        )
        if job is None:
            return None
        job.status, job.started_at, job.step = EtlJob.Status.RUNNING, timezone.now(), ""
        job.worker = f"{socket.gethostname()}:{os.getpid()}"
        job.save(update_fields=["status", "started_at", "worker", "step"])
    opts = dict(job.options)
    try:
        result = pipeline.run(
            get_source(job.source_id),
            run_by=f"job {job.pk} ({job.requested_by})",
            force=bool(opts.pop("force", False)),
            location=opts.pop("location", None),
            options=opts,
            progress=_progress(job),
        )
    except EtlError as err:
        runtime.record_failure("load", job.pk, context, err, str(err))
        job.status, job.error = EtlJob.Status.FAILED, str(err)
    else:
        job.status, job.version, job.result = EtlJob.Status.DONE, result.version, result.status
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "version", "result", "error", "finished_at"])
    return job


def _progress(job: EtlJob):
    last = [0.0]

    def step(name: str) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or name == "fine":
            last[0] = now
            EtlJob.objects.filter(pk=job.pk).update(step=name[:60])

    return step


def give_up(job_id: int, reason: str) -> None:
    """Fail a job that cannot go on; its dead version row says so and stage tables are dropped."""
    EtlJob.objects.filter(pk=job_id, status__in=[EtlJob.Status.QUEUED, EtlJob.Status.RUNNING]).update(
        status=EtlJob.Status.FAILED, error=reason, finished_at=timezone.now()
    )
    dead = DatasetVersion.objects.filter(run_by__startswith=f"job {job_id} (", status=DatasetVersion.Status.RUNNING)
    dead.update(
        status=DatasetVersion.Status.FAILED,
        finished_at=timezone.now(),
        error=f"interrotto prima del termine: dati precedenti invariati ({reason})",
    )
    runtime.drop_orphan_etl_stages()


def orphans(grace: timedelta) -> tuple[list[int], list[int]]:
    cutoff = timezone.now() - grace
    queued = EtlJob.objects.filter(status=EtlJob.Status.QUEUED, created_at__lt=cutoff)
    running = EtlJob.objects.filter(status=EtlJob.Status.RUNNING, started_at__lt=cutoff)
    return list(queued.values_list("pk", flat=True)), list(running.values_list("pk", flat=True))


@app.task(name="run_load", queue=runtime.LOADS, pass_context=True, retry=runtime.retry_strategy())
def run_load(context, job_id: int) -> None:
    """The ``loads`` queue's task: one load of one declared source (procrastinate finds it through
    ``etl.tasks``)."""
    runtime.guarded(KIND, job_id, context, lambda: run(job_id, context))


KIND = runtime.register(
    runtime.JobKind(name="load", task_name="run_load", arg="job_id", give_up=give_up, orphans=orphans, requeue=requeue)
)
