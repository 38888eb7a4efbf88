from django.db import migrations

CURRENT = """
CREATE VIEW indicatori_currentvalue AS
SELECT v.id, r.indicator_id, v.run_id, v.level, v.area_code, v.period, v.value
FROM indicatori_indicatorvalue v JOIN indicatori_indicatorrun r ON r.id = v.run_id
WHERE r.current"""


class Migration(migrations.Migration):
    dependencies = [("indicatori", "0001_initial")]
    operations = [migrations.RunSQL(CURRENT, "DROP VIEW IF EXISTS indicatori_currentvalue")]
