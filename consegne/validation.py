"""Validation of one delivery: unpack, read every layer, stage it, run the checks, stage a bozza act.

Progress is written to the delivery row as it goes (each write commits), so the web page can
show it while the worker runs.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from background.runtime import TRANSIENT_ERRORS, record_failure
from etl.errors import MESSAGES as etl_messages
from etl.errors import EtlError, SourceUnreadable
from etl.readers.delivery import UNREADABLE_DETAIL, list_delivery_layers, read_delivery_layer
from mappature.models import PgtAtto
from remix import conf as remix_conf
from remix import storage

from . import audit, checks, conf, deadline, gpkg, queries, shapefiles, spec, sqlchecks, staging, unpack, values
from .checks import Found
from .errors import ConsegneError
from .models import Consegna, Finding

log = logging.getLogger(__name__)


def set_progress(consegna: Consegna, percent: int, step: str) -> None:
    """Publish progress (each update commits, at most about three times a second)."""
    now = time.perf_counter()
    consegna.progress, consegna.progress_step = percent, step
    # A page polls every ~0.7 s: writing more often than every 0.3 s only costs commits.
    if now - getattr(consegna, "_progress_written", 0.0) >= 0.3:
        consegna._progress_written = now
        Consegna.objects.filter(pk=consegna.pk).update(progress=percent, progress_step=step)


def validate(consegna: Consegna, seconds: float | None = None) -> Consegna:
    """Validate ``consegna`` (state ``in_validazione``) and leave it ``in_revisione`` or ``respinta``.

    The validation has ``seconds`` (default ``CONSEGNE_VALIDATION_TIMEOUT_S``) to finish; past
    them it stops and the delivery is ``respinta`` with a ``timeout`` finding.
    """
    work = Path(tempfile.mkdtemp(prefix=f"consegna-{consegna.pk}-", dir=_work_dir()))
    consegna.findings.all().delete()  # a validation run again (requeued after a crash) starts afresh
    limit = deadline.Deadline(seconds)
    # Inside a transaction (the test suite) a failed statement would poison it: a savepoint keeps the
    # report and the cleanup writable. Outside one (the worker) every statement commits on its own.
    savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with savepoint:
            found = _validate_files(consegna, work, limit)
    except Exception as err:  # the job boundary: record the failure on the delivery, keep the worker alive
        _unlimited()  # the report and the cleanup must not be cancelled by the spent time limit
        consegna.findings.all().delete()  # what checks found before the failure is not a report
        if deadline.is_timeout(err):
            step = limit.stopped_in(err)
            log.warning("validation of consegna %s stopped by its time limit during %s", consegna.pk, step)
            found = [Found("timeout", params={"minutes": round(limit.seconds / 60, 1), "step": step})]
        elif isinstance(err, ConsegneError | EtlError):
            found = [Found("unreadable", params={"layer": consegna.original_name, "detail": str(err)})]
        elif isinstance(err, TRANSIENT_ERRORS):  # the database went away: the job system runs it again
            raise
        else:
            log.exception("validation of consegna %s failed", consegna.pk)
            record_failure("validation", consegna.pk, None, err, f"{type(err).__name__}: {err}")
            _store(consegna, [Found("internal_error", params={"detail": f"n. {consegna.pk}"})])
            return _finish(consegna, Consegna.State.FALLITA)
    finally:
        _unlimited()
        staging.Staging(consegna.pk).drop()
        shutil.rmtree(work, ignore_errors=True)
    _store(consegna, found)
    return _conclude(consegna)


def _unlimited() -> None:
    with connection.cursor() as cur:
        deadline.unlimited(cur)


def _fetch(consegna: Consegna, work: Path) -> Path:
    """The delivery's file on this worker's own disk: copied from the shared storage (remix.storage).

    Rows written before the storage (an absolute path) are read where they are.
    """
    if Path(consegna.stored_path).is_absolute():
        return Path(consegna.stored_path)
    return storage.fetch(storage.CONSEGNE, consegna.stored_path, work / "upload")


def _work_dir() -> Path:
    path = Path(remix_conf.WORK_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


class _Laps(dict):
    """How long each phase of the validation took, in seconds (kept in the delivery's summary)."""

    def __init__(self):
        super().__init__()
        self.started = self.mark = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self[name], self.mark = round(now - self.mark, 3), now


def _validate_files(consegna: Consegna, work: Path, limit: deadline.Deadline) -> list[Found]:
    laps = _Laps()
    rules = spec.get(consegna.spec_version)
    set_progress(consegna, 5, "unpack")
    limit.check("unpack")
    stored = _fetch(consegna, work)
    if unpack.kind_of(stored.name) == "zip":
        delivered, found = checks.discover_shapefiles(unpack.extract(stored, work / "files"), rules)
    else:
        unpack.check_gpkg(stored)
        delivered, found = checks.discover_gpkg_layers(stored, list_delivery_layers(stored), rules)
        delivered, refused = _plain_tables(stored, delivered, limit)
        found += refused
    stage = staging.Staging(consegna.pk)
    stage.create()
    layers, row_found = [], []
    for i, delivered_layer in enumerate(delivered):
        set_progress(consegna, 10 + 20 * i // max(len(delivered), 1), f"read:{delivered_layer.code}")
        limit.check(delivered_layer.code)
        found += _read(delivered_layer, rules, layers, row_found)
    laps.lap("read")
    copy_pct = iter(range(30, 45, 3))
    consegna.summary["copy"] = stage.copy_layers(
        layers, lambda code: set_progress(consegna, next(copy_pct, 44), f"copy:{code}"), limit
    )
    laps.lap("copy")
    set_progress(consegna, 45, "stage")
    limit.check("stage")
    with connection.cursor() as cur:
        limit.limit(cur)
    stage.build()
    stage.locate(consegna.pk, row_found)
    params = {
        "c": consegna.pk,
        "spec": rules.id,
        "istat": consegna.comune.istat_code,
        "comune": consegna.comune.name,
        "tol": conf.CONSEGNE_BOUNDARY_TOLERANCE_M,
    }
    laps.lap("stage")
    step_pct = iter(range(50, 95, 3))
    consegna.summary["checks"] = sqlchecks.run_all(
        stage, rules, params, lambda name: set_progress(consegna, next(step_pct, 94), f"check:{name}"), limit
    )
    laps.lap("checks")
    consegna.summary["seconds"] = {**laps, "validation": round(time.perf_counter() - laps.started, 3)}
    if not checks.blocking(found) and not _has_errors(consegna):
        set_progress(consegna, 95, "bozza")
        limit.check("bozza")
        started = time.perf_counter()
        _stage_bozza(consegna, stage)
        consegna.summary["seconds"]["bozza"] = round(time.perf_counter() - started, 3)
    return found


def _plain_tables(
    path: Path, delivered: list[checks.DeliveredLayer], limit: deadline.Deadline
) -> tuple[list[checks.DeliveredLayer], list[Found]]:
    """The GeoPackage layers that are plain tables; a finding for each view, virtual table or table
    with triggers (those are not read at all)."""
    try:
        refused = gpkg.inspect(path, {s.gpkg_layer: s.code for s in delivered}, limit)
    except gpkg.Unreadable as err:
        log.warning("GeoPackage of %s unreadable: %s", path.name, err)
        raise SourceUnreadable(
            etl_messages["unreadable"] % {"location": path.name, "detail": UNREADABLE_DETAIL}
        ) from err
    codes = {f.layer for f in refused}
    return [s for s in delivered if s.code not in codes], refused


def _read(delivered: checks.DeliveredLayer, rules: spec.Spec, layers: list, row_found: list) -> list[Found]:
    """Read one layer and judge its file-level properties and values; a placeable layer is added to
    ``layers``, the findings about single features to ``row_found`` (located once staged)."""
    layer = rules.layers[delivered.code]
    found: list[Found] = []
    encoding = dbf = shp = offsets = None
    if delivered.gpkg_layer is None:  # each file read once (bounded by the unpacked-size limit)
        dbf, shp = shapefiles.read_dbf(delivered.path), delivered.path.read_bytes()
        encoding = shapefiles.resolve_encoding(delivered.path, dbf)
        found += _encoding_findings(delivered, encoding)
        if encoding.name is None:
            return found
        shx = delivered.path.with_suffix(".shx")
        offsets = shapefiles.shp_offsets(shp, shx.read_bytes() if shx.is_file() else b"")
        counts = shapefiles.counts(offsets, shx, dbf)
        if {c for c in (counts.dbf, counts.shx) if c is not None} - {counts.shp}:
            found.append(
                Found(
                    "record_count",
                    delivered.code,
                    params={
                        "name": delivered.path.name,
                        "shp": counts.shp,
                        "dbf": counts.dbf,
                        "shx": counts.shx if counts.shx is not None else "-",
                    },
                )
            )
        if counts.deleted:
            found.append(
                Found("records_deleted", delivered.code, params={"name": delivered.path.name, "count": counts.deleted})
            )
    try:
        data = read_delivery_layer(
            delivered.path,
            delivered.gpkg_layer,
            encoding.name if encoding else None,
            encoding.source if encoding else "",
        )
    except EtlError as err:
        return found + [Found("unreadable", delivered.code, params={"layer": delivered.code, "detail": str(err)})]
    if data.flattened:
        found.append(Found("geom_flattened", delivered.code, params={"layer": delivered.code}))
    crs = checks.check_crs(delivered.code, data.table.srid, rules)
    found += crs + checks.check_fields(layer, data.field_types)
    if data.table.count == 0:
        found.append(Found("empty_layer", delivered.code, params={"layer": delivered.code}))
    value_found, data = values.inspect(layer, data)
    row_found += value_found
    if shp is not None and data.table.geometries is not None:
        row_found += _ring_findings(shp, offsets, dbf, delivered.code, data)
    if not checks.blocking(crs):
        layers.append((layer, data))
    return found


def _encoding_findings(delivered: checks.DeliveredLayer, encoding: shapefiles.Encoding) -> list[Found]:
    params = {"name": delivered.path.name, "encoding": encoding.name, "declared": encoding.declared}
    rule = {
        "detected": "encoding_detected",
        "cpg_mismatch": "encoding_mismatch",
        "cpg_unknown": "encoding_unknown_cpg",
        "undetectable": "encoding_undetectable",
    }.get(encoding.source)
    return [Found(rule, delivered.code, params=params)] if rule else []


def _ring_findings(shp: bytes, offsets: list[int], dbf, code: str, data) -> list[values.RowFound]:
    """A polygon whose rings GDAL reorganised into another area: a finding with both areas."""
    deleted = dbf.deleted() if dbf is not None else None
    out = []
    for problem in shapefiles.ring_problems(shp, offsets, data.table.geometries, deleted):
        params = {"file": round(problem.file_area, 1) + 0.0, "read": round(problem.read_area, 1) + 0.0}
        if problem.kind == "hole_outside_shell":
            params["hole"] = round(problem.hole_area, 1) + 0.0
            out.append(values.RowFound("hole_outside_shell", code, problem.row + 1, params))
        else:
            out.append(values.RowFound("geom_area_changed", code, problem.row + 1, params))
    return out


def _has_errors(consegna: Consegna) -> bool:
    return consegna.findings.filter(severity=Finding.Severity.ERROR).exists()


def _stage_bozza(consegna: Consegna, stage: staging.Staging) -> None:
    """A passing delivery becomes a ``bozza`` act with its features, in one transaction."""
    with transaction.atomic():
        atto = PgtAtto.objects.create(
            comune=consegna.comune,
            kind=consegna.kind,
            state=PgtAtto.State.BOZZA,
            adoption_date=consegna.adoption_date,
            approval_date=consegna.approval_date,
            deliberation=consegna.deliberation,
            burl_date=consegna.burl_date,
            spec_version=consegna.spec_version,
        )
        count = stage.promote(atto.pk, consegna.comune.istat_code)
        Consegna.objects.filter(pk=consegna.pk).update(atto=atto)
        consegna.atto = atto
        # The act in force the bozza was made against: what publishing checks when no reviewer said
        # which act they compared it with (consegne.actions.publish).
        vigente = (
            PgtAtto.objects.filter(comune=consegna.comune, state=PgtAtto.State.VIGENTE)
            .values_list("pk", flat=True)
            .first()
        )
        consegna.summary = {**consegna.summary, "features": count, "vigente": vigente}


def _store(consegna: Consegna, found: list[Found]) -> None:
    Finding.objects.bulk_create(
        Finding(consegna=consegna, severity=f.severity, rule=f.rule, layer=f.layer, feature=f.feature, params=f.params)
        for f in found
    )


def _conclude(consegna: Consegna) -> Consegna:
    consegna.summary = {**consegna.summary, "counts": queries.counts(consegna)}
    state = Consegna.State.IN_REVISIONE if consegna.atto_id else Consegna.State.RESPINTA
    return _finish(consegna, state)


def _finish(consegna: Consegna, state: str) -> Consegna:
    consegna.state, consegna.progress, consegna.progress_step = state, 100, "done"
    consegna.finished_at = timezone.now()
    consegna.save(update_fields=["state", "progress", "progress_step", "finished_at", "summary", "atto"])
    audit.record(
        None,
        "validazione",
        consegna,
        consegna.comune.istat_code,
        esito=state,
        conteggi=consegna.summary.get("counts", {}),
    )
    return consegna
