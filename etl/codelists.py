"""Code-list validation in SQL: each code/description pair of a row must come from its code list."""

from __future__ import annotations

import pyarrow as pa
from django.utils.module_loading import import_string

from remix import db
from remix.db import copy

from .declarations import Source
from .scratch import BADCODES, BADROWS, CODES, STAGE, VALUES, reject


def validate(cur, source: Source) -> None:
    """Reject rows whose code is not in its code list, or whose description does not match the code.

    ``source.codelists`` names {layer: [(code field, description field, {code: description})]}; the
    fields are read from the collected JSON (``attrs``); a layer "*" applies to every row.

    The check runs on the distinct (pair, code, description) values — a few hundred even in a
    metropolitan mosaic — and goes back to the rows only when some value is wrong: comparing
    every row with its code list was the slowest validation step of a large load.
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
    query = db.compose(
        "CREATE TEMP TABLE {bad} ON COMMIT DROP AS SELECT v.* FROM {distinct} v "
        "LEFT JOIN {codes} k ON k.layer = v.layer AND k.cfield = v.cfield "
        "AND k.dfield = v.dfield AND k.code = v.code "
        "WHERE k.code IS NULL OR (v.descr IS NOT NULL AND lower(trim(v.descr)) <> lower(k.descr))",
        bad=BADCODES,
        distinct=VALUES,
        codes=CODES,
    )
    if db.execute(cur, query).rowcount == 0:
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
