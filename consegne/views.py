"""Pages of PGT deliveries: thin edges over consegne.actions and consegne.queries."""

from __future__ import annotations

import csv
from pathlib import Path

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from mappature import tiles
from mappature.models import PgtAtto
from mappature.pgt_layers import PGT_LAYERS

from . import actions, audit, conf, extensions, permissions, queries
from .errors import MESSAGES, ConsegneError, NotAllowed
from .forms import ReviewForm, UploadForm
from .models import AuditEntry, Consegna
from .uploads import SizeLimitHandler

PAGE_FINDINGS = 1000  # the page stays light; the JSON and CSV downloads carry every finding


class LoginView(auth_views.LoginView):
    template_name = "consegne/login.html"
    redirect_authenticated_user = True


def _consegna(request, pk: int) -> Consegna:
    """The delivery if the user may see it; 404 otherwise (never reveal another comune's deliveries)."""
    return get_object_or_404(permissions.visible_consegne(request.user), pk=pk)


@login_required
@require_GET
def consegna_list(request):
    return render(
        request,
        "consegne/list.html",
        {
            "consegne": permissions.visible_consegne(request.user)[:200],
            "can_upload": permissions.upload_comuni(request.user).exists(),
            "can_review": permissions.allowed(request.user, "review"),
        },
    )


@csrf_exempt  # the CSRF check runs in _upload, after the size-limiting upload handler is installed
@login_required
def upload(request):
    request.upload_handlers.insert(0, SizeLimitHandler(request))
    return _upload(request)


@csrf_protect
def _upload(request):
    comuni = permissions.upload_comuni(request.user)
    if not comuni.exists():
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None, comuni=comuni)
    if getattr(request, "upload_too_large", False):
        form.is_valid()  # bind what was received, then say why the file is missing
        form.errors.pop("file", None)
        form.add_error("file", MESSAGES["too_big"] % {"limit": conf.CONSEGNE_MAX_UPLOAD_MB})
        _refused(request, form, getattr(request, "upload_too_large_name", ""))
    elif request.method == "POST" and form.is_valid():
        try:
            consegna = actions.submit(request.user, form.cleaned_data["comune"], form.cleaned_data["file"], form.act())
        except NotAllowed as err:
            raise PermissionDenied(str(err)) from err
        except ConsegneError as err:  # already in the audit log (actions.submit)
            form.add_error("file", str(err))
        else:
            return redirect("consegne:detail", pk=consegna.pk)
    elif request.method == "POST":
        upload = request.FILES.get("file")
        _refused(request, form, upload.name if upload else "")
    # Every field but the file (which browsers never fill in again) is shown as it was sent.
    return render(request, "consegne/upload.html", {"form": form}, status=400 if form.errors else 200)


def _refused(request, form: UploadForm, file_name: str) -> None:
    """Record a refused upload form in the audit log: who, which comune was asked for, and why."""
    sent = (request.POST.get("comune") or "")[:20]
    comune = form.cleaned_data.get("comune") if hasattr(form, "cleaned_data") else None
    reasons = {field: [str(e) for e in errors] for field, errors in form.errors.items()}
    audit.record(
        request.user,
        "caricamento_rifiutato",
        comune,
        comune.istat_code if comune else "",
        motivo="; ".join(m for errors in reasons.values() for m in errors),
        campi=sorted(reasons),
        comune_inviato=sent,
        file=Path(file_name).name[:255],
    )


@login_required
@require_GET
def detail(request, pk: int):
    consegna = _consegna(request, pk)
    counts = queries.counts(consegna)
    return render(
        request,
        "consegne/detail.html",
        {
            "consegna": consegna,
            "findings": queries.findings(consegna, PAGE_FINDINGS),
            "counts": counts,
            "truncated": sum(counts.values()) > PAGE_FINDINGS,
            "page_findings": PAGE_FINDINGS,
            "can_review": permissions.allowed(request.user, "review", consegna.comune.istat_code),
            "i18n_strings": {"done": _("Validazione completata"), "errore": _("errore"), "avviso": _("avviso")},
        },
    )


@login_required
@require_GET
def status(request, pk: int):
    c = _consegna(request, pk)
    return JsonResponse(
        {
            "state": c.state,
            "state_label": c.get_state_display(),
            "progress": c.progress,
            "step": c.progress_step,
            "done": c.progress >= 100,
        }
    )


