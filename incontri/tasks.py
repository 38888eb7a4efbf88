"""The background refresh of the incontri analyses after an ETL load (queue ``maintenance``).

``queueing_lock``: at most one refresh waits in the queue (a burst of loads makes one job, which then
sees every version they moved); ``lock``: procrastinate never runs two at once; :func:`refresh.run`
adds an advisory lock shared with the synchronous paths (CLI, catch-up on read).
"""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from background import runtime

from . import refresh

log = logging.getLogger(__name__)
TASK = "incontri_refresh"


@app.task(
    name=TASK,
    queue=runtime.MAINTENANCE,
    queueing_lock=TASK,
    lock=TASK,
    pass_context=True,
    retry=runtime.retry_strategy(),
)
def refresh_analyses(context) -> dict:
    from django.db import connection

    try:
        done = refresh.run()
    except Exception as err:
        runtime.record_failure(
            "incontri_refresh",
            None,
            context,
            err,
            f"{type(err).__name__}: {err}",
            final=not isinstance(err, runtime.TRANSIENT_ERRORS),
        )
        raise
    finally:
        if not connection.in_atomic_block:  # each job in a fresh connection, as background.runtime.guarded
            connection.close()
    return {"zonal": len(done["zonal"]), "context": len(done["context"])}


def defer() -> bool:
    """Queue a refresh; False when one is already waiting (it will see the new versions too)."""
    try:
        refresh_analyses.defer()
    except runtime.AlreadyEnqueued:
        return False
    return True
