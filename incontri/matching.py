"""Matching between projects (Realizzazioni or project ideas) and opportunity areas.

Every criterion of criteria/matching.yaml gives a value in [0, 1] with a sentence saying why;
the score is 100 × Σ weight·value / Σ weight. Nothing else enters the score, so a score can be
recomputed by hand from its breakdown and the declared weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from mappature.opportunities import OPPORTUNITY_BY_CODE, OPPORTUNITY_KINDS
from remix import db

from . import criteria
from .models import AreaContext, ZonalStat


@dataclass
class Project:
    """What the matching needs to know of a project."""

    kind: str  # "realizzazione" | "idea"
    id: int
    title: str
    domains: list[str]
    comuni: list[str]
    geom_hex: str | None  # EWKB hex of its location (EPSG:32632), None when unknown
    amount_eur: float | None = None
    precise: bool = True  # False when the location is only the comune's (location_precision "comune")
    programme: str = ""


@dataclass
class Area:
    kind: str
    id: int
    istat_code: str
    name: str
    function: str | None
    distance_m: float | None
    facts: dict = field(default_factory=dict)
    share_above: float | None = None
    mean: float | None = None
    point: tuple[float, float] | None = None  # lon/lat of a point on the area, for the map


def realizzazioni(ids) -> dict[int, Project]:
    rows = db.fetch_dicts(
        "SELECT id, title, domains, comuni_istat, amount_eur, location_precision, programme,"
        " encode(ST_AsEWKB(geom), 'hex') AS g FROM mappature_realizzazione WHERE id = ANY(%s)",
        [list(ids)],
    )
    return {
        r["id"]: Project(
            "realizzazione",
            r["id"],
            r["title"],
            list(r["domains"] or []),
            list(r["comuni_istat"] or []),
            r["g"],
            float(r["amount_eur"]) if r["amount_eur"] is not None else None,
            precise=r["location_precision"] == "site",
            programme=r["programme"],
        )
        for r in rows
    }


def realizzazione(pk: int) -> Project | None:
    return realizzazioni([pk]).get(pk)


def idea(obj) -> Project:
    """A ProjectIdea as a Project: its point, or else the comune's point on surface."""
    rows = db.fetch_dicts(
        "SELECT encode(ST_AsEWKB(coalesce(%s::geometry, ST_PointOnSurface(c.geom))), 'hex') AS g"
        " FROM mappature_comune c WHERE c.id = %s",
        [obj.geom.hexewkb.decode() if obj.geom else None, obj.comune_id],
    )
    return Project(
        "idea",
        obj.pk,
        obj.title,
        list(obj.domains),
        [obj.comune.istat_code],
        rows[0]["g"] if rows else None,
        float(obj.expected_cost_eur) if obj.expected_cost_eur is not None else None,
        precise=obj.geom is not None,
    )


def _funding_per_inhabitant(codes: set[str]) -> dict[str, float | None]:
    """€ per inhabitant of each comune; an intervention on several comuni is split equally among them."""
    if not codes:
        return {}
    rows = db.fetch_dicts(
        "SELECT c.istat_code, c.population, coalesce(sum(r.amount_eur / cardinality(r.comuni_istat)), 0) AS eur"
        " FROM mappature_comune c LEFT JOIN mappature_realizzazione r ON c.istat_code = ANY(r.comuni_istat)"
        " AND r.amount_eur IS NOT NULL WHERE c.istat_code = ANY(%s) GROUP BY c.istat_code, c.population",
        [sorted(codes)],
    )
    return {r["istat_code"]: (float(r["eur"]) / r["population"] if r["population"] else None) for r in rows}