@login_required
@require_GET
def report_json(request, pk: int):
    response = HttpResponse(queries.as_json(_consegna(request, pk)), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="consegna-{pk}-rapporto.json"'
    return response


@login_required
@require_GET
def report_csv(request, pk: int):
    consegna = _consegna(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="consegna-{pk}-rapporto.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read the accents right
    writer = csv.writer(response, delimiter=";")
    writer.writerow([_("gravità"), _("regola"), _("strato"), _("elemento"), _("messaggio")])
    for f in queries.findings(consegna):
        writer.writerow([f["severity"], f["rule"], f["layer"], f["feature"], f["message"]])
    return response


@login_required
@require_GET
def findings_geojson(request, pk: int):
    return HttpResponse(queries.findings_geojson(_consegna(request, pk)), content_type="application/geo+json")


def _visible_atto(request, atto_id: int) -> PgtAtto:
    """The act if the user may view its comune's acts (bozze included); 404 otherwise, like a missing one,
    so that the ids of other comuni's acts reveal nothing."""
    atto = get_object_or_404(PgtAtto.objects.select_related("comune"), pk=atto_id)
    if not permissions.allowed(request.user, "view", atto.comune.istat_code):
        raise Http404
    return atto


@login_required
@require_GET
def atto_tile(request, atto_id: int, z: int, x: int, y: int):
    """A vector tile of one act; ``?old=<act>`` / ``?new=<act>`` (same comune) mark each feature's change."""
    if not tiles.valid_tile(z, x, y):
        raise Http404
    atto = _visible_atto(request, atto_id)
    compare_to, as_new = None, True
    for name in ("old", "new"):
        value = request.GET.get(name)
        if value is not None:
            other = int(value) if value.isascii() and value.isdigit() else None  # "²".isdigit() is True
            if other is None or not PgtAtto.objects.filter(pk=other, comune_id=atto.comune_id).exists():
                raise Http404
            compare_to, as_new = other, name == "old"
    response = HttpResponse(
        queries.atto_tile(atto.pk, z, x, y, compare_to, as_new), content_type="application/vnd.mapbox-vector-tile"
    )
    response["Cache-Control"] = "private"  # bozze are visible to their comune and CMM only, and short-lived
    return response


def _act_map(atto: PgtAtto | None, extents: dict, compare_to: PgtAtto | None, role: str) -> dict | None:
    """What a review map needs to draw an act as tiles without downloading it: tile URL, extent, count."""
    if atto is None:
        return None
    url = reverse("consegne:atto_tile", args=[atto.pk, 0, 0, 0]).removesuffix("0/0/0.pbf") + "{z}/{x}/{y}.pbf"
    if compare_to is not None:
        url += f"?{'old' if role == 'new' else 'new'}={compare_to.pk}"
    extent = extents.get(atto.pk, {"count": 0, "bbox": None})
    return {
        "tiles": url,
        "count": extent["count"],
        "bbox": ",".join(map(str, extent["bbox"])) if extent["bbox"] else "",
        "role": role,
    }


@login_required
def review(request, pk: int):
    consegna = _consegna(request, pk)
    if not permissions.allowed(request.user, "review", consegna.comune.istat_code):
        raise PermissionDenied
    vigente = queries.vigente_of(consegna.comune_id)
    if consegna.atto is not None and consegna.atto.state == PgtAtto.State.VIGENTE:
        vigente = None
    diff = queries.diff(consegna.atto, vigente) if consegna.atto else None
    extents = queries.atto_extents([a.pk for a in (consegna.atto, vigente) if a is not None])
    titles = {layer.code: layer.title for layer in PGT_LAYERS}
    return render(
        request,
        "consegne/review.html",
        {
            "consegna": consegna,
            "vigente": vigente,
            "form": ReviewForm(),
            "diff": diff,
            "map_new": _act_map(consegna.atto, extents, vigente, "new"),
            "map_old": _act_map(vigente, extents, consegna.atto, "old"),
            "legend_layers": [(code, titles.get(code, code)) for code in (diff["changes"] if diff else ())],
            "change_labels": {
                "added": _("aggiunto nella bozza"),
                "modified": _("modificato"),
                "removed": _("rimosso nella bozza"),
                "same": _("invariato"),
            },
            "history": PgtAtto.objects.filter(comune=consegna.comune)
            .exclude(state=PgtAtto.State.BOZZA)
            .order_by("-published_at"),
            "audit": AuditEntry.objects.filter(istat_code=consegna.comune.istat_code).select_related("user")[:30],
            "sections": extensions.review_sections(request, consegna),
        },
    )


def _run(request, action, *args) -> None:
    try:
        action(request.user, *args)
    except NotAllowed as err:
        raise PermissionDenied(str(err)) from err
    except ConsegneError as err:
        messages.error(request, str(err))


@login_required
@require_POST
def publish(request, pk: int):
    # The act in force the reviewer saw the bozza compared with, recorded in the review page's form.
    compared = request.POST.get("compared")
    if compared is None or not (compared == "" or (compared.isascii() and compared.isdigit())):
        compared = actions.AS_VALIDATED
    else:
        compared = int(compared) if compared else None
    _run(request, actions.publish, _consegna(request, pk), compared)
    return redirect("consegne:review", pk=pk)


@login_required
@require_POST
def send_back(request, pk: int):
    form = ReviewForm(request.POST)
    form.is_valid()
    _run(request, actions.send_back, _consegna(request, pk), form.cleaned_data.get("comment", ""))
    return redirect("consegne:detail", pk=pk)


@login_required
@require_POST
def rollback(request, atto_id: int):
    atto = _visible_atto(request, atto_id)  # another comune's act: 404; their own but no right: 403
    _run(request, actions.rollback, atto)
    back = request.POST.get("consegna")
    return redirect("consegne:review", pk=int(back)) if back and back.isdigit() else redirect("consegne:list")
