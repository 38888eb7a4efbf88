"""SQL views that expose domain tables as map layers where the table alone cannot be drawn.

``map_realizzazioni``: interventions still placed at their comuni have no geometry of their own,
so the view draws them at a point inside each of their comuni (``ST_PointOnSurface``); refined
sites keep theirs. That point is stored (``mappature_realizzazione.map_geom``, migration 0015, GiST
index): triggers keep it equal to the intervention's own geometry, else its comuni's points, when an
intervention is written or a comune is loaded, moved or removed, so a bbox, tile or identify test on
the view is an index scan, not a ``ST_PointOnSurface`` over detailed comune polygons per row.
``istat_code`` and ``comune`` are those of the first (lead) comune listed, ``comuni`` names them all.
``map_stazioni``: stations with the name of their comune. The registry points ``Layer.source`` at
them: the map, the tiles, the API and the OGC services read the live table, never a stale copy.
Thematic layers use the ``thematic_<code>`` views of migration 0003.
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
       {geom} AS geom,
       r.comuni_istat[1] AS istat_code,
       (SELECT c.name FROM mappature_comune c WHERE c.istat_code = r.comuni_istat[1]) AS comune,
       {comuni} AS comuni{extra}
FROM mappature_realizzazione r""")
# The geometry as the view computed it before 0015, and the stored column since (same value, see
# MAP_GEOM_FUNCTION: the points in the order the comuni are listed).
_GEOM_COMPUTED = db.SQL("""coalesce(r.geom, (SELECT ST_Multi(ST_Collect(ST_PointOnSurface(c.geom)))
                         FROM mappature_comune c WHERE c.istat_code = ANY(r.comuni_istat)))
         ::geometry(MultiPoint, 32632)""")
