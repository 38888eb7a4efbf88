"""Versions are kept and restorable; a load killed half-way leaves the previous data intact."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from background.testing import run_jobs
from etl import archive, jobs
from etl.declarations import get_source
from etl.models import DatasetVersion, EtlJob
from mappature.models import Comune

ROOT = Path(settings.BASE_DIR)


def _edition(tmp_path, drop: int) -> str:
    data = json.loads((settings.REMIX["DATA_DIR"] / "comuni_cmm.geojson").read_text(encoding="utf-8"))
    del data["features"][:drop]
    path = tmp_path / f"comuni_meno_{drop}.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_an_earlier_version_is_restored_and_stays_until_forced(comuni, load_source, tmp_path):
    load_source("comuni", location=_edition(tmp_path, 3))
    assert Comune.objects.count() == 130
    restored = archive.restore(get_source("comuni"), 1, run_by="test")
    assert restored.status == "restored" and restored.version == 3 and restored.loaded == 3
    assert Comune.objects.count() == 133
    assert DatasetVersion.objects.get(source_id="comuni", version=3).restored_from == 1
    # `make run` does not undo a restore; --force does.
    assert load_source("comuni").status == "unchanged"
    assert load_source("comuni", force=True).status == "loaded"


def test_restoring_a_version_that_does_not_exist_is_a_clear_error(comuni):
    with pytest.raises(archive.RestoreError, match="non ha una versione 9"):
        archive.restore(get_source("comuni"), 9)


def _fingerprint():
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), md5(string_agg(c::text, '|' ORDER BY istat_code)) FROM mappature_comune c")
        return cur.fetchone()


KILLED_LOAD = """
import os, sys, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "remix.settings"
django.setup()
from etl import pipeline, staging
from etl.declarations import get_source

merge = staging.merge
def merge_then_hang(cur, target):
    result = merge(cur, target)          # the target rows are written, the transaction still open
    open(sys.argv[2], "w").close()
    time.sleep(600)
    return result
staging.merge = merge_then_hang
pipeline.run(get_source("comuni"), location=sys.argv[1], force=True, run_by="killed")
"""


@pytest.mark.django_db(transaction=True)
def test_a_load_killed_half_way_leaves_the_previous_data(load_source, tmp_path):
    load_source("comuni")
    before = _fingerprint()
    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    marker = tmp_path / "merged"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_LOAD, _edition(tmp_path, 40), str(marker)], cwd=ROOT, env=env)
    try:
        for _ in range(300):
            if marker.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the load never reached the merge"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.5)  # the server notices the closed connection and rolls back
    assert _fingerprint() == before
    # The next run recognises the dead one and records it as failed.
    assert load_source("comuni").status == "unchanged"
    dead = DatasetVersion.objects.get(source_id="comuni", run_by="killed")
    assert dead.status == "failed" and "interrotto" in dead.error and dead.version is None


@pytest.mark.django_db(transaction=True)
def test_background_job_runs_through_the_queue(load_source):
    load_source("comuni")
    job = jobs.enqueue("stazioni", requested_by="test")
    assert EtlJob.objects.get(pk=job.pk).status == "queued"
    assert run_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.result, job.version) == ("done", "loaded", 1)
    failing = jobs.enqueue("stazioni", options={"location": "/nope.geojson", "force": True})
    run_jobs()
    failing.refresh_from_db()
    assert failing.status == "failed" and "non esiste" in failing.error


def test_the_lineage_of_a_layer_names_a_restore_and_what_it_brought_back(comuni, load_source, tmp_path):
    """Both the lineage a layer records as loads happen and the one a layer declared later inherits."""
    from layers.models import Layer
    from layers.sync import sync
    from remix.lineage import versions

    sync()
    load_source("comuni", location=_edition(tmp_path, 3))
    archive.restore(get_source("comuni"), 1, run_by="test")
    inherited = versions("comuni")
    assert [v["version"] for v in inherited] == [1, 2, 3]
    assert inherited[-1]["restored_from"] == 1 and "restored_from" not in inherited[0]
    recorded = Layer.objects.get(slug="comuni").metadata["lineage"]
    assert [(v["version"], v.get("restored_from")) for v in recorded][-2:] == [(2, None), (3, 1)]