def candidate_areas(
    project: Project | None,
    *,
    zona: str | None = None,
    kinds=None,
    limit_radius=True,
    area: tuple[str, int] | None = None,
) -> list[Area]:
    """Opportunity areas within the declared radius of the project (or in a zona, or one area)."""
    conf = criteria.matching()
    raster = conf["criteria"].get("vulnerability", {}).get("raster")
    out: list[Area] = []
    for kind in OPPORTUNITY_KINDS:
        skip = (kinds and kind.code not in kinds) or (area and area[0] != kind.code)
        if skip or not db.relation_exists(kind.relation):
            continue
        function = db.SQL("o.fun_prev1" if kind.code == "ambiti_trasformazione" else "NULL::text")
        where, params = (
            [db.SQL("TRUE")],
            {"p": project.geom_hex if project else None, "radius": float(conf["radius_m"])},
        )
        if project and project.geom_hex and limit_radius and not area:
            where.append(db.SQL("ST_DWithin(o.geom, %(p)s::geometry, %(radius)s)"))
        if zona:
            where.append(
                db.SQL(
                    "o.istat_code IN (SELECT c.istat_code FROM mappature_comune c"
                    " JOIN mappature_zonaomogenea z ON z.id = c.zona_id WHERE z.code = %(zona)s)"
                )
            )
            params["zona"] = zona
        if area:
            where.append(db.SQL("o.id = %(area)s"))
            params["area"] = area[1]
        query = db.compose(
            "SELECT o.id, o.istat_code, {name} AS name, {function} AS function,"
            " CASE WHEN %(p)s::text IS NULL THEN NULL ELSE ST_Distance(o.geom, %(p)s::geometry) END AS distance_m,"
            " ST_X(ST_Transform(ST_PointOnSurface(o.geom), 4326)) AS lon,"
            " ST_Y(ST_Transform(ST_PointOnSurface(o.geom), 4326)) AS lat"
            " FROM {rel} o WHERE {where}",
            name=kind.name_sql,
            function=function,
            rel=kind.table,
            where=db.join(where, " AND "),
        )
        for r in db.fetch_dicts(query, params):
            out.append(
                Area(
                    kind.code,
                    r["id"],
                    r["istat_code"] or "",
                    r["name"] or "",
                    r["function"],
                    float(r["distance_m"]) if r["distance_m"] is not None else None,
                    point=(round(r["lon"], 6), round(r["lat"], 6)),
                )
            )
    _attach(out, raster)
    return out


def _attach(areas: list[Area], raster: str | None) -> None:
    """Context facts and the vulnerability statistics of each area, in two queries."""
    by_kind: dict[str, dict[int, Area]] = {}
    for a in areas:
        by_kind.setdefault(a.kind, {})[a.id] = a
    for kind, items in by_kind.items():
        for ctx in AreaContext.objects.filter(kind=kind, area_id__in=list(items)):
            items[ctx.area_id].facts = ctx.facts
        if raster:
            for st in ZonalStat.objects.filter(raster=raster, area_set=kind, area_id__in=[str(i) for i in items]):
                a = items[int(st.area_id)]
                a.share_above, a.mean = st.share_above, st.mean


def _fmt(value: float, digits: int = 0) -> str:
    from django.utils.formats import number_format

    return number_format(round(value, digits), digits, force_grouping=True)


def score(project: Project, area: Area, funding: dict[str, float | None], lang: str = "it") -> dict:
    """The score of ``area`` for ``project`` with its breakdown (one entry per declared criterion)."""
    conf = criteria.matching()
    parts = []
    for code, c in conf["criteria"].items():
        value, why = CRITERIA[code](project, area, c, conf, funding)
        parts.append(
            {
                "criterion": code,
                "label": criteria.text(c, "label", lang),
                "weight": float(c["weight"]),
                "value": round(value, 4),
                "why": why,
                "rationale": criteria.text(c, "rationale", lang),
            }
        )
    total_w = sum(p["weight"] for p in parts)
    for p in parts:
        p["points"] = round(100 * p["weight"] * p["value"] / total_w, 2)
    total = round(100 * sum(p["weight"] * p["value"] for p in parts) / total_w, 2)
    return {"score": total, "breakdown": parts, "criteria_version": conf.get("version", 1)}


def _domain_fit(project, area, c, conf, funding):
    fit = conf["fit"]
    accepted = (
        fit["functions"].get(str(area.function), [])
        if area.kind == "ambiti_trasformazione"
        else fit["kinds"].get(area.kind, [])
    )
    if not project.domains:
        return 0.0, _("Il progetto non dichiara ambiti tematici.")
    common = [d for d in project.domains if d in accepted]
    if not common:
        return 0.0, _("Nessun ambito del progetto (%(d)s) è tra quelli che l'area accoglie (%(a)s).") % {
            "d": ", ".join(project.domains),
            "a": ", ".join(accepted) or "—",
        }
    return len(common) / len(project.domains), _("Ambiti accolti dall'area: %(c)s su %(d)s.") % {
        "c": ", ".join(common),
        "d": ", ".join(project.domains),
    }


