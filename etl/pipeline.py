"""Load one declared source: read, stage with COPY, validate in SQL, merge in one transaction.

The target table is touched only inside a single transaction at the very end, so a failure at
any point (unreadable file, invalid rows, a killed process) leaves the previous data as it was.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import ForeignKey
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import slugify

from layers import registry

from . import convert
from .errors import MESSAGES, LoadRejected, SourceUnreadable
from .models import DatasetVersion, RejectedRow
from .readers import FeatureTable, reader_for
from .sources import Source

MAX_STORED_REJECTS = 1000
STAGE, REJECTS, RESOLVED = "etl_stage", "etl_rejects", "etl_resolved"


@dataclass
class RunResult:
    """What a run did, for the CLI summary and the callers' tests."""

    source_id: str
    status: str
    version: int | None = None
    read: int = 0
    loaded: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    duration_s: float = 0.0
    rejects: list[tuple[int, str]] = field(default_factory=list)


class Target:
    """The Django model a source loads into, described in terms of columns."""

    def __init__(self, source: Source):
        self.source = source
        self.model = apps.get_model(source.target)
        self.table = self.model._meta.db_table
        self.fields = {f.target: self.model._meta.get_field(f.target) for f in source.fields}
        self.geom_field = self.model._meta.get_field(source.geometry) if source.geometry else None

    def column(self, name: str) -> str:
        return self.fields[name].column

    def stage_type(self, name: str) -> str:
        fld = self.fields[name]
        return "text" if isinstance(fld, ForeignKey) else fld.db_type(connection)


def run(source: Source, *, location: str | None = None, run_by: str = "cli", force: bool = False) -> RunResult:
    """Load ``source`` (from ``location`` when given) unless it is unchanged since its last load."""
    reader = reader_for(source, location)
    checksum = _combine(reader.fingerprint(), source.digest)
    last = _last_loaded(source.id)
    if last and last.checksum == checksum and not force:
        return RunResult(source.id, DatasetVersion.Status.UNCHANGED, version=last.version)

    record = DatasetVersion.objects.create(
        source_id=source.id, location=str(location or source.location), reader=source.reader,
        checksum=checksum, run_by=run_by,
    )
    started = time.perf_counter()
    try:
        table = reader.read()
        if table.count == 0:
            raise SourceUnreadable(MESSAGES["empty"] % {"location": location or source.location})
        result = _load(source, table, record)
    except Exception as err:
        record.status = DatasetVersion.Status.FAILED
        record.error = str(err)
        _finish(record, started)
        raise
    result.duration_s = _finish(record, started)
    return result


def _combine(content_checksum: str, declaration_digest: str) -> str:
    return hashlib.sha256(f"{content_checksum}:{declaration_digest}".encode()).hexdigest()


def _last_loaded(source_id: str) -> DatasetVersion | None:
    ok = [DatasetVersion.Status.LOADED, DatasetVersion.Status.RESTORED]
    return (
        DatasetVersion.objects.filter(source_id=source_id, status__in=ok, version__isnull=False)
        .order_by("-version")
        .first()
    )


def _finish(record: DatasetVersion, started: float) -> float:
    record.duration_s = time.perf_counter() - started
    record.finished_at = timezone.now()
    record.save()
    return record.duration_s


def _load(source: Source, table: FeatureTable, record: DatasetVersion) -> RunResult:
    target = Target(source)
    rows = convert.rows_for(source, target, table)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"etl:{source.id}"])
        _drop_scratch(cur)
        _stage(cur, target, rows)
        _validate(cur, source, target, table.srid)
        rejects = _fetch_rejects(cur)
        staged = _count(cur, STAGE)
        if staged == 0:
            raise LoadRejected(
                f"Nessun elemento valido in «{source.id}»: {len(rejects)} righe scartate "
                f"(prima: {rejects[0][1] if rejects else '-'})."
            )
        _resolve(cur, source, target)
        inserted, updated = _merge(cur, target)
        deleted = _delete_missing(cur, source, target)
        version = _next_version(source.id)
        record.version = version
        record.status = DatasetVersion.Status.LOADED
        record.rows_read = table.count
        record.rows_loaded = inserted + updated
        record.rows_unchanged = staged - inserted - updated
        record.rows_deleted = deleted
        record.rows_rejected = len(rejects)
        record.save()
        RejectedRow.objects.bulk_create(
            RejectedRow(dataset_version=record, row_number=row, reason=reason, data=data)
            for row, reason, data in _with_data(rejects, table)[:MAX_STORED_REJECTS]
        )
        _drop_scratch(cur)
        for hook in source.after_load:
            import_string(hook)(source=source, version=record)
        registry.dataset_loaded(source.id, version, {"rows": record.rows_loaded + record.rows_unchanged,
                                                    "checksum": record.checksum, "location": record.location})
    return RunResult(
        source.id, record.status, version, table.count, record.rows_loaded, record.rows_unchanged,
        deleted, len(rejects), rejects=[(r, m) for r, m in rejects],
    )


