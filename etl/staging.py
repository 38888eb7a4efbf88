"""The SQL half of a load: stage with COPY, validate and derive in SQL, then merge into the target.

Every function here runs inside the load's transaction. Identifiers (from the source declaration
and the Django models) are composed with :mod:`remix.db`; values are bound parameters.
"""

from __future__ import annotations

import pyarrow as pa
from django.apps import apps
from django.db import connection
from django.db.models import F, ForeignKey
from django.utils.text import slugify

from remix import conf as remix_conf
from remix import db
from remix.db import copy

from . import codelists, convert
from .declarations import FieldMap, Source
from .scratch import BADCODES, BADROWS, CHECKS, CODES, REJECTS, RESOLVED, STAGE, VALUES, reject

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
    db.execute(cur, db.compose("DROP VIEW IF EXISTS {views}", views=[RESOLVED, STAGE]))
    tables = [stage_storage(cur), REJECTS, CHECKS, CODES, VALUES, BADCODES, BADROWS]
    db.execute(cur, db.compose("DROP TABLE IF EXISTS {tables}", tables=tables))


def create_stage(cur, target: Target) -> None:
    """The staging table (the temporary view ``STAGE`` of an unlogged table) and the rejects table.

    The rows live in an unlogged table, not a temporary one, because PostgreSQL scans temporary
    tables in one process only and through 8 MB of session-local buffers: with parallel workers
    the scans of a large stage (``ST_IsValid`` on every geometry, the code lists) took a third
    to a half less. Created inside the load's transaction, it goes with a rollback; the load
    drops it before committing. The statements name the view, except COPY, ANALYZE and TRUNCATE.
    """
    # The column types are Django's own ``db_type`` of each field: SQL from the models, not input.
    defs = db.SQL(", ").join(
        db.SQL("{} {}").format(db.ident(c), db.SQL(target.stage_type(c))) for c in target.source.target_fields
    )
    storage = stage_storage(cur)
    db.execute(
        cur,
        db.compose(
            "CREATE UNLOGGED TABLE {storage} (_row integer, {defs}, _geom geometry, _error text)",
            storage=storage,
            defs=defs,
        ),
    )
    db.execute(cur, db.compose("CREATE TEMP VIEW {stage} AS SELECT * FROM {storage}", stage=STAGE, storage=storage))
    db.execute(
        cur,
        db.compose(
            "CREATE TEMP TABLE {rejects} (_row integer, _key text[], reason text) ON COMMIT DROP", rejects=REJECTS
        ),
    )


def stage(cur, source: Source, target: Target, table) -> bool:
    """COPY the rows of ``table``, converted, into the staging table; whether duplicate keys are possible.

    Slice by slice, with psycopg's queued writer: while PostgreSQL parses one slice (mostly the
    geometries), the next is converted — by Arrow (:func:`etl.convert.arrow_rows`) when every
    field can be, else value by value (:func:`etl.convert.value_rows`). In binary format when
    every staged column is text, JSON or an integer (the geometries as WKB), else as CSV (the WKB
    as hex). A value binary COPY cannot hold (an integer beyond its column) makes the COPY start
    again in CSV, where PostgreSQL judges it.
    """
    convert.check_columns(source, table)
    kinds = convert.binary_kinds(target)
    if kinds is not None:
        duplicates = _copy_slices(cur, source, target, table, ["int4", *kinds, "geometry", "text"])
        if duplicates is not None:
            analyze_stage(cur, target)
            return duplicates
        db.execute(cur, db.compose("TRUNCATE {}", db.ident(stage_storage(cur))))
    duplicates = _copy_slices(cur, source, target, table, None)
    analyze_stage(cur, target)
    return duplicates


