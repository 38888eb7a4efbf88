"""The context of each opportunity area as data: stations, LUM, Rete Verde, farmland, funding nearby.

One SQL statement per kind of opportunity (mappature.opportunities), relations named in
criteria/matching.yaml (``context``) and composed with psycopg.sql; results are stored in
``AreaContext`` with the data versions of every layer they read.
"""

from __future__ import annotations

from django.db import transaction

from layers.models import Layer
from mappature.opportunities import OPPORTUNITY_BY_CODE, OPPORTUNITY_KINDS, OpportunityKind
from remix import db

from . import criteria
from .models import AreaContext

FACT_KEYS = (
    "area_m2",
    "station_m",
    "station",
    "metro_m",
    "metro",
    "in_lum",
    "lum",
    "rete_verde_m2",
    "farmland_m2",
    "funded_n",
    "funded_eur",
)


def _config() -> dict:
    return criteria.matching()["context"]


def _point_relation(key: str) -> tuple[str, db.Composable, dict] | None:
    """(relation, extra WHERE over alias s, its named parameters) of a point layer, None when it is missing.

    A declared ``filter`` applies when its column exists; a filter that selects rows by equality on a
    missing column means the layer is not there yet (e.g. metro stops before they are loaded)."""
    d = _config().get(key) or {}
    rel = d.get("relation")
    if not rel or not db.relation_exists(rel):
        return None
    f = d.get("filter") or {}
    if not f:
        return rel, db.SQL("TRUE"), {}
    if f["column"] not in db.columns(rel):
        return None if "equal" in f else (rel, db.SQL("TRUE"), {})
    value = db.Placeholder(f"{key}_filter")
    if "equal" in f:
        return rel, db.compose("s.{c} = {v}", c=f["column"], v=value), {f"{key}_filter": f["equal"]}
    return rel, db.compose("s.{c} IS DISTINCT FROM {v}", c=f["column"], v=value), {f"{key}_filter": f["not_equal"]}


def facts_sql(kind: OpportunityKind | None, where: db.Composable | None = None) -> tuple[db.Composable, dict]:
    """The SELECT that gives the facts of every area of ``kind`` (or of a geometry bound as
    ``%(geom)s`` when kind is None); identifiers composed, values bound."""
    cfg = _config()
    stations, metro = _point_relation("stations"), _point_relation("metro")
    farm = [r for r in cfg.get("farmland") or [] if db.relation_exists(r)]
    idents: dict = {"lum": cfg["lum"], "rv": cfg["rete_verde"]}
    parts = [
        "ST_Area(o.geom) AS area_m2",
        "EXISTS (SELECT 1 FROM {lum} l WHERE ST_Intersects(l.geom, o.geom)) AS in_lum",
        "(SELECT string_agg(DISTINCT l.name, ', ') FROM {lum} l WHERE ST_Intersects(l.geom, o.geom)) AS lum",
        "(SELECT coalesce(sum(ST_Area(ST_Intersection(v.geom, o.geom))), 0) FROM {rv} v"
        " WHERE ST_Intersects(v.geom, o.geom)) AS rete_verde_m2",
        "(SELECT count(*) FROM mappature_realizzazione r WHERE ST_DWithin(r.geom, o.geom, %(radius)s)) AS funded_n",
        "(SELECT coalesce(sum(r.amount_eur), 0) FROM mappature_realizzazione r"
        " WHERE ST_DWithin(r.geom, o.geom, %(radius)s)) AS funded_eur",
    ]
    params: dict = {}
    for key, found in (("station", stations), ("metro", metro)):
        if found:
            rel, condition, values = found  # not `where`: that is the area filter of the whole query
            idents[key], idents[f"{key}_condition"] = rel, condition
            params.update(values)
            nearest = f"FROM {{{key}}} s WHERE {{{key}_condition}} ORDER BY s.geom <-> o.geom LIMIT 1"
            parts.append(f"(SELECT ST_Distance(s.geom, o.geom) {nearest}) AS {key}_m")
            parts.append(f"(SELECT s.name {nearest}) AS {key}")
        else:
            parts.append(f"NULL::float AS {key}_m, NULL::text AS {key}")
    farm_terms = [
        db.compose(
            "(SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, o.geom))), 0) FROM {rel} a"
            " WHERE ST_Intersects(a.geom, o.geom))",
            rel=rel,
        )
        for rel in farm
    ]
    idents["farmland"] = db.compose("greatest({terms})", terms=farm_terms) if farm_terms else db.SQL("0::float")
    parts.append("{farmland} AS farmland_m2")
    if kind is None:
        head = "SELECT NULL::bigint AS id, NULL::text AS istat_code, NULL::text AS name, "
        source = "(SELECT %(geom)s::geometry AS geom) o"
    else:
        idents["rel"], idents["name"] = kind.table, kind.name_sql
        head = "SELECT o.id, o.istat_code, {name} AS name, "
        source = "{rel} o"
    idents["where"] = db.SQL(" WHERE {}").format(where) if where is not None else db.SQL("")
    query = head + ", ".join(parts) + " FROM " + source + "{where}"
    return db.compose(query, **idents), {"radius": float(cfg.get("funded_radius_m", 1000)), **params}


