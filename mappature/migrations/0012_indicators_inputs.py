"""Inputs of the indicators: metro stations beside the RFI ones, PNRR interventions as their own
source, the NIL of Milano as a thematic layer, and the source date on the interventions' view."""

import importlib

from django.db import migrations, models

_thematic = importlib.import_module("mappature.migrations.0003_thematic_views")


def views(apps, schema_editor):
    from mappature.view_sql import all_views, drop_view
    from remix import db
    for name, sql in all_views(upto="0012"):
        schema_editor.execute(db.render(drop_view(name), schema_editor.connection))
        schema_editor.execute(db.render(sql, schema_editor.connection))
    for code, promoted in _thematic.THEMATIC_VIEWS_0007.items():
        schema_editor.execute(_thematic.drop_sql(code, schema_editor))
        schema_editor.execute(_thematic.view_sql(code, promoted, schema_editor))


def drop_views(apps, schema_editor):
    for code in _thematic.THEMATIC_VIEWS_0007:
        schema_editor.execute(_thematic.drop_sql(code, schema_editor))


class Migration(migrations.Migration):
    dependencies = [("mappature", "0011_map_realizzazioni_comuni")]
    operations = [
        migrations.AddField(
            model_name="stazione", name="network",
            field=models.CharField(choices=[("rfi", "ferrovia (RFI)"), ("metro", "metropolitana (ATM)")],
                                   default="rfi", max_length=10, verbose_name="rete"),
        ),
        migrations.AddField(
            model_name="stazione", name="lines",
            field=models.CharField(blank=True, max_length=40, verbose_name="linee"),
        ),
        migrations.AddField(
            model_name="realizzazione", name="source_id",
            field=models.SlugField(default="realizzazioni", editable=False, max_length=80, verbose_name="sorgente ETL",
                                   help_text="La sorgente che ha caricato la riga (ogni sorgente cancella solo le proprie)."),
        ),
        migrations.RunPython(views, drop_views),
    ]