def _copy_slices(cur, source: Source, target: Target, table, kinds: list[str] | None) -> bool | None:
    """One COPY of every slice (binary with ``kinds``, else CSV); whether duplicate keys are possible,
    or None when a slice could not be encoded in binary (the COPY then ends with whole rows only)."""
    key, keys, all_arrow = list(source.natural_key), [], True
    columns = ["_row", *source.target_fields, "_geom", "_error"]
    convs = convert.converters(source, target)  # they may read the database: not while it copies
    with copy.copy_from(cur, stage_storage(cur), columns, kinds) as out:
        for start in range(0, table.count, convert.SLICE_ROWS):
            rows = convert.arrow_rows(source, target, table, start, convert.SLICE_ROWS, convs)
            if rows is None:
                rows, all_arrow = convert.value_rows(source, target, table, start, convert.SLICE_ROWS, convs), False
            elif all_arrow:
                keys.append(rows.select(key))
            if kinds is None:
                geom = rows.schema.get_field_index("_geom")
                rows = rows.set_column(geom, "_geom", copy.hex_wkb(rows.column(geom)))
            try:
                out.write(rows)
            except copy.Unsupported:
                return None
    if not all_arrow or not keys:
        return True
    return convert.has_duplicate_keys(pa.concat_tables(keys), key)


def analyze_stage(cur, target: Target) -> None:
    """Statistics for the joins on the key; the wide JSON and geometry columns need none."""
    # A small sample is enough for join estimates (the default one read a tenth of a large stage).
    db.execute(cur, "SET LOCAL default_statistics_target = 10")
    columns = ["_row", *target.source.natural_key]
    db.execute(cur, db.compose("ANALYZE {storage} ({columns})", storage=stage_storage(cur), columns=columns))
    db.execute(cur, "RESET default_statistics_target")


def validate(
    cur,
    source: Source,
    target: Target,
    duplicates: bool = True,
    srid: int | None = None,
    lookups: bool = True,
    codes: pa.Table | None = None,
) -> None:
    """Conversion errors, mandatory fields, geometry, lookups and duplicate keys, in SQL.

    One scan computes every row's first problem and whether its geometry needs repair; only
    the rows concerned are then moved or rewritten (a full-table UPDATE per rule was the
    slowest part of a large load). ``duplicates=False`` says the keys are known to be unique;
    ``lookups=False`` that the lookups are resolved already (:mod:`etl.firstload`, where
    ``STAGE`` is a view of the rows written into the target), ``codes`` the distinct code-list
    values Arrow found in them (:func:`etl.codelists.validate`).
    """
    if target.geom_field is not None and source.geometry_from:
        derive_geometry(cur, source, target)
    if target.geom_field is not None and source.attribute_from:
        derive_attribute(cur, source, srid)
    cases, params = [db.SQL("WHEN _error IS NOT NULL THEN _error")], {}
    for i, name in enumerate(source.required):
        kind = target.stage_type(name)
        blank = db.SQL("{c} IS NULL")
        if kind.endswith("[]"):
            blank = db.SQL("{c} IS NULL OR cardinality({c}) = 0")
        elif kind.startswith(("text", "varchar")):
            blank = db.SQL("{c} IS NULL OR {c} = ''")
        cases.append(db.SQL("WHEN {} THEN {}").format(blank.format(c=db.ident(name)), db.Placeholder(f"required{i}")))
        params[f"required{i}"] = f"campo obbligatorio mancante: {name}"
    fix = db.SQL("FALSE")
    geom_type = None
    if target.geom_field is not None:
        cases.append(db.SQL("WHEN _geom IS NULL OR ST_IsEmpty(_geom) THEN %(no_geometry)s"))
        params["no_geometry"] = "geometria vuota o assente"
        geom_type = (source.geometry_type or target.geom_field.geom_type).upper()
        fix = db.SQL("NOT ST_IsValid(_geom)")
        if geom_type in DIMENSION:
            fix = db.SQL("NOT ST_IsValid(_geom) OR GeometryType(_geom) <> %(geom_type)s")
            params["geom_type"] = geom_type
        fix = db.SQL("CASE WHEN _geom IS NULL OR ST_IsEmpty(_geom) THEN FALSE ELSE {} END").format(fix)
    query = db.compose(
        "CREATE TEMP TABLE {checks} ON COMMIT DROP AS SELECT * FROM ("
        "SELECT _row, CASE {cases} END AS reason, {fix} AS fix FROM {stage}) c "
        "WHERE reason IS NOT NULL OR fix",
        checks=CHECKS,
        cases=db.SQL(" ").join(cases),
        fix=fix,
        stage=STAGE,
    )
    db.execute(cur, query, params)
    if cur.rowcount:  # a clean file (the usual case) skips two passes over the stage
        reject(
            cur,
            source,
            db.compose("_row IN (SELECT _row FROM {checks} WHERE reason IS NOT NULL)", checks=CHECKS),
            db.compose("(SELECT reason FROM {checks} c WHERE c._row = gone._row)", checks=CHECKS),
        )
        if geom_type is not None:
            repair_geometry(cur, source, geom_type)
    _validate_values(cur, source, duplicates, lookups, codes)


