"""Load one declared source: read, COPY, validate in SQL, write, in one transaction.

The target table is touched only inside a single transaction at the very end, so a failure at
any point (unreadable file, invalid rows, a killed process) leaves the previous data as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from layers import registry
from remix import db

from . import bulk, conf, convert, firstload, rasters, signals, staging
from .declarations import Source
from .errors import MESSAGES, EtlError, LoadRejected, SourceUnreadable
from .models import DatasetVersion, RejectedRow
from .readers import FeatureTable, reader_for
from .runs import RunResult
from .runs import next_version as _next_version

MAX_STORED_REJECTS = 1000
LOCK_NAMESPACE = 72_001  # advisory-lock key space of source runs
Progress = Callable[[str], None]


def run(
    source: Source,
    *,
    location: str | None = None,
    run_by: str = "cli",
    force: bool = False,
    progress: Progress | None = None,
    options: dict | None = None,
    restored_from: int | None = None,
) -> RunResult:
    """Load ``source`` (from ``location`` when given) unless it is unchanged since its last load.

    ``options`` reach the generator of a synthetic source (e.g. ``scale``); ``progress`` is told
    the name of each step as it starts. ``restored_from`` marks the load as the restore of that
    version (see :func:`etl.archive.restore`).
    """
    with _source_lock(source.id):
        return _run(source, location, run_by, force, progress or (lambda _name: None), options, restored_from)


@contextmanager
def _source_lock(source_id: str):
    """One run of a source at a time (session advisory lock); what is left "running" then is dead.

    A process killed mid-load loses its lock with its connection and its transaction rolls
    back, so the target keeps the previous data; its version record is marked failed here.
    """
    with connection.cursor() as cur:
        db.execute(cur, "SELECT pg_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, source_id])
    try:
        DatasetVersion.objects.filter(source_id=source_id, status=DatasetVersion.Status.RUNNING).update(
            status=DatasetVersion.Status.FAILED,
            error="interrotto prima del termine: dati precedenti invariati",
            finished_at=timezone.now(),
        )
        yield
    finally:
        with connection.cursor() as cur:
            db.execute(cur, "SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_NAMESPACE, source_id])


def _run(source, location, run_by, force, step, options, restored_from) -> RunResult:
    last = _last_loaded(source.id)
    if last and last.status == DatasetVersion.Status.RESTORED and not force and location is None:
        return RunResult(
            source.id,
            DatasetVersion.Status.UNCHANGED,
            version=last.version,
            note=f"ripristinata dalla versione {last.restored_from}: --force per ricaricare",
        )
    if source.generate and location is None:
        step("generazione")
        location = str(import_string(source.generate)(source, **(options or {})))
    reader = reader_for(source, location)
    step("impronta")
    checksum = _combine(reader.fingerprint(), source.digest)
    if last and last.checksum == checksum and not force:
        return RunResult(source.id, DatasetVersion.Status.UNCHANGED, version=last.version)

    record = DatasetVersion.objects.create(
        source_id=source.id,
        location=str(location or source.location),
        reader=source.reader,
        checksum=checksum,
        run_by=run_by,
        restored_from=restored_from,
    )
    status = DatasetVersion.Status.RESTORED if restored_from else DatasetVersion.Status.LOADED
    started = time.perf_counter()
    try:
        step("lettura")
        table = reader.read()
        if table.count == 0:
            raise SourceUnreadable(MESSAGES["empty"] % {"location": location or source.location})
        if source.target == "raster":
            result = rasters.load(source, table, record, status)
        else:
            result = _load(source, table, record, step, status)
        _keep_archive(source, record, reader.archive_path())
    except Exception as err:
        record.status = DatasetVersion.Status.FAILED
        record.error = str(err) if isinstance(err, EtlError) else f"{type(err).__name__}: {err}"
        _finish(record, started)
        raise
    result.duration_s = _finish(record, started)
    step("dipendenti")
    signals.source_loaded.send(sender=None, source=source, version=record)
    step("fine")
    return result


def _keep_archive(source: Source, record: DatasetVersion, path: Path | None) -> None:
    """Copy (hard-link when possible) the loaded file under the archive, content-addressed:
    :func:`etl.archive.restore` loads a version again from it."""
    if path is None or not path.is_file():
        return
    folder = Path(conf.ETL_ARCHIVE_DIR) / source.id / record.checksum[:16]
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / path.name
    if not copy.exists():
        try:
            os.link(path, copy)
        except OSError:
            shutil.copy2(path, copy)
    record.archive = str(copy)
    record.save(update_fields=["archive"])


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


def _load(source: Source, table: FeatureTable, record: DatasetVersion, step: Progress, status: str) -> RunResult:
    target = staging.Target(source)
    with transaction.atomic(), connection.cursor() as cur:
        db.execute(cur, "SET LOCAL work_mem = '128MB'")  # the key checks and joins sort the whole file
        # The geometry functions make the planner's costs huge, so each large statement was
        # JIT-compiled first (0.15-0.3 s apiece) for a plan that runs once: never worth it here.
        db.execute(cur, "SET LOCAL jit = off")
        for hook in source.before_load:
            import_string(hook)(source=source, table=table)
        staging.drop_scratch(cur)
        step("conversione e scrittura (COPY)")
        if firstload.write(cur, source, target, table, step):  # into an empty scope: each row written once
            rejects = staging.fetch_rejects(cur)
            inserted, updated, deleted = table.count - len(rejects), 0, 0
            staged = _staged_or_rejected(source, table, rejects)
        else:
            step("conversione e staging (COPY)")
            staging.create_stage(cur, target)
            duplicates = staging.stage(cur, source, target, table)
            step("validazione")
            staging.validate(cur, source, target, duplicates=duplicates, srid=table.srid)
            rejects = staging.fetch_rejects(cur)
            staged = _staged_or_rejected(source, table, rejects)
            step("fusione")
            staging.resolve(cur, source, target, table.srid)
            step("scrittura")
            inserted, updated, deleted = bulk.write(cur, source, target, staged)
        step("versione e commit")
        record.version = _next_version(source.id)
        record.status = status
        record.rows_read = table.count
        record.rows_loaded = inserted + updated
        record.rows_unchanged = staged - inserted - updated
        record.rows_deleted = deleted
        record.rows_rejected = len(rejects)
        record.save()
        RejectedRow.objects.bulk_create(
            RejectedRow(dataset_version=record, row_number=row, reason=reason, data=data)
            for row, reason, data in _with_data(rejects[:MAX_STORED_REJECTS], table)
        )
        staging.drop_scratch(cur)
        for hook in source.after_load:
            import_string(hook)(source=source, version=record)
        registry.dataset_loaded(source.id, record.version, record.lineage_facts())
    return RunResult(
        source.id,
        record.status,
        record.version,
        table.count,
        record.rows_loaded,
        record.rows_unchanged,
        deleted,
        len(rejects),
        rejects=list(rejects),
    )


def _staged_or_rejected(source: Source, table: FeatureTable, rejects: list) -> int:
    """The rows that passed (every row either passed or was rejected); none is a failed load."""
    staged = table.count - len(rejects)
    if staged == 0:
        raise LoadRejected(
            f"Nessun elemento valido in «{source.id}»: {len(rejects)} righe scartate "
            f"(prima: {rejects[0][1] if rejects else '-'})."
        )
    return staged


def _with_data(rejects: list[tuple[int, str]], table: FeatureTable) -> list[tuple[int, str, dict]]:
    """The rejected rows with their source values; only those rows are read out of an Arrow table,
    so a few rejects never turn a large file into Python objects."""
    rows = sorted({row for row, _ in rejects if 0 < row <= table.count})
    values = table.columns.table.take([r - 1 for r in rows]).to_pylist() if rows else []
    data = {r: {k: convert.jsonable(v) for k, v in row.items()} for r, row in zip(rows, values, strict=True)}
    return [(row, reason, data.get(row, {})) for row, reason in rejects]
