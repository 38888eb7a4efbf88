"""The key (real-data) indicators as columns of the comuni and of the zone omogenee: the views the
registry layers ``indicatori_comuni`` / ``indicatori_zone`` read, so that the GeoPackage export, the
WMS/WFS and the map carry them. Each indicator gives its latest period's value and that period.
Synthetic indicators (opportunities, heat anomaly) are left out, so the layers are real data."""

from django.db import migrations

COLUMNS = ("popolazione", "quota_over65", "quota_under15", "suolo_consumato_ha", "suolo_consumato_pct",
           "consumo_suolo_netto_ha", "consumo_suolo_riduzione_pct", "suolo_per_abitante",
           "finanziamento_rigenerazione_per_abitante", "pnrr_per_abitante", "interventi_n", "stazioni_n")


def _columns(level: str, key: str) -> str:
    out = []
    for code in COLUMNS:
        latest = (f"(SELECT {{col}} FROM indicatori_currentvalue v JOIN indicatori_indicator i ON i.id = v.indicator_id "
                  f"WHERE i.code = '{code}' AND v.level = '{level}' AND v.area_code = {key} "
                  f"ORDER BY v.period DESC LIMIT 1)")
        out.append(f"{latest.format(col='v.value')} AS {code}")
        out.append(f"{latest.format(col='v.period')} AS {code}_periodo")
    return ",\n  ".join(out)


COMUNI = f"""CREATE VIEW indicatori_comuni AS
SELECT c.id, c.istat_code, c.name, z.name AS zona,
  {_columns('comune', 'c.istat_code')},
  c.geom
FROM mappature_comune c JOIN mappature_zonaomogenea z ON z.id = c.zona_id"""

ZONE = f"""CREATE VIEW indicatori_zone AS
SELECT z.id, z.code, z.name,
  {_columns('zona', 'z.code')},
  z.geom
FROM mappature_zonaomogenea z"""


class Migration(migrations.Migration):
    dependencies = [("indicatori", "0002_current_values"), ("mappature", "0012_indicators_inputs")]
    operations = [
        migrations.RunSQL(COMUNI, "DROP VIEW IF EXISTS indicatori_comuni"),
        migrations.RunSQL(ZONE, "DROP VIEW IF EXISTS indicatori_zone"),
    ]