def _validate_values(cur, source: Source, duplicates: bool, lookups: bool = True, codes=None) -> None:
    """Lookups, code lists and (unless known unique) duplicate keys of the rows still staged."""
    for fmap in source.fields:
        if fmap.lookup and lookups:
            validate_lookup(cur, source, fmap)
    codelists.validate(cur, source, codes)
    for name in source.unique_across_scopes:
        reject_taken(cur, source, name)
    if duplicates:
        reject_duplicates(cur, source)


def reject_duplicates(cur, source: Source) -> None:
    """Keep the first row of each natural key; a hash aggregate first tells whether there are any."""
    key = list(source.natural_key)
    query = db.compose("SELECT EXISTS (SELECT 1 FROM {stage} GROUP BY {key} HAVING count(*) > 1)", stage=STAGE, key=key)
    if not db.execute(cur, query).fetchone()[0]:
        return
    query = db.compose(
        "WITH dup AS (SELECT _row, min(_row) OVER (PARTITION BY {key}) AS first FROM {stage}), "
        "gone AS (DELETE FROM {stage} s USING dup WHERE s._row = dup._row AND dup._row <> dup.first "
        "RETURNING s.*, dup.first) "
        "INSERT INTO {rejects} SELECT _row, NULL, 'chiave duplicata: già presente alla riga ' || first FROM gone",
        key=key,
        stage=STAGE,
        rejects=REJECTS,
    )
    db.execute(cur, query)


def derive_attribute(cur, source: Source, srid: int | None) -> None:
    """A missing value taken from the reference row the feature lies in (e.g. the comune of a
    station): ``attribute_from: {model: mappature.Comune, key: istat_code, field: istat_code}``."""
    spec = source.attribute_from
    model = apps.get_model(spec["model"])
    geom_field = model._meta.get_field(spec.get("geometry", "geom"))
    query = db.compose(
        "UPDATE {stage} s SET {field} = r.{key} FROM {ref} r "
        "WHERE coalesce(s.{field}::text, '') = '' AND s._geom IS NOT NULL "
        "AND ST_Intersects(r.{geom}, ST_Transform(ST_SetSRID(ST_PointOnSurface(s._geom), %(srid)s), %(ref_srid)s))",
        stage=STAGE,
        field=spec["field"],
        ref=model._meta.db_table,
        key=model._meta.get_field(spec["key"]).column,
        geom=geom_field.column,
    )
    db.execute(cur, query, {"srid": srid or geom_field.srid, "ref_srid": geom_field.srid})


def reject_taken(cur, source: Source, name: str) -> None:
    """Reject staged rows whose ``name`` value is already held by a target row outside this
    source's scope (e.g. a PNRR project whose CUP is already among the interventions): the same
    thing is never loaded twice by two sources. Values held as ``a;b`` lists count one by one."""
    target = Target(source)
    scope = {s: next(f.value for f in source.fields if f.target == s) for s in source.scope}
    outside = (
        db.SQL(" OR ").join(
            db.SQL("t.{} IS DISTINCT FROM {}").format(db.ident(target.column(s)), db.Placeholder(f"scope{i}"))
            for i, s in enumerate(scope)
        )
        if scope
        else db.SQL("TRUE")
    )
    where = db.compose(
        "{n} <> '' AND {n} IN (SELECT btrim(v) FROM {table} t, unnest(string_to_array(t.{c}::text, ';')) v "
        "WHERE ({outside}))",
        n=name,
        table=target.table,
        c=target.column(name),
        outside=outside,
    )
    reason = db.compose("%(reason)s || {n}", n=name)
    params = {f"scope{i}": value for i, value in enumerate(scope.values())}
    reject(cur, source, where, reason, {**params, "reason": f"{name} già presente in un'altra sorgente: "})


