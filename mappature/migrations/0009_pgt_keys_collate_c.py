"""PgtFeature's key columns (istat_code, layer, feature_key) in the "C" collation.

They hold codes and identifiers that no page sorts for a reader; byte comparisons make the unique
key's build about a third quicker than ICU's (docs/etl.md). PostgreSQL cannot change the type of a
column a view reads, so the views over the table are saved, dropped and created again around it.
"""

from django.db import migrations, models

_DEPENDENT_VIEWS = """
    SELECT DISTINCT v.oid::regclass::text, pg_get_viewdef(v.oid)
    FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
    WHERE d.refobjid = 'mappature_pgtfeature'::regclass AND v.relkind = 'v' AND v.oid <> d.refobjid
"""
_SAVED: list[tuple[str, str]] = []


def drop_views(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(_DEPENDENT_VIEWS)
        _SAVED[:] = cur.fetchall()
        for name, _definition in _SAVED:
            cur.execute(f"DROP VIEW {name}")


def create_views(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        for name, definition in _SAVED:
            cur.execute(f"CREATE VIEW {name} AS {definition}")


class Migration(migrations.Migration):

    dependencies = [
        ('mappature', '0008_tile_overviews_lru'),
    ]

    operations = [
        migrations.RunPython(drop_views, create_views),
        migrations.AlterField(
            model_name='pgtfeature',
            name='feature_key',
            field=models.CharField(db_collation='C', max_length=80, verbose_name='chiave'),
        ),
        migrations.AlterField(
            model_name='pgtfeature',
            name='istat_code',
            field=models.CharField(db_collation='C', max_length=6, verbose_name='codice ISTAT'),
        ),
        migrations.AlterField(
            model_name='pgtfeature',
            name='layer',
            field=models.SlugField(db_collation='C', db_index=False, max_length=60, verbose_name='strato'),
        ),
        migrations.RunPython(create_views, drop_views),
    ]
