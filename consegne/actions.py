"""Every change with rules goes through here: permission check, the change and the audit entry together.

Views, the admin, commands and tests all call these functions; nothing else changes the state of a
delivery or of a comune's PGT versions (consegne.retention only deletes the stored files of ended ones).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from layers.models import Layer
from layers.registry import data_changed, dataset_loaded
from mappature.models import Comune, PgtAtto
from mappature.pgt_layers import PGT_LAYERS
from remix import conf as remix_conf
from remix import storage

from . import audit, jobs, permissions, spec, unpack
from .errors import MESSAGES, UploadRejected, VersionChanged, WrongState
from .models import Consegna


@dataclass(frozen=True)
class ActData:
    """The act a delivery documents: PGT or variante, its dates and deliberation."""

    kind: str
    deliberation: str
    adoption_date: date | None = None
    approval_date: date | None = None
    burl_date: date | None = None


def submit(user, comune: Comune, upload, act: ActData) -> Consegna:
    """Store an uploaded delivery after the safety checks and queue it for validation.

    ``upload`` is a Django ``UploadedFile``. A hostile or unusable file raises
    :class:`UploadRejected` and leaves neither a file nor a row behind.
    """
    permissions.check(user, "upload", comune.istat_code)
    name = Path(upload.name).name[:255]
    try:
        kind = unpack.kind_of(name)
        unpack.check_size(upload.size)
        consegna = _store_and_register(user, comune, upload, act, name, kind)
    except UploadRejected as err:
        audit.record(user, "caricamento_rifiutato", comune, comune.istat_code, motivo=str(err), file=name)
        raise
    jobs.queue(consegna.pk)  # committed already: the worker can take it at once
    return consegna


def _store_and_register(user, comune: Comune, upload, act: ActData, name: str, kind: str) -> Consegna:
    """Check the upload in a scratch folder, keep it in the deliveries' storage, record the delivery;
    on any failure neither the stored file nor the row is left behind."""
    work = Path(remix_conf.WORK_DIR)
    work.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=work))
    scratch = folder / f"consegna.{kind}"
    stored_name = None
    try:
        with scratch.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        if kind == "gpkg":
            unpack.check_gpkg(scratch)
        else:
            unpack.inspect_zip(scratch)
        # Shared by every app server and worker (remix.storage): the worker fetches it from there.
        stored_name = storage.save(storage.CONSEGNE, f"{comune.istat_code}/{uuid.uuid4().hex}/{scratch.name}", scratch)
        with transaction.atomic():
            consegna = Consegna.objects.create(
                comune=comune,
                uploaded_by=user,
                kind=act.kind,
                deliberation=act.deliberation,
                adoption_date=act.adoption_date,
                approval_date=act.approval_date,
                burl_date=act.burl_date,
                original_name=name,
                stored_path=stored_name,
                size_bytes=upload.size,
                spec_version=spec.current_code(),
            )
            audit.record(user, "caricamento", consegna, comune.istat_code, file=name)
    except BaseException:
        if stored_name:
            storage.get(storage.CONSEGNE).delete(stored_name)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return consegna


def _require_state(consegna: Consegna, *states: str) -> None:
    if consegna.state not in states:
        raise WrongState(MESSAGES["wrong_state"] % {"state": consegna.get_state_display()})


# ``compared`` of publish() when the caller does not say which act the reviewer compared the bozza
# with: the act in force when the bozza was staged (recorded in the delivery's summary) is used.
AS_VALIDATED = object()


def publish(user, consegna: Consegna, compared=AS_VALIDATED) -> PgtAtto:
    """Make the delivery's bozza act the comune's PGT in force, in one transaction.

    ``compared`` is the id of the act in force the reviewer compared the bozza with (None: there
    was none). If another act is in force now (another reviewer published or restored a version
    meanwhile), nothing changes and :class:`VersionChanged` says the bozza must be reviewed again.
    The comune's row is locked first (``SELECT … FOR UPDATE``), so two publications of one comune
    run one after the other and the second sees what the first did.
    """
    permissions.check(user, "publish", consegna.comune.istat_code)
    try:
        with transaction.atomic():
            consegna = (
                Consegna.objects.select_for_update(of=("self",)).select_related("atto", "comune").get(pk=consegna.pk)
            )
            _require_state(consegna, Consegna.State.IN_REVISIONE)
            if consegna.atto is None or consegna.atto.state != PgtAtto.State.BOZZA:
                raise WrongState(MESSAGES["nothing_to_publish"])
            _lock_comune(consegna.comune_id)
            if compared is AS_VALIDATED:
                compared = consegna.summary.get("vigente", AS_VALIDATED)
            current = _vigente_id(consegna.comune_id)
            if compared is not AS_VALIDATED and compared != current:
                raise VersionChanged(MESSAGES["vigente_changed"] % {"comune": consegna.comune.name})
            previous = _swap_vigente(consegna.atto)
            consegna.state, consegna.reviewed_at = Consegna.State.PUBBLICATA, timezone.now()
            consegna.save(update_fields=["state", "reviewed_at"])
            audit.record(
                user,
                "pubblicazione",
                consegna.atto,
                consegna.comune.istat_code,
                consegna=consegna.pk,
                precedente=previous.pk if previous else None,
            )
            transaction.on_commit(lambda: _notify_registry(consegna.atto, "pubblicazione"))
    except VersionChanged as err:
        audit.record(
            user,
            "pubblicazione_rifiutata",
            consegna,
            consegna.comune.istat_code,
            motivo=str(err),
            confrontata_con=compared if compared is not AS_VALIDATED else None,
            vigente=_vigente_id(consegna.comune_id),
        )
        raise
    except IntegrityError as err:  # another act became vigente in a way the lock did not foresee
        raise VersionChanged(MESSAGES["vigente_changed"] % {"comune": consegna.comune.name}) from err
    return consegna.atto


def _lock_comune(comune_id: int) -> None:
    """Serialise every change of a comune's PGT versions (publish, rollback) on the comune's row."""
    list(Comune.objects.select_for_update().filter(pk=comune_id).values_list("pk", flat=True))


def _vigente_id(comune_id: int) -> int | None:
    return PgtAtto.objects.filter(comune_id=comune_id, state=PgtAtto.State.VIGENTE).values_list("pk", flat=True).first()


def rollback(user, atto: PgtAtto) -> PgtAtto:
    """Put a superseded version of a comune's PGT back in force (the current one becomes superato)."""
    permissions.check(user, "rollback", atto.comune.istat_code)
    with transaction.atomic():
        _lock_comune(atto.comune_id)
        atto = PgtAtto.objects.select_for_update().select_related("comune").get(pk=atto.pk)
        if atto.state != PgtAtto.State.SUPERATO:
            raise WrongState(MESSAGES["not_superato"])
        previous = _swap_vigente(atto)
        audit.record(user, "ripristino", atto, atto.comune.istat_code, precedente=previous.pk if previous else None)
        transaction.on_commit(lambda: _notify_registry(atto, "ripristino"))
    return atto