_GEOM_STORED = db.SQL("r.map_geom")
# The names of the comuni an intervention lists, each once, in the order of its first mention (unknown codes
# left out; NULL when none is known). Each name is looked up by the comuni's unique ISTAT index; the form
# before 0017 (``c.istat_code = ANY(r.comuni_istat)`` over the comuni table) scanned all 133 comuni for every
# row the view returned (16 of the 20 ms of a page of 1,000 interventions). Same values, see
# tests/mappature/test_realizzazioni_geom.py.
_COMUNI_NAMES = db.SQL("""(SELECT string_agg((SELECT c.name FROM mappature_comune c WHERE c.istat_code = u.code),
                           '; ' ORDER BY u.ord)
          FROM unnest(r.comuni_istat) WITH ORDINALITY u(code, ord)
          WHERE array_position(r.comuni_istat, u.code) = u.ord)""")
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
    columns whose fields 0012 adds, and before 0015 with the geometry computed, not stored (a fresh
    database runs every migration with today's code).
    """
    full = not upto or upto >= "0012"
    stored = not upto or upto >= "0015"
    none = db.SQL("")
    realizzazioni = _REALIZZAZIONI_SQL.format(
        view=db.ident(REALIZZAZIONI_VIEW),
        geom=_GEOM_STORED if stored else _GEOM_COMPUTED,
        comuni=_COMUNI_NAMES,
        extra=_REALIZZAZIONI_0012 if full else none,
    )
    stazioni = _STAZIONI_SQL.format(
        view=db.ident(STAZIONI_VIEW), table=db.ident(STAZIONI_TABLE), extra=_STAZIONI_0012 if full else none
    )
    return [(REALIZZAZIONI_VIEW, realizzazioni), (STAZIONI_VIEW, stazioni)]


def drop_view(name: str) -> db.Composable:
    return db.compose("DROP VIEW IF EXISTS {view}", view=name)


# The stored display point of the interventions (migration 0015). Constants only, no user input.
MAP_GEOM_COLUMN = "map_geom"
MAP_GEOM_FUNCTION = db.SQL("""
CREATE OR REPLACE FUNCTION mappature_realizzazione_map_geom(own geometry, comuni varchar[])
RETURNS geometry(MultiPoint, 32632) LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(own, (SELECT ST_Multi(ST_Collect(ST_PointOnSurface(c.geom)
                                                   ORDER BY array_position(comuni, c.istat_code::varchar)))
                        FROM mappature_comune c WHERE c.istat_code = ANY(comuni)))::geometry(MultiPoint, 32632)
$$""")
MAP_GEOM_DDL = [
    db.SQL("ALTER TABLE mappature_realizzazione ADD COLUMN IF NOT EXISTS map_geom geometry(MultiPoint, 32632)"),
    MAP_GEOM_FUNCTION,
    # An intervention written: its point from its own geometry, else its comuni (also when map_geom
    # itself is written, so it cannot be set to anything else).
    db.SQL("""
CREATE OR REPLACE FUNCTION mappature_realizzazione_map_geom_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.map_geom := mappature_realizzazione_map_geom(NEW.geom, NEW.comuni_istat);
  RETURN NEW;
END $$"""),
    db.SQL("DROP TRIGGER IF EXISTS map_geom ON mappature_realizzazione"),
    db.SQL("""
CREATE TRIGGER map_geom BEFORE INSERT OR UPDATE OF geom, comuni_istat, map_geom ON mappature_realizzazione
FOR EACH ROW EXECUTE FUNCTION mappature_realizzazione_map_geom_row()"""),
    # A comune loaded, reshaped, recoded or removed: the interventions placed at it (no own geometry) move.
    db.SQL("""
CREATE OR REPLACE FUNCTION mappature_comune_moves_realizzazioni() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  codes varchar[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    codes := ARRAY[NEW.istat_code];
  ELSIF TG_OP = 'DELETE' THEN
    codes := ARRAY[OLD.istat_code];
  ELSE
    codes := ARRAY[OLD.istat_code, NEW.istat_code];
  END IF;
  UPDATE mappature_realizzazione r SET map_geom = mappature_realizzazione_map_geom(r.geom, r.comuni_istat)
  WHERE r.geom IS NULL AND r.comuni_istat && codes;
  RETURN NULL;
END $$"""),
    db.SQL("DROP TRIGGER IF EXISTS moves_realizzazioni_ins ON mappature_comune"),
    db.SQL("DROP TRIGGER IF EXISTS moves_realizzazioni_upd ON mappature_comune"),
    db.SQL("DROP TRIGGER IF EXISTS moves_realizzazioni_del ON mappature_comune"),
    db.SQL("""
CREATE TRIGGER moves_realizzazioni_ins AFTER INSERT ON mappature_comune
FOR EACH ROW EXECUTE FUNCTION mappature_comune_moves_realizzazioni()"""),
    db.SQL("""
CREATE TRIGGER moves_realizzazioni_upd AFTER UPDATE OF geom, istat_code ON mappature_comune
FOR EACH ROW WHEN (OLD.geom IS DISTINCT FROM NEW.geom OR OLD.istat_code IS DISTINCT FROM NEW.istat_code)
EXECUTE FUNCTION mappature_comune_moves_realizzazioni()"""),
    db.SQL("""
CREATE TRIGGER moves_realizzazioni_del AFTER DELETE ON mappature_comune
FOR EACH ROW EXECUTE FUNCTION mappature_comune_moves_realizzazioni()"""),
    # Fill the rows already there (the row trigger computes it).
    db.SQL("UPDATE mappature_realizzazione SET map_geom = NULL"),
    db.SQL(
        "CREATE INDEX IF NOT EXISTS mappature_realizzazione_map_geom_gist"
        " ON mappature_realizzazione USING gist (map_geom)"
    ),
]
MAP_GEOM_DROP = [
    db.SQL("DROP TRIGGER IF EXISTS moves_realizzazioni_ins ON mappature_comune"),
    db.SQL("DROP TRIGGER IF EXISTS moves_realizzazioni_upd ON mappature_comune"),
    db.SQL("DROP TRIGGER IF EXISTS moves_realizzazioni_del ON mappature_comune"),
    db.SQL("DROP FUNCTION IF EXISTS mappature_comune_moves_realizzazioni()"),
    db.SQL("DROP TRIGGER IF EXISTS map_geom ON mappature_realizzazione"),
    db.SQL("DROP FUNCTION IF EXISTS mappature_realizzazione_map_geom_row()"),
    db.SQL("ALTER TABLE mappature_realizzazione DROP COLUMN IF EXISTS map_geom"),
    db.SQL("DROP FUNCTION IF EXISTS mappature_realizzazione_map_geom(geometry, varchar[])"),
]
