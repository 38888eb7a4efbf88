"""Projects meet opportunities: what lies in the same comune or within a distance (metres, EPSG:32632)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from remix import db

from .areas import ellipsoidal_area_sql
from .errors import NotFoundError
from .opportunities import OPPORTUNITY_BY_CODE, OPPORTUNITY_KINDS, OpportunityKind
from .view_sql import REALIZZAZIONI_VIEW, STAZIONI_TABLE, thematic_view


def _rows(value: str | None, floats: tuple[str, ...]) -> list[dict]:
    """Rows aggregated as JSON text by the query, with the numeric columns as floats."""
    rows = json.loads(value) if value else []
    for row in rows:
        for name in floats:
            if row.get(name) is not None:
                row[name] = float(row[name])
    return rows


def opportunities_near_realizzazione(realizzazione_id: int, distance_m: float) -> dict:
    """Opportunities in the intervention's comuni or within ``distance_m`` of it, nearest first.

    One statement: the intervention is read once and its opportunities come along as JSON."""
    area = ellipsoidal_area_sql("o.geom")
    parts = [
        db.compose(
            "SELECT {code} AS kind, o.id, {name} AS name, o.istat_code, "
            "o.istat_code = ANY(r.comuni_istat) AS same_comune, round(ST_Distance(o.geom, r.geom)) AS distance_m, "
            "round(({area} / 1e4)::numeric, 2) AS ha "
            "FROM {table} o WHERE o.istat_code = ANY(r.comuni_istat) OR ST_DWithin(o.geom, r.geom, %(distance)s)",
            code=db.Placeholder(f"kind_{n}"),
            name=kind.name_sql,
            area=area,
            table=kind.table,
        )
        for n, kind in enumerate(OPPORTUNITY_KINDS)
    ]
    # MATERIALIZED: the view's geometry (its own point, else its comuni's) is computed once, not per kind.
    query = db.compose(
        "WITH r AS MATERIALIZED (SELECT id, code, title, comuni_istat, location_precision, geom "
        "FROM {view} WHERE id = %(id)s) "
        "SELECT r.id, r.code, r.title, r.comuni_istat, r.location_precision, "
        "(SELECT json_agg(u ORDER BY u.distance_m, u.kind, u.id)::text FROM ("
        "SELECT * FROM ({parts}) a ORDER BY distance_m, kind, id LIMIT 500) u) FROM r",
        view=REALIZZAZIONI_VIEW,
        parts=db.join(parts, " UNION ALL "),
    )
    params = {"id": realizzazione_id, "distance": distance_m}
    params.update({f"kind_{n}": kind.code for n, kind in enumerate(OPPORTUNITY_KINDS)})
    row = db.fetch_one(query, params)
    if row is None:
        raise NotFoundError(f"realizzazione {realizzazione_id}")
    *head, found = row
    intervention = dict(zip(("id", "code", "title", "comuni_istat", "location_precision"), head, strict=True))
    return {"intervention": intervention, "distance_m": distance_m, "opportunities": _rows(found, ("distance_m", "ha"))}


@dataclass(frozen=True)
class _Near:
    """One kind of neighbour of an opportunity: its key in the answer, alias, columns, relation, row limit
    and the condition that counts it near besides the distance."""

    key: str
    alias: str
    columns: db.Composable
    relation: str
    limit: int
    extra: db.Composable | None = None


# What lies near an opportunity, nearest first. Interventions use the same rule as
# opportunities_near_realizzazione (same comune OR within the distance), so "near" is symmetric: if an
# intervention lists an opportunity, the opportunity lists the intervention.
def _near_parts() -> tuple[_Near, ...]:
    return (
        _Near(
            "interventions",
            "r",
            db.SQL(
                "r.id, r.code, r.title, r.programme, r.amount_eur, o.istat_code = ANY(r.comuni_istat) AS same_comune"
            ),
            REALIZZAZIONI_VIEW,
            500,
            db.SQL(" OR o.istat_code = ANY(r.comuni_istat)"),
        ),
        _Near("stations", "s", db.SQL("s.id, s.name, s.istat_code"), STAZIONI_TABLE, 100),
        _Near("lum", "l", db.SQL("l.id, l.name, l.level"), thematic_view("ptm_lum"), 100),
    )


def near_opportunity(kind_code: str, feature_id: int, distance_m: float) -> dict:
    """Interventions, stations and LUM within ``distance_m`` of an opportunity, nearest first.

    One statement: the opportunity is read once and each kind of neighbour comes along as JSON."""
    kind: OpportunityKind | None = OPPORTUNITY_BY_CODE.get(kind_code)
    if kind is None:
        raise NotFoundError(kind_code)
    parts = _near_parts()
    lists = db.join(
        db.compose(
            "(SELECT json_agg(x ORDER BY x.distance_m, x.id)::text FROM (SELECT {columns}, "
            "round(ST_Distance({a}.geom, o.geom)) AS distance_m FROM {relation} {a} "
            "WHERE ST_DWithin({a}.geom, o.geom, %(distance)s){extra} ORDER BY distance_m, {a}.id LIMIT {limit}) x) "
            "AS {key}",
            columns=part.columns,
            a=part.alias,
            relation=db.relation(part.relation),
            extra=part.extra or db.SQL(""),
            limit=db.literal(part.limit),
            key=part.key,
        )
        for part in parts
    )
    query = db.compose(
        "SELECT o.name, o.istat_code, {lists} FROM ("
        "SELECT {name} AS name, o.istat_code, o.geom FROM {table} o WHERE o.id = %(id)s) o",
        lists=lists,
        name=kind.name_sql,
        table=kind.table,
    )
    row = db.fetch_one(query, {"distance": distance_m, "id": feature_id})
    if row is None:
        raise NotFoundError(f"{kind_code} {feature_id}")
    name, istat_code, *found = row
    result = {
        "opportunity": {"kind": kind.code, "id": feature_id, "name": name, "istat_code": istat_code},
        "distance_m": distance_m,
    }
    for part, value in zip(parts, found, strict=True):
        result[part.key] = _rows(value, ("distance_m", "amount_eur"))
    return result
