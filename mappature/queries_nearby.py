"""Projects meet opportunities: what lies in the same comune or within a distance (metres, EPSG:32632)."""

from __future__ import annotations

import json

from django.db import connection

from .areas import ellipsoidal_area_sql
from .errors import NotFoundError
from .map_views import REALIZZAZIONI_VIEW, STAZIONI_TABLE, thematic_view
from .opportunities import OPPORTUNITY_BY_CODE, OPPORTUNITY_KINDS, OpportunityKind


def _rows(value: str | None, floats: tuple[str, ...]) -> list[dict]:
    """Rows aggregated as JSON text by the query, with the numeric columns as floats."""
    rows = json.loads(value) if value else []
    for row in rows:
        for name in floats:
            if row.get(name) is not None:
                row[name] = float(row[name])
    return rows


def opportunities_near_intervention(intervention_id: int, distance_m: float) -> dict:
    """Opportunities in the intervention's comuni or within ``distance_m`` of it, nearest first.

    One statement: the intervention is read once and its opportunities come along as JSON."""
    parts, params = [], []
    for kind in OPPORTUNITY_KINDS:
        parts.append(
            f"SELECT %s AS kind, o.id, {kind.name_sql} AS name, o.istat_code, "
            f"o.istat_code = ANY(r.comuni_istat) AS same_comune, round(ST_Distance(o.geom, r.geom)) AS distance_m, "
            f"round(({ellipsoidal_area_sql('o.geom')} / 1e4)::numeric, 2) AS ha "
            f"FROM {kind.relation} o WHERE o.istat_code = ANY(r.comuni_istat) OR ST_DWithin(o.geom, r.geom, %s)"
        )
        params += [kind.code, distance_m]
    # MATERIALIZED: the view's geometry (its own point, else its comuni's) is computed once, not per kind.
    sql = (
        f"WITH r AS MATERIALIZED (SELECT id, code, title, comuni_istat, location_precision, geom "  # noqa: S608
        f"FROM {REALIZZAZIONI_VIEW} WHERE id = %s) "
        f"SELECT r.id, r.code, r.title, r.comuni_istat, r.location_precision, "
        f"(SELECT json_agg(u ORDER BY u.distance_m, u.kind, u.id)::text FROM ("
        f"SELECT * FROM ({' UNION ALL '.join(parts)}) a ORDER BY distance_m, kind, id LIMIT 500) u) FROM r"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [intervention_id, *params])
        row = cur.fetchone()
    if row is None:
        raise NotFoundError(f"realizzazione {intervention_id}")
    *head, found = row
    intervention = dict(zip(("id", "code", "title", "comuni_istat", "location_precision"), head, strict=True))
    return {"intervention": intervention, "distance_m": distance_m, "opportunities": _rows(found, ("distance_m", "ha"))}


# What lies near an opportunity: (key, relation alias, columns, relation, row limit, extra condition),
# nearest first. Interventions use the same rule as opportunities_near_intervention (same comune OR
# within the distance), so "near" is symmetric: if an intervention lists an opportunity, the
# opportunity lists the intervention.
def _near_parts() -> tuple[tuple[str, str, str, str, int, str], ...]:
    return (
        (
            "interventions",
            "r",
            "r.id, r.code, r.title, r.programme, r.amount_eur, o.istat_code = ANY(r.comuni_istat) AS same_comune",
            REALIZZAZIONI_VIEW,
            500,
            " OR o.istat_code = ANY(r.comuni_istat)",
        ),
        ("stations", "s", "s.id, s.name, s.istat_code", STAZIONI_TABLE, 100, ""),
        ("lum", "l", "l.id, l.name, l.level", thematic_view("ptm_lum"), 100, ""),
    )


def near_opportunity(kind_code: str, feature_id: int, distance_m: float) -> dict:
    """Interventions, stations and LUM within ``distance_m`` of an opportunity, nearest first.

    One statement: the opportunity is read once and each kind of neighbour comes along as JSON."""
    kind: OpportunityKind | None = OPPORTUNITY_BY_CODE.get(kind_code)
    if kind is None:
        raise NotFoundError(kind_code)
    parts = _near_parts()
    lists = ", ".join(
        f"(SELECT json_agg(x ORDER BY x.distance_m, x.id)::text FROM (SELECT {columns}, "
        f"round(ST_Distance({alias}.geom, o.geom)) AS distance_m FROM {relation} {alias} "
        f"WHERE ST_DWithin({alias}.geom, o.geom, %s){extra} ORDER BY distance_m, {alias}.id LIMIT {limit}) x) AS {key}"
        for key, alias, columns, relation, limit, extra in parts
    )
    sql = (
        f"SELECT o.name, o.istat_code, {lists} FROM ("  # noqa: S608 - relations and columns are ours
        f"SELECT {kind.name_sql} AS name, o.istat_code, o.geom FROM {kind.relation} o WHERE o.id = %s) o"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [distance_m] * len(parts) + [feature_id])
        row = cur.fetchone()
    if row is None:
        raise NotFoundError(f"{kind_code} {feature_id}")
    name, istat_code, *found = row
    result = {
        "opportunity": {"kind": kind.code, "id": feature_id, "name": name, "istat_code": istat_code},
        "distance_m": distance_m,
    }
    for (key, *_), value in zip(parts, found, strict=True):
        result[key] = _rows(value, ("distance_m", "amount_eur"))
    return result
