"""Atlas builds in the background: a set of sheets (a scope) rendered by the job system with progress.

A scope names the sheets: ``all`` (141), ``cmm``, ``zona:<code>`` (the zona and its comuni) or
``area:<slug>`` (one sheet). :func:`request` is what the CLI and the PDF/zip views call: it returns
the build already queued or running for that scope and language, or queues a new one — the same
build is never queued twice (procrastinate's queueing lock) nor run twice at once (its lock). The
:class:`~indicatori.models.AtlasBuild` row is what a user sees: queued, running ``done/total``,
done, or failed with a reason.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from procrastinate.contrib.django import app

from background import runtime

from . import atlas
from .models import AtlasBuild

LIVE = (AtlasBuild.Status.QUEUED, AtlasBuild.Status.RUNNING)
# The atlas task (indicatori.tasks, which imports this module), deferred by its name.
TASK = "build_atlas"


def areas_of(scope: str) -> list[atlas.Area]:
    """The sheets of a scope, in build order; :class:`atlas.UnknownArea` for an unknown one."""
    if scope == "all":
        return atlas.all_areas()
    if scope == "cmm":
        return [atlas.get_area("cmm")]
    kind, _, code = scope.partition(":")
    if kind == "zona":
        zona = atlas.get_area(code)
        if zona.level != "zona":
            raise atlas.UnknownArea(code)
        return [zona, *atlas.zona_members(zona.code)]
    if kind == "area":
        return [atlas.get_area(code)]
    raise atlas.UnknownArea(scope)


def missing(scope: str, lang: str) -> list[atlas.Area]:
    """The scope's sheets whose PDF for the current data versions is not built yet."""
    return [area for area in areas_of(scope) if not atlas.pdf_path(area, lang).exists()]


def live(scope: str, lang: str) -> AtlasBuild | None:
    return AtlasBuild.objects.filter(scope=scope, lang=lang, status__in=LIVE).order_by("pk").first()


def request(scope: str, lang: str = "it") -> AtlasBuild:
    """The build queued or running for ``scope``/``lang``, or a new one queued now."""
    areas = areas_of(scope)  # an unknown scope fails here, before anything is queued
    found = live(scope, lang)
    if found is not None:
        return found
    build = AtlasBuild.objects.create(scope=scope, lang=lang, total=len(areas))
    try:
        defer(build)
    except runtime.AlreadyEnqueued:  # another request queued the same build a moment ago
        build.delete()
        return live(scope, lang) or request(scope, lang)
    return build


def defer(build: AtlasBuild) -> None:
    key = f"atlante:{build.scope}:{build.lang}"
    app.configure_task(TASK, allow_unknown=False, queueing_lock=key, lock=key).defer(build_id=build.pk)


def run(build_id: int) -> AtlasBuild | None:
    """The job's body: render (or reuse) every sheet of the scope, saving the progress after each."""
    build = AtlasBuild.objects.filter(pk=build_id, status__in=LIVE).first()
    if build is None:  # already ended (a resumed job, or given up meanwhile)
        return None
    areas = areas_of(build.scope)
    AtlasBuild.objects.filter(pk=build.pk).update(
        status=AtlasBuild.Status.RUNNING, started_at=timezone.now(), done=0, total=len(areas), current="", message=""
    )

    def progress(done: int, total: int, area: atlas.Area) -> None:
        AtlasBuild.objects.filter(pk=build.pk).update(done=done, total=total, current=area.name[:120])

    atlas.build(areas, build.lang, progress)
    AtlasBuild.objects.filter(pk=build.pk).update(status=AtlasBuild.Status.DONE, finished_at=timezone.now())
    build.refresh_from_db()
    return build


def give_up(build_id: int, reason: str) -> None:
    """Fail a build that cannot go on (the sheets it rendered stay: they are valid cache entries)."""
    AtlasBuild.objects.filter(pk=build_id, status__in=LIVE).update(
        status=AtlasBuild.Status.FAILED, message=reason[:2000], finished_at=timezone.now()
    )


def orphans(grace: timedelta) -> tuple[list[int], list[int]]:
    cutoff = timezone.now() - grace
    rows = AtlasBuild.objects.filter(created_at__lt=cutoff)
    return (
        list(rows.filter(status=AtlasBuild.Status.QUEUED).values_list("pk", flat=True)),
        list(rows.filter(status=AtlasBuild.Status.RUNNING).values_list("pk", flat=True)),
    )


def requeue(build_id: int) -> None:
    defer(AtlasBuild.objects.get(pk=build_id))
