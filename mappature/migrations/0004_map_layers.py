"""Map views over the domain tables and the cache of generalised vector tiles."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from mappature.view_sql import all_views, drop_view
    from remix import db

    for name, sql in all_views(upto="0004"):
        schema_editor.execute(db.render(drop_view(name), schema_editor.connection))
        schema_editor.execute(db.render(sql, schema_editor.connection))


def backwards(apps, schema_editor):
    from mappature.view_sql import all_views, drop_view
    from remix import db

    for name, _sql in all_views():
        schema_editor.execute(db.render(drop_view(name), schema_editor.connection))


class Migration(migrations.Migration):
    dependencies = [("mappature", "0003_thematic_views")]
    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.CreateModel(
            name="TileCache",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("layer", models.SlugField(max_length=80)),
                ("data_version", models.PositiveIntegerField()),
                ("z", models.PositiveSmallIntegerField()),
                ("x", models.PositiveIntegerField()),
                ("y", models.PositiveIntegerField()),
                ("filter_key", models.CharField(blank=True, max_length=64)),
                ("tile", models.BinaryField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "constraints": [models.UniqueConstraint(
                    fields=("layer", "data_version", "z", "x", "y", "filter_key"), name="tile_cache_key")],
            },
        ),
    ]
