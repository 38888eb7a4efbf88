"""Background task of the atlas: building a set of sheets (queue ``exports``, with the GeoPackages)."""

from __future__ import annotations

from procrastinate.contrib.django import app

from background import runtime

from . import atlas_jobs


@app.task(name=atlas_jobs.TASK, queue=runtime.EXPORTS, pass_context=True, retry=runtime.retry_strategy())
def build_atlas(context, build_id: int) -> None:
    runtime.guarded(KIND, build_id, context, lambda: atlas_jobs.run(build_id))


KIND = runtime.register(
    runtime.JobKind(
        name="atlas",
        task_name=atlas_jobs.TASK,
        arg="build_id",
        give_up=atlas_jobs.give_up,
        orphans=atlas_jobs.orphans,
        requeue=atlas_jobs.requeue,
    )
)
