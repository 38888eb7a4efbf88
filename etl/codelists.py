"""Code-list validation in SQL: each code/description pair of a row must come from its code list."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from django.utils.module_loading import import_string

from remix import db
from remix.db import copy

from .declarations import Source
from .scratch import BADCODES, BADROWS, CODES, STAGE, VALUES, reject


def validate(cur, source: Source, known: pa.Table | None = None) -> None:
    """Reject rows whose code is not in its code list, or whose description does not match the code.

    ``source.codelists`` names {layer: [(code field, description field, {code: description})]}; the
    fields are read from the collected JSON (``attrs``); a layer "*" applies to every row.

    The check runs on the distinct (pair, code, description) values — a few hundred even in a
    metropolitan mosaic — and goes back to the rows only when some value is wrong: comparing
    every row with its code list was the slowest validation step of a large load.

    ``known``: distinct values Arrow found in the rows before they were written (a superset of
    the rows still there, :func:`distinct_values`); when none of them is wrong, the rows are not
    read again.
    """
    if not source.codelists:
        return
    lists = import_string(source.codelists)
    json_field = next((f.target for f in source.fields if f.collect is not None), None)
    if json_field is None:
        return
    values, params = _value_queries(lists, json_field, "layer" in source.target_fields)
    if values is None:
        return
    _load_codes(cur, lists)
    if known is not None:
        db.execute(cur, db.compose(_VALUES_TABLE, distinct=VALUES))
        copy.copy_table(cur, VALUES, known)
        if not _find_bad(cur):
            return
        db.execute(cur, db.compose("DROP TABLE {tables}", tables=[VALUES, BADCODES]))
    # The distinct values in one scan of the stage by parallel workers (the pairs inline, as a
    # temporary table would keep the scan serial). The planner expects thousands of values
    # back from each worker where a few hundred come: a lower transfer cost lets it go parallel.
    db.execute(cur, "SET LOCAL parallel_tuple_cost = 0.01")
    query = db.compose(
        "CREATE TEMP TABLE {distinct} ON COMMIT DROP AS SELECT DISTINCT layer, cfield, dfield, code, descr "
        "FROM ({values}) x WHERE code IS NOT NULL",
        distinct=VALUES,
        values=values,
    )
    db.execute(cur, query, params)
    db.execute(cur, "RESET parallel_tuple_cost")
    if not _find_bad(cur):
        return
    query = db.compose(
        "CREATE TEMP TABLE {rows} ON COMMIT DROP AS SELECT v._row, min(v.cfield || '/' || v.dfield || "
        "': «' || v.code || '» – «' || coalesce(v.descr, '') || '»') AS pair "
        "FROM ({values}) v JOIN {bad} b ON b.layer = v.layer AND b.cfield = v.cfield "
        "AND b.dfield = v.dfield AND b.code = v.code AND b.descr IS NOT DISTINCT FROM v.descr GROUP BY v._row",
        rows=BADROWS,
        values=values,
        bad=BADCODES,
    )
    db.execute(cur, query, params)
    reject(
        cur,
        source,
        db.compose("_row IN (SELECT _row FROM {rows})", rows=BADROWS),
        db.compose(
            "'coppia codice/descrizione non valida: ' || (SELECT pair FROM {rows} b WHERE b._row = gone._row)",
            rows=BADROWS,
        ),
    )


VALUE_SCHEMA = pa.schema([(n, pa.string()) for n in ("layer", "cfield", "dfield", "code", "descr")])
_VALUES_TABLE = (
    "CREATE TEMP TABLE {distinct} (layer text, cfield text, dfield text, code text, descr text) ON COMMIT DROP"
)


def _find_bad(cur) -> int:
    """Keep the distinct values that are not in their code list (or not with that description); how many."""
    query = db.compose(
        "CREATE TEMP TABLE {bad} ON COMMIT DROP AS SELECT v.* FROM {distinct} v "
        "LEFT JOIN {codes} k ON k.layer = v.layer AND k.cfield = v.cfield "
        "AND k.dfield = v.dfield AND k.code = v.code "
        "WHERE k.code IS NULL OR (v.descr IS NOT NULL AND lower(trim(v.descr)) <> lower(k.descr))",
        bad=BADCODES,
        distinct=VALUES,
        codes=CODES,
    )
    return db.execute(cur, query).rowcount


def distinct_values(source: Source, raw: pa.Table, rows: pa.Table, collected: list[str]) -> pa.Table | None:
    """The distinct (layer, pair, code, description) of converted ``rows`` as :func:`validate` reads
    them from the collected JSON, found by Arrow in the source columns ``raw`` (row for row); None
    when Arrow cannot tell what the JSON would hold (a value neither text nor integer)."""
    lists = import_string(source.codelists) if source.codelists else {}
    triples = sorted({(layer, cf, df) for layer, pairs in lists.items() for cf, df, codes in pairs if codes})
    has_layer = "layer" in rows.column_names
    parts = []
    for layer, cf, df in triples:
        if layer != "*" and not has_layer:
            continue
        code, descr = _as_json_text(raw, cf, collected), _as_json_text(raw, df, collected)
        if code is False or descr is False:
            return None
        if code is None:
            continue  # no such value in any row
        mask = code.is_valid()
        if layer != "*":
            mask = pc.and_(mask, pc.fill_null(pc.equal(rows.column("layer").combine_chunks(), layer), False))
        count = pc.sum(mask).as_py() or 0
        if not count:
            continue
        table = pa.table(
            {
                "layer": pa.array([layer] * count, pa.string()),
                "cfield": pa.array([cf] * count, pa.string()),
                "dfield": pa.array([df] * count, pa.string()),
                "code": code.filter(mask),
                "descr": descr.filter(mask) if descr is not None else pa.nulls(count, pa.string()),
            }
        )
        parts.append(table.group_by(table.column_names).aggregate([]))
    return pa.concat_tables(parts).cast(VALUE_SCHEMA) if parts else VALUE_SCHEMA.empty_table()


def _as_json_text(raw: pa.Table, name: str, collected: list[str]) -> pa.Array | None | bool:
    """``attrs->>name`` of each row: None when no row has it, False when Arrow cannot tell."""
    if name not in collected or name not in raw.column_names:
        return None
    column = raw.column(name).combine_chunks()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.cast(pa.string())
    if pa.types.is_integer(column.type):
        return pc.cast(column, pa.string())
    if pa.types.is_null(column.type):
        return None
    return False


def _value_queries(lists: dict, json_field: str, has_layer: bool) -> tuple[db.Composable | None, dict]:
    """The SELECT of (row, pair, code, description) of every staged row, joined on equality (hash
    joins), and its parameters (the code/description field pairs of each layer); None without pairs."""
    # A pair with an empty code list has nothing to check against (as when the pairs came from the codes).
    triples = sorted({(layer, cf, df) for layer, pairs in lists.items() for cf, df, codes in pairs if codes})
    if not triples:
        return None, {}
    params = {
        f"{part}{i}": value for i, triple in enumerate(triples) for part, value in zip("lcd", triple, strict=True)
    }
    rows = db.SQL(", ").join(
        db.SQL("({}, {}, {})").format(*(db.Placeholder(f"{part}{i}") for part in "lcd")) for i in range(len(triples))
    )
    pairs = db.SQL("(VALUES {}) p(layer, cfield, dfield)").format(rows)
    cells = db.compose(
        "s._row, p.layer, p.cfield, p.dfield, s.{json}->>p.cfield AS code, s.{json}->>p.dfield AS descr",
        json=json_field,
    )
    parts = []
    if "*" in lists:
        parts.append(
            db.compose(
                "SELECT {cells} FROM {stage} s JOIN {pairs} ON p.layer = '*'", cells=cells, stage=STAGE, pairs=pairs
            )
        )
    if has_layer and any(layer != "*" for layer in lists):
        parts.append(
            db.compose(
                "SELECT {cells} FROM {stage} s JOIN {pairs} ON p.layer = s.layer", cells=cells, stage=STAGE, pairs=pairs
            )
        )
    if not parts:
        return None, {}
    return db.SQL(" UNION ALL ").join(parts), params


def _load_codes(cur, lists: dict) -> None:
    query = db.compose(
        "CREATE TEMP TABLE {codes} (layer text, cfield text, dfield text, code text, descr text) ON COMMIT DROP",
        codes=CODES,
    )
    db.execute(cur, query)
    rows = [
        (layer, cf, df, code, desc)
        for layer, pairs in lists.items()
        for cf, df, codes in pairs
        for code, desc in codes.items()
    ]
    names = ["layer", "cfield", "dfield", "code", "descr"]
    columns = {
        n: pa.array([str(r[i]) if r[i] is not None else None for r in rows], pa.string()) for i, n in enumerate(names)
    }
    copy.copy_table(cur, CODES, pa.table(columns))
    db.execute(
        cur, db.compose("ANALYZE {codes}", codes=CODES)
    )  # without statistics the planner merge-joined on 3 of the 4 keys