def derive_geometry(cur, source: Source, target: Target) -> None:
    """Geometry taken from reference rows (e.g. a point on the surface of each comune named)."""
    spec = source.geometry_from
    model = apps.get_model(spec["model"])
    key = model._meta.get_field(spec["key"]).column
    field = spec["field"]
    is_array = getattr(target.fields[field], "base_field", None) is not None
    match = db.SQL("r.{key} = ANY(s.{field})" if is_array else "r.{key} = s.{field}").format(
        key=db.ident(key), field=db.ident(field)
    )
    query = db.compose(
        "UPDATE {stage} t SET _geom = d.geom FROM ("
        "SELECT s._row, ST_Collect({func}(r.{geom}) ORDER BY r.{key}) AS geom "
        "FROM {stage} s JOIN {ref} r ON {match} GROUP BY s._row) d WHERE d._row = t._row",
        stage=STAGE,
        func=db.SQL(DERIVE_OPS[spec.get("op", "point_on_surface")]),  # a function name from DERIVE_OPS
        geom=model._meta.get_field(spec.get("geometry", "geom")).column,
        key=key,
        ref=model._meta.db_table,
        match=match,
    )
    db.execute(cur, query)


def repair_geometry(cur, source: Source, geom_type: str) -> None:
    """make_valid, keep the parts of the declared dimension, make multi; reject what is left empty."""
    dim = DIMENSION.get(geom_type)
    expr = db.SQL("ST_MakeValid(_geom)")
    if dim:
        expr = db.SQL("ST_CollectionExtract({}, %(dim)s)").format(expr)
        if geom_type.startswith("MULTI"):
            expr = db.SQL("ST_Multi({})").format(expr)
    fixing = db.compose("_row IN (SELECT _row FROM {checks} WHERE fix)", checks=CHECKS)
    query = db.compose("UPDATE {stage} SET _geom = {expr} WHERE {fixing}", stage=STAGE, expr=expr, fixing=fixing)
    db.execute(cur, query, {"dim": dim} if dim else None)
    if dim:
        reject(
            cur,
            source,
            db.SQL("{} AND (ST_IsEmpty(_geom) OR ST_Dimension(_geom) <> %(dimension)s)").format(fixing),
            db.SQL("%(reason)s"),
            {"dimension": dim - 1, "reason": f"geometria non valida o di tipo diverso da {geom_type}"},
        )
    else:
        reject(
            cur,
            source,
            db.SQL("{} AND ST_IsEmpty(_geom)").format(fixing),
            db.SQL("%(reason)s"),
            {"reason": "geometria vuota dopo la riparazione"},
        )


def lookup_sql(fmap: FieldMap) -> tuple[db.Composable, list]:
    """SELECT of (_id, _k) pairs of the rows a lookup field refers to, with its ``where``: the SQL
    Django's ORM writes for the queryset, with its positional parameters."""
    label, _, key = fmap.lookup.rpartition(".")
    model = apps.get_model(label)
    qs = model.objects.filter(**dict(fmap.where)).annotate(_id=F("pk"), _k=F(key)).values("_id", "_k")
    text, params = qs.query.sql_with_params()
    return db.SQL(text), list(params)


