"""Drop PgtFeature's unused indexes: single-column atto and layer (covered by wider ones), untyped geom GiST."""
import django.contrib.gis.db.models.fields
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mappature', '0005_map_pgt_geom_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='pgtfeature',
            name='atto',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name='features', to='mappature.pgtatto'),
        ),
        migrations.AlterField(
            model_name='pgtfeature',
            name='geom',
            field=django.contrib.gis.db.models.fields.GeometryField(spatial_index=False, srid=32632,
                                                                    verbose_name='geometria'),
        ),
        migrations.AlterField(
            model_name='pgtfeature',
            name='layer',
            field=models.SlugField(db_index=False, max_length=60, verbose_name='strato'),
        ),
    ]
