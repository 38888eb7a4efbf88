"""One read-only SQL view per layer of the PGT in force (see mappature.pgt_layers)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from mappature.pgt_layers import create_views

    create_views()


def backwards(apps, schema_editor):
    from mappature.pgt_layers import PGT_LAYERS

    for layer in PGT_LAYERS:
        schema_editor.execute(f"DROP VIEW IF EXISTS {layer.view}")


class Migration(migrations.Migration):
    dependencies = [("mappature", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
