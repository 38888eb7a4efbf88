"""One read-only SQL view per layer of the PGT in force (see mappature.pgt_layers)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from mappature.pgt_layers import create_views

    create_views()


def backwards(apps, schema_editor):
    from mappature.pgt_layers import PGT_LAYERS
    from remix import db

    for layer in PGT_LAYERS:
        schema_editor.execute(db.render(db.compose("DROP VIEW IF EXISTS {v}", v=layer.view), schema_editor.connection))


class Migration(migrations.Migration):
    dependencies = [("mappature", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
