"""Server-side print of the planners' map: a PDF made by WeasyPrint around an image from Remix's own WMS.

The map image is a WMS GetMap run in-process by MapServer (``layers.ogc.service.dispatch``, the same
map the user's QGIS would get) at the chosen scale in EPSG:32632, so every layer switched on is
drawn — none is dropped for being tiled or clustered in the browser. The selection and filters apply to
the image as on the web map (``LayerSource.where``): each filtered layer gets a MapServer WMS ``FILTER``
(OGC Filter Encoding, MS RFC 118) on its ISTAT code or on the ids of the interventions that match.
Around it: title, date, scale bar and north arrow (computed here from the scale), the legend of the
layers switched on, the selection's summary and the sources and attributions of the layers.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from pyproj import Transformer

from layers.models import Layer
from remix import db

from .errors import FilterError, UnknownLayerError
from .filters import TRUE, MapFilter
from .layer_list import classification
from .layer_source import resolve
from .queries_summary import summary

PAPERS = {"A4": (210, 297), "A3": (297, 420)}
MARGIN_MM = 10
DPI = 150
MIN_SCALE, MAX_SCALE = 500, 2_000_000
MAX_LAYERS = 30
MAX_FILTER_IDS = 2000  # interventions listed in a print FILTER; more → FilterError (never a silently wrong map)
_TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32632", always_xy=True)


@dataclass(frozen=True)
class PrintRequest:
    layers: tuple[str, ...]
    paper: str
    orientation: str
    scale: int
    lon: float
    lat: float
    title: str

    @property
    def page_mm(self) -> tuple[int, int]:
        short, long = PAPERS[self.paper]
        return (long, short) if self.orientation == "landscape" else (short, long)

    @property
    def map_mm(self) -> tuple[float, float]:
        """The map frame: beside the legend on a landscape page, above it on a portrait one."""
        w, h = (d - 2 * MARGIN_MM for d in self.page_mm)
        if self.orientation == "landscape":
            return round(w * 0.70), round(h - 38)
        return w, round(h * 0.55)


def parse_print(query) -> PrintRequest:
    """The print options of a request; FilterError (translated) on a bad value."""
    paper = (query.get("paper") or "A4").upper()
    orientation = (query.get("orientation") or "landscape").lower()
    if paper not in PAPERS:
        raise FilterError(_("Formato di carta non previsto: usare A4 o A3."))
    if orientation not in ("landscape", "portrait"):
        raise FilterError(_("Orientamento non previsto: usare orizzontale (landscape) o verticale (portrait)."))
    try:
        scale = int(str(query.get("scale") or "25000").replace(".", "").replace(" ", ""))
        lon, lat = (float(v) for v in (query.get("center") or "9.19,45.46").split(","))
    except ValueError as err:
        raise FilterError(_("Scala o centro della stampa non validi.")) from err
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise FilterError(
            _("La scala deve essere compresa tra 1:%(min)s e 1:%(max)s.")
            % {"min": f"{MIN_SCALE:,}".replace(",", "."), "max": f"{MAX_SCALE:,}".replace(",", ".")}
        )
    if not (5 <= lon <= 13 and 43 <= lat <= 48):
        raise FilterError(_("Il centro della stampa è fuori dall'area servita."))
    layers = tuple(s for s in (query.get("layers") or "").split(",") if s)[:MAX_LAYERS]
    title = (query.get("title") or "").strip()[:120] or _("Mappa della rigenerazione")
    return PrintRequest(layers, paper, orientation, scale, lon, lat, title)


def map_extent(req: PrintRequest) -> tuple[float, float, float, float]:
    """The frame's extent in EPSG:32632 metres at the requested scale, centred on the request's point."""
    w_mm, h_mm = req.map_mm
    x, y = _TO_UTM.transform(req.lon, req.lat)
    half_w, half_h = w_mm / 1000 * req.scale / 2, h_mm / 1000 * req.scale / 2
    return x - half_w, y - half_h, x + half_w, y + half_h


def scale_bar(req: PrintRequest) -> dict:
    """A round length (1, 2 or 5 × 10ⁿ m) about a quarter of the frame's width, and its width in mm."""
    target = req.map_mm[0] / 1000 * req.scale / 4
    power = 10 ** math.floor(math.log10(target))
    length = max(m * power for m in (1, 2, 5) if m * power <= target)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    mm = round(length / req.scale * 1000, 2)
    return {"mm": mm, "half_mm": mm / 2, "label": label}


def _equal(name: str, value) -> str:
    return (
        f"<PropertyIsEqualTo><PropertyName>{escape(name)}</PropertyName>"
        f"<Literal>{escape(str(value))}</Literal></PropertyIsEqualTo>"
    )


def _any_of(name: str, values) -> str:
    values = list(values)
    if not values:
        return _equal(name, "-1") if name == "id" else _equal(name, "")  # matches nothing
    parts = "".join(_equal(name, v) for v in values)
    return f"<Or>{parts}</Or>" if len(values) > 1 else parts


