"""A first load into an empty scope writes each row once, and gives what the staged path gives.

The same file, with a row of every kind the rules reject, goes through the write-once path
(etl/firstload.py) and through the staged path (stage, validate, insert); the target rows,
the rejects (row numbers and reasons) and the rejected rows' data must be the same.
"""

import json
from contextlib import contextmanager

import pytest
from django.db import connection

from etl import bulk, firstload, pipeline
from etl.declarations import get_source
from etl.models import DatasetVersion
from mappature.models import PgtFeature
from remix.db import copy

SQUARE = [[[514000, 5034000], [514000, 5034100], [514100, 5034100], [514100, 5034000], [514000, 5034000]]]
FAR = [[[515000, 5034000], [515000, 5034100], [515100, 5034100], [515100, 5034000], [515000, 5034000]]]
BOWTIE = [[[514200, 5034000], [514300, 5034100], [514300, 5034000], [514200, 5034100], [514200, 5034000]]]
LINE = [[[514400, 5034000], [514500, 5034000], [514450, 5034000], [514400, 5034000]]]  # collapses to a line
POINT = {"type": "Point", "coordinates": [514000, 5034000]}
MILANO, UNKNOWN = "015146", "999999"


def _polygon(rings):
    return {"type": "Polygon", "coordinates": rings}


def _multi(rings):
    return {"type": "MultiPolygon", "coordinates": [rings]}


# (ID, ISTAT_COM, CATEGORIA, DCATEGORIA, geometry): one row of each kind the rules judge. Most are
# MultiPolygons (written straight into the target); Polygons and the Point are held back and staged.
ROWS = [
    ("R1", MILANO, "1", "Rigenerazione urbana", _polygon(SQUARE)),  # 1 kept: a Polygon, made multi
    (None, MILANO, "1", "Rigenerazione urbana", _multi(SQUARE)),  # 2 required field missing
    ("R3", MILANO, "1", "Rigenerazione urbana", {"type": "MultiPolygon", "coordinates": []}),  # 3 empty geometry
    ("R4", MILANO, "1", "Rigenerazione urbana", None),  # 4 no geometry
    ("R5", MILANO, "1", "Rigenerazione urbana", _multi(BOWTIE)),  # 5 invalid: repaired in place
    ("R6", MILANO, "1", "Rigenerazione urbana", POINT),  # 6 wrong type
    ("R7", UNKNOWN, "1", "Rigenerazione urbana", _multi(FAR)),  # 7 unknown lookup (no such atto)
    ("R8", MILANO, "XYZ", "Inventata", _multi(FAR)),  # 8 value not in its code list
    ("R1", MILANO, "1", "Rigenerazione urbana", _multi(FAR)),  # 9 duplicate of row 1 (a held-back row)
    ("R" * 81, MILANO, "1", "Rigenerazione urbana", _multi(FAR)),  # 10 too long: conversion error
    ("R11", UNKNOWN, "1", "Rigenerazione urbana", POINT),  # 11 unknown lookup and wrong type: the type first
    ("R5", MILANO, "1", "Rigenerazione urbana", _multi(FAR)),  # 12 duplicate of the repaired row 5
    ("R13", None, "1", "Rigenerazione urbana", _multi(FAR)),  # 13 no comune: atto and istat_code missing
    ("R3", MILANO, "1", "Rigenerazione urbana", _multi(FAR)),  # 14 same key as rejected row 3: kept
    ("R15", MILANO, "1", "Rigenerazione urbana", _multi(LINE)),  # 15 invalid, nothing of a polygon left
    ("R16", MILANO, "1", "Rigenerazione urbana", _polygon(FAR)),  # 16 kept
    ("R17", MILANO, "XYZ", "Inventata", _polygon(FAR)),  # 17 a held-back row with a bad code
]
EXPECTED_REJECTS = {2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 15, 17}


def _write_delivery(folder, rows=ROWS):
    """A GeoJSON named after its regional layer, in 32632 (the storage CRS)."""
    features = [
        {
            "type": "Feature",
            "geometry": geometry,
            "properties": {"ID": key, "ISTAT_COM": istat, "NOME_AMB": "AR", "CATEGORIA": code, "DCATEGORIA": desc},
        }
        for key, istat, code, desc, geometry in rows
    ]
    path = folder / "ambiti_rigenerazione.geojson"
    collection = {"type": "FeatureCollection", "features": features}
    collection["crs"] = {"type": "name", "properties": {"name": "EPSG:32632"}}
    path.write_text(json.dumps(collection))
    return path


@contextmanager
def _path_taken(monkeypatch, staged: bool = False):
    """Which way each load went (True: written once); ``staged`` forces the staged path."""
    taken = []
    original = firstload.write

    def write(*args, **kwargs):
        done = False if staged else original(*args, **kwargs)
        taken.append(done)
        return done

    monkeypatch.setattr(firstload, "write", write)
    yield taken
    monkeypatch.setattr(firstload, "write", original)


