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


def summary_sql(flt: MapFilter) -> tuple[str, list]:
    """The whole summary in one statement (one round trip): territory, interventions, opportunities."""
    t_sql, t_params = territory_sql(flt)
    i_sql, i_params = interventions_sql(flt)
    o_sql, o_params = opportunities_sql(flt)
    sql = (f"WITH t AS ({t_sql}), i AS ({i_sql}), o AS ({o_sql}) "
           "SELECT t.*, i.*, (SELECT json_agg(json_build_array(o.kind, o.n, o.ha)) FROM o) FROM t, i")
    return sql, [*t_params, *i_params, *o_params]


def statements(flt: MapFilter) -> list[tuple[str, list]]:
    """The statements of a summary (the benchmark runs them bare as the anchor)."""
    return [summary_sql(flt)]


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


def summary(flt: MapFilter) -> Summary:
    """The summary of one selection (one query)."""
    with connection.cursor() as cur:
        cur.execute(*summary_sql(flt))
        n_comuni, population, n, amount, cofunding, by_source, opportunities = cur.fetchone()
    for row in by_source:
        row["amount_eur"] = float(row["amount_eur"])
    labels = {kind.code: str(kind.label) for kind in OPPORTUNITY_KINDS}
    population = int(population)
    return Summary(
        n_comuni=n_comuni, population=population, n_interventions=n, amount_eur=float(amount),
        cofunding_eur=float(cofunding),
        per_inhabitant_eur=round(float(amount) / population, 2) if population else None,
        by_source=by_source,
        opportunities=[{"kind": k, "label": labels[k], "n": c, "ha": round(float(ha), 2)}
                       for k, c, ha in opportunities or []],
    )
