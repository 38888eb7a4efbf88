"""remix.db.copy: an Arrow table sent by COPY, binary or CSV, stores what the values say."""

import json

import pyarrow as pa
import pytest
import shapely
from django.db import connection

from remix import db
from remix.db import copy

pytestmark = pytest.mark.django_db

TABLE = 'copy "test"'  # a name that needs quoting
POINTS = [shapely.Point(1, 2), None, shapely.Polygon([(0, 0), (0, 5), (5, 5), (0, 0)])]
ROWS = {
    "n": pa.array([1, None, -(2**31)], pa.int64()),
    "big": pa.array([2**40, 0, None], pa.int64()),
    "name": pa.array(['a "quoted", text', "", None], pa.string()),
    "attrs": pa.array(['{"k": 1.5}', None, '{"s": "è\\n"}'], pa.string()),
    "geom": pa.array([None if g is None else shapely.to_wkb(g) for g in POINTS], pa.binary()),
}


def _table(cur):
    query = db.compose(
        "CREATE TEMP TABLE {t} (n integer, big bigint, name text, attrs jsonb, geom geometry) ON COMMIT DROP",
        t=TABLE,
    )
    db.execute(cur, query)


def _stored(cur):
    query = db.compose("SELECT n, big, name, attrs, ST_AsText(geom) FROM {t} ORDER BY big NULLS LAST, n", t=TABLE)
    return [(n, big, name, None if a is None else json.loads(a), g) for n, big, name, a, g in db.execute(cur, query)]


def _expected():
    rows = zip(*(ROWS[c].to_pylist() for c in ("n", "big", "name", "attrs")), POINTS, strict=True)
    out = [
        (n, big, name, None if a is None else json.loads(a), None if g is None else g.wkt)
        for n, big, name, a, g in rows
    ]
    return sorted(out, key=lambda r: (r[1] is None, r[1] or 0, r[0] or 0))


def _wkt_equal(a, b):
    return a is b is None or shapely.from_wkt(a).equals(shapely.from_wkt(b))


@pytest.mark.parametrize("binary", [True, False])
def test_binary_and_csv_store_the_values(binary):
    rows = pa.table(ROWS)
    if not binary:  # CSV takes geometries as hexadecimal WKB
        rows = rows.set_column(4, "geom", copy.hex_wkb(rows.column("geom")))
    with connection.cursor() as cur:
        _table(cur)
        copy.copy_table(cur, TABLE, rows, kinds=["int4", "int8", "text", "jsonb", "geometry"] if binary else None)
        stored = _stored(cur)
    expected = _expected()
    assert [r[:4] for r in stored] == [r[:4] for r in expected]
    assert all(_wkt_equal(s[4], e[4]) for s, e in zip(stored, expected, strict=True))


def test_hex_wkb_is_the_hex_of_each_value_and_keeps_nulls():
    wkb = ROWS["geom"]
    assert copy.hex_wkb(wkb.slice(1)).to_pylist() == [None if v is None else v.hex() for v in wkb.to_pylist()[1:]]


def test_what_binary_cannot_hold_exactly_is_refused_before_anything_is_sent():
    with pytest.raises(copy.Unsupported):
        copy.binary_field(pa.array([2**31]), "int4")
    with pytest.raises(copy.Unsupported):
        copy.binary_field(pa.array([1.5]), "int8")
    with pytest.raises(copy.Unsupported):
        copy.binary_field(pa.array([1]), "float8")
    with pytest.raises(copy.Unsupported):
        copy.json_objects([("k", pa.array(["bell\x07"]))], 1)


def test_json_objects_are_what_json_dumps_reads():
    columns = [("t", pa.array(['a"b\\c', None])), ("f", pa.array([1.0, 2.5])), ("b", pa.array([True, None]))]
    got = [json.loads(v) for v in copy.json_objects(columns, 2).to_pylist()]
    assert got == [{"t": 'a"b\\c', "f": 1.0, "b": True}, {"f": 2.5}]
    with_nulls = [json.loads(v) for v in copy.json_objects(columns, 2, nulls=True).to_pylist()]
    assert with_nulls[1] == {"t": None, "f": 2.5, "b": None}


def test_the_statement_quotes_every_name():
    text = db.render(copy.statement(("s", 'x"y'), ["a b", "c"], binary=True))
    assert text == 'COPY "s"."x""y" ("a b", "c") FROM STDIN (FORMAT binary)'
