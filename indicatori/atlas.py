"""Atlas sheets ("schede dell'atlante"): one per comune, per zona omogenea and for the whole CMM.

Each sheet is an HTML page and an A4 PDF (WeasyPrint) with a map drawn by Remix's own WMS
(MapServer, in-process), the key indicators with their trend charts compared with the zona and
CMM, the interventions, the opportunity areas, the PGT in force and the sources with their
licences and dates. PDFs are cached under ``var/atlante/`` by the data versions they use, so a
reload of any input makes a new one and an unchanged sheet is never rendered twice.

``build(areas, progress)`` is a plain function with a progress callback, so any job system can
run it (see ``manage.py atlante build``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import math
import os
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape

from etl.declarations import all_sources
from etl.models import DatasetVersion
from remix import db

from . import charts, conf, fmt, queries
from .declarations import all_indicators
from .errors import IndicatoriError
from .models import IndicatorRun

ATLAS_VERSION = "1"  # bump when the sheet's layout changes: cached PDFs are then rebuilt
MAP_LAYERS = (
    "pgt_tessuto_urbano_consolidato",
    "pgt_ambiti_trasformazione",
    "pgt_ambiti_rigenerazione",
    "pgt_aree_dismesse",
    "remix_incubatore",
    "comuni",
    "stazioni",
    "realizzazioni",
)
MAP_SOURCES = (
    "comuni",
    "pgt_sintetico",
    "remix_incubatore",
    "realizzazioni",
    "realizzazioni_pnrr",
    "stazioni",
    "stazioni_metro",
)
MAP_W, MAP_H = 1200, 820
LIST_LIMIT = 40
# The key indicators in the order a sheet shows them (others, if declared key, follow by code).
SHEET_ORDER = (
    "popolazione",
    "quota_over65",
    "quota_under15",
    "suolo_consumato_ha",
    "suolo_consumato_pct",
    "consumo_suolo_netto_ha",
    "consumo_suolo_riduzione_pct",
    "suolo_per_abitante",
    "finanziamento_rigenerazione_per_abitante",
    "pnrr_per_abitante",
    "interventi_n",
    "stazioni_n",
    "opportunita_ha",
    "anomalia_termica_media",
)


class UnknownArea(IndicatoriError, LookupError):
    pass


@dataclass(frozen=True)
class Area:
    level: str  # comune | zona | cmm
    code: str
    name: str
    zona: str | None = None  # code of the comune's zona
    zona_name: str | None = None

    @property
    def slug(self) -> str:
        return self.code if self.level != "cmm" else "cmm"


def all_areas() -> list[Area]:
    """CMM, the zone omogenee of more than one comune, and every comune."""
    zone = [
        Area("zona", code, name)
        for code, name in db.fetch_all(
            "SELECT z.code, z.name FROM mappature_zonaomogenea z WHERE "
            "(SELECT count(*) FROM mappature_comune c WHERE c.zona_id = z.id) > 1 ORDER BY z.name"
        )
    ]
    comuni = [
        Area("comune", *row)
        for row in db.fetch_all(
            "SELECT c.istat_code, c.name, z.code, z.name FROM mappature_comune c "
            "JOIN mappature_zonaomogenea z ON z.id = c.zona_id ORDER BY c.name"
        )
    ]
    return [Area("cmm", "cmm", queries.CMM_NAME), *zone, *comuni]


def get_area(slug: str) -> Area:
    """``cmm``, a zona code or a comune's ISTAT code."""
    if slug == "cmm":
        return Area("cmm", "cmm", queries.CMM_NAME)
    row = db.fetch_one(
        "SELECT c.istat_code, c.name, z.code, z.name FROM mappature_comune c "
        "JOIN mappature_zonaomogenea z ON z.id = c.zona_id WHERE c.istat_code = %s",
        [slug],
    )
    if row:
        return Area("comune", *row)
    row = db.fetch_one("SELECT code, name FROM mappature_zonaomogenea WHERE code = %s", [slug])
    if row:
        return Area("zona", *row)
    raise UnknownArea(slug)


