"""``map_realizzazioni.comuni`` looks each comune's name up by its ISTAT code (the view_sql form since 0017),
where it scanned the comuni table for every row; the same values."""

from django.db import migrations


def views(apps, schema_editor):
    from mappature.view_sql import all_views
    from remix import db

    for _name, sql in all_views():
        schema_editor.execute(db.render(sql, schema_editor.connection))


class Migration(migrations.Migration):
    dependencies = [("mappature", "0016_pgt_index_comune_first")]
    operations = [migrations.RunPython(views, views)]
