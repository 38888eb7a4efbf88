"""Tile cache with sizes and last use (bounded, least recently used evicted); registry of tile overviews."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mappature', '0007_map_views_comune'),
    ]

    operations = [
        migrations.AddField(
            model_name='tilecache',
            name='size',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='tilecache',
            name='used_at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.CreateModel(
            name='TileOverview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('layer', models.SlugField(max_length=80)),
                ('band', models.PositiveSmallIntegerField()),
                ('data_version', models.PositiveIntegerField()),
                ('source_features', models.PositiveIntegerField()),
                ('rows', models.PositiveIntegerField()),
                ('table', models.CharField(max_length=63)),
                ('class_field', models.CharField(blank=True, max_length=63)),
                ('built_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('layer', 'band'), name='tile_overview_band')],
            },
        ),
    ]
