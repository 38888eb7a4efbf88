"""Checks in two lanes (two connections at once) report exactly what one connection reports.

These tests commit (transaction=True): only then can a second connection see the staging
tables, so only then do the lanes really run in parallel.
"""

import json
import threading

import pytest
from django.db import transaction

from consegne import lanes

from .conftest import BESATE

pytestmark = pytest.mark.django_db(transaction=True)


def _findings(c):
    return sorted(
        (f.rule, f.layer, f.feature, json.dumps(f.params, sort_keys=True), f.geom is None) for f in c.findings.all()
    )


@pytest.mark.parametrize("name", ["bad_geometry.zip", "good_3003_cp1252.zip"])
def test_lanes_report_what_one_connection_reports(tecnico, deliver, monkeypatch, name):
    threads = set()
    timed = lanes._timed

    def spy(step_name, step, seconds):
        threads.add(threading.current_thread().name)
        return timed(step_name, step, seconds)

    monkeypatch.setattr(lanes, "_timed", spy)
    with transaction.atomic():  # one connection: the lanes run one after the other
        alone = deliver(tecnico, name, istat=BESATE)
    assert threads == {threading.current_thread().name}
    threads.clear()
    parallel = deliver(tecnico, name, istat=BESATE)
    assert len({t for t in threads if t.startswith("consegne-lane")}) == 2, threads
    assert parallel.state == alone.state
    assert _findings(parallel) == _findings(alone)
    assert len(_findings(alone)) > 3


def test_a_failing_lane_fails_the_validation_and_leaves_no_staging_tables(tecnico, deliver, monkeypatch):
    from django.db import connection

    from consegne import sqlchecks
    from consegne.models import Consegna

    monkeypatch.setattr(sqlchecks, "COVERAGE_DEFICIT", "SELECT no_such_column FROM @features@")
    c = deliver(tecnico, "good_32632.gpkg", istat=BESATE)
    assert c.state == Consegna.State.FALLITA
    assert c.findings.get().rule == "internal_error"
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'consegne_staging'")
        assert cur.fetchone()[0] == 0
