"""Settings of the background jobs (``settings.REMIX["JOBS"]``), each stated once with its default."""

from django.conf import settings

JOBS = {
    # Jobs run at once per queue by the worker process.
    "concurrency": {"validations": 1, "loads": 1, "exports": 2, "maintenance": 1},
    # Worker heartbeat; a worker silent for stalled_after_s is dead and its jobs are recovered,
    # which recover_every_s (a periodic job) checks.
    "heartbeat_s": 10.0,
    "stalled_after_s": 60.0,
    "recover_every_s": 30,
    # Times a job whose worker died is started again before it is failed with a reason.
    "crash_retries": 1,
    # Retries after a transient failure (database restarting), waiting transient_wait_s**n s.
    "transient_retries": 4,
    "transient_wait_s": 3,
    # Seconds between polls for new jobs when no notification arrives.
    "poll_s": 5.0,
    # Days procrastinate keeps the rows of finished jobs.
    "keep_days": 30,
}


def job(key: str):
    """``settings.REMIX["JOBS"][key]``, else its default above (read at each call)."""
    return settings.REMIX.get("JOBS", {}).get(key, JOBS[key])
