"""Bilancio delle diffusività territoriali (art. 10 c. 5 NdA PTM) of one proposal.

A proposal is an ambito di trasformazione of a delivered PGT (any act: bozza or vigente) or a
polygon drawn on the map with its function and surface. The report lists the comuni its effects
reach within the declared distance bands (criteria/bilancio.yaml) and, for each, the
symptomatic indicators; then it checks the declared thresholds of supra-municipal relevance.
Population within a band is an areal estimate (the comune's residents × the share of its area in
the band) and is labelled so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import shapely
from django.utils.translation import gettext as _

from remix import db

from . import context, criteria, zonal
from .errors import IncontriError

MAX_AREA_HA = 5_000  # a drawn proposal larger than this is refused (bounded work for any client)


@dataclass
class Proposal:
    title: str
    function: str | None
    geom_hex: str  # EWKB hex, EPSG:32632
    declared_surface_m2: float | None
    source: dict  # {"kind": "pgt", "feature": id, "atto": id, "state": ...} or {"kind": "drawn"}


def from_pgt_feature(feature_id: int) -> Proposal | None:
    rows = db.fetch_dicts(
        "SELECT f.id, f.feature_key, f.attrs, f.istat_code, a.id AS atto, a.state, c.name AS comune,"
        " encode(ST_AsEWKB(f.geom), 'hex') AS g FROM mappature_pgtfeature f"
        " JOIN mappature_pgtatto a ON a.id = f.atto_id"
        " JOIN mappature_comune c ON c.id = a.comune_id WHERE f.id = %s AND f.layer = 'ambiti_trasformazione'",
        [feature_id],
    )
    if not rows:
        return None
    r = rows[0]
    attrs = r["attrs"] or {}
    attrs = json.loads(attrs) if isinstance(attrs, str) else attrs
    surface = attrs.get("SUP_TERR")
    return Proposal(
        title=f"{attrs.get('NOME_AMB') or r['feature_key']} – {r['comune']}",
        function=str(attrs.get("FUN_PREV1")) if attrs.get("FUN_PREV1") is not None else None,
        geom_hex=r["g"],
        declared_surface_m2=float(surface) if surface not in (None, "") else None,
        source={
            "kind": "pgt",
            "feature": r["id"],
            "atto": r["atto"],
            "state": r["state"],
            "istat_code": r["istat_code"],
        },
    )


def from_drawn(geojson: str | dict, function: str | None, surface_m2: float | None, title: str = "") -> Proposal:
    """A polygon drawn on the map (GeoJSON geometry in EPSG:4326)."""
    try:
        geom = shapely.from_geojson(geojson if isinstance(geojson, str) else json.dumps(geojson))
    except Exception as err:
        raise IncontriError(_("La geometria disegnata non è un GeoJSON valido: %(e)s") % {"e": err}) from err
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise IncontriError(_("La proposta deve essere un poligono (ricevuto: %(t)s).") % {"t": geom.geom_type})
    functions = criteria.bilancio()["functions"]
    if function and function not in functions:
        raise IncontriError(
            _("Funzione sconosciuta: %(f)s (ammesse: %(a)s).") % {"f": function, "a": ", ".join(functions)}
        )
    rows = db.fetch_dicts(
        "SELECT encode(ST_AsEWKB(ST_Multi(ST_MakeValid(ST_Transform(ST_SetSRID("
        "ST_GeomFromWKB(decode(%s, 'hex')), 4326), 32632)))), 'hex') AS g",
        [shapely.to_wkb(geom, hex=True)],
    )
    g = rows[0]["g"]
    area = db.fetch_dicts("SELECT ST_Area(%s::geometry) AS a", [g])[0]["a"]
    if area > MAX_AREA_HA * 10_000:
        raise IncontriError(_("La proposta supera %(n)s ettari: disegnane una più piccola.") % {"n": MAX_AREA_HA})
    return Proposal(
        title=title or _("Proposta disegnata"),
        function=function,
        geom_hex=g,
        declared_surface_m2=surface_m2,
        source={"kind": "drawn"},
    )


def _comuni_reached(p: Proposal, bands: list[float]) -> list[dict]:
    """Comuni within the widest band: distance, the narrowest band reaching them, population estimate."""
    widest = max(bands)
    rows = db.fetch_dicts(
        "SELECT c.istat_code, c.name, c.population, c.population_year, ST_Distance(c.geom, p.g) AS distance_m,"
        " ST_Area(ST_Intersection(c.geom, p.g)) AS inside_m2,"
        " ST_Area(ST_Intersection(c.geom, ST_Buffer(p.g, %(w)s))) / nullif(ST_Area(c.geom), 0) AS share_widest"
        " FROM mappature_comune c, (SELECT %(g)s::geometry AS g) p WHERE ST_DWithin(c.geom, p.g, %(w)s)"
        " ORDER BY distance_m, c.name",
        {"g": p.geom_hex, "w": widest},
    )
    stations = _points_by_comune(p, widest)
    out = []
    for r in rows:
        band = next((b for b in sorted(bands) if r["distance_m"] <= b), widest)
        pop = r["population"]
        out.append(
            {
                "istat_code": r["istat_code"],
                "name": r["name"],
                "distance_m": round(float(r["distance_m"]), 1),
                "band_m": band,
                "host": float(r["inside_m2"] or 0) > 0,
                "share_within_widest": round(float(r["share_widest"] or 0), 4),
                "population": pop,
                "population_year": r["population_year"],
                "population_within_estimate": round(pop * float(r["share_widest"] or 0)) if pop else None,
                **stations.get(r["istat_code"], {"stations": [], "interventions": 0}),
            }
        )
    return out


def _points_by_comune(p: Proposal, widest: float) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in db.fetch_dicts(
        "SELECT s.istat_code, s.name, round(ST_Distance(s.geom, %(g)s::geometry)) AS d"
        " FROM mappature_stazione s WHERE ST_DWithin(s.geom, %(g)s::geometry, %(w)s) ORDER BY d",
        {"g": p.geom_hex, "w": widest},
    ):
        out.setdefault(r["istat_code"], {"stations": [], "interventions": 0})["stations"].append(
            {"name": r["name"], "distance_m": float(r["d"])}
        )
    for r in db.fetch_dicts(
        "SELECT code, count(*) AS n FROM (SELECT unnest(comuni_istat) AS code"
        " FROM mappature_realizzazione"
        " WHERE ST_DWithin(geom, %(g)s::geometry, %(w)s)) x GROUP BY code",
        {"g": p.geom_hex, "w": widest},
    ):
        out.setdefault(r["code"], {"stations": [], "interventions": 0})["interventions"] = r["n"]
    return out


def _soil(p: Proposal, host: str | None) -> dict:
    """Soil the proposal would consume (its area outside the TUC of the PGT in force) against the trend."""
    conf = criteria.bilancio()
    consumed = 0.0
    if db.relation_exists("pgt_tessuto_urbano_consolidato"):
        consumed = float(
            db.fetch_dicts(
                "SELECT ST_Area(p.g) - coalesce((SELECT ST_Area(ST_Union(ST_Intersection(t.geom, p.g)))"
                " FROM pgt_tessuto_urbano_consolidato t WHERE ST_Intersects(t.geom, p.g)), 0) AS a"
                " FROM (SELECT %s::geometry AS g) p",
                [p.geom_hex],
            )[0]["a"]
        )
    out = {
        "consumed_ha": round(consumed / 10_000, 4),
        "trend": None,
        "cmm_trend": None,
        "threshold_share": conf["ptm_soil_threshold_share"],
        "share_of_comune": None,
    }
    trend = conf.get("soil_trend") or {}
    rel = trend.get("relation")
    if not rel or not db.relation_exists(rel) or not host:
        out["trend_missing"] = rel
        return out
    q = db.compose(
        "SELECT {y} AS year, {h} AS ha FROM {rel} WHERE {i} = %s ORDER BY {y}",
        y=trend["year_column"],
        h=trend["ha_column"],
        rel=rel,
        i=trend["istat_column"],
    )
    series = [{"year": r["year"], "ha": float(r["ha"])} for r in db.fetch_dicts(q, [host])]
    q = db.compose(
        "SELECT {y} AS year, sum({h}) AS ha FROM {rel} GROUP BY {y} ORDER BY {y}",
        y=trend["year_column"],
        h=trend["ha_column"],
        rel=rel,
    )
    cmm = [{"year": r["year"], "ha": float(r["ha"])} for r in db.fetch_dicts(q)]
    out["trend"], out["cmm_trend"] = series, cmm
    if series and series[-1]["ha"]:
        out["share_of_comune"] = round(out["consumed_ha"] / series[-1]["ha"], 5)
    return out


def compute(p: Proposal, lang: str = "it") -> dict:
    conf = criteria.bilancio()
    bands = [float(b) for b in conf["bands_m"]]
    comuni = _comuni_reached(p, bands)
    host = next((c["istat_code"] for c in comuni if c["host"]), None)
    if p.source.get("istat_code"):
        host = p.source["istat_code"]
    facts = context.for_geometry(p.geom_hex)
    area_m2 = float(facts["area_m2"])
    function = conf["functions"].get(str(p.function)) if p.function else None
    reach = float(function["reach_m"]) if function else max(bands)
    others = [c for c in comuni if c["istat_code"] != host and c["distance_m"] <= reach]
    soil = _soil(p, host)
    metrics = {
        "area_ha": area_m2 / 10_000,
        "other_comuni_within_reach": len(others),
        "farmland_ha": float(facts["farmland_m2"]) / 10_000,
        "rete_verde_ha": float(facts["rete_verde_m2"]) / 10_000,
        "soil_share_of_comune": soil["share_of_comune"],
    }
    thresholds = []
    for t in conf["thresholds"]:
        limit = float(conf[t["over_setting"]]) if "over_setting" in t else float(t["over"])
        value = metrics.get(t["metric"])
        thresholds.append(
            {
                "code": t["code"],
                "label": criteria.text(t, "label", lang),
                "source": t["source"],
                "metric": t["metric"],
                "value": value,
                "limit": limit,
                "met": value is not None and value > limit,
            }
        )
    raster = zonal.stats_for_geometry(shapely.from_wkb(bytes.fromhex(p.geom_hex)))
    for r in raster:
        r["title"] = r["title_en"] if lang == "en" and r.get("title_en") else r["title"]
    return {
        "title": p.title,
        "source": p.source,
        "function": p.function,
        "function_label": criteria.text(function, "label", lang) if function else None,
        "reach_m": reach,
        "bands_m": bands,
        "area_m2": area_m2,
        "declared_surface_m2": p.declared_surface_m2,
        "host_istat": host,
        "comuni": comuni,
        "comuni_to_involve": [
            {"istat_code": c["istat_code"], "name": c["name"], "distance_m": c["distance_m"]} for c in others
        ],
        "context": facts,
        "soil": soil,
        "rasters": raster,
        "thresholds": thresholds,
        "likely_supra_municipal": any(t["met"] for t in thresholds),
        "criteria": {"version": conf.get("version", 1), "source": criteria.text(conf, "source", lang)},
        "geometry": json.loads(
            db.fetch_dicts("SELECT ST_AsGeoJSON(ST_Transform(%s::geometry, 4326), 6) AS j", [p.geom_hex])[0]["j"]
        ),
    }


def flagged_for_atto(atto_id: int, lang: str = "it", limit: int | None = None) -> list[dict]:
    """The ambiti di trasformazione of a PGT act whose Bilancio meets a relevance threshold
    (the first ``limit`` ambiti by key when given: see :func:`ambiti_count`)."""
    out = []
    for r in db.fetch_dicts(
        "SELECT id FROM mappature_pgtfeature WHERE atto_id = %s AND layer = 'ambiti_trasformazione'"
        " ORDER BY feature_key LIMIT %s",
        [atto_id, limit],
    ):
        report = compute(from_pgt_feature(r["id"]), lang)
        if report["likely_supra_municipal"]:
            out.append(
                {
                    "feature": r["id"],
                    "title": report["title"],
                    "met": [t["label"] for t in report["thresholds"] if t["met"]],
                    "comuni_to_involve": report["comuni_to_involve"],
                }
            )
    return out


def ambiti_count(atto_id: int) -> int:
    return db.fetch_dicts(
        "SELECT count(*) AS n FROM mappature_pgtfeature WHERE atto_id = %s AND layer = 'ambiti_trasformazione'",
        [atto_id],
    )[0]["n"]