def zona_members(zona: str) -> list[Area]:
    rows = db.fetch_all(
        "SELECT c.istat_code, c.name, z.code, z.name FROM mappature_comune c "
        "JOIN mappature_zonaomogenea z ON z.id = c.zona_id WHERE z.code = %s ORDER BY c.name",
        [zona],
    )
    return [Area("comune", *row) for row in rows]


def _comuni_of(area: Area) -> list[str] | None:
    """ISTAT codes the area covers (None = all of CMM)."""
    if area.level == "comune":
        return [area.code]
    if area.level == "zona":
        return [a.code for a in zona_members(area.code)]
    return None


# --- data versions and cache ------------------------------------------------------------------


def _used_sources() -> list[str]:
    used = set(MAP_SOURCES)
    for decl in all_indicators().values():
        if decl.key:
            used.update(decl.inputs)
    return sorted(used)


def source_versions() -> dict[str, tuple[int, str]]:
    """Latest loaded version and its date for each source a sheet uses."""
    ok = (DatasetVersion.Status.LOADED, DatasetVersion.Status.RESTORED)
    out = {}
    for sid, version, finished in (
        DatasetVersion.objects.filter(source_id__in=_used_sources(), status__in=ok, version__isnull=False)
        .order_by("source_id", "version")
        .values_list("source_id", "version", "finished_at")
    ):
        out[sid] = (version, finished.date().isoformat() if finished else "")
    return out


@functools.cache
def _layout_digest() -> str:
    """The sheet's code, templates and stylesheet: a change of layout rebuilds the cached PDFs."""
    here = Path(__file__).resolve().parent
    files = [
        here / "atlas.py",
        here / "charts.py",
        here / "fmt.py",
        here / "static" / "indicatori" / "atlante.css",
        *sorted((settings.BASE_DIR / "templates" / "indicatori").glob("*.html")),
    ]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:12]


def cache_key(area: Area, lang: str) -> str:
    runs = sorted(
        IndicatorRun.objects.filter(
            indicator__code__in=[d.code for d in all_indicators().values() if d.key]
        ).values_list("indicator__code", "id")
    )
    latest = {}
    for code, run in runs:
        latest[code] = max(run, latest.get(code, 0))
    zonal = [(r[0], r[-1].isoformat()) for r in _zonal_rows(area)]  # recomputed statistics: a new sheet
    parts = [
        ATLAS_VERSION,
        _layout_digest(),
        lang,
        area.level,
        area.code,
        repr(sorted(source_versions().items())),
        repr(sorted(latest.items())),
        repr(zonal),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def atlas_dir() -> Path:
    path = Path(conf.ATLAS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def pdf_path(area: Area, lang: str) -> Path:
    return atlas_dir() / f"{area.level}-{area.code}-{lang}-{cache_key(area, lang)}.pdf"


# --- map -------------------------------------------------------------------------------------


def _extent(area: Area) -> tuple[float, float, float, float]:
    with connection.cursor() as cur:
        if area.level == "comune":
            db.execute(
                cur,
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) AS e FROM mappature_comune WHERE istat_code = %s) x",
                [area.code],
            )
        elif area.level == "zona":
            db.execute(
                cur,
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) AS e FROM mappature_zonaomogenea WHERE code = %s) x",
                [area.code],
            )
        else:
            db.execute(
                cur,
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) AS e FROM mappature_comune) x",
            )
        minx, miny, maxx, maxy = cur.fetchone()
    # Padded 6 % and widened to the image's aspect ratio.
    w, h = (maxx - minx) * 1.12, (maxy - miny) * 1.12
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if w / h < MAP_W / MAP_H:
        w = h * MAP_W / MAP_H
    else:
        h = w * MAP_H / MAP_W
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def map_png(area: Area) -> bytes:
    """The area's map from Remix's own WMS (public layers), EPSG:32632."""
    from layers.ogc import service

    bbox = _extent(area)
    query = urlencode(
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": ",".join(MAP_LAYERS),
            "STYLES": "",
            "CRS": "EPSG:32632",
            "BBOX": ",".join(f"{v:.1f}" for v in bbox),
            "WIDTH": MAP_W,
            "HEIGHT": MAP_H,
            "FORMAT": "image/png",
            "TRANSPARENT": "FALSE",
        }
    )
    response = service.dispatch(AnonymousUser(), query, "http://127.0.0.1/ows")
    if response.status != 200 or not response.content_type.startswith("image/"):
        raise RuntimeError(f"WMS GetMap failed ({response.status}): {response.body[:300]!r}")
    return response.body


