"""`make data` from an empty database, then again: the second run changes nothing.

The commands are read from the Makefile's ``data`` recipe, so the test follows what operators run.
"""

import io
import logging
import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def data_recipe() -> list[list[str]]:
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    recipe = re.search(r"^data:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    commands = []
    for line in recipe.splitlines():
        line = line.strip().lstrip("@").split(">")[0]
        words = shlex.split(line)
        assert words[:2] == ["$(PY)", "manage.py"], line  # every step is a manage.py command
        commands.append(words[2:])
    return commands


def snapshot() -> dict:
    from etl.models import DatasetVersion
    from indicatori.models import IndicatorRun, IndicatorValue
    from layers.models import Layer

    return {
        "versions": list(DatasetVersion.objects.order_by("pk").values_list("pk", "source_id", "version")),
        "runs": IndicatorRun.objects.count(),
        "values": IndicatorValue.objects.count(),
        "layers": sorted(Layer.objects.values_list("slug", "updated_at")),
    }


def test_make_data_loads_an_empty_database_and_a_second_run_is_a_no_op(tmp_path, settings, caplog):
    from etl.declarations import all_sources
    from layers.ogc import service

    settings.REMIX = {**settings.REMIX, "OGC_DIR": tmp_path / "ogc"}
    commands = data_recipe()
    assert [c[:2] for c in commands][:3] == [["etl", "run"], ["layers", "sync"], ["indicatori", "refresh"]]
    first = io.StringIO()
    for command in commands:
        call_command(*command, stdout=first, stderr=first)
    # The hooks run after each load (indicators, matching context) log their failures instead of
    # failing the load: none may fail.
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    loaded = snapshot()
    assert {source for _pk, source, _v in loaded["versions"]} == set(all_sources())
    assert loaded["runs"] > 0 and loaded["values"] > 9_000  # every indicator, every level
    assert len(loaded["layers"]) >= len(all_sources()) - 2

    again = io.StringIO()
    for command in commands:
        call_command(*command, stdout=again, stderr=again)
    now = snapshot()
    assert now["versions"] == loaded["versions"], (now["versions"], again.getvalue())
    assert now == loaded  # no new version, no recomputation, no layer touched
    out = again.getvalue()
    assert "loaded" not in out and "0 creati, 0 aggiornati" in out, out
    # A later reload of stations or PTM layers recomputes the matching context over the loaded data.
    from incontri import context

    assert all(n >= 0 for _kind, n in context.refresh(force=True))
    service.close_connections()