def _notify_registry(atto: PgtAtto, event: str) -> None:
    """Tell the registry that the layers reading a pgt_<layer> view have new data (new extent and data
    version, overviews, OGC maps rebuilt by every worker at its next request): through the ETL's
    ``dataset_loaded`` (with lineage) for the layers of a dataset, ``data_changed`` for the others."""
    views = [layer.view for layer in PGT_LAYERS]
    summary = {"evento": event, "comune": atto.comune.istat_code, "atto": atto.pk}
    for dataset_id in set(Layer.objects.filter(source__in=views).values_list("dataset_id", flat=True)):
        if dataset_id:
            dataset_loaded(dataset_id, atto.pk, summary)
    # dataset_loaded("") would touch every layer without a dataset: these only.
    data_changed(Layer.objects.filter(source__in=views, dataset_id=""))


def _swap_vigente(atto: PgtAtto) -> PgtAtto | None:
    """Inside the caller's transaction: the comune's vigente act → superato, ``atto`` → vigente."""
    previous = PgtAtto.objects.select_for_update().filter(comune_id=atto.comune_id, state=PgtAtto.State.VIGENTE).first()
    if previous is not None:
        previous.state = PgtAtto.State.SUPERATO
        previous.save(update_fields=["state"])
    atto.state, atto.published_at = PgtAtto.State.VIGENTE, timezone.now()
    atto.save(update_fields=["state", "published_at"])
    return previous


def send_back(user, consegna: Consegna, comment: str) -> Consegna:
    """Return a delivery to the comune with the reviewer's comment; its bozza act is discarded."""
    permissions.check(user, "review", consegna.comune.istat_code)
    with transaction.atomic():
        consegna = Consegna.objects.select_for_update(of=("self",)).select_related("atto", "comune").get(pk=consegna.pk)
        _require_state(consegna, Consegna.State.IN_REVISIONE)
        consegna.state, consegna.review_comment = Consegna.State.RINVIATA, comment.strip()
        consegna.reviewed_at = timezone.now()
        atto = consegna.atto
        consegna.atto = None
        consegna.save(update_fields=["state", "review_comment", "reviewed_at", "atto"])
        if atto is not None and atto.state == PgtAtto.State.BOZZA:
            atto.delete()
        audit.record(user, "rinvio", consegna, consegna.comune.istat_code, commento=consegna.review_comment)
    return consegna
