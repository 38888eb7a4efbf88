"""One read-only SQL view per thematic layer (``thematic_<code>``), the source the registry declares.

The registry (layers) knows tables and views by name, never the domain models: these views expose
the ThematicFeature rows of one layer each, with the comune's name and the attributes a layer
promotes from its JSONB ``attrs`` to typed columns.
"""

from django.db import migrations

# layer code → attributes promoted from attrs to typed columns: (column, key in attrs as the ETL
# source delivers it, SQL type); the lower-case key is accepted too. Constants only.
THEMATIC_VIEWS = {
    "ptm_lum": (("level", "LIVELLO", "integer"), ("station_code", "COD_STAZ", "text"),
                ("radius_m", "RAGGIO_M", "double precision")),
    "ptm_rete_verde": (("tipo", "TIPO", "text"), ("dtipo", "DTIPO", "text"), ("zona", "ZONA", "text")),
    "ptm_ambiti_agricoli_strategici": (("descr", "DESCR", "text"),),
    "remix_incubatore": (("stato", "STATO", "text"),),
}
# Added by 0012 (kept apart so that 0003 stays as it ran).
THEMATIC_VIEWS_0007 = {
    "milano_nil": (("id_nil", "ID_NIL", "integer"), ("valido_dal", "Valido_dal", "text"),
                   ("fonte", "Fonte", "text")),
}


def view_sql(code: str, promoted, schema_editor) -> str:
    """CREATE VIEW text of one thematic layer, composed with psycopg.sql (DDL takes no parameter: the
    attribute keys and the layer code are inlined literals, constants of this file)."""
    from remix import db

    extra = db.SQL("").join(
        db.SQL("  COALESCE(t.attrs->>{key}, t.attrs->>{lower})::{sql_type} AS {column},\n").format(
            key=db.literal(key), lower=db.literal(key.lower()), sql_type=db.SQL(sql_type), column=db.ident(column))
        for column, key, sql_type in promoted
    )
    query = db.SQL("""
CREATE OR REPLACE VIEW {view} AS
SELECT t.id, t.feature_key, t.name, t.istat_code, c.name AS comune, t.synthetic,
{extra}  round(ST_Area(t.geom)::numeric, 1) AS area_m2,
  t.attrs,
  t.geom
FROM mappature_thematicfeature t
LEFT JOIN mappature_comune c ON c.istat_code = t.istat_code
WHERE t.layer = {code}""").format(view=db.ident(f"thematic_{code}"), extra=extra, code=db.literal(code))
    return db.render(query, schema_editor.connection)


def drop_sql(code: str, schema_editor) -> str:
    from remix import db

    return db.render(db.compose("DROP VIEW IF EXISTS {view}", view=f"thematic_{code}"), schema_editor.connection)


def forwards(apps, schema_editor):
    for code, promoted in THEMATIC_VIEWS.items():
        schema_editor.execute(drop_sql(code, schema_editor))
        schema_editor.execute(view_sql(code, promoted, schema_editor))


def backwards(apps, schema_editor):
    for code in THEMATIC_VIEWS:
        schema_editor.execute(drop_sql(code, schema_editor))


class Migration(migrations.Migration):
    dependencies = [("mappature", "0002_pgt_views")]
    operations = [migrations.RunPython(forwards, backwards)]
