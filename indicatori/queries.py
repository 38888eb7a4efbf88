"""Read side of the indicators: values by level and period, time series, history. Every value bound."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _

from remix import db

from .declarations import LEVELS, IndicatorDecl, all_indicators
from .errors import IndicatoriError

CMM_NAME = "Città metropolitana di Milano"


class IndicatorError(IndicatoriError, ValueError):
    status = 400


class UnknownIndicator(IndicatorError, LookupError):
    status = 404


def get_decl(code: str) -> IndicatorDecl:
    try:
        return all_indicators()[code]
    except KeyError:
        raise UnknownIndicator(_("Indicatore sconosciuto: %(code)s") % {"code": code}) from None


def check_level(decl: IndicatorDecl, level: str) -> str:
    if level not in LEVELS or level not in decl.levels:
        raise IndicatorError(
            _("Livello «%(level)s» non disponibile per %(code)s (disponibili: %(levels)s)")
            % {"level": level, "code": decl.code, "levels": ", ".join(decl.levels)}
        )
    return level


def parse_area(value: str) -> tuple[str, str]:
    """``comune:015146``, ``zona:nord-ovest``, ``nil:12`` or ``cmm``."""
    level, _sep, code = (value or "").partition(":")
    if level == "cmm":
        return "cmm", "cmm"
    if level not in LEVELS or not code or len(code) > 40:
        raise IndicatorError(
            _("Area non valida: «%(area)s» (atteso comune:<ISTAT>, zona:<codice>, nil:<n> o cmm)")
            % {"area": value[:60]}
        )
    return level, code


# Area names by level: one query each, joined by code.
_NAMES = db.SQL("""
SELECT 'comune' AS level, istat_code AS code, name, NULL::text AS zona FROM mappature_comune
UNION ALL SELECT 'zona', code, name, NULL FROM mappature_zonaomogenea
UNION ALL SELECT 'nil', feature_key, name, NULL FROM mappature_thematicfeature WHERE layer = 'milano_nil'
UNION ALL SELECT 'lum', feature_key, name, NULL FROM mappature_thematicfeature WHERE layer = 'ptm_lum'
UNION ALL SELECT 'cmm', 'cmm', {cmm}, NULL""").format(cmm=db.Literal(CMM_NAME))


def periods(code: str, level: str | None = None) -> list[str]:
    with connection.cursor() as cur:
        db.execute(
            cur,
            "SELECT DISTINCT v.period FROM indicatori_currentvalue v JOIN indicatori_indicator i "
            "ON i.id = v.indicator_id WHERE i.code = %s AND (%s::text IS NULL OR v.level = %s) "
            "ORDER BY 1",
            [code, level, level],
        )
        return [r[0] for r in cur.fetchall()]


@dataclass
class Value:
    level: str
    code: str
    name: str
    period: str
    value: float | None
    run: int


def values(code: str, level: str, period: str | None) -> tuple[str | None, list[Value]]:
    """Current values of one level for ``period`` (default: the latest), best first is the caller's."""
    decl = get_decl(code)
    check_level(decl, level)
    known = periods(code, level)
    if period is None:
        period = known[-1] if known else None
    elif period not in known:
        raise IndicatorError(
            _("Periodo «%(period)s» non disponibile per %(code)s") % {"period": period[:40], "code": code}
        )
    if period is None:
        return None, []
    query = db.SQL(
        "SELECT v.level, v.area_code, coalesce(n.name, v.area_code), v.period, v.value, v.run_id "
        "FROM indicatori_currentvalue v JOIN indicatori_indicator i ON i.id = v.indicator_id "
        "LEFT JOIN ({names}) n ON n.level = v.level AND n.code = v.area_code "
        "WHERE i.code = %s AND v.level = %s AND v.period = %s ORDER BY 3"
    ).format(names=_NAMES)
    with connection.cursor() as cur:
        db.execute(cur, query, [code, level, period])
        return period, [Value(*row) for row in cur.fetchall()]


def area_name(level: str, code: str) -> str | None:
    query = db.SQL("SELECT name FROM ({names}) n WHERE level = %s AND code = %s").format(names=_NAMES)
    with connection.cursor() as cur:
        db.execute(cur, query, [level, code])
        row = cur.fetchone()
    return row[0] if row else None