def _nice(length: float) -> float:
    exp = 10 ** math.floor(math.log10(length))
    for step in (5, 2, 1):
        if step * exp <= length:
            return step * exp
    return exp


def map_svg(area: Area, png_href: str) -> str:
    """The map image with the area's outline, a scale bar and a north arrow, as SVG in map units."""
    minx, miny, maxx, maxy = _extent(area)
    w, h = maxx - minx, maxy - miny
    with connection.cursor() as cur:
        if area.level == "comune":
            db.execute(cur, "SELECT ST_AsSVG(geom, 0, 0) FROM mappature_comune WHERE istat_code = %s", [area.code])
        elif area.level == "zona":
            db.execute(cur, "SELECT ST_AsSVG(geom, 0, 0) FROM mappature_zonaomogenea WHERE code = %s", [area.code])
        else:
            db.execute(cur, "SELECT ST_AsSVG(ST_Union(geom), 0, 0) FROM mappature_comune")
        outline = cur.fetchone()[0] or ""
    unit = w / 100  # 1 % of the width, for line widths and text
    bar = _nice(w / 5)
    bx, by = minx + 3 * unit, -miny - 4 * unit
    label = f"{fmt.number(bar / 1000, 0 if bar >= 1000 else 1)} km" if bar >= 1000 else f"{int(bar)} m"
    nx, ny = maxx - 5 * unit, -maxy + 4 * unit
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" class="atlas-map" '
        f'viewBox="{minx:.1f} {-maxy:.1f} {w:.1f} {h:.1f}" role="img" aria-label="{escape(area.name)}">'
        f'<image x="{minx:.1f}" y="{-maxy:.1f}" width="{w:.1f}" height="{h:.1f}" href="{png_href}" '
        f'xlink:href="{png_href}" preserveAspectRatio="none"/>'
        f'<path class="outline" d="{outline}" fill="none" stroke="#111" stroke-width="{unit * 0.45:.1f}"/>'
        f'<g class="scalebar"><rect x="{bx - unit:.1f}" y="{by - 3.2 * unit:.1f}" width="{bar + 2 * unit:.1f}" '
        f'height="{4.6 * unit:.1f}" fill="#fff" fill-opacity="0.85"/>'
        f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bar / 2:.1f}" height="{0.8 * unit:.1f}" fill="#111"/>'
        f'<rect x="{bx + bar / 2:.1f}" y="{by:.1f}" width="{bar / 2:.1f}" height="{0.8 * unit:.1f}" fill="#fff" '
        f'stroke="#111" stroke-width="{unit * 0.15:.1f}"/>'
        f'<text x="{bx:.1f}" y="{by - 0.8 * unit:.1f}" font-size="{2.2 * unit:.1f}">0</text>'
        f'<text x="{bx + bar:.1f}" y="{by - 0.8 * unit:.1f}" font-size="{2.2 * unit:.1f}" text-anchor="middle">'
        f"{label}</text></g>"
        f'<g class="north"><circle cx="{nx:.1f}" cy="{ny + 2.5 * unit:.1f}" r="{3.6 * unit:.1f}" fill="#fff" '
        f'fill-opacity="0.85"/><path d="M{nx:.1f},{ny - 0.4 * unit:.1f} L{nx + 1.6 * unit:.1f},{ny + 4.2 * unit:.1f} '
        f'L{nx:.1f},{ny + 3 * unit:.1f} L{nx - 1.6 * unit:.1f},{ny + 4.2 * unit:.1f} Z" fill="#111"/>'
        f'<text x="{nx:.1f}" y="{ny + 6.4 * unit:.1f}" font-size="{2.2 * unit:.1f}" text-anchor="middle">N</text></g>'
        f"</svg>"
    )