def _drop_scratch(cur) -> None:
    """Temporary tables go at commit; inside an enclosing transaction they must go explicitly."""
    cur.execute(f"DROP TABLE IF EXISTS {STAGE}, {REJECTS}, {RESOLVED}")


def _count(cur, table: str) -> int:
    cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed internal name
    return cur.fetchone()[0]


def _next_version(source_id: str) -> int:
    latest = (
        DatasetVersion.objects.filter(source_id=source_id, version__isnull=False)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return (latest or 0) + 1


def _stage(cur, target: Target, rows: list[tuple]) -> None:
    """COPY the converted rows into a temporary staging table (dropped at commit)."""
    cols = target.source.target_fields
    defs = ", ".join(f'"{c}" {target.stage_type(c)}' for c in cols)
    cur.execute(
        f"CREATE TEMP TABLE {STAGE} (_row integer, {defs}, _geom geometry, _error text) ON COMMIT DROP"
    )
    cur.execute(f"CREATE TEMP TABLE {REJECTS} (_row integer, _key text[], reason text) ON COMMIT DROP")
    names = ", ".join(["_row", *(f'"{c}"' for c in cols), "_geom", "_error"])
    with cur.copy(f"COPY {STAGE} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cur.execute(f"ANALYZE {STAGE}")


def _key_array(source: Source, alias: str = "") -> str:
    """The natural key of a staged row as a text array (NULL when any part is missing)."""
    prefix = f"{alias}." if alias else ""
    parts = ", ".join(f'{prefix}"{k}"::text' for k in source.natural_key)
    nulls = " OR ".join(f'coalesce({prefix}"{k}"::text, \'\') = \'\'' for k in source.natural_key)
    return f"CASE WHEN {nulls} THEN NULL ELSE ARRAY[{parts}] END"


def _reject(cur, source: Source, where: str, reason: str, params: list | None = None) -> None:
    """Move the staged rows matching ``where`` to the rejects with ``reason`` (SQL text or literal)."""
    cur.execute(
        f"WITH gone AS (DELETE FROM {STAGE} WHERE {where} RETURNING *) "  # noqa: S608
        f"INSERT INTO {REJECTS} SELECT _row, {_key_array(source)}, {reason} FROM gone",
        params or [],
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _validate(cur, source: Source, target: Target, srid: int | None) -> None:
    """Conversion errors, mandatory fields, geometry, lookups and duplicate keys, in SQL."""
    _reject(cur, source, "_error IS NOT NULL", "_error")
    for name in source.required:
        textual = target.stage_type(name).startswith(("text", "varchar"))
        blank = f"\"{name}\" IS NULL" + (f" OR \"{name}\" = ''" if textual else "")
        _reject(cur, source, blank, _literal(f"campo obbligatorio mancante: {name}"))
    if target.geom_field is not None:
        _validate_geometry(cur, source, target, srid)
    for fmap in source.fields:
        if fmap.lookup:
            _validate_lookup(cur, source, fmap)
    key = ", ".join(f'"{k}"' for k in source.natural_key)
    cur.execute(
        f"WITH dup AS (SELECT _row, min(_row) OVER (PARTITION BY {key}) AS first FROM {STAGE}), "  # noqa: S608
        f"gone AS (DELETE FROM {STAGE} s USING dup WHERE s._row = dup._row AND dup._row <> dup.first "
        f"RETURNING s.*, dup.first) "
        f"INSERT INTO {REJECTS} SELECT _row, NULL, 'chiave duplicata: già presente alla riga ' || first FROM gone"
    )


def _validate_geometry(cur, source: Source, target: Target, srid: int | None) -> None:
    storage = settings.REMIX["STORAGE_SRID"]
    _reject(cur, source, "_geom IS NULL OR ST_IsEmpty(_geom)", _literal("geometria vuota o assente"))
    cur.execute(
        f"UPDATE {STAGE} SET _geom = ST_Transform(ST_SetSRID(_geom, %s), %s)", [srid, storage]
    )
    cur.execute(f"UPDATE {STAGE} SET _geom = ST_MakeValid(_geom) WHERE NOT ST_IsValid(_geom)")
    geom_type = target.geom_field.geom_type.upper()
    dim = {"POLYGON": 3, "MULTIPOLYGON": 3, "LINESTRING": 2, "MULTILINESTRING": 2, "POINT": 1, "MULTIPOINT": 1}
    if geom_type in dim:
        cur.execute(
            f"UPDATE {STAGE} SET _geom = ST_CollectionExtract(_geom, %s) "
            "WHERE GeometryType(_geom) = 'GEOMETRYCOLLECTION'",
            [dim[geom_type]],
        )
        if geom_type.startswith("MULTI"):
            cur.execute(f"UPDATE {STAGE} SET _geom = ST_Multi(_geom) WHERE GeometryType(_geom) NOT LIKE 'MULTI%%'")
        _reject(
            cur, source, "ST_IsEmpty(_geom) OR ST_Dimension(_geom) <> %s",
            _literal(f"geometria non valida o di tipo diverso da {geom_type}"), [dim[geom_type] - 1],
        )


def _validate_lookup(cur, source: Source, fmap) -> None:
    model_label, _, key = fmap.lookup.rpartition(".")
    model = apps.get_model(model_label)
    ref, ref_col = model._meta.db_table, model._meta.get_field(key).column
    col = f'"{fmap.target}"'
    if fmap.create:
        cur.execute(f"SELECT DISTINCT {col} FROM {STAGE} WHERE {col} IS NOT NULL")  # noqa: S608
        for (value,) in cur.fetchall():
            model.objects.get_or_create(**{key: value}, defaults={"code": slugify(value)[:40]})
    _reject(
        cur, source,
        f"{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {ref} r WHERE r.\"{ref_col}\" = {STAGE}.{col})",
        _literal(f"valore non trovato in {model._meta.verbose_name}: {fmap.target}"),
    )


def _fetch_rejects(cur) -> list[tuple[int, str]]:
    cur.execute(f"SELECT _row, reason FROM {REJECTS} ORDER BY _row")  # noqa: S608
    return [(row, reason) for row, reason in cur.fetchall()]


def _with_data(rejects: list[tuple[int, str]], table: FeatureTable) -> list[tuple[int, str, dict]]:
    out = []
    for row, reason in rejects:
        data = {k: convert.jsonable(v[row - 1]) for k, v in table.columns.items()} if 0 < row <= table.count else {}
        out.append((row, reason, data))
    return out


def _resolve(cur, source: Source, target: Target) -> None:
    """Build the rows as the target stores them: lookups turned into ids, geometry in place."""
    select, joins = [], []
    for i, fmap in enumerate(source.fields):
        col = target.column(fmap.target)
        if fmap.lookup:
            model_label, _, key = fmap.lookup.rpartition(".")
            model = apps.get_model(model_label)
            alias = f"l{i}"
            joins.append(
                f'LEFT JOIN {model._meta.db_table} {alias} '
                f'ON {alias}."{model._meta.get_field(key).column}" = s."{fmap.target}"'
            )
            select.append(f'{alias}.id AS "{col}"')
        else:
            select.append(f's."{fmap.target}" AS "{col}"')
    if target.geom_field is not None:
        select.append(f'_geom AS "{target.geom_field.column}"')
    cur.execute(
        f"CREATE TEMP TABLE {RESOLVED} ON COMMIT DROP AS "  # noqa: S608
        f"SELECT {', '.join(select)} FROM {STAGE} s {' '.join(joins)}"
    )


def _target_columns(target: Target) -> list[str]:
    cols = [target.column(n) for n in target.source.target_fields]
    if target.geom_field is not None:
        cols.append(target.geom_field.column)
    return cols


def _merge(cur, target: Target) -> tuple[int, int]:
    """Upsert on the natural key, updating only rows that really changed."""
    cols = _target_columns(target)
    key = [target.column(k) for k in target.source.natural_key]
    quoted = ", ".join(f'"{c}"' for c in cols)
    changing = [c for c in cols if c not in key]
    sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in changing)
    differs = " OR ".join(f't."{c}" IS DISTINCT FROM EXCLUDED."{c}"' for c in changing)
    conflict = ", ".join(f'"{c}"' for c in key)
    action = f"DO UPDATE SET {sets} WHERE {differs}" if changing else "DO NOTHING"
    cur.execute(
        f"WITH up AS (INSERT INTO {target.table} AS t ({quoted}) "  # noqa: S608
        f"SELECT {quoted} FROM {RESOLVED} ON CONFLICT ({conflict}) {action} RETURNING (xmax = 0) AS ins) "
        "SELECT count(*) FILTER (WHERE ins), count(*) FILTER (WHERE NOT ins) FROM up"
    )
    inserted, updated = cur.fetchone()
    return inserted, updated


def _delete_missing(cur, source: Source, target: Target) -> int:
    """Delete target rows of this source's scope whose natural key is no longer in the source.

    A rejected row keeps the loaded version of its feature. When a rejected row has no usable
    natural key, the run cannot tell which feature it was, so it deletes nothing.
    """
    key = [target.column(k) for k in source.natural_key]
    if any(source.fields[source.target_fields.index(k)].lookup for k in source.natural_key):
        protected = "TRUE"
    else:
        cur.execute(f"SELECT count(*) FROM {REJECTS} WHERE _key IS NULL")  # noqa: S608
        if cur.fetchone()[0]:
            return 0
        parts = ", ".join(f't."{c}"::text' for c in key)
        protected = f"NOT EXISTS (SELECT 1 FROM {REJECTS} x WHERE x._key = ARRAY[{parts}])"
    match = " AND ".join(f'r."{c}" = t."{c}"' for c in key)
    scope = " AND ".join(
        f't."{target.column(s)}" IN (SELECT DISTINCT "{target.column(s)}" FROM {RESOLVED})'
        for s in source.scope
    )
    cur.execute(
        f"DELETE FROM {target.table} t WHERE {scope or 'TRUE'} AND {protected} "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM {RESOLVED} r WHERE {match})"
    )
    return cur.rowcount