def _accessibility(project, area, c, conf, funding):
    f = area.facts
    if f.get("in_lum"):
        return 1.0, _("L'area è in un LUM (%(lum)s).") % {"lum": f.get("lum") or "—"}
    distances = [(f.get("station_m"), f.get("station")), (f.get("metro_m"), f.get("metro"))]
    distances = [(d, n) for d, n in distances if d is not None]
    if not distances:
        return 0.0, _("Distanza dalle stazioni non disponibile.")
    d, name = min(distances, key=lambda x: x[0])
    full, none = float(c["full_within_m"]), float(c["none_beyond_m"])
    value = 1.0 if d <= full else 0.0 if d >= none else (none - d) / (none - full)
    return value, _("Stazione più vicina: %(n)s a %(d)s m.") % {"n": name, "d": _fmt(d)}


def _vulnerability(project, area, c, conf, funding):
    helpful = [d for d in project.domains if d in c.get("domains", [])]
    if not helpful:
        return 0.0, _("Gli ambiti del progetto non riducono la vulnerabilità al calore.")
    if area.share_above is None:
        return 0.0, _("Statistiche del raster non disponibili per l'area.")
    return area.share_above, _("%(p)s%% dell'area sopra la soglia di anomalia termica (media %(m)s °C).") % {
        "p": _fmt(100 * area.share_above, 1),
        "m": _fmt(area.mean or 0, 2),
    }


def _distance(project, area, c, conf, funding):
    if area.distance_m is None:
        inside = area.istat_code in project.comuni
        return (1.0 if inside else 0.0), (
            _("L'area è nel comune del progetto.") if inside else _("Il progetto non ha una localizzazione.")
        )
    value = 1.0 / (1.0 + area.distance_m / float(c["half_at_m"]))
    why = _("L'area dista %(d)s m dal progetto.") % {"d": _fmt(area.distance_m)}
    if not project.precise:
        why += " " + _("Il progetto è localizzato solo al comune: la distanza è approssimata.")
    return value, why


def _funding_balance(project, area, c, conf, funding):
    per = funding.get(area.istat_code)
    if per is None:
        return 0.0, _("Popolazione del comune non disponibile.")
    sat = float(c["saturates_at_eur_per_inhabitant"])
    return max(0.0, 1.0 - per / sat), _("Il comune ha ricevuto %(e)s € per abitante.") % {"e": _fmt(per, 2)}


CRITERIA = {
    "domain_fit": _domain_fit,
    "accessibility": _accessibility,
    "vulnerability": _vulnerability,
    "distance": _distance,
    "funding_balance": _funding_balance,
}


def _area_json(area: Area, lang: str) -> dict:
    kind = OPPORTUNITY_BY_CODE[area.kind]
    return {
        "kind": area.kind,
        "kind_label": str(kind.label),
        "id": area.id,
        "name": area.name,
        "istat_code": area.istat_code,
        "function": area.function,
        "distance_m": area.distance_m,
        "point": area.point,
        "context": area.facts,
    }


def best_areas(project: Project, *, limit: int = 10, zona: str | None = None, lang: str = "it") -> list[dict]:
    """The opportunity areas ranked for ``project`` (best first; ties by kind and id)."""
    areas = candidate_areas(project, zona=zona)
    funding = _funding_per_inhabitant({a.istat_code for a in areas})
    ranked = [{"area": _area_json(a, lang), **score(project, a, funding, lang)} for a in areas]
    ranked.sort(key=lambda r: (-r["score"], r["area"]["kind"], r["area"]["id"]))
    return ranked[:limit]


NEAREST_PROJECTS = 25  # per area: the nearest interventions within the radius (bounded work per request)


def _near(kind: str, area_ids: list[int], radius: float) -> list[tuple[int, int, float]]:
    """(area id, realizzazione id, distance m) of the nearest interventions within ``radius`` of each area."""
    query = db.compose(
        "SELECT o.id AS area, n.id AS project, n.d FROM {rel} o CROSS JOIN LATERAL ("
        " SELECT r.id, ST_Distance(r.geom, o.geom) AS d FROM mappature_realizzazione r"
        " WHERE ST_DWithin(r.geom, o.geom, %s) ORDER BY r.geom <-> o.geom LIMIT %s) n WHERE o.id = ANY(%s)",
        rel=OPPORTUNITY_BY_CODE[kind].table,
    )
    return [
        (r["area"], r["project"], float(r["d"])) for r in db.fetch_dicts(query, [radius, NEAREST_PROJECTS, area_ids])
    ]


def _ranked_projects(area: Area, near: list[tuple[int, float]], ideas, funding, lang) -> list[dict]:
    ranked = []
    projects = realizzazioni({pid for pid, _d in near})
    for pid, distance in near:
        project = projects[pid]
        located = Area(**{**area.__dict__, "distance_m": distance})
        ranked.append({"project": project_json(project), **score(project, located, funding, lang)})
    for obj in ideas or ():
        project = idea(obj)
        (located,) = candidate_areas(project, area=(area.kind, area.id))
        ranked.append({"project": project_json(project), **score(project, located, funding, lang)})
    ranked.sort(key=lambda r: (-r["score"], r["project"]["kind"], r["project"]["id"]))
    return ranked