# --- content ---------------------------------------------------------------------------------


def _value(code: str, level: str, area: str, period: str | None) -> float | None:
    row = db.fetch_one(
        "SELECT v.value FROM indicatori_currentvalue v JOIN indicatori_indicator i "
        "ON i.id = v.indicator_id WHERE i.code = %(code)s AND v.level = %(level)s "
        "AND v.area_code = %(area)s AND v.period = %(period)s",
        {"code": code, "level": level, "area": area, "period": period},
    )
    return row[0] if row else None


def indicator_blocks(area: Area, lang: str) -> list[dict]:
    from .compute import is_synthetic

    en = lang == "en"
    zona = area.zona if area.level == "comune" else None
    blocks = []
    order = {code: i for i, code in enumerate(SHEET_ORDER)}
    for decl in sorted(all_indicators().values(), key=lambda d: (order.get(d.code, len(order)), d.code)):
        if not decl.key or area.level not in decl.levels:
            continue
        data = queries.series(decl.code, area.level, area.code)
        points = [p for p in data["area"]["points"] if p["value"] is not None]
        if not points:
            continue
        latest = points[-1]["period"]
        value = points[-1]["value"]
        series = [{"name": area.name, "points": data["area"]["points"]}]
        if decl.aggregate == "ratio":  # a sum of the zona or CMM is not comparable with one comune's
            series += [{"name": ref["name"], "points": ref["points"]} for ref in data["references"]]
        title = decl.title_en if en else decl.title_it
        threshold = None
        if "soglia_pct" in decl.params:
            soglia = decl.param_values()["soglia_pct"]
            threshold = {"value": fmt.with_unit(soglia, "%", lang), "met": value is not None and value >= soglia}
        blocks.append(
            {
                "code": decl.code,
                "title": title,
                "unit": decl.unit,
                "period": fmt.period(latest, lang),
                "value": fmt.with_unit(value, decl.unit, lang),
                "zona": fmt.with_unit(_value(decl.code, "zona", zona, latest), decl.unit, lang) if zona else None,
                "cmm": fmt.with_unit(_value(decl.code, "cmm", "cmm", latest), decl.unit, lang)
                if area.level != "cmm"
                else None,
                "chart": charts.line_chart(series, decl.unit, lang, title=title) if len(points) > 1 else "",
                "notes": decl.notes_en if en else decl.notes_it,
                "sources": decl.sources,
                "synthetic": is_synthetic(decl),
                "threshold": threshold,
            }
        )
    return blocks


def realizzazioni(area: Area, lang: str) -> dict:
    comuni = _comuni_of(area)
    if comuni is not None:
        where, params = db.SQL("WHERE r.comuni_istat && %s::varchar[]"), [comuni]
    else:
        where, params = db.SQL(""), []
    by_programme = [
        {"programme": p, "count": n, "amount": fmt.with_unit(a, "€", lang) if a else "–"}
        for p, n, a in db.fetch_all(
            db.compose(
                "SELECT r.programme, count(*), sum(r.amount_eur) FROM mappature_realizzazione r {where} "
                "GROUP BY 1 ORDER BY 3 DESC NULLS LAST, 1",
                where=where,
            ),
            params,
        )
    ]
    found = db.fetch_all(
        db.compose(
            "SELECT r.code, r.title, r.programme, r.amount_eur, r.status, r.source_date, r.synthetic, "
            "r.source_id FROM mappature_realizzazione r {where} "
            "ORDER BY r.amount_eur DESC NULLS LAST, r.code LIMIT %s",
            where=where,
        ),
        [*params, LIST_LIMIT],
    )
    rows = [
        {
            "code": c,
            "title": t,
            "programme": p,
            "amount": fmt.with_unit(a, "€", lang) if a else "–",
            "status": s or "–",
            "source_date": fmt.date(d, lang) if d else "–",
            "synthetic": syn,
            "pnrr_extraction": sid == "realizzazioni_pnrr",
        }
        for c, t, p, a, s, d, syn, sid in found
    ]
    total = db.fetch_value(db.compose("SELECT count(*) FROM mappature_realizzazione r {where}", where=where), params)
    return {"by_programme": by_programme, "rows": rows, "total": total, "more": max(0, total - len(rows))}


