"""A worker killed with kill -9 in the middle of a validation and of an ETL load: the job ends by itself.

The worker runs as `make run` runs it (scripts/worker.sh supervising `manage.py worker`); the test
pauses the job at a known point by holding a table lock the job needs, kills the worker with
SIGKILL, lets go of the lock, and then only waits: the supervisor starts a new worker, the job
system notices the dead worker's silence (heartbeat), resumes the job, and the job ends, with the
staging tables and temporary folders of the killed run gone. Nobody runs a command.
"""

from __future__ import annotations

import os
import signal
import time

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from background.models import JobFailure
from background.runtime import RESUMED_REASON
from consegne import actions
from etl import jobs as etl_jobs
from etl.models import DatasetVersion, EtlJob
from mappature.models import Comune, PgtAtto
from tests.consegne.conftest import ACT, BESATE, uploaded

from .conftest import wait_for

pytestmark = [pytest.mark.real_jobs, pytest.mark.django_db(transaction=True)]


def _blocker(table: str):
    """A second connection holding a lock that lets readers (and key checks) through but makes writers wait."""
    conf = connection.settings_dict
    conn = psycopg.connect(
        host=conf["HOST"], port=conf["PORT"], dbname=conf["NAME"], user=conf["USER"], password=conf["PASSWORD"] or None
    )
    conn.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(sql.Identifier(table)))
    return conn


def _waiting_on(table: str) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s", [f"%{table}%"]
        )
        return cur.fetchone()[0] > 0


def _relations(pattern: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'r' AND c.relname ~ %s",
            [pattern],
        )
        return [r[0] for r in cur.fetchall()]


def _kill_mid_job(sup, table: str, timeout: float = 120) -> float:
    """Pause the running job on ``table``, kill -9 its worker, release the table; returns the kill time."""
    blocker = _blocker(table)
    try:
        pid = sup.worker_pid()
        wait_for(lambda: _waiting_on(table), timeout, f"the job to reach its write into {table}")
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: sup.worker_pid() != pid, 30, "the supervisor to start a new worker")
    finally:
        blocker.rollback()
        blocker.close()
    return killed


def test_a_validation_killed_half_way_is_resumed_and_cleaned_up(supervised_worker, comuni, tmp_path, settings):
    from consegne.models import Membership
    from tests.consegne.conftest import make_user

    settings.REMIX = {**settings.REMIX, "CONSEGNE_DIR": tmp_path / "consegne", "WORK_DIR": tmp_path / "work"}
    tecnico = make_user("tecnico.besate", Membership.Role.TECNICO, BESATE)
    sup = supervised_worker(REMIX_CONSEGNE_DIR=str(tmp_path / "consegne"), REMIX_WORK_DIR=str(tmp_path / "work"))
    sup.worker_pid()
    # The blocker is taken before the upload: the validation runs every check, then waits to write its bozza.
    blocker = _blocker("mappature_pgtatto")
    try:
        consegna = actions.submit(tecnico, Comune.objects.get(istat_code=BESATE), uploaded("good_32632.gpkg"), ACT)
        pid = sup.worker_pid()
        wait_for(lambda: _waiting_on("mappature_pgtatto"), 120, "the validation to reach its bozza")
        # Half way: the delivery is being validated, its staging tables and temporary folder exist.
        consegna.refresh_from_db()
        assert consegna.state == "in_validazione"
        assert _relations(f"^(raw|stg)_{consegna.pk}$")
        assert list((tmp_path / "work").glob(f"consegna-{consegna.pk}-*"))
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
    finally:
        blocker.rollback()
        blocker.close()

    def ended():
        consegna.refresh_from_db()
        return consegna.state not in ("in_coda", "in_validazione")

    wait_for(ended, 300, "the validation to end by itself")
    recovered = time.monotonic() - killed
    print(f"\n[figure] validation killed with kill -9: ended {recovered:.1f} s later (resumed)")
    assert consegna.state == "in_revisione"  # resumed from the start, and it passed
    assert PgtAtto.objects.filter(comune__istat_code=BESATE, state="bozza").count() == 1
    assert consegna.findings.filter(rule="internal_error").count() == 0
    assert not _relations(f"^(raw|stg|cmn|pcs|prs|edg)_{consegna.pk}$")  # staging tables dropped
    assert not list((tmp_path / "work").glob(f"consegna-{consegna.pk}-*"))  # temporary folder removed
    assert JobFailure.objects.filter(kind="validation", object_id=consegna.pk, reason=RESUMED_REASON).exists()
    log = sup.log()
    assert "exited with status 137" in log  # the supervisor saw the worker die and started another
    assert "stalled jobs: resumed" in log  # the new worker's recovery, in its rotated log file


def test_an_etl_load_killed_half_way_is_resumed_and_the_dead_run_recorded(supervised_worker, load_source):
    load_source("comuni")
    sup = supervised_worker()
    sup.worker_pid()
    blocker = _blocker("mappature_stazione")
    try:
        job = etl_jobs.enqueue("stazioni", requested_by="test")
        pid = sup.worker_pid()
        wait_for(lambda: _waiting_on("mappature_stazione"), 120, "the load to reach its write")
        job.refresh_from_db()
        assert job.status == "running" and job.step
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
    finally:
        blocker.rollback()
        blocker.close()

    def ended():
        job.refresh_from_db()
        return job.status not in ("queued", "running")

    wait_for(ended, 300, "the load to end by itself")
    print(f"\n[figure] ETL load killed with kill -9: ended {time.monotonic() - killed:.1f} s later (resumed)")
    assert (job.status, job.result, job.version) == ("done", "loaded", 1)
    versions = dict(DatasetVersion.objects.filter(source_id="stazioni").values_list("status", "error"))
    assert "interrotto prima del termine" in versions["failed"]  # the killed run, recorded as such
    assert not _relations(r"^etl_stage_\d+$")  # no stage table left
    assert EtlJob.objects.get(pk=job.pk).worker != ""