def zona_of(level: str, code: str) -> str | None:
    """The zona of a comune (or of Milano for a NIL)."""
    istat = "015146" if level == "nil" else code if level == "comune" else None
    if istat is None:
        return None
    with connection.cursor() as cur:
        db.execute(
            cur,
            "SELECT z.code FROM mappature_comune c JOIN mappature_zonaomogenea z ON z.id = c.zona_id "
            "WHERE c.istat_code = %s",
            [istat],
        )
        row = cur.fetchone()
    return row[0] if row else None


def series(code: str, level: str, area: str) -> dict:
    """Time series of an area with, as references, its zona and the whole CMM."""
    decl = get_decl(code)
    check_level(decl, level)
    name = area_name(level, area)
    if name is None:
        raise UnknownIndicator(_("Area sconosciuta: %(area)s") % {"area": f"{level}:{area}"[:60]})
    wanted = [(level, area)]
    zona = zona_of(level, area)
    if zona and "zona" in decl.levels and level != "zona":
        wanted.append(("zona", zona))
    if level != "cmm" and "cmm" in decl.levels:
        wanted.append(("cmm", "cmm"))
    out = []
    with connection.cursor() as cur:
        for lvl, ac in wanted:
            db.execute(
                cur,
                "SELECT v.period, v.value FROM indicatori_currentvalue v JOIN indicatori_indicator i "
                "ON i.id = v.indicator_id WHERE i.code = %s AND v.level = %s AND v.area_code = %s "
                "ORDER BY v.period",
                [code, lvl, ac],
            )
            out.append(
                {
                    "level": lvl,
                    "code": ac,
                    "name": area_name(lvl, ac),
                    "points": [{"period": p, "value": v} for p, v in cur.fetchall()],
                }
            )
    return {"indicator": code, "area": out[0], "references": out[1:]}


def history(code: str, level: str, area: str) -> list[dict]:
    """Every value ever computed for an area, with the input versions of its run (monitoring)."""
    decl = get_decl(code)
    check_level(decl, level)
    with connection.cursor() as cur:
        db.execute(
            cur,
            "SELECT v.period, v.value, r.current, r.id, r.started_at, r.input_versions, r.trigger "
            "FROM indicatori_indicatorvalue v JOIN indicatori_indicatorrun r ON r.id = v.run_id "
            "JOIN indicatori_indicator i ON i.id = r.indicator_id "
            "WHERE i.code = %s AND v.level = %s AND v.area_code = %s ORDER BY v.period, r.id",
            [code, level, area],
        )
        return [
            {
                "period": p,
                "value": v,
                "current": c,
                "run": r,
                "computed_at": t.isoformat(),
                "input_versions": json.loads(iv) if isinstance(iv, str) else iv,
                "trigger": tr,
            }
            for p, v, c, r, t, iv, tr in cur.fetchall()
        ]


_AREA_SOURCES = {
    "comune": db.SQL("SELECT istat_code AS code, name, geom FROM mappature_comune"),
    "zona": db.SQL("SELECT code, name, geom FROM mappature_zonaomogenea WHERE geom IS NOT NULL"),
    "nil": db.SQL("SELECT feature_key AS code, name, geom FROM mappature_thematicfeature WHERE layer = 'milano_nil'"),
    "lum": db.SQL("SELECT feature_key AS code, name, geom FROM mappature_thematicfeature WHERE layer = 'ptm_lum'"),
}


def areas_geojson(level: str) -> str:
    """The areas of a level as GeoJSON (EPSG:4326, simplified to 15 m: for colouring, not measuring)."""
    if level not in _AREA_SOURCES:
        raise IndicatorError(
            _("Livello «%(level)s» non disponibile per %(code)s (disponibili: %(levels)s)")
            % {"level": level[:20], "code": "-", "levels": ", ".join(_AREA_SOURCES)}
        )
    query = db.SQL(
        "SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object("
        "'type', 'Feature', 'id', a.code, 'properties', json_build_object('code', a.code, 'name', a.name, "
        "'level', %s::text), 'geometry', ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(a.geom, 15), 4326), 5)"
        "::json) ORDER BY a.code), '[]'::json))::text FROM ({src}) a"
    ).format(src=_AREA_SOURCES[level])
    with connection.cursor() as cur:
        db.execute(cur, query, [level])
        return cur.fetchone()[0]


def periods_by_level(code: str) -> dict[str, list[str]]:
    with connection.cursor() as cur:
        db.execute(
            cur,
            "SELECT v.level, array_agg(DISTINCT v.period ORDER BY v.period) FROM indicatori_currentvalue v "
            "JOIN indicatori_indicator i ON i.id = v.indicator_id WHERE i.code = %s GROUP BY v.level",
            [code],
        )
        return dict(cur.fetchall())
