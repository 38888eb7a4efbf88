"""The `etl` command as an operator uses it: list, run with a summary, status, history, restore, jobs."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mappature.models import Comune


def etl(*args) -> str:
    out = StringIO()
    call_command("etl", *args, stdout=out)
    return out.getvalue()


def test_list_shows_every_declared_source_and_marks_synthetic_ones(db):
    text = etl("list")
    for source_id in ("comuni", "realizzazioni", "stazioni", "pgt_sintetico", "ptm_lum", "sttm1_anomalia_termica"):
        assert source_id in text
    assert "(sintetico)" in text


def test_run_prints_a_summary_then_history_and_restore(db, tmp_path):
    assert "loaded" in etl("run", "comuni")
    edition = tmp_path / "comuni.geojson"
    from django.conf import settings

    text = (settings.REMIX["DATA_DIR"] / "comuni_cmm.geojson").read_text(encoding="utf-8")
    import json

    data = json.loads(text)
    data["features"] = data["features"][:100]
    edition.write_text(json.dumps(data), encoding="utf-8")
    summary = etl("run", "comuni", "--location", str(edition), "--quiet")
    assert "comuni: loaded v2" in summary and Comune.objects.count() == 100
    history = etl("history", "comuni")
    assert "Storia di comuni" in history and "loaded" in history
    assert "ripristinata la versione 1 come versione 3" in etl("restore", "comuni", "1")
    assert Comune.objects.count() == 133
    assert "comuni" in etl("status")


@pytest.mark.real_jobs
def test_background_run_is_queued_and_done_by_the_worker(transactional_db):
    """`etl run --background` queues in the database; `etl worker --once` (the worker's `loads` queue) runs it."""
    from tests.background.conftest import forget_jobs

    forget_jobs()
    try:
        etl("run", "comuni", "--quiet")
        assert "in coda come job" in etl("run", "stazioni", "--background")
        with pytest.raises(CommandError, match="già in coda"):
            etl("run", "stazioni", "--background")  # one waiting load per source: the second is refused
        assert "queued" in etl("jobs")
        assert "worker: loads" in etl("worker", "--once")
        jobs = etl("jobs")
        assert "done" in jobs and "loaded" in jobs and "queued" not in jobs
    finally:
        forget_jobs()


def test_unknown_source_and_missing_argument_are_clear_errors(db):
    with pytest.raises(CommandError, match="unknown source"):
        etl("run", "nessuna")
    with pytest.raises(CommandError, match="Indicare una sorgente oppure --all"):
        etl("run")