def versions() -> dict[str, int]:
    """The data versions the context reads (a change of any of them makes the stored context stale)."""
    slugs = [
        "stazioni",
        "ptm_lum",
        "ptm_rete_verde",
        "pgt_aree_agricole",
        "ptm_ambiti_agricoli_strategici",
        "realizzazioni",
        *[k.relation.removeprefix("thematic_") for k in OPPORTUNITY_KINDS],
    ]
    return dict(Layer.objects.filter(slug__in=slugs).values_list("slug", "data_version"))


def _clean(row: dict) -> dict:
    return {
        k: (float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, bool | int) else v)
        for k, v in row.items()
        if k in FACT_KEYS
    }


def compute(kind: OpportunityKind) -> int:
    if not db.relation_exists(kind.relation):
        return 0
    query, params = facts_sql(kind)
    rows = db.fetch_dicts(query, params)
    stamp = versions()
    with transaction.atomic():
        AreaContext.objects.filter(kind=kind.code).delete()
        AreaContext.objects.bulk_create(
            [
                AreaContext(
                    kind=kind.code,
                    area_id=r["id"],
                    istat_code=r["istat_code"] or "",
                    name=r["name"] or "",
                    facts=_clean(r),
                    versions=stamp,
                )
                for r in rows
            ],
            batch_size=2000,
        )
    return len(rows)


def _has_areas(kind: OpportunityKind) -> bool:
    return db.relation_exists(kind.relation) and db.fetch_value(
        db.compose("SELECT EXISTS (SELECT 1 FROM {rel})", rel=db.relation(kind.relation))
    )


def refresh(force: bool = False) -> list[tuple[str, int]]:
    """Recompute the context of the kinds whose inputs moved on (or all with ``force``)."""
    stamp = versions()
    done = []
    for kind in OPPORTUNITY_KINDS:
        # compute() replaces a kind's rows in one transaction, all with one stamp: one row tells.
        stored = (
            AreaContext.objects.filter(kind=kind.code).order_by("area_id").values_list("versions", flat=True).first()
        )
        stale = stored is not None and stored != stamp
        empty = stored is None
        if force or stale or (empty and _has_areas(kind)):  # an empty kind stores nothing: not recomputed each time
            done.append((kind.code, compute(kind)))
    return done


def for_geometry(wkb_hex: str) -> dict:
    """The same facts for a geometry (EWKB hex, EPSG:32632) that is not stored: a drawn proposal."""
    query, params = facts_sql(None)
    (row,) = db.fetch_dicts(query, {**params, "geom": wkb_hex})
    return _clean(row)


def for_area(kind_code: str, area_id: int) -> dict | None:
    row = AreaContext.objects.filter(kind=kind_code, area_id=area_id).first()
    if row is not None:
        return row.facts
    kind = OPPORTUNITY_BY_CODE.get(kind_code)
    if kind is None:
        return None
    query, params = facts_sql(kind, db.SQL("o.id = %(id)s"))
    rows = db.fetch_dicts(query, {**params, "id": area_id})
    return _clean(rows[0]) if rows else None
