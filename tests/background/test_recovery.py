"""The job system's rules, one at a time: what is retried, what is given up, what recovery does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync
from django.db import OperationalError, connection
from procrastinate.contrib.django import app
from procrastinate.jobs import Job

from background import runtime
from background.models import JobFailure
from etl import jobs as etl_jobs
from etl.errors import SourceUnreadable
from etl.models import DatasetVersion, EtlJob
from etl.tasks import KIND as LOAD
from etl.tasks import run_load

from .conftest import forget_jobs


def _job(attempts: int) -> Job:
    return Job(
        id=1, queue="loads", lock=None, queueing_lock=None, task_name="run_load", task_kwargs={}, attempts=attempts
    )


def test_a_database_failure_is_retried_and_an_input_error_is_not():
    strategy = run_load.retry_strategy
    assert strategy.get_retry_decision(exception=OperationalError("server closed the connection"), job=_job(0))
    assert strategy.get_retry_decision(exception=SourceUnreadable("file missing"), job=_job(0)) is None
    assert strategy.get_retry_decision(exception=ValueError("bad value"), job=_job(0)) is None
    last = runtime.conf("transient_retries")
    assert strategy.get_retry_decision(exception=OperationalError("down"), job=_job(last)) is None


@pytest.mark.django_db
def test_a_transient_failure_keeps_the_job_running_until_its_last_attempt(comuni):
    job = etl_jobs.enqueue("stazioni", requested_by="test")
    EtlJob.objects.filter(pk=job.pk).update(status="running")

    def down():
        raise OperationalError("the database system is shutting down")

    for attempt in (0, runtime.conf("transient_retries")):
        with pytest.raises(OperationalError):
            runtime.guarded(LOAD, job.pk, SimpleNamespace(job=_job(attempt)), down)
        job.refresh_from_db()
        if attempt == 0:
            assert job.status == "running"  # it will be tried again
    assert job.status == "failed" and "database non raggiungibile" in job.error
    failures = list(JobFailure.objects.filter(kind="load", object_id=job.pk).order_by("id"))
    assert [f.final for f in failures] == [False, True]
    assert "OperationalError: the database system is shutting down" in failures[-1].traceback


@pytest.mark.real_jobs
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_died_twice_is_failed_with_a_reason_and_cleaned_up(comuni):
    forget_jobs()
    try:
        job = etl_jobs.enqueue("stazioni", requested_by="test")
        EtlJob.objects.filter(pk=job.pk).update(status="running")
        dead_run = DatasetVersion.objects.create(
            source_id="stazioni", location="x", reader="file", run_by=f"job {job.pk} (test)"
        )
        with connection.cursor() as cur:
            # A worker whose last heartbeat is an hour old runs the job, already resumed once.
            cur.execute(
                "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour') RETURNING id"
            )
            worker = cur.fetchone()[0]
            cur.execute(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s, attempts = %s"
                " WHERE task_name = 'run_load'",
                [worker, runtime.conf("crash_retries")],
            )
            cur.execute("CREATE UNLOGGED TABLE etl_stage_2147483600 (x int)")  # a stage no session owns
        done = async_to_sync(runtime.recover)(app.job_manager)
        assert len(done["failed"]) == 1 and done["resumed"] == []
        job.refresh_from_db()
        assert job.status == "failed" and "si è interrotto 2 volte" in job.error
        dead_run.refresh_from_db()
        assert dead_run.status == "failed" and "interrotto prima del termine" in dead_run.error
        with connection.cursor() as cur:
            cur.execute("SELECT status FROM procrastinate_jobs WHERE task_name = 'run_load'")
            assert cur.fetchone()[0] == "failed"
            cur.execute("SELECT to_regclass('etl_stage_2147483600')")
            assert cur.fetchone()[0] is None
        assert JobFailure.objects.get(kind="load", object_id=job.pk).final
        # Recovery again finds nothing to do: the job stays failed, nobody resumes it.
        assert async_to_sync(runtime.recover)(app.job_manager)["failed"] == []
    finally:
        forget_jobs()


@pytest.mark.real_jobs
@pytest.mark.django_db(transaction=True)
def test_rows_left_queued_or_running_without_a_job_are_queued_again_or_failed(comuni):
    forget_jobs()
    try:
        queued = EtlJob.objects.create(source_id="stazioni", requested_by="lost")  # its job was never deferred
        running = EtlJob.objects.create(source_id="comuni", requested_by="lost", status="running")
        old = runtime.since(runtime.timedelta(hours=1))
        EtlJob.objects.filter(pk__in=[queued.pk, running.pk]).update(created_at=old, started_at=old)
        out = runtime.reconcile()
        assert ("load", queued.pk) in out["requeued"] and ("load", running.pk) in out["orphaned"]
        assert runtime.live_ids(LOAD) == {queued.pk}
        running.refresh_from_db()
        assert running.status == "failed" and running.error == runtime.ORPHAN_REASON
    finally:
        forget_jobs()


def test_periodic_work_is_scheduled_by_the_job_system():
    """Recovery, the retention of delivery files, expired exports and old job rows run on their own."""
    crons = {p.task.name: (p.cron, p.task.queue) for p in app.periodic_registry.periodic_tasks.values()}
    assert crons["recover_stalled_jobs"] == ("* * * * * */30", "maintenance")  # every 30 s by default
    assert crons["purge_delivery_files"] == ("40 2 * * *", "maintenance")
    assert crons["purge_expired_exports"] == ("7 * * * *", "maintenance")
    assert crons["forget_finished_jobs"][1] == "maintenance"


@pytest.mark.django_db
def test_a_failed_job_keeps_its_traceback_for_staff_in_the_admin(comuni, admin_client, client):
    job = etl_jobs.enqueue("stazioni", requested_by="test")

    def bug():
        raise ValueError("colonna inattesa nel file")

    with pytest.raises(ValueError):
        runtime.guarded(LOAD, job.pk, SimpleNamespace(job=_job(0)), bug)
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "ValueError: colonna inattesa nel file"
    page = admin_client.get(f"/admin/etl/etljob/{job.pk}/change/").content.decode()
    assert "Traceback (most recent call last)" in page and "in bug" in page
    listing = admin_client.get("/admin/background/jobfailure/").content.decode()
    assert "colonna inattesa nel file" in listing
    assert client.get(f"/admin/etl/etljob/{job.pk}/change/").status_code == 302  # not for anonymous users
