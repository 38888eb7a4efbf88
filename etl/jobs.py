"""Background loads on a PostgreSQL-backed queue: no extra server, workers are `etl worker`."""

from __future__ import annotations

import os
import socket
import time

from django.db import connection, transaction
from django.utils import timezone

from . import pipeline
from .errors import EtlError
from .models import EtlJob
from .sources import get_source

LOCK_NAMESPACE = 72_003  # advisory-lock key space of ETL jobs (two-int form: namespace, job id)


def enqueue(source_id: str, *, options: dict | None = None, requested_by: str = "cli") -> EtlJob:
    get_source(source_id)  # refuse unknown sources now, not in the worker
    job = EtlJob.objects.create(source_id=source_id, options=options or {}, requested_by=requested_by)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_notify('etl_jobs', %s)", [str(job.pk)])
    return job


def reap() -> int:
    """Mark failed the jobs left running by a worker that died (nobody holds their lock)."""
    dead = 0
    for job in EtlJob.objects.filter(status=EtlJob.Status.RUNNING):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, job.pk])
            if cur.fetchone()[0]:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, job.pk])
                EtlJob.objects.filter(pk=job.pk, status=EtlJob.Status.RUNNING).update(
                    status=EtlJob.Status.FAILED, error="interrotto: l'esecutore si è fermato",
                    finished_at=timezone.now())
                dead += 1
    return dead


def _claim() -> EtlJob | None:
    with transaction.atomic():
        job = (EtlJob.objects.select_for_update(skip_locked=True)
               .filter(status=EtlJob.Status.QUEUED).order_by("id").first())
        if job is None:
            return None
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, job.pk])
        job.status, job.started_at = EtlJob.Status.RUNNING, timezone.now()
        job.worker = f"{socket.gethostname()}:{os.getpid()}"
        job.save(update_fields=["status", "started_at", "worker"])
    return job


def work_once() -> EtlJob | None:
    """Run the oldest queued job, if any; returns it finished (done or failed)."""
    job = _claim()
    if job is None:
        return None
    try:
        opts = dict(job.options)
        result = pipeline.run(get_source(job.source_id), run_by=f"job {job.pk} ({job.requested_by})",
                              force=bool(opts.pop("force", False)), location=opts.pop("location", None),
                              options=opts)
        job.status, job.version, job.result = EtlJob.Status.DONE, result.version, result.status
    except Exception as err:  # any failure ends the job; the DatasetVersion has the details
        job.status = EtlJob.Status.FAILED
        job.error = str(err) if isinstance(err, EtlError) else f"{type(err).__name__}: {err}"
    finally:
        job.finished_at = timezone.now()
        job.save()
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, job.pk])
    return job


def work(*, once: bool = False, poll_s: float = 2.0, on_job=None) -> int:
    """Process jobs until the queue is empty (``once``) or forever, polling every ``poll_s``."""
    done = 0
    reap()
    while True:
        job = work_once()
        if job is not None:
            done += 1
            if on_job:
                on_job(job)
            continue
        if once:
            return done
        time.sleep(poll_s)
