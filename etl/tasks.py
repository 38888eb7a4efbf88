"""The ETL's background task: one load of one declared source (queue ``loads``)."""

from __future__ import annotations

from procrastinate.contrib.django import app

from background import runtime

from . import jobs


@app.task(name="run_load", queue=runtime.LOADS, pass_context=True, retry=runtime.retry_strategy())
def run_load(context, job_id: int) -> None:
    runtime.guarded(KIND, job_id, context, lambda: jobs.run(job_id, context))


KIND = runtime.register(
    runtime.JobKind(
        name="load",
        task_name="run_load",
        arg="job_id",
        give_up=jobs.give_up,
        orphans=jobs.orphans,
        requeue=jobs.requeue,
    )
)
