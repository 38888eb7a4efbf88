"""The background tasks of deliveries: validation (queue ``validations``) and the daily file retention."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from background import runtime

from . import jobs, retention

log = logging.getLogger(__name__)


@app.task(name=jobs.TASK, queue=runtime.VALIDATIONS, pass_context=True, retry=runtime.retry_strategy())
def validate_delivery(context, consegna_id: int) -> None:
    runtime.guarded(KIND, consegna_id, context, lambda: jobs.run(consegna_id))


KIND = runtime.register(
    runtime.JobKind(
        name="validation",
        task_name=jobs.TASK,
        arg="consegna_id",
        give_up=jobs.give_up,
        orphans=jobs.orphans,
        requeue=jobs.queue,
    )
)


@app.periodic(cron="40 2 * * *")
@app.task(name="purge_delivery_files", queue=runtime.MAINTENANCE, queueing_lock="purge_delivery_files")
def purge_delivery_files(timestamp: int) -> int:
    """Delete the files of deliveries that ended without a version over CONSEGNE_RETENTION_DAYS ago."""
    result = retention.purge()
    if result.purged or result.errors:
        log.warning("retention: %d files deleted, errors: %s", len(result.purged), result.errors)
    return len(result.purged)
