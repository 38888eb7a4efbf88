"""The SQL half of a load: stage with COPY, validate and derive in SQL, then merge into the target.

Every function here runs inside the load's transaction; identifiers come from the source
declaration and the Django models, values are bound as parameters.
"""

# ruff: noqa: S608 - table and column names come from code and declarations; values are bound.

from __future__ import annotations

import re

from django.apps import apps
from django.db import connection
from django.db.models import F, ForeignKey
from django.utils.text import slugify
from psycopg import sql

from remix import conf as remix_conf

from .sources import FieldMap, Source

STAGE, REJECTS, RESOLVED, CHECKS = "etl_stage", "etl_rejects", "etl_resolved", "etl_checks"
CODES, VALUES, BADCODES, BADROWS, RAW = "etl_codes", "etl_codevalues", "etl_badcodes", "etl_badrows", "etl_raw"
DIMENSION = {"POLYGON": 3, "MULTIPOLYGON": 3, "LINESTRING": 2, "MULTILINESTRING": 2, "POINT": 1, "MULTIPOINT": 1}
DERIVE_OPS = {"point_on_surface": "ST_PointOnSurface", "centroid": "ST_Centroid", "shape": ""}


class Target:
    """The Django model a source loads into, described in terms of columns."""

    def __init__(self, source: Source):
        self.source = source
        self.model = apps.get_model(source.target)
        self.table = self.model._meta.db_table
        self.fields = {f.target: self.model._meta.get_field(f.target) for f in source.fields}
        self.geom_field = self.model._meta.get_field(source.geometry) if source.geometry else None

    def defaults(self) -> list[tuple[str, object]]:
        """(column, value) of the model fields the source does not map: used on insert only."""
        mapped = {self.fields[n].column for n in self.fields}
        out = []
        for fld in self.model._meta.concrete_fields:
            if fld.primary_key or fld.column in mapped or fld is self.geom_field:
                continue
            value = fld.get_default()
            if value is None and fld.null:
                continue
            out.append((fld.column, fld.get_db_prep_save(value, connection)))
        return out

    def column(self, name: str) -> str:
        return self.model._meta.get_field(name).column

    def stage_type(self, name: str) -> str:
        fld = self.fields[name]
        return "text" if isinstance(fld, ForeignKey) else fld.db_type(connection)


def stage_storage(cur) -> str:
    """The unlogged table holding the staged rows, one per session (its backend's pid)."""
    return f"etl_stage_{cur.cursor.connection.info.backend_pid}"


def drop_scratch(cur) -> None:
    """Drop the scratch relations. A load calls this before it commits (``pipeline._load``): the
    stage's unlogged table would otherwise outlive the commit; a rollback removes them all."""
    cur.execute(f"DROP VIEW IF EXISTS {RESOLVED}, {STAGE}")
    cur.execute(
        f"DROP TABLE IF EXISTS {stage_storage(cur)}, {REJECTS}, {CHECKS}, {CODES}, {VALUES}, "
        f"{BADCODES}, {BADROWS}, {RAW}"
    )


def create_stage(cur, target: Target) -> None:
    """The staging table (the temporary view ``STAGE`` of an unlogged table) and the rejects table.

    The rows live in an unlogged table, not a temporary one, because PostgreSQL scans temporary
    tables in one process only and through 8 MB of session-local buffers: with parallel workers
    the scans of a large stage (``ST_IsValid`` on every geometry, the code lists) took a third
    to a half less. Created inside the load's transaction, it goes with a rollback; the load
    drops it before committing. The statements name the view, except COPY, ANALYZE and TRUNCATE.
    """
    defs = ", ".join(f'"{c}" {target.stage_type(c)}' for c in target.source.target_fields)
    storage = stage_storage(cur)
    cur.execute(f"CREATE UNLOGGED TABLE {storage} (_row integer, {defs}, _geom geometry, _error text)")
    cur.execute(f"CREATE TEMP VIEW {STAGE} AS SELECT * FROM {storage}")
    cur.execute(f"CREATE TEMP TABLE {REJECTS} (_row integer, _key text[], reason text) ON COMMIT DROP")


