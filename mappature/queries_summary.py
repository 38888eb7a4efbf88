"""Summary of a selection: interventions, funding (total, per source, per inhabitant), opportunity areas.

An intervention counts in a selection when any of its comuni is selected, with its whole amount.
Funding by source follows what the data say (``FUNDING_SHARES_SQL``): a single source gets the
whole amount; a programme grant plus one co-funder with ``cofunding_eur`` known is split into
the grant (amount − co-funding) and the co-funding; any other intervention with several sources
goes under "più fonti" once. So the per-source amounts add up to the total, and interventions
without an amount are counted (``n_without_amount``), never credited with 0 €. Areas are on the
ellipsoid (``areas.ellipsoidal_area_sql``) and given in hectares.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.db import connection
from django.utils.translation import gettext as _

from remix import db

from .areas import ellipsoidal_area_sql
from .filters import MapFilter
from .opportunities import OPPORTUNITY_KINDS


@dataclass(frozen=True)
class Summary:
    n_comuni: int
    population: int
    n_interventions: int
    n_without_amount: int
    amount_eur: float
    cofunding_eur: float
    per_inhabitant_eur: float | None
    by_source: list[dict] = field(default_factory=list)
    opportunities: list[dict] = field(default_factory=list)
    area_km2: float | None = None
    density: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


# Key of the rows for interventions with several sources whose shares the data do not give,
# and for interventions that name no source.
MULTIPLE_SOURCES = "__multi__"
NO_SOURCE = "__none__"

# One row per (intervention, share): (source, amount or NULL, combination of sources for "più fonti").
FUNDING_SHARES_SQL = db.SQL("""
    SELECT r.id, s.source, s.amount, s.combo FROM r CROSS JOIN LATERAL (
        SELECT r.fs[1] AS source, r.a AS amount, NULL::text AS combo WHERE cardinality(r.fs) = 1
        UNION ALL SELECT {none}, r.a, NULL WHERE cardinality(r.fs) = 0
        UNION ALL SELECT r.fs[1], r.a - r.co, NULL WHERE r.split
        UNION ALL SELECT r.fs[2], r.co, NULL WHERE r.split
        UNION ALL SELECT {multiple}, r.a, array_to_string(r.fs, ' + ')
                  WHERE cardinality(r.fs) > 1 AND NOT r.split
    ) s""").format(none=db.literal(NO_SOURCE), multiple=db.literal(MULTIPLE_SOURCES))


def territory_sql(flt: MapFilter) -> tuple[db.Composable, list]:
    where, params = flt.territory_sql(db.ident("c", "istat_code"))
    return db.compose(
        "SELECT count(*), coalesce(sum(c.population), 0), sum(c.official_area_km2), "
        "count(*) FILTER (WHERE c.official_area_km2 IS NULL) FROM mappature_comune c WHERE {where}",
        where=where,
    ), params


def realizzazioni_summary_sql(flt: MapFilter) -> tuple[db.Composable, list]:
    """Totals and per-source funding in one statement (the CTE is scanned once)."""
    where, params = flt.realizzazioni_sql("r")
    return db.compose(
        """
        WITH r AS (SELECT r.id, coalesce(r.funding_sources, '{{}}') AS fs, r.amount_eur AS a, r.cofunding_eur AS co,
                          (cardinality(r.funding_sources) = 2 AND r.amount_eur IS NOT NULL
                           AND r.cofunding_eur > 0 AND r.cofunding_eur <= r.amount_eur) AS split
                   FROM mappature_realizzazione r WHERE {where}),
        shares AS ({shares}),
        src AS (SELECT source, count(DISTINCT id) AS n, count(DISTINCT id) FILTER (WHERE amount IS NULL) AS n_none,
                       coalesce(sum(amount), 0) AS amount,
                       array_agg(DISTINCT combo) FILTER (WHERE combo IS NOT NULL) AS combos
                FROM shares GROUP BY source)
        SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM r WHERE a IS NULL),
               (SELECT coalesce(sum(a), 0) FROM r), (SELECT coalesce(sum(co), 0) FROM r),
               (SELECT coalesce(json_agg(json_build_object('source', source, 'n', n, 'n_without_amount', n_none,
                                 'amount_eur', amount, 'combinations', combos)
                                ORDER BY amount DESC, n DESC, source), '[]') FROM src)
    """,
        where=where,
        shares=FUNDING_SHARES_SQL,
    ), params


def summary_sql(flt: MapFilter) -> tuple[db.Composable, list]:
    """The whole summary in one statement (one round trip): territory, interventions, opportunities."""
    t_sql, t_params = territory_sql(flt)
    i_sql, i_params = realizzazioni_summary_sql(flt)
    o_sql, o_params = opportunities_sql(flt)
    query = db.compose(
        "WITH t AS ({t}), i AS ({i}), o AS ({o}) "
        "SELECT t.*, i.*, (SELECT json_agg(json_build_array(o.kind, o.n, o.ha)) FROM o) FROM t, i",
        t=t_sql,
        i=i_sql,
        o=o_sql,
    )
    return query, [*t_params, *i_params, *o_params]


def statements(flt: MapFilter) -> list[tuple[db.Composable, list]]:
    """The statements of a summary (the benchmark runs them bare as the anchor)."""
    return [summary_sql(flt)]


def opportunities_sql(flt: MapFilter) -> tuple[db.Composable, list]:
    """One UNION ALL over the opportunity relations: kind, count and hectares within the territory."""
    parts, params = [], []
    where, p = flt.territory_sql(db.ident("o", "istat_code"))
    area = ellipsoidal_area_sql("o.geom")
    for kind in OPPORTUNITY_KINDS:
        parts.append(
            db.compose(
                "SELECT %s AS kind, count(*) AS n, coalesce(sum({area}), 0) / 1e4 AS ha FROM {table} o WHERE {where}",
                area=area,
                table=kind.table,
                where=where,
            )
        )
        params += [kind.code, *p]
    return db.SQL(" UNION ALL ").join(parts), params


SERIAL = db.SQL("SET LOCAL max_parallel_workers_per_gather = 0; ")


def fetch_serial(query: db.Composable, params: list) -> tuple:
    """One row of ``query``, planned without parallel workers.

    The opportunity areas are three small aggregates that PostgreSQL likes to run as a Parallel Append:
    starting the workers costs more than the work (measured on the 300,000-polygon PGT set, Milano:
    40 ms with workers, 11 ms without), and under load the workers wait for a core as well. The SET LOCAL
    travels in the same query string (Django's client-side binding cursor): one round trip, and the
    statements of a simple query are one implicit transaction, so the setting ends with them.
    """
    with connection.cursor() as cur:
        db.execute(cur, SERIAL + query, params)
        cur.nextset()
        return cur.fetchone()


def summary(flt: MapFilter) -> Summary:
    """The summary of one selection (one query, serial: ``fetch_serial``)."""
    (n_comuni, population, area_km2, n_no_area, n, n_none, amount, cofunding, by_source, opportunities) = fetch_serial(
        *summary_sql(flt)
    )
    for row in by_source:
        row["amount_eur"] = float(row["amount_eur"])
        row["kind"] = {MULTIPLE_SOURCES: "multiple", NO_SOURCE: "none"}.get(row["source"], "source")
        if row["kind"] == "multiple":
            row["source"] = str(_("più fonti"))
        elif row["kind"] == "none":
            row["source"] = str(_("fonte non indicata"))
        row["combinations"] = sorted(row["combinations"] or [])
    labels = {kind.code: str(kind.label) for kind in OPPORTUNITY_KINDS}
    population = int(population)
    return Summary(
        n_comuni=n_comuni,
        population=population,
        n_interventions=n,
        n_without_amount=n_none,
        amount_eur=float(amount),
        cofunding_eur=float(cofunding),
        per_inhabitant_eur=round(float(amount) / population, 2) if population else None,
        by_source=by_source,
        opportunities=[
            {"kind": k, "label": labels[k], "n": c, "ha": round(float(ha), 2)} for k, c, ha in opportunities or []
        ],
        area_km2=round(float(area_km2), 2) if area_km2 is not None and not n_no_area else None,
        density=round(population / float(area_km2), 1) if area_km2 and not n_no_area else None,
    )