def layer_filter(layer: Layer, flt: MapFilter, lang: str) -> str:
    """The OGC filter that restricts one layer to the selection, as the web map does; "" when none applies.

    Interventions (several comuni, attribute filters) are listed by id, computed with the web map's own
    WHERE; layers with an ISTAT code are restricted by code; the others (rasters, stations) are drawn whole,
    as on the web map.
    """
    if flt.is_empty or layer.kind != Layer.Kind.VECTOR:
        return ""
    try:
        source = resolve(layer, lang)
    except UnknownLayerError:  # a relation the map cannot read: MapServer draws it as it can, unfiltered
        return ""
    where, params = source.where(flt)
    if where == TRUE:
        return ""
    if source.is_realizzazioni:
        # The relation is composed by LayerSource, the WHERE is the web map's own with bound values.
        query = db.compose(
            "SELECT t.{key} FROM {table} t WHERE {where} ORDER BY t.{key} LIMIT %s",
            key=source.key,
            table=source.table,
            where=where,
        )
        ids = _query(query, [*params, MAX_FILTER_IDS + 1])
        if len(ids) > MAX_FILTER_IDS:
            raise FilterError(_("Troppi interventi selezionati per la stampa: restringere i filtri."))
        return f"<Filter>{_any_of(source.key, ids)}</Filter>"
    # Other layers follow the territory only (source.where), by their ISTAT code.
    query = db.compose("SELECT DISTINCT t.istat_code FROM {table} t WHERE {where}", table=source.table, where=where)
    return f"<Filter>{_any_of('istat_code', _query(query, params))}</Filter>"


def _query(query: db.Composable, params: list) -> list:
    return [row[0] for row in db.fetch_all(query, params)]


def _wms_image(user, req: PrintRequest, slugs: list[str], lang: str, filters: list[str] | None = None) -> bytes:
    from layers.ogc import service

    w_mm, h_mm = req.map_mm
    width, height = round(w_mm / 25.4 * DPI), round(h_mm / 25.4 * DPI)
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": ",".join(slugs),
        "STYLES": "",
        "CRS": "EPSG:32632",
        "BBOX": ",".join(f"{v:.2f}" for v in map_extent(req)),
        "WIDTH": width,
        "HEIGHT": height,
        "FORMAT": "image/png",
        "TRANSPARENT": "FALSE",
        "BGCOLOR": "0xFFFFFF",
        "MAP_RESOLUTION": DPI,
    }
    if filters and any(filters):
        # MapServer's vendor FILTER: one parenthesised filter per layer, in LAYERS order, "()" for none.
        params["FILTER"] = "".join(f"({f})" for f in filters)
    query = urlencode(params)
    answer = service.dispatch(user, query, "http://localhost/ows", lang=lang)
    if answer.status != 200 or not answer.content_type.startswith("image/"):
        raise FilterError(
            _("Il servizio WMS non ha prodotto l'immagine della mappa: %(detail)s")
            % {"detail": answer.body[:200].decode("utf-8", "replace")}
        )
    return answer.body


def render_pdf(user, req: PrintRequest, flt: MapFilter, lang: str) -> bytes:
    """The PDF: one page (more only if the summary is long) with map, scale bar, north arrow and legend."""
    from weasyprint import HTML

    visible = {layer.slug: layer for layer in Layer.objects.visible_to(user).filter(slug__in=req.layers)}
    chosen = [visible[s] for s in req.layers if s in visible]
    # Reference layers first would hide the rest: WMS draws in LAYERS order, the first at the bottom.
    order = sorted(chosen, key=lambda layer: 0 if layer.geometry_type.upper().endswith("POLYGON") else 1)
    filters = [layer_filter(layer, flt, lang) for layer in order]
    image = _wms_image(user, req, [layer.slug for layer in order], lang, filters) if order else b""
    legend = []
    for layer in chosen:
        _style, rows = classification(layer, lang)
        title = layer.title(lang)
        if layer.synthetic and not any(w in title.lower() for w in ("sintetic", "synthetic")):
            title += " (" + _("dati sintetici") + ")"  # said once, as on the web map
        legend.append({"title": title, "synthetic": layer.synthetic, "rows": rows})
    sources = []
    for layer in chosen:
        meta = layer.metadata or {}
        sources.append(
            {
                "title": layer.title(lang),
                "attribution": meta.get("attribution", ""),
                "licence": meta.get("licence", ""),
                "synthetic": layer.synthetic,
            }
        )
    w_mm, h_mm = req.map_mm
    context = {
        "req": req,
        "page_w": req.page_mm[0],
        "page_h": req.page_mm[1],
        "map_w": w_mm,
        "map_h": h_mm,
        "margin": MARGIN_MM,
        "image": base64.b64encode(image).decode() if image else "",
        "bar": scale_bar(req),
        "scale_label": f"{req.scale:,}".replace(",", "." if lang == "it" else ","),
        "legend": legend,
        "sources": sources,
        "summary": summary(flt),
        "filter": flt.as_query(),
        "today": date.today(),
        "lang": lang,
    }
    html = render_to_string("mappature/print.html", context)
    return HTML(string=html).write_pdf()