def opportunities(area: Area, lang: str) -> dict:
    from mappature.opportunities import OPPORTUNITY_KINDS

    comuni = _comuni_of(area)
    kinds, rows = [], []
    where = db.SQL("WHERE o.istat_code = ANY(%s)" if comuni is not None else "")
    params = [comuni] if comuni is not None else []
    with connection.cursor() as cur:
        for kind in OPPORTUNITY_KINDS:
            db.execute(
                cur,
                db.compose(
                    "SELECT count(*), sum(o.area_m2), bool_or(o.synthetic) FROM {table} o {where}",
                    table=kind.table,
                    where=where,
                ),
                params,
            )
            n, m2, synthetic = cur.fetchone()
            kinds.append(
                {
                    "label": str(kind.label),
                    "count": n,
                    "ha": fmt.with_unit((m2 or 0) / 10000, "ha", lang),
                    "synthetic": bool(synthetic),
                }
            )
            if area.level == "comune":
                db.execute(
                    cur,
                    db.compose(
                        "SELECT {name}, o.area_m2 FROM {table} o {where} ORDER BY o.area_m2 DESC LIMIT 8",
                        name=kind.name_sql,
                        table=kind.table,
                        where=where,
                    ),
                    params,
                )
                rows += [
                    {
                        "kind": str(kind.label),
                        "name": name,
                        "ha": fmt.with_unit(float(m2) / 10000, "ha", lang),
                        "synthetic": bool(synthetic),
                    }
                    for name, m2 in cur.fetchall()
                ]
    return {"kinds": kinds, "rows": rows}


def pgt(area: Area, lang: str) -> dict:
    comuni = _comuni_of(area)
    with connection.cursor() as cur:
        if area.level == "comune":
            db.execute(
                cur,
                "SELECT a.kind, a.approval_date, a.burl_date, a.deliberation, a.synthetic "
                "FROM mappature_pgtatto a JOIN mappature_comune c ON c.id = a.comune_id "
                "WHERE c.istat_code = %s AND a.state = 'vigente' ORDER BY a.id DESC LIMIT 1",
                [area.code],
            )
            row = cur.fetchone()
            if not row:
                return {"act": None}
            kind, approved, burl, delib, synthetic = row
            return {
                "act": {
                    "kind": kind.upper(),
                    "approved": fmt.date(approved, lang),
                    "burl": fmt.date(burl, lang),
                    "deliberation": delib or "–",
                    "synthetic": synthetic,
                }
            }
        db.execute(
            cur,
            db.compose(
                "SELECT count(*), count(*) FILTER (WHERE a.synthetic) FROM mappature_pgtatto a "
                "JOIN mappature_comune c ON c.id = a.comune_id WHERE a.state = 'vigente' {where}",
                where=db.SQL("AND c.istat_code = ANY(%s)" if comuni is not None else ""),
            ),
            [comuni] if comuni is not None else [],
        )
        n, synthetic = cur.fetchone()
    return {"count": n, "synthetic_count": synthetic}


# The zonal statistics of the raster layers, stored by the incontri app (``incontri_zonalstat``) per area
# set: read here as a declared relation, so the atlas works (without the section) where it is absent.
ZONAL_RELATION = "incontri_zonalstat"
ZONAL_SETS = {"comune": "comuni", "zona": "zone"}


def _zonal_rows(area: Area) -> list[tuple]:
    area_set = ZONAL_SETS.get(area.level)
    if area_set is None:
        return []
    if not db.relation_exists(ZONAL_RELATION):
        return []
    return db.fetch_all(
        db.compose(
            "SELECT z.raster, l.title_it, l.title_en, coalesce(l.synthetic, false), z.mean, z.max, "
            "z.share_above, z.threshold, z.raster_version = l.data_version, z.computed_at "
            "FROM {zonal} z LEFT JOIN layers_layer l ON l.slug = z.raster "
            "WHERE z.area_set = %s AND z.area_id = %s ORDER BY z.raster",
            zonal=ZONAL_RELATION,
        ),
        [area_set, area.code],
    )


