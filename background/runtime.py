"""One job system for every kind of background work in Remix: procrastinate, on the project's PostgreSQL.

- Each kind (validations of deliveries, ETL loads, GeoPackage exports) has its own queue, run by
  ``manage.py worker`` with a bounded concurrency per queue (``REMIX["JOBS"]["concurrency"]``).
- The domain row (a delivery, an ETL job, an export) stays what users see: queued, running with
  progress, done or failed with a readable reason. This module only runs them.
- A job is retried when it fails for a transient reason (the database restarted or went away:
  :data:`TRANSIENT_ERRORS`), never for its input; every failure keeps its traceback in
  :class:`background.models.JobFailure` (admin).
- Workers send heartbeats; :func:`recover` (a periodic task of the ``maintenance`` queue) finds the
  jobs of workers that stopped beating (``kill -9``, a crash, a database restart), resumes them up
  to ``crash_retries`` times then fails them with a reason, and reconciles domain rows left
  running or queued without a live job. Staging tables and temporary folders are cleaned by the
  domain's ``give_up`` and by the next attempt.
"""

from __future__ import annotations

import json
import logging
import traceback as tb
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import psycopg.sql
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued

from . import conf as _conf
from .models import JobFailure

log = logging.getLogger(__name__)

VALIDATIONS, LOADS, EXPORTS, MAINTENANCE = "validations", "loads", "exports", "maintenance"
QUEUES = (VALIDATIONS, LOADS, EXPORTS, MAINTENANCE)
# A lost or restarted database: worth another attempt. Anything else is the input's fault or a bug.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
LIVE = ("todo", "doing")

__all__ = ["AlreadyEnqueued", "JobKind", "conf", "register", "retry_strategy", "guarded", "recover"]


def conf(key: str):
    return _conf.job(key)


def retry_strategy() -> RetryStrategy:
    """Retry transient failures only, waiting a little longer each time (the database may be restarting)."""
    return RetryStrategy(
        max_attempts=conf("transient_retries"),
        exponential_wait=conf("transient_wait_s"),
        retry_exceptions=set(TRANSIENT_ERRORS),
    )


@dataclass(frozen=True)
class JobKind:
    """How the job system talks to one domain.

    ``give_up(object_id, reason)`` marks the domain row failed with ``reason`` and cleans up what an
    interrupted run leaves (staging tables, temporary folders); ``orphans()`` returns the ids of
    domain rows that say queued/running but are older than the grace period, as
    ``(queued_ids, running_ids)``; ``requeue(object_id)`` defers a queued row's job again.
    """

    name: str  # validation | load | export
    task_name: str
    arg: str  # the task's keyword argument holding the domain row's id
    give_up: Callable[[int, str], None]
    orphans: Callable[[timedelta], tuple[list[int], list[int]]]
    requeue: Callable[[int], None]


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.task_name] = kind
    return kind


def record_failure(
    kind: str, object_id: int | None, context, err: BaseException | None, reason: str, final: bool = True
) -> None:
    """Keep the reason and traceback of a failure for staff (never lets a second error escape)."""
    job = getattr(context, "job", None)
    try:
        JobFailure.objects.create(
            kind=kind,
            object_id=object_id,
            task_name=getattr(job, "task_name", "") or "",
            job_id=getattr(job, "id", None),
            attempt=getattr(job, "attempts", 0) or 0,
            final=final,
            reason=reason,
            traceback="".join(tb.format_exception(err)) if err is not None else "",
        )
    except Exception:  # the database may be the very thing that failed
        log.exception("could not record the failure of %s %s", kind, object_id)


def guarded(kind: JobKind, object_id: int, context, body: Callable[[], object]):
    """Run a job's body: a transient error is retried (the last attempt gives up), any other
    unexpected error gives up at once; both keep their traceback."""
    try:
        return body()
    except TRANSIENT_ERRORS as err:
        attempts = getattr(getattr(context, "job", None), "attempts", 0) or 0
        final = attempts >= conf("transient_retries")
        reason = f"database non raggiungibile ({type(err).__name__})"
        log.warning("%s %s: transient failure (attempt %s): %s", kind.name, object_id, attempts + 1, err)
        record_failure(kind.name, object_id, context, err, reason, final=final)
        if final:
            _give_up_quietly(kind, object_id, reason)
        raise
    except Exception as err:
        log.exception("%s %s failed", kind.name, object_id)
        reason = f"{type(err).__name__}: {err}"
        record_failure(kind.name, object_id, context, err, reason)
        _give_up_quietly(kind, object_id, reason)
        raise
    finally:
        # Each job in a fresh connection: a worker thread never keeps a session (nor its temp tables) idle.
        if not connection.in_atomic_block:
            connection.close()


