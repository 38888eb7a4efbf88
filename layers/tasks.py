"""Background tasks of the layers app: GeoPackage exports (queue ``exports``) and their expiry."""

from __future__ import annotations

from procrastinate.contrib.django import app

from background import runtime

from .exports import jobs


@app.task(name=jobs.TASK, queue=runtime.EXPORTS, pass_context=True, retry=runtime.retry_strategy())
def run_export(context, export_id: int) -> None:
    runtime.guarded(KIND, export_id, context, lambda: jobs.run_queued(export_id))


KIND = runtime.register(
    runtime.JobKind(
        name="export",
        task_name=jobs.TASK,
        arg="export_id",
        give_up=jobs.give_up,
        orphans=jobs.orphans,
        requeue=lambda pk: jobs.start_background(jobs.ExportJob.objects.defer("area").get(pk=pk)),
    )
)


@app.periodic(cron="7 * * * *")
@app.task(name="purge_expired_exports", queue=runtime.MAINTENANCE, queueing_lock="purge_expired_exports")
def purge_expired_exports(timestamp: int) -> int:
    """Delete finished exports older than EXPORT_KEEP_HOURS, and their files (hourly)."""
    return jobs.purge_expired()