def _outcome(result):
    """What a user sees of a load: the rows stored, the rejects, the rejected rows' data."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT f.feature_key, f.layer, f.istat_code, c.istat_code, f.attrs, ST_AsEWKT(f.geom) "
            "FROM mappature_pgtfeature f JOIN mappature_pgtatto a ON a.id = f.atto_id "
            "JOIN mappature_comune c ON c.id = a.comune_id ORDER BY 1, 2"
        )
        rows = cur.fetchall()
    version = DatasetVersion.objects.get(source_id="pgt_sintetico", version=result.version)
    stored = sorted((r.row_number, r.reason, json.dumps(r.data, sort_keys=True)) for r in version.rejects.all())
    counts = (result.read, result.loaded, result.unchanged, result.deleted, result.rejected)
    return rows, sorted(result.rejects), stored, counts


def _bulk_sized(monkeypatch):
    """Loads of a few rows take the bulk way (keys dropped for the COPY): PostgreSQL's estimate of
    the rows the table holds (which an index build leaves behind even when rolled back) refreshed."""
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    with connection.cursor() as cur:
        cur.execute("ANALYZE mappature_pgtfeature")


def _load_both_ways(tmp_path, monkeypatch):
    path = str(_write_delivery(tmp_path))
    source = get_source("pgt_sintetico")
    with _path_taken(monkeypatch) as taken:
        once = pipeline.run(source, location=path, run_by="test", force=True)
    first = _outcome(once)
    PgtFeature.objects.all().delete()
    with _path_taken(monkeypatch, staged=True):
        twice = pipeline.run(source, location=path, run_by="test", force=True)
    return taken, first, _outcome(twice)


@pytest.mark.django_db
def test_every_kind_of_bad_row_is_judged_alike_on_both_paths(comuni, tmp_path, monkeypatch):
    """Bulk-sized (the keys dropped for the COPY): written once, with the staged path's result."""
    _bulk_sized(monkeypatch)
    taken, once, staged = _load_both_ways(tmp_path, monkeypatch)
    assert taken == [True]
    assert once == staged
    rows, rejects, _, counts = once
    assert {row for row, _ in rejects} == EXPECTED_REJECTS
    reasons = dict(rejects)
    assert reasons[2] == "campo obbligatorio mancante: feature_key"
    assert reasons[3] == reasons[4] == "geometria vuota o assente"
    assert reasons[6] == reasons[11] == reasons[15] == "geometria non valida o di tipo diverso da MULTIPOLYGON"
    assert reasons[7].startswith("valore non trovato in") and reasons[7].endswith(": atto")
    assert "CATEGORIA/DCATEGORIA: «XYZ»" in reasons[8]
    assert reasons[9] == "chiave duplicata: già presente alla riga 1"
    assert reasons[12] == "chiave duplicata: già presente alla riga 5"
    assert reasons[10] == "feature_key: testo più lungo di 80 caratteri"
    assert reasons[13] == "campo obbligatorio mancante: atto"
    assert [r[0] for r in rows] == ["R1", "R16", "R3", "R5"]
    assert all(r[5].startswith("SRID=32632;MULTIPOLYGON") for r in rows)  # repaired, made multi, in place
    assert "CATEGORIA/DCATEGORIA: «XYZ»" in reasons[17]
    assert counts == (17, 4, 0, 0, 13)


@pytest.mark.django_db
def test_a_small_first_load_with_duplicates_falls_back_to_the_staged_path_alike(comuni, tmp_path, monkeypatch):
    """Below the bulk size the unique key stays during the COPY: a duplicate makes PostgreSQL refuse
    it, the attempt is undone and the staged path loads the file, with the same result."""
    taken, once, staged = _load_both_ways(tmp_path, monkeypatch)
    assert taken == [False]
    assert once == staged
    assert len(once[0]) == 4 and {row for row, _ in once[1]} == EXPECTED_REJECTS


@pytest.mark.django_db
def test_a_held_back_row_that_passes_keeps_its_key_over_a_later_written_row(comuni, tmp_path, monkeypatch):
    """Row 1, a Polygon, is held back and staged, then made multi and kept; row 2, a MultiPolygon
    with the same key, was written directly: it is the duplicate, on both paths."""
    _bulk_sized(monkeypatch)
    rows = [ROWS[0], ("R1", MILANO, "1", "Rigenerazione urbana", _multi(FAR)), ROWS[15]]
    path = str(_write_delivery(tmp_path, rows))
    source = get_source("pgt_sintetico")
    with _path_taken(monkeypatch) as taken:
        once = _outcome(pipeline.run(source, location=path, run_by="test", force=True))
    PgtFeature.objects.all().delete()
    with _path_taken(monkeypatch, staged=True):
        staged = _outcome(pipeline.run(source, location=path, run_by="test", force=True))
    assert taken == [True]
    assert once == staged
    assert once[1] == [(2, "chiave duplicata: già presente alla riga 1")]
    assert [(r[0], r[5]) for r in once[0]] == [
        (
            "R1",
            "SRID=32632;MULTIPOLYGON(((514000 5034000,514000 5034100,514100 5034100,514100 5034000,514000 5034000)))",
        ),
        (
            "R16",
            "SRID=32632;MULTIPOLYGON(((515000 5034000,515000 5034100,515100 5034100,515100 5034000,515000 5034000)))",
        ),
    ]


