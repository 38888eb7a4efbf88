"""SQL views that expose domain tables as map layers where the table alone cannot be drawn.

``map_realizzazioni``: interventions still placed at their comuni have no geometry of their own,
so the view draws them at a point inside each of their comuni (``ST_PointOnSurface``); refined
sites keep theirs; ``istat_code`` and ``comune`` are those of the first (lead) comune listed, ``comuni``
names them all. ``map_stazioni``: stations with the name of their comune. The registry points
``Layer.source`` at them: the map, the tiles, the API and the OGC services read the live table, never a
stale copy. Thematic layers use the ``thematic_<code>``
views of migration 0003.
"""

from remix import db

REALIZZAZIONI_VIEW = "map_realizzazioni"
STAZIONI_TABLE = "mappature_stazione"
STAZIONI_VIEW = "map_stazioni"


def thematic_view(code: str) -> str:
    return f"thematic_{code}"


_REALIZZAZIONI_SQL = db.SQL("""
CREATE OR REPLACE VIEW {view} AS
SELECT r.id, r.code, r.title, r.programme, array_to_string(r.funding_sources, '; ') AS funding_sources,
       r.status, r.amount_eur, r.cofunding_eur, array_to_string(r.domains, '; ') AS domains,
       r.year_start, r.year_end, r.comuni_istat, r.location_precision, r.synthetic,
       coalesce(r.geom, (SELECT ST_Multi(ST_Collect(ST_PointOnSurface(c.geom)))
                         FROM mappature_comune c WHERE c.istat_code = ANY(r.comuni_istat)))
         ::geometry(MultiPoint, 32632) AS geom,
       r.comuni_istat[1] AS istat_code,
       (SELECT c.name FROM mappature_comune c WHERE c.istat_code = r.comuni_istat[1]) AS comune,
       (SELECT string_agg(c.name, '; ' ORDER BY array_position(r.comuni_istat, c.istat_code))
          FROM mappature_comune c WHERE c.istat_code = ANY(r.comuni_istat)) AS comuni{extra}
FROM mappature_realizzazione r""")
# Columns appended by migration 0012 (after the fields they read exist): CUP, source date, source;
# the stations' network and lines.
_REALIZZAZIONI_0012 = db.SQL(",\n       r.cup, r.source_date, r.source_id")
_STAZIONI_0012 = db.SQL(", s.network, s.lines")

# Stations with the name of their comune, so that every comune-bound layer offers istat_code and comune.
_STAZIONI_SQL = db.SQL("""
CREATE OR REPLACE VIEW {view} AS
SELECT s.id, s.code, s.name, s.istat_code, c.name AS comune, s.geom{extra}
FROM {table} s
LEFT JOIN mappature_comune c ON c.istat_code = s.istat_code""")


def all_views(upto: str = "") -> list[tuple[str, db.Composable]]:
    """(view name, CREATE VIEW statement) for every map view; constants only, no user input.

    ``upto``: the views as a migration before 0012 (the indicators' inputs) made them, without the
    columns whose fields 0012 adds (a fresh database runs every migration with today's code).
    """
    full = not upto or upto >= "0012"
    none = db.SQL("")
    realizzazioni = _REALIZZAZIONI_SQL.format(
        view=db.ident(REALIZZAZIONI_VIEW), extra=_REALIZZAZIONI_0012 if full else none
    )
    stazioni = _STAZIONI_SQL.format(
        view=db.ident(STAZIONI_VIEW), table=db.ident(STAZIONI_TABLE), extra=_STAZIONI_0012 if full else none
    )
    return [(REALIZZAZIONI_VIEW, realizzazioni), (STAZIONI_VIEW, stazioni)]


def drop_view(name: str) -> db.Composable:
    return db.compose("DROP VIEW IF EXISTS {view}", view=name)
