"""The Arrow staging path stores exactly what the row-by-row path stores, rejects included."""

import json

import pytest
from django.db import connection

from etl import convert, pipeline, staging
from mappature.models import ThematicFeature
from remix.db import copy

from .conftest import aree_source

SQUARE = {"type": "MultiPolygon", "coordinates": [[[[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]]]}
AWKWARD = [  # (CODICE, NOME, extra attributes): what a municipal file really contains
    ("A1", '  Cascina "Rossa"  ', {"NOTE": "riga 1\nriga 2\tfine", "PERC": 12.5, "N": 3, "OK": True}),
    ("A2", "Via C:\\percorso", {"NOTE": "", "PERC": None, "N": 0, "OK": False}),
    ("A3", "Città – «ex Falck»", {"NOTE": None, "PERC": 1.0, "N": None, "OK": None}),
    ("  A4 ", "", {"NOTE": "è già", "PERC": -0.25, "N": 7, "OK": True}),
    ("A5", "x" * 201, {"NOTE": "troppo lungo", "PERC": 2.0, "N": 1, "OK": True}),
    ("", "senza chiave", {"NOTE": "scartata", "PERC": 3.0, "N": 2, "OK": False}),
    ("A1", "doppione", {"NOTE": "scartata", "PERC": 4.0, "N": 5, "OK": True}),
]


def _write(path, rows, note_override=None):
    features = []
    for code, name, extra in rows:
        props = {"CODICE": code, "NOME": name, **extra}
        if note_override is not None:
            props["NOTE"] = note_override
        features.append({"type": "Feature", "properties": props, "geometry": SQUARE})
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": features,
                "crs": {"type": "name", "properties": {"name": "EPSG:32632"}},
            }
        )
    )
    return path


def _stored():
    with connection.cursor() as cur:
        cur.execute(
            "SELECT feature_key, name, attrs, ST_AsText(geom) FROM mappature_thematicfeature "
            "WHERE layer = 'prova' ORDER BY feature_key"
        )
        return cur.fetchall()


def _load_both_ways(tmp_path, monkeypatch, rows):
    """(rows stored, rejects) by the Arrow path, then by the row-by-row path, on the same file."""
    path = _write(tmp_path / "aree.geojson", rows)
    used = []
    original = convert.arrow_rows
    monkeypatch.setattr(convert, "arrow_rows", lambda *a: used.append(original(*a)) or used[-1])
    fast = pipeline.run(aree_source(str(path)), run_by="test")
    fast_rows = _stored()
    ThematicFeature.objects.filter(layer="prova").delete()
    monkeypatch.setattr(convert, "arrow_rows", lambda *a: None)
    slow = pipeline.run(aree_source(str(path)), run_by="test", force=True)
    return used, (fast_rows, fast.rejects), (_stored(), slow.rejects)


@pytest.mark.django_db
def test_arrow_path_stores_what_the_row_path_stores(tmp_path, monkeypatch):
    used, fast, slow = _load_both_ways(tmp_path, monkeypatch, AWKWARD)
    assert used and used[0] is not None, "the Arrow path was not taken"
    assert fast == slow
    stored = {key: (key, name, json.loads(attrs)) for key, name, attrs, _ in fast[0]}
    assert stored["A1"][1] == 'Cascina "Rossa"' and stored["A1"][2]["NOTE"] == "riga 1\nriga 2\tfine"
    assert stored["A2"][1] == "Via C:\\percorso" and stored["A4"][1] == ""
    assert "N" not in stored["A3"][2] and stored["A1"][2]["OK"] is True
    reasons = dict(fast[1])
    assert "più lungo di 200" in reasons[5] and "campo obbligatorio" in reasons[6] and "duplicata" in reasons[7]


@pytest.mark.django_db
def test_control_characters_take_the_row_path(tmp_path, monkeypatch):
    rows = [(code, name, {**extra, "NOTE": "bell\x07"}) for code, name, extra in AWKWARD[:3]]
    used, fast, slow = _load_both_ways(tmp_path, monkeypatch, rows)
    assert used == [None]
    assert fast == slow and json.loads(fast[0][0][2])["NOTE"] == "bell\x07"