def stage(cur, target: Target, rows) -> None:
    """COPY the converted rows into the (empty) staging table made by :func:`create_stage`."""
    cols = target.source.target_fields
    names = ", ".join(["_row", *(f'"{c}"' for c in cols), "_geom", "_error"])
    types = [binary_type(target.stage_type(c)) for c in cols]
    if all(types):
        # Binary COPY: geometries go as WKB straight into the geometry column (no hex round trip).
        with cur.copy(f"COPY {stage_storage(cur)} ({names}) FROM STDIN (FORMAT binary)") as copy:
            copy.set_types(["int4", *types, "bytea", "text"])
            for row in rows:
                copy.write_row(row)
    else:
        with cur.copy(f"COPY {stage_storage(cur)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row[:-2], row[-2].hex() if row[-2] is not None else None, row[-1]))
    analyze_stage(cur, target)


def analyze_stage(cur, target: Target) -> None:
    """Statistics for the joins on the key; the wide JSON and geometry columns need none."""
    keys = ", ".join(f'"{k}"' for k in target.source.natural_key)
    # A small sample is enough for join estimates (the default one read a tenth of a large stage).
    cur.execute("SET LOCAL default_statistics_target = 10")
    cur.execute(f"ANALYZE {stage_storage(cur)} (_row, {keys})")
    cur.execute("RESET default_statistics_target")


BINARY_TYPES = {
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "double precision": "float8",
    "real": "float4",
    "boolean": "bool",
    "text": "text",
    "varchar": "varchar",
    "numeric": "numeric",
    "date": "date",
    "jsonb": "jsonb",
    "timestamp with time zone": "timestamptz",
}


def binary_type(db_type: str) -> str | None:
    """psycopg's name for a staging column type in binary COPY; None when not supported."""
    base = re.sub(r"\(.*?\)", "", db_type).strip()
    is_array = base.endswith("[]")
    name = BINARY_TYPES.get(base.removesuffix("[]").strip())
    if name is None:
        return None
    return f"{name}[]" if is_array else name


def key_array(source: Source, alias: str = "") -> str:
    """The natural key of a staged row as a text array (NULL when any part is missing)."""
    prefix = f"{alias}." if alias else ""
    parts = ", ".join(f'{prefix}"{k}"::text' for k in source.natural_key)
    nulls = " OR ".join(f"coalesce({prefix}\"{k}\"::text, '') = ''" for k in source.natural_key)
    return f"CASE WHEN {nulls} THEN NULL ELSE ARRAY[{parts}] END"


def reject(cur, source: Source, where: str, reason: str, params: list | None = None) -> None:
    """Move the staged rows matching ``where`` to the rejects with ``reason`` (an SQL expression)."""
    cur.execute(
        f"WITH gone AS (DELETE FROM {STAGE} WHERE {where} RETURNING *) "
        f"INSERT INTO {REJECTS} SELECT _row, {key_array(source)}, {reason} FROM gone",
        params or [],
    )


def validate(cur, source: Source, target: Target, duplicates: bool = True, srid: int | None = None) -> None:
    """Conversion errors, mandatory fields, geometry, lookups and duplicate keys, in SQL.

    One scan computes every row's first problem and whether its geometry needs repair; only
    the rows concerned are then moved or rewritten (a full-table UPDATE per rule was the
    slowest part of a large load). ``duplicates=False`` says the keys are known to be unique.
    """
    if target.geom_field is not None and source.geometry_from:
        derive_geometry(cur, source, target)
    if target.geom_field is not None and source.attribute_from:
        derive_attribute(cur, source, srid)
    cases, params = ["WHEN _error IS NOT NULL THEN _error"], []
    for name in source.required:
        kind = target.stage_type(name)
        blank = f'"{name}" IS NULL'
        if kind.endswith("[]"):
            blank += f' OR cardinality("{name}") = 0'
        elif kind.startswith(("text", "varchar")):
            blank += f" OR \"{name}\" = ''"
        cases.append(f"WHEN {blank} THEN %s")
        params.append(f"campo obbligatorio mancante: {name}")
    fix = "FALSE"
    geom_type = None
    if target.geom_field is not None:
        cases.append("WHEN _geom IS NULL OR ST_IsEmpty(_geom) THEN %s")
        params.append("geometria vuota o assente")
        geom_type = (source.geometry_type or target.geom_field.geom_type).upper()
        fix = "NOT ST_IsValid(_geom)"
        if geom_type in DIMENSION:
            fix += " OR GeometryType(_geom) <> %s"
            params.append(geom_type)
        fix = f"CASE WHEN _geom IS NULL OR ST_IsEmpty(_geom) THEN FALSE ELSE {fix} END"
    cur.execute(
        f"CREATE TEMP TABLE {CHECKS} ON COMMIT DROP AS SELECT * FROM ("
        f"SELECT _row, CASE {' '.join(cases)} END AS reason, {fix} AS fix FROM {STAGE}) c "
        "WHERE reason IS NOT NULL OR fix",
        params,
    )
    if cur.rowcount:  # a clean file (the usual case) skips two passes over the stage
        reject(
            cur,
            source,
            f"_row IN (SELECT _row FROM {CHECKS} WHERE reason IS NOT NULL)",
            f"(SELECT reason FROM {CHECKS} c WHERE c._row = gone._row)",
        )
        if geom_type is not None:
            repair_geometry(cur, source, geom_type)
    _validate_values(cur, source, duplicates)


def _validate_values(cur, source: Source, duplicates: bool) -> None:
    """Lookups, code lists and (unless known unique) duplicate keys of the rows still staged."""
    from . import codelists  # it builds on this module's tables and reject()

    for fmap in source.fields:
        if fmap.lookup:
            validate_lookup(cur, source, fmap)
    codelists.validate(cur, source)
    for name in source.unique_across_scopes:
        reject_taken(cur, source, name)
    if duplicates:
        reject_duplicates(cur, source)


def reject_duplicates(cur, source: Source) -> None:
    """Keep the first row of each natural key; a hash aggregate first tells whether there are any."""
    key = ", ".join(f'"{k}"' for k in source.natural_key)
    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {STAGE} GROUP BY {key} HAVING count(*) > 1)")
    if not cur.fetchone()[0]:
        return
    cur.execute(
        f"WITH dup AS (SELECT _row, min(_row) OVER (PARTITION BY {key}) AS first FROM {STAGE}), "
        f"gone AS (DELETE FROM {STAGE} s USING dup WHERE s._row = dup._row AND dup._row <> dup.first "
        f"RETURNING s.*, dup.first) "
        f"INSERT INTO {REJECTS} SELECT _row, NULL, 'chiave duplicata: già presente alla riga ' || first FROM gone"
    )