def vulnerability(area: Area, lang: str) -> list[dict]:
    """Mean, max and share of the area above the threshold of every raster layer (heat anomaly, runoff…)."""
    out = []
    for slug, title_it, title_en, synthetic, mean, vmax, share, limit, current, _at in _zonal_rows(area):
        out.append(
            {
                "raster": slug,
                "title": (title_en if lang == "en" and title_en else title_it) or slug,
                "synthetic": synthetic,
                "mean": fmt.number(mean, 2, lang),
                "max": fmt.number(vmax, 2, lang),
                "share": fmt.with_unit(share * 100 if share is not None else None, "%", lang),
                "threshold": fmt.number(limit, 2, lang),
                "current": bool(current),
            }
        )
    return out


def sources_used(lang: str) -> list[dict]:
    declared = all_sources()
    versions = source_versions()
    out = []
    for sid in _used_sources():
        src = declared.get(sid)
        if src is None:
            continue
        version, date = versions.get(sid, (None, ""))
        out.append(
            {
                "id": sid,
                "title": src.title,
                "licence": src.licence,
                "attribution": src.attribution,
                "version": version,
                "date": fmt.date(date, lang) if date else "–",
                "synthetic": src.synthetic,
            }
        )
    return out


def context(area: Area, lang: str, png_href: str) -> dict:
    srcs = sources_used(lang)
    dates = [d for d in (v[1] for v in source_versions().values()) if d]
    return {
        "area": area,
        "lang": lang,
        "map": map_svg(area, png_href),
        "indicators": indicator_blocks(area, lang),
        "realizzazioni": realizzazioni(area, lang),
        "opportunities": opportunities(area, lang),
        "pgt": pgt(area, lang),
        "vulnerability": vulnerability(area, lang),
        "sources": srcs,
        "data_date": fmt.date(max(dates), lang) if dates else "–",
        "members": zona_members(area.code) if area.level == "zona" else [],
    }


def render_html(area: Area, lang: str, png_href: str, standalone: bool = False) -> str:
    with translation.override(lang):
        return render_to_string(
            "indicatori/atlante_sheet.html" if not standalone else "indicatori/atlante_pdf.html",
            context(area, lang, png_href),
        )


def render_pdf(area: Area, lang: str = "it") -> Path:
    """The sheet's PDF, from the cache when its data versions are unchanged."""
    path = pdf_path(area, lang)
    if path.exists():
        return path
    from weasyprint import CSS, HTML

    png = base64.b64encode(map_png(area)).decode()
    html = render_html(area, lang, f"data:image/png;base64,{png}", standalone=True)
    css = CSS(filename=str(Path(__file__).resolve().parent / "static" / "indicatori" / "atlante.css"))
    # A name of its own: two builds (or a build and a web request) may render the same sheet at once.
    tmp = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(tmp, stylesheets=[css])
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    for old in atlas_dir().glob(f"{area.level}-{area.code}-{lang}-*.pdf"):  # superseded versions
        if old != path:
            old.unlink(missing_ok=True)
    return path


def build(
    areas: Iterable[Area], lang: str = "it", progress: Callable[[int, int, Area], None] | None = None
) -> list[Path]:
    """Render (or reuse) the PDF of each area; ``progress(done, total, area)`` after each."""
    areas = list(areas)
    paths = []
    for i, area in enumerate(areas, 1):
        paths.append(render_pdf(area, lang))
        if progress:
            progress(i, len(areas), area)
    return paths


def zona_zip(zona: Area, lang: str = "it", built_only: bool = False) -> bytes:
    """The zona's sheet and those of its comuni, in one zip; with ``built_only`` a sheet not built for
    the current data versions raises FileNotFoundError instead of being rendered."""
    areas = [zona, *zona_members(zona.code)]
    paths = [pdf_path(area, lang) for area in areas] if built_only else build(areas, lang)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for area, path in zip(areas, paths, strict=True):
            zf.write(path, f"atlante-{area.slug}-{lang}.pdf")
    return buf.getvalue()
