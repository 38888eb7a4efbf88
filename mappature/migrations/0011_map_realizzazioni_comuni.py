"""map_realizzazioni lists the names of each intervention's comuni (column ``comuni``)."""

from django.db import migrations


def recreate(apps, schema_editor):
    from mappature.view_sql import all_views, drop_view
    from remix import db

    for name, sql in all_views(upto="0011"):
        schema_editor.execute(db.render(drop_view(name), schema_editor.connection))
        schema_editor.execute(db.render(sql, schema_editor.connection))


class Migration(migrations.Migration):
    dependencies = [("mappature", "0010_official_area_and_address_precision")]
    operations = [migrations.RunPython(recreate, migrations.RunPython.noop)]
