"""Code-list validation in SQL: each code/description pair of a row must come from its code list."""

# ruff: noqa: S608 - table and column names come from code and declarations; values are bound.

from __future__ import annotations

from django.utils.module_loading import import_string

from .sources import Source
from .staging import BADCODES, BADROWS, CODES, STAGE, VALUES, reject


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
    parts, params = _value_queries(lists, json_field, "layer" in source.target_fields)
    if not parts:
        return
    _load_codes(cur, lists)
    # The distinct values in one scan of the stage by parallel workers (the pairs inline, as a
    # temporary table would keep the scan serial). The planner expects thousands of values
    # back from each worker where a few hundred come: a lower transfer cost lets it go parallel.
    cur.execute("SET LOCAL parallel_tuple_cost = 0.01")
    cur.execute(
        f"CREATE TEMP TABLE {VALUES} ON COMMIT DROP AS SELECT DISTINCT layer, cfield, dfield, code, descr "
        f"FROM ({' UNION ALL '.join(parts)}) x WHERE code IS NOT NULL",
        params,
    )
    cur.execute("RESET parallel_tuple_cost")
    cur.execute(
        f"CREATE TEMP TABLE {BADCODES} ON COMMIT DROP AS SELECT v.* FROM {VALUES} v "
        f"LEFT JOIN {CODES} k ON k.layer = v.layer AND k.cfield = v.cfield "
        f"AND k.dfield = v.dfield AND k.code = v.code "
        f"WHERE k.code IS NULL OR (v.descr IS NOT NULL AND lower(trim(v.descr)) <> lower(k.descr))"
    )
    if cur.rowcount == 0:
        return
    cur.execute(
        f"CREATE TEMP TABLE {BADROWS} ON COMMIT DROP AS SELECT v._row, min(v.cfield || '/' || v.dfield || "
        f"': «' || v.code || '» – «' || coalesce(v.descr, '') || '»') AS pair "
        f"FROM ({' UNION ALL '.join(parts)}) v JOIN {BADCODES} b ON b.layer = v.layer AND b.cfield = v.cfield "
        f"AND b.dfield = v.dfield AND b.code = v.code AND b.descr IS NOT DISTINCT FROM v.descr GROUP BY v._row",
        params,
    )
    reject(
        cur,
        source,
        f"_row IN (SELECT _row FROM {BADROWS})",
        f"'coppia codice/descrizione non valida: ' || (SELECT pair FROM {BADROWS} b WHERE b._row = gone._row)",
    )


def _value_queries(lists: dict, json_field: str, has_layer: bool) -> tuple[list[str], list[str]]:
    """SELECTs of (row, pair, code, description) per staged row, joined on equality (hash joins),
    and their parameters (the code/description field pairs of each layer)."""
    # A pair with an empty code list has nothing to check against (as when the pairs came from the codes).
    triples = sorted({(layer, cf, df) for layer, pairs in lists.items() for cf, df, codes in pairs if codes})
    if not triples:
        return [], []
    pairs = f"(VALUES {', '.join(['(%s, %s, %s)'] * len(triples))}) p(layer, cfield, dfield)"
    values = [v for triple in triples for v in triple]
    cells = (
        f's._row, p.layer, p.cfield, p.dfield, s."{json_field}"->>p.cfield AS code, '
        f's."{json_field}"->>p.dfield AS descr'
    )
    parts, params = [], []
    if "*" in lists:
        parts.append(f"SELECT {cells} FROM {STAGE} s JOIN {pairs} ON p.layer = '*'")
        params += values
    if has_layer and any(layer != "*" for layer in lists):
        parts.append(f"SELECT {cells} FROM {STAGE} s JOIN {pairs} ON p.layer = s.layer")
        params += values
    return (parts, params) if triples else ([], [])


def _load_codes(cur, lists: dict) -> None:
    cur.execute(
        f"CREATE TEMP TABLE {CODES} (layer text, cfield text, dfield text, code text, descr text) ON COMMIT DROP"
    )
    rows = [
        (layer, cf, df, code, desc)
        for layer, pairs in lists.items()
        for cf, df, codes in pairs
        for code, desc in codes.items()
    ]
    with cur.copy(f"COPY {CODES} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cur.execute(f"ANALYZE {CODES}")  # without statistics the planner merge-joined on 3 of the 4 keys