@contextmanager
def _copies(monkeypatch):
    """(relation, rows) of every COPY a load makes."""
    copied = []
    original = copy.copy_from

    @contextmanager
    def copy_from(cur, target, columns, kinds=None):
        with original(cur, target, columns, kinds) as out:
            write = out.write

            def counted(rows):
                copied.append((str(target), rows.num_rows))
                write(rows)

            out.write = counted
            yield out

    monkeypatch.setattr(copy, "copy_from", copy_from)
    yield copied
    monkeypatch.setattr(copy, "copy_from", original)


def _inserted(table):
    """Rows inserted into ``table`` as PostgreSQL counts them (pending counts of earlier transactions
    not yet reported may be included: compare two readings in one transaction)."""
    with connection.cursor() as cur:
        cur.execute("SELECT n_tup_ins FROM pg_stat_xact_user_tables WHERE relname = %s", [table])
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_a_first_load_writes_each_row_once_and_stages_none(comuni, load_source, monkeypatch):
    """A clean synthetic plan: every row COPYed once, into PgtFeature; no row into a stage."""
    table = PgtFeature._meta.db_table
    before = _inserted(table)
    with _copies(monkeypatch) as copied, _path_taken(monkeypatch) as taken:
        result = load_source("pgt_sintetico", options={"scale": 1500})
    assert taken == [True] and result.rejected == 0 and result.loaded > 1000
    into_target = sum(n for relation, n in copied if relation == table)
    staged = sum(n for relation, n in copied if relation.startswith("etl_stage"))
    assert into_target == result.loaded and staged == 0
    assert _inserted(table) - before == result.loaded  # inserted once: no second write of the same rows


@pytest.mark.django_db
def test_a_load_into_a_scope_holding_rows_is_staged_and_merged(comuni, load_source, monkeypatch):
    """A second load into the same scope (here a changed scale) takes the staged path: upsert."""
    load_source("pgt_sintetico", options={"scale": 1500})
    with _copies(monkeypatch) as copied, _path_taken(monkeypatch) as taken:
        result = load_source("pgt_sintetico", options={"scale": 2500})
    assert taken == [False]
    assert sum(n for relation, n in copied if relation.startswith("etl_stage")) == result.read
    assert PgtFeature.objects.count() == result.loaded + result.unchanged


@pytest.mark.django_db
def test_the_key_count_is_made_while_postgresql_still_reads_the_copy(comuni, load_source, monkeypatch):
    """Arrow counts the natural keys (and the code-list values) after the last slice is sent but
    before the COPY into the target ends: the load's thread would otherwise only wait there."""
    from etl import convert

    open_copies, seen = [], []
    original_copy, original_count = copy.copy_from, convert.has_duplicate_keys

    @contextmanager
    def copy_from(cur, target, columns, kinds=None):
        with original_copy(cur, target, columns, kinds) as out:
            open_copies.append(str(target))
            yield out
            open_copies.remove(str(target))

    def has_duplicate_keys(rows, key):
        seen.append((list(open_copies), rows.num_rows))
        return original_count(rows, key)

    monkeypatch.setattr(copy, "copy_from", copy_from)
    monkeypatch.setattr(convert, "has_duplicate_keys", has_duplicate_keys)
    with _path_taken(monkeypatch) as taken:
        result = load_source("pgt_sintetico", options={"scale": 1500})
    assert taken == [True] and result.rejected == 0
    assert seen == [([PgtFeature._meta.db_table], result.read)]


@pytest.mark.django_db
def test_the_first_slice_of_the_copy_is_small_for_postgresql_to_start_sooner(comuni, load_source, monkeypatch):
    """The COPY into the target sends a small first slice, then full-size ones: every row once."""
    from etl import convert

    monkeypatch.setattr(firstload, "FIRST_SLICE_ROWS", 100)
    monkeypatch.setattr(convert, "SLICE_ROWS", 500)
    with _copies(monkeypatch) as copied, _path_taken(monkeypatch) as taken:
        result = load_source("pgt_sintetico", options={"scale": 1500})
    sizes = [n for relation, n in copied if relation == PgtFeature._meta.db_table]
    assert taken == [True] and result.rejected == 0
    assert sizes[0] == 100 and set(sizes[1:-1]) == {500} and sum(sizes) == result.loaded