@pytest.mark.django_db
def test_a_later_slice_needing_the_row_path_restarts_cleanly(tmp_path, monkeypatch):
    """Slices already copied are dropped when a later one needs the row path: no row twice, none lost."""
    monkeypatch.setattr(convert, "SLICE_ROWS", 2)
    rows = [*AWKWARD[:4], ("B9", "campanello", {"NOTE": "bell\x07"})]
    used, fast, slow = _load_both_ways(tmp_path, monkeypatch, rows)
    assert used[0] is not None and used[-1] is None
    assert fast == slow and [r[0] for r in fast[0]] == ["A1", "A2", "A3", "A4", "B9"]


@pytest.mark.django_db
def test_binary_and_csv_copy_store_the_same(tmp_path, monkeypatch):
    """Text, JSON and integer columns go by binary COPY (WKB geometries); CSV (hex WKB) stores the same."""
    path = _write(tmp_path / "aree.geojson", AWKWARD)
    assert convert.binary_kinds(staging.Target(aree_source(str(path)))) is not None
    slices = []
    original = copy.binary_rows
    monkeypatch.setattr(copy, "binary_rows", lambda *a: slices.append(1) or original(*a))
    binary = pipeline.run(aree_source(str(path)), run_by="test")
    assert slices, "the binary COPY path did not run"
    binary_rows = _stored()
    ThematicFeature.objects.filter(layer="prova").delete()
    monkeypatch.setattr(convert, "binary_kinds", lambda target: None)
    csv = pipeline.run(aree_source(str(path)), run_by="test", force=True)
    assert (binary_rows, binary.rejects) == (_stored(), csv.rejects) and len(binary_rows) == 4


def _schema_of(table):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass ORDER BY 1",
            [table],
        )
        constraints = cur.fetchall()
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table])
        return constraints, cur.fetchall()


@pytest.mark.django_db
def test_a_bulk_load_gives_back_every_index_and_key_it_dropped(tmp_path, monkeypatch):
    """Into an empty scope the bulk path drops indexes and keys and re-adds them: the same ones."""
    from etl import bulk

    table = ThematicFeature._meta.db_table
    before = _schema_of(table)
    dropped = []
    original = bulk._indexes_rebuilt

    def spy(cur, name, incoming):
        with original(cur, name, incoming):
            dropped.append(_schema_of(name))
            yield

    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(bulk, "_indexes_rebuilt", __import__("contextlib").contextmanager(spy))
    result = pipeline.run(aree_source(str(_write(tmp_path / "aree.geojson", AWKWARD[:4]))), run_by="test")
    assert result.loaded == 4
    assert dropped and len(dropped[0][1]) < len(before[1])  # the bulk path really dropped some
    assert _schema_of(table) == before


def _stage_tables():
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'etl\\_stage\\_%%'")
        return cur.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_no_staging_table_outlives_a_load_committed_or_rejected(tmp_path):
    """The stage is an unlogged table in the shared schema: gone after a commit and after a failure."""
    from etl.errors import LoadRejected

    pipeline.run(aree_source(str(_write(tmp_path / "ok.geojson", AWKWARD[:2]))), run_by="test")
    assert _stage_tables() == 0
    with pytest.raises(LoadRejected):
        pipeline.run(aree_source(str(_write(tmp_path / "no.geojson", [("", "senza chiave", {})]))), run_by="test")
    assert _stage_tables() == 0


def test_integers_binary_copy_cannot_hold_go_the_row_by_row_way():
    import pyarrow as pa

    assert copy.binary_field(pa.array([7, None], pa.int64()), "int4")  # fits: encoded
    for column, kind in [(pa.array([2**40]), "int4"), (pa.array([2**63], pa.uint64()), "int8")]:
        with pytest.raises(copy.Unsupported):
            copy.binary_field(column, kind)
