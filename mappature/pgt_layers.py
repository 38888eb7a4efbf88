"""The layers of the regional "Tavola delle previsioni di piano" that Remix stores, and their fields.

Field names and code/description pairs follow the regional mosaic ``tav_previsioni_b``
(see docs/glossary.md); each layer is exposed read-only as a SQL view of the PGT in force
(``pgt_<code>``), which the registry, the map, MapServer and the exports read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from remix import db


@dataclass(frozen=True)
class PgtField:
    name: str  # regional field name, as in the delivery shapefiles (≤ 10 characters)
    sql_type: str = "text"
    label: str = ""


@dataclass(frozen=True)
class PgtLayer:
    code: str
    regional_id: int | None
    title: str
    geometry: str
    fields: tuple[PgtField, ...]

    @property
    def view(self) -> str:
        return f"pgt_{self.code}"


_F = PgtField
PGT_LAYERS: tuple[PgtLayer, ...] = (
    PgtLayer(
        "ambiti_trasformazione",
        13,
        _("Ambiti di trasformazione"),
        "MultiPolygon",
        (
            _F("NOME_AMB"),
            _F("AMB_TRAS"),
            _F("FUN_PREV1"),
            _F("DFUN_PREV1"),
            _F("SPEC_DEST"),
            _F("SUP_TERR", "double precision"),
            _F("SCHEDA"),
        ),
    ),
    PgtLayer(
        "ambiti_rigenerazione",
        14,
        _("Ambiti di rigenerazione urbana e territoriale"),
        "MultiPolygon",
        (_F("NOME_AMB"), _F("CATEGORIA"), _F("DCATEGORIA"), _F("TIPO_INT"), _F("DTIPO_INT"), _F("SCHEDA")),
    ),
    PgtLayer(
        "aree_dismesse",
        15,
        _("Aree dismesse, abbandonate, degradate"),
        "MultiPolygon",
        (_F("TIPO"), _F("DTIPO"), _F("CONTAMINAZ"), _F("DCONTAMINA"), _F("BONIFICA"), _F("SCHEDA")),
    ),
    PgtLayer(
        "aree_agricole",
        19,
        _("Aree agricole"),
        "MultiPolygon",
        (_F("LEGENDA"), _F("COD_AGR"), _F("SPEC_AGR"), _F("SPEC_AGRD"), _F("SCHEDA")),
    ),
    PgtLayer(
        "tessuto_urbano_consolidato",
        20,
        _("Ambiti del tessuto urbano consolidato"),
        "MultiPolygon",
        (_F("LEGENDA"), _F("AMB_URB"), _F("COD_DEST1"), _F("DCOD_DEST1"), _F("SPEC_DEST"), _F("SCHEDA")),
    ),
    PgtLayer("consumo_suolo", 24, _("Carta del consumo di suolo"), "MultiPolygon", (_F("CLASSE"), _F("DCLASSE"))),
)


def view_sql(layer: PgtLayer) -> db.Composable:
    """CREATE VIEW statement for one layer of the PGT in force (no user input: codes are constants; DDL takes
    no parameter, so the layer code is an inlined literal)."""
    cols = db.SQL(",\n").join(
        db.SQL("  (f.attrs->>{key})::{sql_type} AS {column}").format(
            key=db.literal(fld.name), sql_type=db.SQL(fld.sql_type), column=db.ident(fld.name.lower())
        )
        for fld in layer.fields
    )
    return _VIEW.format(
        view=db.ident(layer.view), cols=cols, geometry=db.SQL(layer.geometry), code=db.literal(layer.code)
    )


_VIEW = db.SQL("""
CREATE OR REPLACE VIEW {view} AS
SELECT f.id, f.feature_key, f.istat_code, c.name AS comune, z.name AS zona_omogenea,
       a.id AS atto_id, a.synthetic,
{cols},
  round(ST_Area(f.geom)::numeric, 1) AS area_m2,
  f.geom::geometry({geometry}, 32632) AS geom
FROM mappature_pgtfeature f
JOIN mappature_pgtatto a ON a.id = f.atto_id AND a.state = 'vigente'
JOIN mappature_comune c ON c.istat_code = f.istat_code
JOIN mappature_zonaomogenea z ON z.id = c.zona_id
WHERE f.layer = {code}""")


def create_views(schema_editor=None) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for layer in PGT_LAYERS:
            db.execute(cur, db.compose("DROP VIEW IF EXISTS {view}", view=layer.view))
            db.execute(cur, view_sql(layer))
