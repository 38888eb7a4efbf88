"""Retention of uploaded files: when a delivery was reviewed (published or sent back) and when its file was purged.

Deliveries reviewed before this migration get ``reviewed_at`` from the audit log.
"""

from django.db import migrations, models


BACKFILL = """
    UPDATE consegne_consegna c SET reviewed_at = a.at
    FROM (SELECT CASE WHEN action = 'rinvio' THEN object_id ELSE details->>'consegna' END AS consegna, max(at) AS at
          FROM consegne_auditentry
          WHERE (action = 'rinvio' AND object_type = 'consegna') OR (action = 'pubblicazione' AND details ? 'consegna')
          GROUP BY 1) a
    WHERE a.consegna = c.id::text AND c.state IN ('rinviata', 'pubblicata')"""


class Migration(migrations.Migration):

    dependencies = [
        ('consegne', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='consegna',
            name='purged_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='file eliminato il'),
        ),
        migrations.AddField(
            model_name='consegna',
            name='reviewed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='revisionata il'),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
