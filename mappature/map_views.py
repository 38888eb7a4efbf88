"""SQL views that expose the domain tables as map layers (one row per feature, ``geom`` in EPSG:32632).

The registry points ``Layer.source`` at these views, so the map, the tiles, the API and the OGC
services read the live tables: a layer can never be a stale copy of its data.
"""

THEMATIC_LAYERS = ("ptm_lum", "ptm_rete_verde", "ptm_ambiti_agricoli_strategici", "remix_incubatore")

REALIZZAZIONI_VIEW = "map_realizzazioni"
STAZIONI_VIEW = "map_stazioni"


def thematic_view(code: str) -> str:
    return f"map_{code}"


# Interventions still placed at their comuni are drawn at a point inside each comune
# (ST_PointOnSurface), so they are on the map from the first load.
_REALIZZAZIONI_SQL = f"""
CREATE OR REPLACE VIEW {REALIZZAZIONI_VIEW} AS
SELECT r.id, r.code, r.title, r.programme, array_to_string(r.funding_sources, '; ') AS funding_sources,
       r.status, r.amount_eur, r.cofunding_eur, array_to_string(r.domains, '; ') AS domains,
       r.year_start, r.year_end, r.comuni_istat, r.location_precision, r.synthetic,
       coalesce(r.geom, (SELECT ST_Multi(ST_Collect(ST_PointOnSurface(c.geom)))
                         FROM mappature_comune c WHERE c.istat_code = ANY(r.comuni_istat)))
         ::geometry(MultiPoint, 32632) AS geom
FROM mappature_realizzazione r"""

_STAZIONI_SQL = f"""
CREATE OR REPLACE VIEW {STAZIONI_VIEW} AS
SELECT s.id, s.code, s.name, s.istat_code, c.name AS comune, s.geom
FROM mappature_stazione s LEFT JOIN mappature_comune c ON c.istat_code = s.istat_code"""


def _thematic_sql(code: str) -> str:
    return f"""
CREATE OR REPLACE VIEW {thematic_view(code)} AS
SELECT t.id, t.feature_key, t.name, t.istat_code, c.name AS comune, t.synthetic,
       t.attrs->>'level' AS level, round(ST_Area(t.geom)::numeric, 1) AS area_m2, t.geom
FROM mappature_thematicfeature t LEFT JOIN mappature_comune c ON c.istat_code = t.istat_code
WHERE t.layer = '{code}'"""  # noqa: S608 - constant layer codes


def all_views() -> list[tuple[str, str]]:
    """(view name, CREATE VIEW text) for every map view; constants only, no user input."""
    views = [(REALIZZAZIONI_VIEW, _REALIZZAZIONI_SQL), (STAZIONI_VIEW, _STAZIONI_SQL)]
    return views + [(thematic_view(code), _thematic_sql(code)) for code in THEMATIC_LAYERS]