def validate_lookup(cur, source: Source, fmap: FieldMap) -> None:
    label, _, key = fmap.lookup.rpartition(".")
    model = apps.get_model(label)
    col = fmap.target
    if fmap.create:
        query = db.compose("SELECT DISTINCT {col} FROM {stage} WHERE {col} IS NOT NULL", col=col, stage=STAGE)
        for (value,) in db.execute(cur, query).fetchall():
            model.objects.get_or_create(**{key: value, **dict(fmap.where)}, defaults={"code": slugify(value)[:40]})
    lookup, params = lookup_sql(fmap)
    where = db.compose(
        "{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ({lookup}) r WHERE r._k::text = {stage}.{col})",
        col=col,
        lookup=lookup,
        stage=STAGE,
    )
    # Django's SQL takes positional parameters: the lookup's, then the reason's.
    reason = f"valore non trovato in {model._meta.verbose_name}: {fmap.target}"
    reject(cur, source, where, db.SQL("%s"), [*params, reason])


def fetch_rejects(cur) -> list[tuple[int, str]]:
    query = db.compose("SELECT _row, reason FROM {rejects} ORDER BY _row", rejects=REJECTS)
    return [(row, reason) for row, reason in db.execute(cur, query).fetchall()]


def resolve(cur, source: Source, target: Target, srid: int | None, row: bool = False) -> None:
    """Build the rows as the target stores them: lookups turned into ids, geometry in storage CRS
    (with ``row``, also each row's number, ``_row``)."""
    select, select_params, joins, join_params = [], [], [], []
    for i, fmap in enumerate(source.fields):
        col = target.column(fmap.target)
        if fmap.lookup:
            lookup, params = lookup_sql(fmap)
            alias = db.ident(f"l{i}")
            joins.append(
                db.SQL("LEFT JOIN ({lookup}) {alias} ON {alias}._k::text = s.{field}").format(
                    lookup=lookup, alias=alias, field=db.ident(fmap.target)
                )
            )
            join_params += params
            select.append(db.SQL("{}._id AS {}").format(alias, db.ident(col)))
        else:
            select.append(db.SQL("s.{} AS {}").format(db.ident(fmap.target), db.ident(col)))
    if target.geom_field is not None:
        storage = remix_conf.STORAGE_SRID
        if source.geometry_from or srid == storage:
            geom, select_params = db.SQL("ST_SetSRID(_geom, %s)"), [storage]
        else:
            geom, select_params = db.SQL("ST_Transform(ST_SetSRID(_geom, %s), %s)"), [srid, storage]
        select.append(db.SQL("{} AS {}").format(geom, db.ident(target.geom_field.column)))
    if row:
        select.append(db.SQL("s._row"))
    # A view, not a table: the writes read it once, and copying every row (geometries included)
    # into another temporary table cost a large load 0.3-0.4 s. drop_scratch removes it with the stage.
    query = db.compose(
        "CREATE TEMP VIEW {resolved} AS SELECT {select} FROM {stage} s {joins}",
        resolved=RESOLVED,
        select=db.SQL(", ").join(select),
        stage=STAGE,
        joins=db.SQL(" ").join(joins),
    )
    db.execute(cur, query, select_params + join_params)  # in the order of the text: the SELECT list, then the joins


def target_columns(target: Target) -> list[str]:
    cols = [target.column(n) for n in target.source.target_fields]
    if target.geom_field is not None:
        cols.append(target.geom_field.column)
    return cols


def scope_condition(source: Source) -> db.Composable:
    """The target rows (alias ``t``) in the scope of the resolved rows (e.g. their comuni); TRUE without a scope."""
    target = Target(source)
    parts = [
        db.compose("t.{c} IN (SELECT DISTINCT {c} FROM {resolved})", c=target.column(s), resolved=RESOLVED)
        for s in source.scope
    ]
    return db.SQL(" AND ").join(parts) if parts else db.SQL("TRUE")


