"""Validation of one delivery: unpack, read every layer, stage it, run the checks, stage a bozza act.

Progress is written to the delivery row as it goes (each write commits), so the web page can
show it while the worker runs.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from background.runtime import TRANSIENT_ERRORS, record_failure
from etl.errors import EtlError
from etl.readers.delivery import list_delivery_layers, read_delivery_layer
from mappature.models import PgtAtto

from . import audit, checks, queries, spec, sqlchecks, staging, unpack
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


def validate(consegna: Consegna) -> Consegna:
    """Validate ``consegna`` (state ``in_validazione``) and leave it ``in_revisione`` or ``respinta``."""
    work = Path(tempfile.mkdtemp(prefix=f"consegna-{consegna.pk}-", dir=_work_dir()))
    consegna.findings.all().delete()  # a validation run again (requeued after a crash) starts afresh
    try:
        found = _validate_files(consegna, work)
    except (ConsegneError, EtlError) as err:
        consegna.findings.all().delete()  # what checks found before the failure is not a report
        found = [Found("unreadable", params={"layer": consegna.original_name, "detail": str(err)})]
    except TRANSIENT_ERRORS:  # the database went away: the job system runs the whole validation again
        raise
    except Exception as err:  # the job boundary: record the failure on the delivery, keep the worker alive
        log.exception("validation of consegna %s failed", consegna.pk)
        record_failure("validation", consegna.pk, None, err, f"{type(err).__name__}: {err}")
        consegna.findings.all().delete()
        _store(consegna, [Found("internal_error", params={"detail": type(err).__name__})])
        return _finish(consegna, Consegna.State.FALLITA)
    finally:
        staging.Staging(consegna.pk).drop()
        shutil.rmtree(work, ignore_errors=True)
    _store(consegna, found)
    return _conclude(consegna)


def _work_dir() -> Path:
    path = Path(settings.REMIX["WORK_DIR"])
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


def _validate_files(consegna: Consegna, work: Path) -> list[Found]:
    laps = _Laps()
    rules = spec.get(consegna.spec_version)
    stored = Path(consegna.stored_path)
    set_progress(consegna, 5, "unpack")
    if unpack.kind_of(stored.name) == "zip":
        sources, found = checks.discover_shapefiles(unpack.extract(stored, work / "files"), rules)
    else:
        unpack.check_gpkg(stored)
        sources, found = checks.discover_gpkg_layers(stored, list_delivery_layers(stored), rules)
    stage = staging.Staging(consegna.pk)
    stage.create()
    layers = []
    for i, source in enumerate(sources):
        set_progress(consegna, 10 + 20 * i // max(len(sources), 1), f"read:{source.code}")
        found += _read(source, rules, layers)
    laps.lap("read")
    copy_pct = iter(range(30, 45, 3))
    consegna.summary["copy"] = stage.copy_layers(
        layers, lambda code: set_progress(consegna, next(copy_pct, 44), f"copy:{code}"))
    laps.lap("copy")
    set_progress(consegna, 45, "stage")
    stage.build()
    params = {"c": consegna.pk, "spec": rules.id, "istat": consegna.comune.istat_code,
              "comune": consegna.comune.name, "tol": settings.REMIX["CONSEGNE_BOUNDARY_TOLERANCE_M"]}
    laps.lap("stage")
    step_pct = iter(range(50, 95, 3))
    consegna.summary["checks"] = sqlchecks.run_all(
        stage, rules, params, lambda name: set_progress(consegna, next(step_pct, 94), f"check:{name}"))
    laps.lap("checks")
    consegna.summary["seconds"] = {**laps, "validation": round(time.perf_counter() - laps.started, 3)}
    if not checks.blocking(found) and not _has_errors(consegna):
        set_progress(consegna, 95, "bozza")
        started = time.perf_counter()
        _stage_bozza(consegna, stage)
        consegna.summary["seconds"]["bozza"] = round(time.perf_counter() - started, 3)
    return found


def _read(source: checks.LayerSource, rules: spec.Spec, layers: list) -> list[Found]:
    """Read one layer and judge its file-level properties; a placeable layer is added to ``layers``."""
    layer = rules.layers[source.code]
    try:
        data = read_delivery_layer(source.path, source.gpkg_layer)
    except EtlError as err:
        return [Found("unreadable", source.code, params={"layer": source.code, "detail": str(err)})]
    found = []
    if data.flattened:
        found.append(Found("geom_flattened", source.code, params={"layer": source.code}))
    if data.encoding_source == "detected":
        found.append(Found("encoding_detected", source.code,
                           params={"name": source.path.name, "encoding": data.table.encoding}))
    crs = checks.check_crs(source.code, data.table.srid, rules)
    found += crs + checks.check_fields(layer, data.field_types)
    if data.table.count == 0:
        found.append(Found("empty_layer", source.code, params={"layer": source.code}))
    if not checks.blocking(crs):
        layers.append((layer, data))
    return found


def _has_errors(consegna: Consegna) -> bool:
    return consegna.findings.filter(severity=Finding.Severity.ERROR).exists()


def _stage_bozza(consegna: Consegna, stage: staging.Staging) -> None:
    """A passing delivery becomes a ``bozza`` act with its features, in one transaction."""
    with transaction.atomic():
        atto = PgtAtto.objects.create(
            comune=consegna.comune, kind=consegna.kind, state=PgtAtto.State.BOZZA,
            adoption_date=consegna.adoption_date, approval_date=consegna.approval_date,
            deliberation=consegna.deliberation, burl_date=consegna.burl_date, spec_version=consegna.spec_version,
        )
        count = stage.promote(atto.pk, consegna.comune.istat_code)
        Consegna.objects.filter(pk=consegna.pk).update(atto=atto)
        consegna.atto = atto
        consegna.summary = {**consegna.summary, "features": count}


def _store(consegna: Consegna, found: list[Found]) -> None:
    Finding.objects.bulk_create(
        Finding(consegna=consegna, severity=f.severity, rule=f.rule, layer=f.layer, feature=f.feature,
                params=f.params) for f in found
    )


def _conclude(consegna: Consegna) -> Consegna:
    consegna.summary = {**consegna.summary, "counts": queries.counts(consegna)}
    state = Consegna.State.IN_REVISIONE if consegna.atto_id else Consegna.State.RESPINTA
    return _finish(consegna, state)


def _finish(consegna: Consegna, state: str) -> Consegna:
    consegna.state, consegna.progress, consegna.progress_step = state, 100, "done"
    consegna.finished_at = timezone.now()
    consegna.save(update_fields=["state", "progress", "progress_step", "finished_at", "summary", "atto"])
    audit.record(None, "validazione", consegna, consegna.comune.istat_code, esito=state,
                 conteggi=consegna.summary.get("counts", {}))
    return consegna
