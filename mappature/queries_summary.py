"""Summary of a selection: interventions, funding (total, per source, per inhabitant), opportunity areas.

An intervention counts in a selection when any of its comuni is selected, with its whole amount;
an intervention with several funding sources counts under each of them. Areas are on the
ellipsoid (``areas.ellipsoidal_area_sql``) and given in hectares.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.db import connection

from .areas import ellipsoidal_area_sql
from .filters import MapFilter
from .opportunities import OPPORTUNITY_KINDS


@dataclass(frozen=True)
class Summary:
    n_comuni: int
    population: int
    n_interventions: int
    amount_eur: float
    cofunding_eur: float
    per_inhabitant_eur: float | None
    by_source: list[dict] = field(default_factory=list)
    opportunities: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def territory_sql(flt: MapFilter) -> tuple[str, list]:
    where, params = flt.territory_sql("c.istat_code")
    return f"SELECT count(*), coalesce(sum(c.population), 0) FROM mappature_comune c WHERE {where}", params


def interventions_sql(flt: MapFilter) -> tuple[str, list]:
    """Totals and per-source funding in one statement (the CTE is scanned once)."""
    where, params = flt.realizzazioni_sql("r")
    return f"""
        WITH r AS (SELECT r.funding_sources, r.amount_eur, r.cofunding_eur FROM mappature_realizzazione r
                   WHERE {where}),
        src AS (SELECT s AS source, count(*) AS n, coalesce(sum(r.amount_eur), 0) AS amount
                FROM r, unnest(r.funding_sources) s GROUP BY s)
        SELECT (SELECT count(*) FROM r), (SELECT coalesce(sum(amount_eur), 0) FROM r),
               (SELECT coalesce(sum(cofunding_eur), 0) FROM r),
               (SELECT coalesce(json_agg(json_build_object('source', source, 'n', n, 'amount_eur', amount)
                                ORDER BY amount DESC, source), '[]') FROM src)
    """, params


def statements(flt: MapFilter) -> list[tuple[str, list]]:
    """The three statements of a summary, in order (the benchmark runs them bare as the anchor)."""
    return [territory_sql(flt), interventions_sql(flt), opportunities_sql(flt)]


def _one(sql: str, params: list) -> tuple:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def _interventions(flt: MapFilter) -> tuple[tuple, list[dict]]:
    n, amount, cofunding, by_source = _one(*interventions_sql(flt))
    for row in by_source:
        row["amount_eur"] = float(row["amount_eur"])
    return (n, float(amount), float(cofunding)), by_source


def opportunities_sql(flt: MapFilter) -> tuple[str, list]:
    """One UNION ALL over the opportunity relations: kind, count and hectares within the territory."""
    parts, params = [], []
    for kind in OPPORTUNITY_KINDS:
        where, p = flt.territory_sql("o.istat_code")
        parts.append(
            f"SELECT %s AS kind, count(*) AS n, coalesce(sum({ellipsoidal_area_sql('o.geom')}), 0) "
            f"/ 1e4 AS ha FROM {kind.relation} o WHERE {where}"  # noqa: S608 - constant relation names
        )
        params += [kind.code, *p]
    return " UNION ALL ".join(parts), params


def _opportunities(flt: MapFilter) -> list[dict]:
    sql, params = opportunities_sql(flt)
    labels = {kind.code: str(kind.label) for kind in OPPORTUNITY_KINDS}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return [{"kind": k, "label": labels[k], "n": n, "ha": round(float(ha), 2)} for k, n, ha in cur.fetchall()]


def summary(flt: MapFilter) -> Summary:
    """The summary of one selection (3 queries)."""
    n_comuni, population = _one(*territory_sql(flt))
    (n, amount, cofunding), by_source = _interventions(flt)
    return Summary(
        n_comuni=n_comuni, population=int(population), n_interventions=n, amount_eur=amount,
        cofunding_eur=cofunding, per_inhabitant_eur=round(amount / population, 2) if population else None,
        by_source=by_source, opportunities=_opportunities(flt),
    )
