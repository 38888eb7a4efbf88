"""Periodic work of the job system itself: recovering stalled jobs, forgetting old finished ones."""

from __future__ import annotations

from procrastinate.contrib.django import app

from . import conf, runtime

_every = int(conf.job("recover_every_s"))
# Under a minute: a 6-field cron whose last column is seconds (croniter, as procrastinate reads it).
RECOVER_CRON = f"* * * * * */{_every}" if _every < 60 else f"*/{max(_every // 60, 1)} * * * *"


@app.periodic(cron=RECOVER_CRON)
@app.task(
    name="recover_stalled_jobs", queue=runtime.MAINTENANCE, queueing_lock="recover_stalled_jobs", pass_context=True
)
async def recover_stalled_jobs(context, timestamp: int) -> dict:
    """Resume or fail the jobs of workers that stopped sending heartbeats; reconcile domain rows."""
    return await runtime.recover(context.app.job_manager)


@app.periodic(cron="17 3 * * *")
@app.task(
    name="forget_finished_jobs", queue=runtime.MAINTENANCE, queueing_lock="forget_finished_jobs", pass_context=True
)
async def forget_finished_jobs(context, timestamp: int) -> None:
    """Delete procrastinate's rows of jobs that ended long ago (failures stay in JobFailure)."""
    await context.app.job_manager.delete_old_jobs(
        nb_hours=24 * runtime.conf("keep_days"), include_failed=True, include_cancelled=True, include_aborted=True
    )
