"""Drop PgtFeature's redundant single-column indexes on atto and layer (covered by wider ones)."""
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
            name='layer',
            field=models.SlugField(db_index=False, max_length=60, verbose_name='strato'),
        ),
    ]