def _give_up_quietly(kind: JobKind, object_id: int, reason: str) -> None:
    try:
        kind.give_up(object_id, reason)
    except Exception:  # recover() reconciles the row later
        log.exception("could not mark %s %s failed", kind.name, object_id)


def live_ids(kind: JobKind) -> set[int]:
    """Ids of the domain rows that have a job waiting or running."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT (args ->> %s)::bigint FROM procrastinate_jobs"
            " WHERE task_name = %s AND status = ANY(%s::procrastinate_job_status[])",
            [kind.arg, kind.task_name, list(LIVE)],
        )
        return {row[0] for row in cur.fetchall() if row[0] is not None}


STALLED_REASON = (
    "il processo che eseguiva il lavoro si è interrotto {n} volte (arresto del server o del database): lavoro annullato"
)
RESUMED_REASON = "il processo che eseguiva il lavoro si è interrotto: lavoro ripreso da capo"
ORPHAN_REASON = "lavoro interrotto: nessun processo lo stava più eseguendo"


async def recover(job_manager) -> dict:
    """Resume or fail the jobs of dead workers, then reconcile domain rows; returns what it did."""
    from asgiref.sync import sync_to_async as _to_thread
    from procrastinate.jobs import Status

    def sync_to_async(fn):
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            finally:  # the executor thread keeps no session
                if not connection.in_atomic_block:
                    connection.close()

        return _to_thread(call)

    done = {"resumed": [], "failed": []}
    for job in await job_manager.get_stalled_jobs(seconds_since_heartbeat=conf("stalled_after_s")):
        kind = KINDS.get(job.task_name)
        kwargs = json.loads(job.task_kwargs) if isinstance(job.task_kwargs, str) else job.task_kwargs or {}
        object_id = kwargs.get(kind.arg) if kind else None
        try:
            if job.attempts < conf("crash_retries"):
                await job_manager.retry_job(job)
                done["resumed"].append(job.id)
                await sync_to_async(record_failure)(
                    kind.name if kind else "other", object_id, _Ctx(job), None, RESUMED_REASON, final=False
                )
            else:
                await job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
                done["failed"].append(job.id)
                reason = STALLED_REASON.format(n=job.attempts + 1)
                await sync_to_async(record_failure)(kind.name if kind else "other", object_id, _Ctx(job), None, reason)
                if kind and object_id is not None:
                    await sync_to_async(_give_up_quietly)(kind, object_id, reason)
        except Exception:  # another worker got there first, or the job ended meanwhile
            log.warning("could not recover stalled job %s", job.id, exc_info=True)
    if done["resumed"] or done["failed"]:
        log.warning("stalled jobs: resumed %s, failed %s", done["resumed"], done["failed"])
    done.update(await sync_to_async(reconcile)())
    return done


@dataclass
class _Ctx:
    job: object


def reconcile() -> dict:
    """Domain rows queued or running with no live job: queue them again, or fail them with a reason."""
    grace = timedelta(seconds=max(conf("stalled_after_s") * 2, 60))
    out = {"requeued": [], "orphaned": []}
    for kind in KINDS.values():
        live = live_ids(kind)
        queued, running = kind.orphans(grace)
        for pk in queued:
            if pk not in live:
                try:
                    kind.requeue(pk)
                    out["requeued"].append((kind.name, pk))
                except Exception:  # already queued meanwhile
                    log.info("could not queue %s %s again", kind.name, pk, exc_info=True)
        for pk in running:
            if pk not in live:
                _give_up_quietly(kind, pk, ORPHAN_REASON)
                out["orphaned"].append((kind.name, pk))
    drop_orphan_etl_stages()
    return out


def drop_orphan_etl_stages() -> list[str]:
    """Drop the ETL stage tables (``etl_stage_<backend pid>``) whose session is gone.

    A load creates its stage inside its transaction, so a killed load's stage normally goes with the
    rollback; this catches what a crash between statements could leave.
    """
    with connection.cursor() as cur:
        cur.execute("""SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname ~ '^etl_stage_[0-9]+$'
                         AND substr(c.relname, 11)::int NOT IN (SELECT pid FROM pg_stat_activity)""")
        names = [row[0] for row in cur.fetchall()]
        for name in names:
            cur.execute(
                psycopg.sql.SQL("DROP TABLE IF EXISTS {}")
                .format(psycopg.sql.Identifier(name))
                .as_string(cur.cursor.connection)
            )
    return names


def since(delta: timedelta):
    """The moment ``delta`` ago (rows older than this are past the grace period)."""
    return timezone.now() - delta
