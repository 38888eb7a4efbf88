"""The interventions' display point stored (``mappature_realizzazione.map_geom``, GiST-indexed, kept by
triggers) and read by ``map_realizzazioni``, which computed it for every row it returned."""

from django.db import migrations


def forwards(apps, schema_editor):
    from mappature.view_sql import MAP_GEOM_DDL, all_views
    from remix import db

    for statement in MAP_GEOM_DDL:
        schema_editor.execute(db.render(statement, schema_editor.connection))
    for _name, sql in all_views(upto="0015"):
        schema_editor.execute(db.render(sql, schema_editor.connection))
    schema_editor.execute("ANALYZE mappature_realizzazione")


def backwards(apps, schema_editor):
    from mappature.view_sql import MAP_GEOM_DROP, all_views
    from remix import db

    for _name, sql in all_views(upto="0014"):
        schema_editor.execute(db.render(sql, schema_editor.connection))
    for statement in MAP_GEOM_DROP:
        schema_editor.execute(db.render(statement, schema_editor.connection))


class Migration(migrations.Migration):
    dependencies = [("mappature", "0014_pgt_page_index")]
    operations = [migrations.RunPython(forwards, backwards)]
