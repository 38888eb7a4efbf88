"""Projects meet opportunities: what lies in the same comune or within a distance (metres, EPSG:32632)."""

from __future__ import annotations

from django.db import connection

from .areas import ellipsoidal_area_sql
from .errors import NotFoundError
from .map_views import REALIZZAZIONI_VIEW, STAZIONI_TABLE, thematic_view
from .opportunities import OPPORTUNITY_BY_CODE, OPPORTUNITY_KINDS, OpportunityKind


def _fetch(sql: str, params: list) -> list[dict]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        cols = [c.name for c in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def opportunities_near_intervention(intervention_id: int, distance_m: float) -> dict:
    """Opportunities in the intervention's comuni or within ``distance_m`` of it, nearest first."""
    rows = _fetch(f"SELECT id, code, title, comuni_istat, location_precision FROM {REALIZZAZIONI_VIEW} "  # noqa: S608
                  "WHERE id = %s", [intervention_id])
    if not rows:
        raise NotFoundError(f"realizzazione {intervention_id}")
    parts, params = [], []
    for kind in OPPORTUNITY_KINDS:
        parts.append(
            f"SELECT %s AS kind, o.id, {kind.name_sql} AS name, o.istat_code, "
            f"o.istat_code = ANY(r.comuni_istat) AS same_comune, round(ST_Distance(o.geom, r.geom)) AS distance_m, "
            f"round(({ellipsoidal_area_sql('o.geom')} / 1e4)::numeric, 2) AS ha "
            f"FROM {kind.relation} o, r WHERE o.istat_code = ANY(r.comuni_istat) OR ST_DWithin(o.geom, r.geom, %s)"
        )
        params += [kind.code, distance_m]
    sql = (f"WITH r AS (SELECT comuni_istat, geom FROM {REALIZZAZIONI_VIEW} WHERE id = %s) "  # noqa: S608
           f"SELECT * FROM ({' UNION ALL '.join(parts)}) u ORDER BY distance_m, kind, id LIMIT 500")
    found = _fetch(sql, [intervention_id, *params])
    for row in found:
        row["distance_m"], row["ha"] = float(row["distance_m"]), float(row["ha"])
    return {"intervention": rows[0], "distance_m": distance_m, "opportunities": found}


def near_opportunity(kind_code: str, feature_id: int, distance_m: float) -> dict:
    """Interventions, stations and LUM within ``distance_m`` of an opportunity, nearest first."""
    kind: OpportunityKind | None = OPPORTUNITY_BY_CODE.get(kind_code)
    if kind is None:
        raise NotFoundError(kind_code)
    base = f"WITH o AS (SELECT {kind.name_sql} AS name, o.istat_code, o.geom FROM {kind.relation} o WHERE o.id = %s) "
    found = _fetch(base + "SELECT name, istat_code FROM o", [feature_id])
    if not found:
        raise NotFoundError(f"{kind_code} {feature_id}")
    lum = thematic_view("ptm_lum")
    queries = {
        "interventions": f"SELECT r.id, r.code, r.title, r.programme, r.amount_eur, "
                         f"round(ST_Distance(r.geom, o.geom)) AS distance_m FROM {REALIZZAZIONI_VIEW} r, o "
                         f"WHERE ST_DWithin(r.geom, o.geom, %s) ORDER BY distance_m, r.id LIMIT 200",
        "stations": f"SELECT s.id, s.name, s.istat_code, round(ST_Distance(s.geom, o.geom)) AS distance_m "
                    f"FROM {STAZIONI_TABLE} s, o WHERE ST_DWithin(s.geom, o.geom, %s) "
                    f"ORDER BY distance_m, s.id LIMIT 100",
        "lum": f"SELECT l.id, l.name, l.level, round(ST_Distance(l.geom, o.geom)) AS distance_m "
               f"FROM {lum} l, o WHERE ST_DWithin(l.geom, o.geom, %s) ORDER BY distance_m, l.id LIMIT 100",
    }
    result = {"opportunity": {"kind": kind.code, "id": feature_id, **found[0]}, "distance_m": distance_m}
    for key, sql in queries.items():
        rows = _fetch(base + sql, [feature_id, distance_m])  # noqa: S608
        for row in rows:
            row["distance_m"] = float(row["distance_m"])
            if "amount_eur" in row and row["amount_eur"] is not None:
                row["amount_eur"] = float(row["amount_eur"])
        result[key] = rows
    return result