def derive_attribute(cur, source: Source, srid: int | None) -> None:
    """A missing value taken from the reference row the feature lies in (e.g. the comune of a
    station): ``attribute_from: {model: mappature.Comune, key: istat_code, field: istat_code}``."""
    spec = source.attribute_from
    model = apps.get_model(spec["model"])
    geom_field = model._meta.get_field(spec.get("geometry", "geom"))
    query = sql.SQL(
        "UPDATE {stage} s SET {field} = r.{key} FROM {ref} r "
        "WHERE coalesce(s.{field}::text, '') = '' AND s._geom IS NOT NULL "
        "AND ST_Intersects(r.{geom}, ST_Transform(ST_SetSRID(ST_PointOnSurface(s._geom), %s), %s))"
    ).format(
        stage=sql.Identifier(STAGE),
        field=sql.Identifier(spec["field"]),
        ref=sql.Identifier(model._meta.db_table),
        key=sql.Identifier(model._meta.get_field(spec["key"]).column),
        geom=sql.Identifier(geom_field.column),
    )
    cur.execute(query.as_string(connection.connection), [srid or geom_field.srid, geom_field.srid])


def reject_taken(cur, source: Source, name: str) -> None:
    """Reject staged rows whose ``name`` value is already held by a target row outside this
    source's scope (e.g. a PNRR project whose CUP is already among the interventions): the same
    thing is never loaded twice by two sources. Values held as ``a;b`` lists count one by one."""
    target = Target(source)
    column = target.column(name)
    outside = (
        sql.SQL(" OR ").join(
            sql.SQL("t.{c} IS DISTINCT FROM %s").format(c=sql.Identifier(target.column(s))) for s in source.scope
        )
        if source.scope
        else sql.SQL("TRUE")
    )
    params = [next(f.value for f in source.fields if f.target == s) for s in source.scope]
    where = sql.SQL(
        "{n} <> '' AND {n} IN (SELECT btrim(v) FROM {table} t, unnest(string_to_array(t.{c}::text, ';')) v "
        "WHERE ({outside}))"
    ).format(
        n=sql.Identifier(name), table=sql.Identifier(target.table.strip('"')), c=sql.Identifier(column), outside=outside
    )
    reason = sql.SQL("{} || {}").format(
        sql.Literal(f"{name} già presente in un'altra sorgente: "), sql.Identifier(name)
    )
    conn = connection.connection
    reject(cur, source, where.as_string(conn), reason.as_string(conn), params)