def fitting_projects(kind: str, area_id: int, *, ideas=None, limit: int = 10, lang: str = "it") -> dict | None:
    """For one opportunity area: the interventions (and the visible ideas) that fit it, best first.

    ``ideas`` is a ProjectIdea queryset; only those of the area's comune or located within the radius count."""
    found = candidate_areas(None, area=(kind, area_id))
    if not found:
        return None
    area = found[0]
    if ideas is not None:
        ideas = list(ideas.filter(pk__in=_ideas_near(kind, area_id))[:NEAREST_PROJECTS])
    funding = _funding_per_inhabitant({area.istat_code})
    near = [(p, d) for _a, p, d in _near(kind, [area_id], float(criteria.matching()["radius_m"]))]
    ranked = _ranked_projects(area, near, ideas, funding, lang)
    return {"area": _area_json(area, lang), "projects": ranked[:limit], "programmes": programmes(ranked)}


def programmes(ranked: list[dict]) -> list[dict]:
    """The funding programmes of the fitting interventions: how many, and the best score among them."""
    out: dict[str, dict] = {}
    for r in ranked:
        name = r["project"].get("programme")
        if not name:
            continue
        entry = out.setdefault(name, {"programme": name, "interventions": 0, "best_score": r["score"]})
        entry["interventions"] += 1
        entry["best_score"] = max(entry["best_score"], r["score"])
    return sorted(out.values(), key=lambda e: (-e["best_score"], e["programme"]))


def _ideas_near(kind: str, area_id: int) -> list[int]:
    query = db.compose(
        "SELECT i.id FROM incontri_projectidea i JOIN mappature_comune c ON c.id = i.comune_id, {rel} o"
        " WHERE o.id = %s AND (c.istat_code = o.istat_code OR ST_DWithin(i.geom, o.geom, %s))",
        rel=OPPORTUNITY_BY_CODE[kind].table,
    )
    return [r["id"] for r in db.fetch_dicts(query, [area_id, float(criteria.matching()["radius_m"])])]


def project_json(p: Project) -> dict:
    return {
        "kind": p.kind,
        "id": p.id,
        "title": p.title,
        "domains": p.domains,
        "comuni": p.comuni,
        "amount_eur": p.amount_eur,
        "precise_location": p.precise,
        "programme": p.programme,
    }


def zona_ranking(zona: str, *, limit: int = 50, lang: str = "it") -> list[dict]:
    """The opportunity areas of a zona ranked by the score of their best-fitting intervention."""
    areas = candidate_areas(None, zona=zona)
    funding = _funding_per_inhabitant({a.istat_code for a in areas})
    radius = float(criteria.matching()["radius_m"])
    near: dict[tuple[str, int], list] = {}
    for kind in {a.kind for a in areas}:
        for aid, pid, d in _near(kind, [a.id for a in areas if a.kind == kind], radius):
            near.setdefault((kind, aid), []).append((pid, d))
    out = []
    for area in areas:
        ranked = _ranked_projects(area, near.get((area.kind, area.id), []), (), funding, lang)
        best = ranked[0] if ranked else None
        out.append({"area": _area_json(area, lang), "best": best, "score": best["score"] if best else 0.0})
    out.sort(key=lambda r: (-r["score"], r["area"]["kind"], r["area"]["id"]))
    return out[:limit]


def area_at(lon: float, lat: float) -> tuple[str, int] | None:
    """The opportunity area under a point (the smallest one when several overlap)."""
    best = None
    for kind in OPPORTUNITY_KINDS:
        if not db.relation_exists(kind.relation):
            continue
        query = db.compose(
            "SELECT o.id, ST_Area(o.geom) AS a FROM {rel} o WHERE ST_Intersects(o.geom,"
            " ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 32632)) ORDER BY a LIMIT 1",
            rel=kind.table,
        )
        for r in db.fetch_dicts(query, [lon, lat]):
            if best is None or r["a"] < best[2]:
                best = (kind.code, r["id"], r["a"])
    return best[:2] if best else None


def realizzazioni_index() -> list[dict]:
    """id, code and title of every located intervention, for the map panel's picker."""
    return db.fetch_dicts("SELECT id, code, title FROM mappature_realizzazione WHERE geom IS NOT NULL ORDER BY code")
