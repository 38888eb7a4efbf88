"""Spatial indexes the PGT views can use: one partial GiST index per layer on the view's typed geometry.

The views expose ``geom::geometry(MultiPolygon, 32632)`` (typed, for MapServer and QGIS); PostgreSQL
only uses an index for ``view.geom && box`` when the index is on that same expression, so the
plain index on ``mappature_pgtfeature.geom`` is never used by tiles, bbox queries or identify.
"""

from django.db import migrations


def _statements():
    from mappature.pgt_layers import PGT_LAYERS

    for layer in PGT_LAYERS:
        name = f"pgt_{layer.code}_geom_idx"[:63]
        create = (f"CREATE INDEX IF NOT EXISTS {name} ON mappature_pgtfeature USING gist "
                  f"((geom::geometry({layer.geometry}, 32632))) WHERE layer = '{layer.code}'")
        yield create, f"DROP INDEX IF EXISTS {name}"


def forwards(apps, schema_editor):
    for create, _drop in _statements():
        schema_editor.execute(create)


def backwards(apps, schema_editor):
    for _create, drop in _statements():
        schema_editor.execute(drop)


class Migration(migrations.Migration):
    dependencies = [("mappature", "0004_map_layers")]
    operations = [migrations.RunPython(forwards, backwards)]