def derive_geometry(cur, source: Source, target: Target) -> None:
    """Geometry taken from reference rows (e.g. a point on the surface of each comune named)."""
    spec = source.geometry_from
    model = apps.get_model(spec["model"])
    ref, key = model._meta.db_table, model._meta.get_field(spec["key"]).column
    geom_col = model._meta.get_field(spec.get("geometry", "geom")).column
    func = DERIVE_OPS[spec.get("op", "point_on_surface")]
    field = spec["field"]
    is_array = getattr(target.fields[field], "base_field", None) is not None
    match = f'r."{key}" = ANY(s."{field}")' if is_array else f'r."{key}" = s."{field}"'
    cur.execute(
        f"UPDATE {STAGE} t SET _geom = d.geom FROM ("
        f'SELECT s._row, ST_Collect({func}(r."{geom_col}") ORDER BY r."{key}") AS geom '
        f"FROM {STAGE} s JOIN {ref} r ON {match} GROUP BY s._row) d WHERE d._row = t._row"
    )


def repair_geometry(cur, source: Source, geom_type: str) -> None:
    """make_valid, keep the parts of the declared dimension, make multi; reject what is left empty."""
    dim = DIMENSION.get(geom_type)
    expr = "ST_MakeValid(_geom)"
    if dim:
        expr = f"ST_CollectionExtract({expr}, {dim})"
        if geom_type.startswith("MULTI"):
            expr = f"ST_Multi({expr})"
    fixing = f"_row IN (SELECT _row FROM {CHECKS} WHERE fix)"
    cur.execute(f"UPDATE {STAGE} SET _geom = {expr} WHERE {fixing}")
    if dim:
        reject(
            cur,
            source,
            f"{fixing} AND (ST_IsEmpty(_geom) OR ST_Dimension(_geom) <> %s)",
            "%s",
            [dim - 1, f"geometria non valida o di tipo diverso da {geom_type}"],
        )
    else:
        reject(cur, source, f"{fixing} AND ST_IsEmpty(_geom)", "%s", ["geometria vuota dopo la riparazione"])


def lookup_sql(fmap: FieldMap) -> tuple[str, list]:
    """SELECT of (_id, _k) pairs of the rows a lookup field refers to, with its ``where``."""
    label, _, key = fmap.lookup.rpartition(".")
    model = apps.get_model(label)
    qs = model.objects.filter(**dict(fmap.where)).annotate(_id=F("pk"), _k=F(key)).values("_id", "_k")
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def validate_lookup(cur, source: Source, fmap: FieldMap) -> None:
    label, _, key = fmap.lookup.rpartition(".")
    model = apps.get_model(label)
    col = f'"{fmap.target}"'
    if fmap.create:
        cur.execute(f"SELECT DISTINCT {col} FROM {STAGE} WHERE {col} IS NOT NULL")
        for (value,) in cur.fetchall():
            model.objects.get_or_create(**{key: value, **dict(fmap.where)}, defaults={"code": slugify(value)[:40]})
    sql, params = lookup_sql(fmap)
    reject(
        cur,
        source,
        f"{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ({sql}) r WHERE r._k::text = {STAGE}.{col})",
        "%s",
        [*params, f"valore non trovato in {model._meta.verbose_name}: {fmap.target}"],
    )


def fetch_rejects(cur) -> list[tuple[int, str]]:
    cur.execute(f"SELECT _row, reason FROM {REJECTS} ORDER BY _row")
    return [(row, reason) for row, reason in cur.fetchall()]


def resolve(cur, source: Source, target: Target, srid: int | None) -> None:
    """Build the rows as the target stores them: lookups turned into ids, geometry in storage CRS."""
    select, joins, params = [], [], []
    for i, fmap in enumerate(source.fields):
        col = target.column(fmap.target)
        if fmap.lookup:
            sql, lparams = lookup_sql(fmap)
            joins.append(f'LEFT JOIN ({sql}) l{i} ON l{i}._k::text = s."{fmap.target}"')
            params += lparams
            select.append(f'l{i}._id AS "{col}"')
        else:
            select.append(f's."{fmap.target}" AS "{col}"')
    if target.geom_field is not None:
        storage = remix_conf.STORAGE_SRID
        if source.geometry_from or srid == storage:
            geom = "ST_SetSRID(_geom, %s)"
            params[:0] = [storage]  # the SELECT list comes before the joins' parameters
        else:
            geom = "ST_Transform(ST_SetSRID(_geom, %s), %s)"
            params[:0] = [srid, storage]
        select.append(f'{geom} AS "{target.geom_field.column}"')
    # A view, not a table: the writes read it once, and copying every row (geometries included)
    # into another temporary table cost a large load 0.3-0.4 s. drop_scratch removes it with the stage.
    cur.execute(
        f"CREATE TEMP VIEW {RESOLVED} AS SELECT {', '.join(select)} FROM {STAGE} s {' '.join(joins)}",
        params,
    )


