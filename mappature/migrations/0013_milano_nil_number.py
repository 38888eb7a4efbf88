"""The NIL number of thematic_milano_nil: the ETL keys each NIL by ID_NIL (its feature_key) and so does
not collect it into ``attrs``, where 0012's view looked for it (id_nil was null on every NIL)."""

from django.db import migrations

VIEW = """
CREATE OR REPLACE VIEW thematic_milano_nil AS
SELECT t.id, t.feature_key, t.name, t.istat_code, c.name AS comune, t.synthetic,
  COALESCE(t.attrs->>'ID_NIL', t.attrs->>'id_nil',
           CASE WHEN t.feature_key ~ '^[0-9]{1,9}$' THEN t.feature_key END)::integer AS "id_nil",
  COALESCE(t.attrs->>'Valido_dal', t.attrs->>'valido_dal')::text AS "valido_dal",
  COALESCE(t.attrs->>'Fonte', t.attrs->>'fonte')::text AS "fonte",
  round(ST_Area(t.geom)::numeric, 1) AS area_m2,
  t.attrs,
  t.geom
FROM mappature_thematicfeature t
LEFT JOIN mappature_comune c ON c.istat_code = t.istat_code
WHERE t.layer = 'milano_nil'"""


def forwards(apps, schema_editor):
    schema_editor.execute(VIEW)


def backwards(apps, schema_editor):
    import importlib

    thematic = importlib.import_module("mappature.migrations.0003_thematic_views")
    schema_editor.execute(thematic.view_sql("milano_nil", thematic.THEMATIC_VIEWS_0007["milano_nil"], schema_editor))


class Migration(migrations.Migration):
    dependencies = [("mappature", "0012_indicators_inputs")]
    operations = [migrations.RunPython(forwards, backwards)]
