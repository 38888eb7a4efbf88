"""Comune code and name on every comune-bound map view: map_realizzazioni gains istat_code, comune and
comuni (columns added at the end), map_stazioni is new (stations with their comune's name)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from mappature.view_sql import all_views
    from remix import db

    for _name, sql in all_views(upto="0007"):
        # CREATE OR REPLACE: new columns come last, dependants are kept
        schema_editor.execute(db.render(sql, schema_editor.connection))


def backwards(apps, schema_editor):
    from mappature.view_sql import STAZIONI_VIEW, drop_view
    from remix import db

    schema_editor.execute(db.render(drop_view(STAZIONI_VIEW), schema_editor.connection))


class Migration(migrations.Migration):
    dependencies = [("mappature", "0006_pgt_feature_fewer_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
