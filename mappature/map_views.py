"""SQL views that expose domain tables as map layers where the table alone cannot be drawn.

``map_realizzazioni``: interventions still placed at their comuni have no geometry of their own,
so the view draws them at a point inside each of their comuni (``ST_PointOnSurface``); refined
sites keep theirs. The registry points ``Layer.source`` at it: the map, the tiles, the API and the
OGC services read the live table, never a stale copy. Thematic layers use the ``thematic_<code>``
views of migration 0003.
"""

REALIZZAZIONI_VIEW = "map_realizzazioni"
STAZIONI_TABLE = "mappature_stazione"


def thematic_view(code: str) -> str:
    return f"thematic_{code}"


_REALIZZAZIONI_SQL = f"""
CREATE OR REPLACE VIEW {REALIZZAZIONI_VIEW} AS
SELECT r.id, r.code, r.title, r.programme, array_to_string(r.funding_sources, '; ') AS funding_sources,
       r.status, r.amount_eur, r.cofunding_eur, array_to_string(r.domains, '; ') AS domains,
       r.year_start, r.year_end, r.comuni_istat, r.location_precision, r.synthetic,
       coalesce(r.geom, (SELECT ST_Multi(ST_Collect(ST_PointOnSurface(c.geom)))
                         FROM mappature_comune c WHERE c.istat_code = ANY(r.comuni_istat)))
         ::geometry(MultiPoint, 32632) AS geom{{extra}}
FROM mappature_realizzazione r"""
# Columns appended by migration 0007 (after the fields they read exist): CUP, source date, source.
_REALIZZAZIONI_0007 = ",\n       r.cup, r.source_date, r.source_id"


def all_views(upto: str = "") -> list[tuple[str, str]]:
    """(view name, CREATE VIEW text) for every map view; constants only, no user input.

    ``upto="0004"`` gives the views as migration 0004 created them (before 0007's columns existed).
    """
    extra = "" if upto == "0004" else _REALIZZAZIONI_0007
    return [(REALIZZAZIONI_VIEW, _REALIZZAZIONI_SQL.replace("{extra}", extra))]
