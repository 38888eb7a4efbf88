"""Parsing of the API's non-filter parameters (bbox, paging, distances, points, comparison sides)."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from django.utils.translation import gettext as _

from .errors import FilterError
from .filters import MapFilter

_SIDE = re.compile(r"^(zona|comune):([a-z0-9-]{1,40})$")


def _float(value: str, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise FilterError(_("«%(value)s» non è un numero (%(name)s).") % {"value": value, "name": name}) from err
    if not math.isfinite(number):
        raise FilterError(_("«%(value)s» non è un numero (%(name)s).") % {"value": value, "name": name})
    return number


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` in EPSG:4326, or None."""
    if not value:
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise FilterError(_("Il riquadro (bbox) va indicato come lonMin,latMin,lonMax,latMax."))
    x0, y0, x1, y1 = (_float(p, "bbox") for p in parts)
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise FilterError(_("Il riquadro (bbox) non è valido."))
    return x0, y0, x1, y1


def parse_int(value: str | None, name: str, default: int, minimum: int, maximum: int) -> int:
    if value in (None, ""):
        return default
    if not value.isdigit() or not minimum <= int(value) <= maximum:
        raise FilterError(
            _("«%(name)s» deve essere un intero tra %(min)s e %(max)s.")
            % {"name": name, "min": minimum, "max": maximum}
        )
    return int(value)


def parse_distance(value: str | None, default: float, maximum: float) -> float:
    if value in (None, ""):
        return default
    number = _float(value, "distance")
    if not 0 <= number <= maximum:
        raise FilterError(_("La distanza deve essere compresa tra 0 e %(max)s metri.") % {"max": int(maximum)})
    return number


def parse_lonlat(query) -> tuple[float, float]:
    lon, lat = _float(query.get("lon"), "lon"), _float(query.get("lat"), "lat")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise FilterError(_("Coordinate fuori dal mondo."))
    return lon, lat


def parse_territory(value: str | None, base: MapFilter, side: str) -> MapFilter:
    """``zona:<code>`` or ``comune:<istat>`` replacing the base filter's territory."""
    match = _SIDE.match(value or "")
    if not match:
        raise FilterError(
            _("Indicare il confronto come zona:<codice> o comune:<codice ISTAT> (%(side)s).") % {"side": side}
        )
    kind, code = match.groups()
    if kind == "comune" and not re.fullmatch(r"\d{6}", code):
        raise FilterError(_("Il comune va indicato con il codice ISTAT di 6 cifre, non «%(value)s».") % {"value": code})
    return replace(base, zona=code if kind == "zona" else None, comune=code if kind == "comune" else None)