def merge(cur, target: Target) -> tuple[int, int]:
    """Upsert on the natural key, updating only rows that really changed.

    Columns listed in the source's ``preserve.fields`` keep their stored value on rows matching
    ``preserve.when`` (e.g. a location that staff refined by hand survives a reload).
    """
    cols = target_columns(target)
    key = [target.column(k) for k in target.source.natural_key]
    changing = [c for c in cols if c not in key]
    kept = {target.column(f) for f in target.source.preserve.get("fields", ())}
    when = [(target.column(f), v) for f, v in target.source.preserve.get("when", {}).items()]
    params = {f"when{i}": v for i, (_, v) in enumerate(when)}
    # A list in ``when`` means any of its values (e.g. location_precision: [address, site]).
    guard = (
        db.SQL(" AND ").join(
            db.SQL("t.{} = ANY({})" if isinstance(v, list) else "t.{} IS NOT DISTINCT FROM {}").format(
                db.ident(c), db.Placeholder(f"when{i}")
            )
            for i, (c, v) in enumerate(when)
        )
        if when
        else db.SQL("FALSE")
    )
    sets, differs = [], []
    for c in changing:
        if c in kept:
            sets.append(
                db.SQL("{c} = CASE WHEN {guard} THEN t.{c} ELSE EXCLUDED.{c} END").format(c=db.ident(c), guard=guard)
            )
            differs.append(
                db.SQL("(NOT ({guard}) AND t.{c} IS DISTINCT FROM EXCLUDED.{c})").format(c=db.ident(c), guard=guard)
            )
        else:
            sets.append(db.SQL("{c} = EXCLUDED.{c}").format(c=db.ident(c)))
            differs.append(db.SQL("t.{c} IS DISTINCT FROM EXCLUDED.{c}").format(c=db.ident(c)))
    action = (
        db.SQL("DO UPDATE SET {} WHERE {}").format(db.SQL(", ").join(sets), db.SQL(" OR ").join(differs))
        if changing
        else db.SQL("DO NOTHING")
    )
    defaults = target.defaults()  # unmapped columns get the model default on insert, stay as they are on update
    params |= {f"default{i}": v for i, (_, v) in enumerate(defaults)}
    query = db.compose(
        "WITH up AS (INSERT INTO {table} AS t ({insert}) SELECT {select} FROM {resolved} "
        "ON CONFLICT ({key}) {action} RETURNING (xmax = 0) AS ins) "
        "SELECT count(*) FILTER (WHERE ins), count(*) FILTER (WHERE NOT ins) FROM up",
        table=target.table,
        insert=[*cols, *(c for c, _ in defaults)],
        select=[*map(db.ident, cols), *(db.Placeholder(f"default{i}") for i in range(len(defaults)))],
        resolved=RESOLVED,
        key=key,
        action=action,
    )
    inserted, updated = db.execute(cur, query, params).fetchone()
    return inserted, updated


def delete_missing(cur, source: Source, target: Target) -> int:
    """Delete target rows of this source's scope whose natural key is no longer in the source.

    A rejected row keeps the loaded version of its feature. When a rejected row has no usable
    natural key, the run cannot tell which feature it was, so it deletes nothing.
    """
    key = [target.column(k) for k in source.natural_key]
    if any(source.fields[source.target_fields.index(k)].lookup for k in source.natural_key):
        protected = db.SQL("TRUE")
    else:
        query = db.compose("SELECT count(*) FROM {rejects} WHERE _key IS NULL", rejects=REJECTS)
        if db.execute(cur, query).fetchone()[0]:
            return 0
        parts = db.SQL(", ").join(db.SQL("t.{}::text").format(db.ident(c)) for c in key)
        protected = db.compose(
            "NOT EXISTS (SELECT 1 FROM {rejects} x WHERE x._key = ARRAY[{parts}])", rejects=REJECTS, parts=parts
        )
    match = db.SQL(" AND ").join(db.SQL("r.{c} = t.{c}").format(c=db.ident(c)) for c in key)
    query = db.compose(
        "DELETE FROM {table} t WHERE {scope} AND {protected} AND NOT EXISTS (SELECT 1 FROM {resolved} r WHERE {match})",
        table=target.table,
        scope=scope_condition(source),
        protected=protected,
        resolved=RESOLVED,
        match=match,
    )
    return db.execute(cur, query).rowcount