def target_columns(target: Target) -> list[str]:
    cols = [target.column(n) for n in target.source.target_fields]
    if target.geom_field is not None:
        cols.append(target.geom_field.column)
    return cols


def merge(cur, target: Target) -> tuple[int, int]:
    """Upsert on the natural key, updating only rows that really changed.

    Columns listed in the source's ``preserve.fields`` keep their stored value on rows matching
    ``preserve.when`` (e.g. a location that staff refined by hand survives a reload).
    """
    cols = target_columns(target)
    key = [target.column(k) for k in target.source.natural_key]
    quoted = ", ".join(f'"{c}"' for c in cols)
    changing = [c for c in cols if c not in key]
    kept = {target.column(f) for f in target.source.preserve.get("fields", ())}
    when = [(target.column(f), v) for f, v in target.source.preserve.get("when", {}).items()]
    # A list in ``when`` means any of its values (e.g. location_precision: [address, site]).
    guard = (
        " AND ".join(
            f't."{c}" = ANY(%s)' if isinstance(v, list) else f't."{c}" IS NOT DISTINCT FROM %s' for c, v in when
        )
        or "FALSE"
    )
    sets, differs, params = [], [], []
    for c in changing:
        if c in kept:
            sets.append(f'"{c}" = CASE WHEN {guard} THEN t."{c}" ELSE EXCLUDED."{c}" END')
            differs.append(f'(NOT ({guard}) AND t."{c}" IS DISTINCT FROM EXCLUDED."{c}")')
        else:
            sets.append(f'"{c}" = EXCLUDED."{c}"')
            differs.append(f't."{c}" IS DISTINCT FROM EXCLUDED."{c}"')
    guard_params = [v for _, v in when]
    params = [p for c in changing if c in kept for p in guard_params]  # in the SET clauses
    params += [p for c in changing if c in kept for p in guard_params]  # in the WHERE clause
    conflict = ", ".join(f'"{c}"' for c in key)
    action = f"DO UPDATE SET {', '.join(sets)} WHERE {' OR '.join(differs)}" if changing else "DO NOTHING"
    defaults = target.defaults()  # unmapped columns get the model default on insert, stay as they are on update
    insert_cols = quoted + "".join(f', "{c}"' for c, _ in defaults)
    select_cols = quoted + ", %s" * len(defaults)
    cur.execute(
        f"WITH up AS (INSERT INTO {target.table} AS t ({insert_cols}) "
        f"SELECT {select_cols} FROM {RESOLVED} ON CONFLICT ({conflict}) {action} RETURNING (xmax = 0) AS ins) "
        "SELECT count(*) FILTER (WHERE ins), count(*) FILTER (WHERE NOT ins) FROM up",
        [v for _, v in defaults] + params,
    )
    inserted, updated = cur.fetchone()
    return inserted, updated


def delete_missing(cur, source: Source, target: Target) -> int:
    """Delete target rows of this source's scope whose natural key is no longer in the source.

    A rejected row keeps the loaded version of its feature. When a rejected row has no usable
    natural key, the run cannot tell which feature it was, so it deletes nothing.
    """
    key = [target.column(k) for k in source.natural_key]
    if any(source.fields[source.target_fields.index(k)].lookup for k in source.natural_key):
        protected = "TRUE"
    else:
        cur.execute(f"SELECT count(*) FROM {REJECTS} WHERE _key IS NULL")
        if cur.fetchone()[0]:
            return 0
        parts = ", ".join(f't."{c}"::text' for c in key)
        protected = f"NOT EXISTS (SELECT 1 FROM {REJECTS} x WHERE x._key = ARRAY[{parts}])"
    match = " AND ".join(f'r."{c}" = t."{c}"' for c in key)
    scope = " AND ".join(
        f't."{target.column(s)}" IN (SELECT DISTINCT "{target.column(s)}" FROM {RESOLVED})' for s in source.scope
    )
    cur.execute(
        f"DELETE FROM {target.table} t WHERE {scope or 'TRUE'} AND {protected} "
        f"AND NOT EXISTS (SELECT 1 FROM {RESOLVED} r WHERE {match})"
    )
    return cur.rowcount
