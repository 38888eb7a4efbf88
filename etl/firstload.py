"""A first load into an empty scope, written once: COPY straight into the target, validated there.

The staged path (:mod:`etl.staging`) writes every row twice: COPY into the unlogged stage, where
the SQL rules judge it, then INSERT … SELECT into the target. Into an empty scope there is nothing
to merge with, so here the converted rows go straight into the target and the same rules run
over the rows just written, inside the load's transaction:

- before the COPY, in Arrow: the lookups are resolved to ids (the lookup tables are small) and
  each row gets its id from a block taken from the table's sequence (``id = first + row - 1``,
  so the row number of a written row is known in SQL); the geometries must already be in the
  storage CRS;
- rows the target could not take as they are and which the rules are sure to reject (a
  conversion error, a required field blank, no geometry, a lookup value not found), and
  geometries not of the declared type, are held back and staged: the staged rules give them
  their reasons, and those that pass (a Polygon made multi) go in with their row's id;
- the other rows are COPYed into the target, with its secondary indexes and keys dropped and
  rebuilt as :mod:`etl.bulk` does for a bulk insert; a temporary view shaped like the stage
  (``_row``, the fields, ``_geom``) over the rows of the block lets :func:`etl.staging.validate`
  run unchanged on them: rows that fail are moved to the rejects (``DELETE … RETURNING``) with
  the same reasons and row numbers, geometries needing repair are repaired in place, and of
  duplicate keys the first row stays.

Whenever that cannot be done exactly (a scope already holding rows, another CRS, a lookup that
is not one id per key, a derived geometry or attribute, an unusual default…), or PostgreSQL
refuses a row during the COPY (a duplicate key while the unique key stands), nothing of this
path is kept (a savepoint) and the load takes the staged path, whose result it has to match
(``tests/etl/test_firstload.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from django.db import DatabaseError, connection, transaction
from django.db.models import ForeignKey
from django.utils.module_loading import import_string

from remix import conf as remix_conf
from remix import db
from remix.db import copy

from . import bulk, codelists, convert, staging
from .declarations import Source
from .errors import EtlError
from .scratch import BADCODES, BADROWS, CHECKS, CODES, RESOLVED, STAGE, VALUES

log = logging.getLogger(__name__)

# WKB geometry type codes of the 2D types (ISO and EWKB agree on these).
WKB_TYPES = {
    1: "POINT",
    2: "LINESTRING",
    3: "POLYGON",
    4: "MULTIPOINT",
    5: "MULTILINESTRING",
    6: "MULTIPOLYGON",
    7: "GEOMETRYCOLLECTION",
}


# The first slice of the COPY: converting 50,000 rows took 0.05-0.1 s with PostgreSQL idle.
FIRST_SLICE_ROWS = 5_000


class Fallback(EtlError):  # noqa: N818 - a signal, never shown: the staged path takes the load
    """This load cannot be written once exactly: the staged path takes it."""


def write(cur, source: Source, target: staging.Target, table, step: Callable[[str], None]) -> bool:
    """Load ``table`` into the target writing each row that passes once, when the load is a first
    load into an empty scope; whether it did (False: nothing was kept, take the staged path).

    The rejects are in the rejects table, as after :func:`etl.staging.validate`.
    """
    why = _why_not(source, target, table)
    lookups = _lookups(cur, source, target) if why is None else None
    if why is None and lookups is None:
        why = "a lookup is not one id per key"
    if why is None and not _scope_is_empty(cur, source, target, table, lookups):
        why = "its scope holds rows"
    if why is not None:
        log.info("%s: written through the stage (%s)", source.id, why)
        return False
    try:
        with transaction.atomic():  # a savepoint: a refused row undoes all of it
            _write(cur, source, target, table, lookups, step)
    except (
        Fallback,
        copy.Unsupported,
        pa.ArrowException,
        psycopg.IntegrityError,
        psycopg.DataError,
        DatabaseError,
    ) as err:
        if isinstance(err, DatabaseError) and not _refused(err):
            raise
        log.info("%s: written through the stage (%s: %s)", source.id, type(err).__name__, err)
        staging.drop_scratch(cur)  # the stage's temporary view and tables went with the savepoint
        return False
    log.info("%s: a first load into an empty scope, each row written once", source.id)
    return True


def _refused(err: DatabaseError) -> bool:
    """Whether a database error is PostgreSQL refusing a row (which the staged path judges itself)."""
    cause = err.__cause__
    return isinstance(cause, psycopg.IntegrityError | psycopg.DataError)


def _why_not(source: Source, target: staging.Target, table) -> str | None:
    """Why this path cannot take the load, of what is known without reading the rows; None: it can."""
    if source.geometry_from or source.attribute_from or source.unique_across_scopes:
        return "rules that read other rows or tables"
    pk = target.model._meta.pk
    if pk.get_internal_type() not in ("AutoField", "BigAutoField", "SmallAutoField"):
        return "no generated primary key"
    for fmap in source.fields:
        is_key = isinstance(target.fields[fmap.target], ForeignKey)
        if (is_key or fmap.lookup) and (not (is_key and fmap.lookup) or fmap.create):
            return f"{fmap.target} is not a plain lookup into a foreign key"
    if any(not isinstance(value, convert.CONSTANT_TYPES) for _, value in target.defaults()):
        return "a default that is not a plain value"
    if target.geom_field is not None and (table.srid != remix_conf.STORAGE_SRID or table.geometries is None):
        return f"geometries in EPSG:{table.srid}"  # reprojected in SQL on the staged path
    return None


def _lookups(cur, source: Source, target: staging.Target) -> dict[str, tuple[pa.Array, pa.Array]] | None:
    """Per lookup field, (keys as text, ids): None when a key is not one id, or an id not one key
    (the staged path's join would then differ from a mapping)."""
    out = {}
    for fmap in source.fields:
        if not fmap.lookup:
            continue
        query, params = staging.lookup_sql(fmap)
        pairs = db.execute(cur, query, params).fetchall()
        # The SQL join compares ``key::text``: only text and integers print the same here; the ids
        # go into the COPY as integers.
        if any(isinstance(k, bool) or not isinstance(k, str | int) for _, k in pairs):
            return None
        if any(isinstance(i, bool) or not isinstance(i, int) for i, _ in pairs):
            return None
        keys = [str(k) for _, k in pairs]
        ids = [i for i, _ in pairs]
        if len(set(keys)) != len(keys) or len(set(ids)) != len(ids):
            return None
        out[fmap.target] = (pa.array(keys, pa.string()), pa.array(ids, pa.int64()))
    return out


def _scope_is_empty(cur, source: Source, target: staging.Target, table, lookups) -> bool:
    """Whether the target holds no row of the scopes the file's rows name (all of them: a superset
    of the scopes of the rows that will pass, which the staged path checks)."""
    if not db.execute(cur, db.compose("SELECT EXISTS (SELECT 1 FROM {t})", t=target.table)).fetchone()[0]:
        return True
    if not source.scope:
        return False
    parts, params = [], {}
    for i, name in enumerate(source.scope):
        values = _scope_values(source, target, table, lookups, name)
        if values is None:
            return False
        parts.append(db.SQL("{} = ANY({})").format(db.ident(target.column(name)), db.Placeholder(f"s{i}")))
        params[f"s{i}"] = values
    query = db.compose("SELECT NOT EXISTS (SELECT 1 FROM {t} WHERE {w})", t=target.table, w=db.SQL(" AND ").join(parts))
    return db.execute(cur, query, params).fetchone()[0]


def _scope_values(source: Source, target: staging.Target, table, lookups, name: str) -> list | None:
    fmap = next(f for f in source.fields if f.target == name)
    fld = target.fields[name]
    if fmap.source is None:
        values = pa.array([convert.converter_for(fld, fmap)(fmap.value)])
    elif fmap.match or fmap.split or fmap.collect is not None or fmap.source not in table.columns.table.column_names:
        return None
    else:
        try:
            values, _ = convert._arrow_field(fld, table.columns.table.column(fmap.source).combine_chunks())
        except copy.Unsupported:
            return None
    if name in lookups:
        keys, ids = lookups[name]
        values = pc.take(ids, pc.index_in(convert.as_text(values), keys))
    return pc.unique(pc.drop_null(values)).to_pylist()


def _write(cur, source: Source, target: staging.Target, table, lookups, step) -> None:
    count = table.count
    # No other writer of the table until the commit, so the block of ids taken below is ours alone.
    db.execute(cur, db.compose("LOCK TABLE {t} IN SHARE ROW EXCLUSIVE MODE", t=target.table))
    first = db.execute(
        cur,
        "SELECT setval(s, nextval(s) + %s - 1) - %s + 1 FROM pg_get_serial_sequence(%s, %s) s",
        [count, count, db.render(db.ident(target.table), cur), target.model._meta.pk.column],
    ).fetchone()[0]
    if first is None:
        raise Fallback("no sequence behind the primary key")
    with bulk._indexes_rebuilt(cur, target.table, count):
        staging.create_stage(cur, target)
        suspects, duplicates, known = _copy(cur, source, target, table, lookups, first)
        step("validazione")
        if suspects:
            _stage_held_back(cur, source, target, table, suspects, first)
        _drop_stage(cur)
        _view_written(cur, source, target, first, count)
        staging.validate(cur, source, target, duplicates=duplicates, srid=table.srid, lookups=False, codes=known)
        step("indici e chiavi")


def _copy(cur, source: Source, target: staging.Target, table, lookups, first: int) -> tuple[list, bool, object]:
    """COPY the rows that can be written into the target, slice by slice; (the rows held back,
    whether two rows may share a natural key, the distinct code-list values of the rows written or None).

    The last two are worked out in Arrow once every slice is sent, while PostgreSQL is still
    parsing the last ones (the COPY ends when it has): this thread would only wait there."""
    columns, kinds = _target_columns(source, target)
    defaults = [pa.scalar(value) for _, value in target.defaults()]
    convs = convert.converters(source, target)  # they may read the database: not while it copies
    suspects, keys = [], []
    values = _CodeValues(source, table)
    with copy.copy_from(cur, target.table, columns, kinds) as out:
        for start, size in _slices(table.count):
            rows = convert.arrow_rows(source, target, table, start, size, convs)
            if rows is None:
                rows = convert.value_rows(source, target, table, start, size, convs)
            resolved = {
                name: pc.take(ids, pc.index_in(rows.column(name).combine_chunks(), texts))
                for name, (texts, ids) in lookups.items()
            }
            keys.append(rows.select(list(source.natural_key)))  # held-back rows too: some may pass
            held = _held_back(source, target, rows, resolved)
            if pc.any(held).as_py():
                suspects.append(rows.filter(held))
                kept = pc.invert(held)
                rows, resolved = rows.filter(kept), {k: v.filter(kept) for k, v in resolved.items()}
            values.add(rows)
            out.write(_target_rows(source, target, rows, resolved, defaults, first, binary=kinds is not None))
        duplicates = not keys or convert.has_duplicate_keys(pa.concat_tables(keys), list(source.natural_key))
        known = values.distinct()
    return suspects, duplicates, known


def _slices(count: int):
    """(first row, rows) of the COPY's slices: a small first one, so that PostgreSQL, the slower
    side of the COPY, starts parsing while the next, full-size slices are converted."""
    start, size = 0, min(FIRST_SLICE_ROWS, convert.SLICE_ROWS)
    while start < count:
        yield start, size
        start, size = start + size, convert.SLICE_ROWS


class _CodeValues:
    """The distinct code-list values of the rows written, slice by slice (None: Arrow cannot tell)."""

    def __init__(self, source: Source, table):
        self.source, self.raw, self.parts = source, table.columns.table, []
        collect = next((f for f in source.fields if f.collect is not None), None)
        if not source.codelists or collect is None:
            self.parts = None
            return
        mapped = {f.source for f in source.fields if f.source}
        self.collected = convert.collected_names(collect, table, mapped)
        pairs = import_string(source.codelists)
        named = {name for triples in pairs.values() for cf, df, _ in triples for name in (cf, df)}
        self.raw = self.raw.select([c for c in self.raw.column_names if c in named])  # only what is read

    def add(self, rows: pa.Table) -> None:
        if self.parts is None or self.raw.num_columns == 0:  # no code field in the file: nothing to check
            return
        raw = self.raw.take(pc.subtract(rows.column("_row"), 1))
        found = codelists.distinct_values(self.source, raw, rows, self.collected)
        self.parts = None if found is None else [*self.parts, found]

    def distinct(self) -> pa.Table | None:
        if self.parts is None:
            return None
        if not self.parts:
            return codelists.VALUE_SCHEMA.empty_table()  # no row with a code: nothing to check
        table = pa.concat_tables(self.parts)
        return table.group_by(table.column_names).aggregate([])


def _target_columns(source: Source, target: staging.Target) -> tuple[list[str], list[str] | None]:
    """The COPY's columns (primary key, fields, geometry, defaults) and their binary kinds (None: CSV)."""
    meta = target.model._meta
    by_column = {f.column: f for f in meta.concrete_fields}
    columns, types = [meta.pk.column], [meta.pk.db_type(connection)]
    for name in source.target_fields:
        fld = target.fields[name]
        columns.append(fld.column)
        types.append(fld.target_field.db_type(connection) if isinstance(fld, ForeignKey) else fld.db_type(connection))
    if target.geom_field is not None:
        columns.append(target.geom_field.column)
        types.append(None)
    for column, _ in target.defaults():
        columns.append(column)
        types.append(by_column[column].db_type(connection))
    kinds = ["geometry" if t is None else copy.binary_type(t) for t in types]
    return columns, kinds if all(k in copy.ARROW_BINARY_KINDS for k in kinds) else None


def _held_back(source: Source, target: staging.Target, rows: pa.Table, resolved: dict) -> pa.Array:
    """The rows not written as they are: those the rules reject whatever else they hold, which the
    target may not take (a conversion error, a required field blank, no geometry, a lookup value
    not found), and geometries not of the declared type, which the rules turn into it or reject
    (an index on the type, such as PgtFeature's per-layer GiSTs, refuses them even in a row
    deleted in the same transaction)."""
    held = rows.column("_error").combine_chunks().is_valid()
    for name in source.required:
        column = rows.column(name).combine_chunks()
        blank = column.is_null()
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            kind = target.stage_type(name)
            if kind.endswith("[]"):
                blank = pc.or_kleene(blank, pc.equal(column, "{}"))
            elif kind.startswith(("text", "varchar")):
                blank = pc.or_kleene(blank, pc.equal(column, ""))
        held = pc.or_kleene(held, blank)
    if target.geom_field is not None:
        geom = rows.column("_geom").combine_chunks()
        held = pc.or_kleene(held, geom.is_null())
        held = pc.or_kleene(held, pc.invert(_of_type(geom, _declared_type(source, target))))
    for name, ids in resolved.items():
        held = pc.or_kleene(held, pc.and_kleene(rows.column(name).combine_chunks().is_valid(), ids.is_null()))
    return pc.fill_null(held, True)


def _declared_type(source: Source, target: staging.Target) -> str:
    return (source.geometry_type or target.geom_field.geom_type).upper()


def _of_type(wkb: pa.Array, declared: str) -> pa.Array:
    """Whether each WKB geometry is 2D and of the declared type (any 2D type for a generic one);
    the type codes are read from the distinct 5-byte heads (byte order, type), a handful."""
    heads = pc.binary_slice(wkb.cast(pa.large_binary()), 0, 5)
    fitting = []
    for head in pc.unique(heads).to_pylist():
        if head is None or len(head) < 5:
            continue
        kind = WKB_TYPES.get(int.from_bytes(head[1:5], "little" if head[0] == 1 else "big"))
        if kind is not None and (kind == declared or declared not in staging.DIMENSION):
            fitting.append(head)
    return pc.fill_null(pc.is_in(heads, pa.array(fitting, pa.large_binary())), False)


def _target_rows(source, target, rows: pa.Table, resolved: dict, defaults: list, first: int, binary: bool) -> pa.Table:
    """The written rows in the COPY's column order: the id ``first + row - 1``, the values (lookups
    as ids), the geometry (WKB; hexadecimal in CSV), the defaults."""
    count = rows.num_rows
    columns = [pc.add(pc.cast(rows.column("_row"), pa.int64()), first - 1)]
    columns += [resolved.get(name, rows.column(name)) for name in source.target_fields]
    if target.geom_field is not None:
        geom = rows.column("_geom")
        columns.append(geom if binary else copy.hex_wkb(geom))
    columns += [pa.array([value.as_py()] * count, value.type) for value in defaults]
    return pa.table(columns, names=[f"c{i}" for i in range(len(columns))])


def _stage_held_back(cur, source: Source, target: staging.Target, table, held: list[pa.Table], first: int) -> None:
    """The held-back rows through the staged path's rules (their reasons as there); those that pass
    (a Polygon made multi…) go into the target with the id of their row, for the duplicate-key
    rule to see them with the rows written directly."""
    for rows in held:  # in CSV: a few rows, of any column type
        rows = rows.set_column(rows.schema.get_field_index("_geom"), "_geom", copy.hex_wkb(rows.column("_geom")))
        copy.copy_table(cur, staging.stage_storage(cur), rows)
    staging.validate(cur, source, target, duplicates=False, srid=table.srid)
    staging.resolve(cur, source, target, table.srid, row=True)
    cols = staging.target_columns(target)
    defaults = target.defaults()
    query = db.compose(
        "INSERT INTO {table} ({names}) SELECT _row + {offset}, {values} FROM {resolved}",
        table=target.table,
        names=[target.model._meta.pk.column, *cols, *(c for c, _ in defaults)],
        offset=db.literal(first - 1),
        values=[*map(db.ident, cols), *(db.Placeholder(f"default{i}") for i in range(len(defaults)))],
        resolved=RESOLVED,
    )
    db.execute(cur, query, {f"default{i}": v for i, (_, v) in enumerate(defaults)})


def _drop_stage(cur) -> None:
    """The rejects stay; the stage and the rules' scratch tables go, for the rules to run again."""
    db.execute(cur, db.compose("DROP VIEW IF EXISTS {views}", views=[RESOLVED, STAGE]))
    db.execute(
        cur,
        db.compose(
            "DROP TABLE IF EXISTS {tables}",
            tables=[staging.stage_storage(cur), CHECKS, CODES, VALUES, BADCODES, BADROWS],
        ),
    )


def _view_written(cur, source: Source, target: staging.Target, first: int, count: int) -> None:
    """The stage's name and shape (``_row``, the fields, ``_geom``, ``_error``) over the rows just
    written: a view PostgreSQL can delete and update through, so the rules run on them unchanged."""
    pk = db.ident(target.model._meta.pk.column)
    select = [db.SQL("(t.{pk} - {base})::integer AS _row").format(pk=pk, base=db.literal(first - 1))]
    for name in source.target_fields:
        cast = "::text" if name in _lookup_fields(source) else ""  # the stage holds the lookup's key as text
        select.append(db.SQL("t.{}" + cast + " AS {}").format(db.ident(target.column(name)), db.ident(name)))
    if target.geom_field is not None:
        select.append(db.SQL("t.{} AS _geom").format(db.ident(target.geom_field.column)))
    else:
        select.append(db.SQL("NULL::geometry AS _geom"))
    select.append(db.SQL("NULL::text AS _error"))
    query = db.compose(
        "CREATE TEMP VIEW {stage} AS SELECT {select} FROM {table} t WHERE t.{pk} BETWEEN {low} AND {high}",
        stage=STAGE,
        select=db.SQL(", ").join(select),
        table=target.table,
        pk=pk,
        low=db.literal(first),
        high=db.literal(first + count - 1),
    )
    db.execute(cur, query)


def _lookup_fields(source: Source) -> set[str]:
    return {f.target for f in source.fields if f.lookup}
