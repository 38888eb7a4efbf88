"""Read-side SQL of the delivery pages: findings and features as GeoJSON, the diff against the PGT in force."""

from __future__ import annotations

import json

from django.db import connection

from mappature.models import PgtAtto

from .models import Consegna, Finding
from .rules import message


def findings(consegna: Consegna, limit: int | None = None) -> list[dict]:
    """The findings (all, or the first ``limit``) as plain dicts with their message in the active language."""
    rows = []
    qs = consegna.findings.order_by("id").values_list("id", "severity", "rule", "layer", "feature", "params")
    for pk, sev, rule, layer, feature, params in qs[:limit]:
        rows.append({"id": pk, "severity": sev, "rule": rule, "layer": layer, "feature": feature,
                     "message": message(rule, params)})
    return rows


def findings_geojson(consegna: Consegna, limit: int = 5000) -> str:
    """Located findings in EPSG:4326 (WGS84 lon/lat), for the report map."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', id,
                'properties', json_build_object('id', id, 'severity', severity, 'rule', rule, 'layer', layer),
                'geometry', ST_AsGeoJSON(ST_Transform(geom, 4326), 6)::json)), '[]'))::text
            FROM (SELECT * FROM consegne_finding WHERE consegna_id = %s AND geom IS NOT NULL
                  ORDER BY id LIMIT %s) f""", [consegna.pk, limit])
        return cur.fetchone()[0]


def atto_geojson(atto_id: int, simplify_m: float = 0.5) -> str:
    """The features of one PGT act in EPSG:4326, lightly simplified for display."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', id,
                'properties', json_build_object('layer', layer, 'key', feature_key, 'attrs', attrs),
                'geometry', ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(geom, %s), 4326), 6)::json
            )), '[]'))::text
            FROM mappature_pgtfeature WHERE atto_id = %s""", [simplify_m, atto_id])
        return cur.fetchone()[0]


def vigente_of(comune_id: int) -> PgtAtto | None:
    return PgtAtto.objects.filter(comune_id=comune_id, state=PgtAtto.State.VIGENTE).first()


DIFF_SQL = """
    WITH n AS (SELECT layer, feature_key, attrs, geom FROM mappature_pgtfeature WHERE atto_id = %(new)s),
         o AS (SELECT layer, feature_key, attrs, geom FROM mappature_pgtfeature WHERE atto_id = %(old)s)
    SELECT coalesce(n.layer, o.layer) AS layer,
           CASE WHEN o.feature_key IS NULL THEN 'added' WHEN n.feature_key IS NULL THEN 'removed'
                WHEN n.attrs <> o.attrs OR NOT ST_Equals(n.geom, o.geom) THEN 'modified' ELSE 'same' END AS change,
           count(*)
    FROM n FULL JOIN o ON n.layer = o.layer AND n.feature_key = o.feature_key
    GROUP BY 1, 2 ORDER BY 1, 2"""

AREA_SQL = """
    SELECT f.layer, coalesce(f.attrs->>l.class_field, '') AS cls,
           round(sum(ST_Area(f.geom)) FILTER (WHERE f.atto_id = %(new)s)::numeric / 10000, 2) AS new_ha,
           round(sum(ST_Area(f.geom)) FILTER (WHERE f.atto_id = %(old)s)::numeric / 10000, 2) AS old_ha
    FROM mappature_pgtfeature f
    JOIN consegne_speclayer l ON l.code = f.layer
    JOIN consegne_specversion v ON v.id = l.version_id AND v.code = %(spec)s
    WHERE f.atto_id IN (%(new)s, %(old)s)
    GROUP BY 1, 2 ORDER BY 1, 2"""


def diff(new: PgtAtto, old: PgtAtto | None) -> dict:
    """What changes if ``new`` replaces ``old``: features added/removed/modified per layer, area by class (ha)."""
    params = {"new": new.pk, "old": old.pk if old else -1, "spec": new.spec_version}
    with connection.cursor() as cur:
        cur.execute(DIFF_SQL, params)
        changes: dict[str, dict] = {}
        for layer, change, count in cur.fetchall():
            changes.setdefault(layer, {"added": 0, "removed": 0, "modified": 0, "same": 0})[change] = count
        cur.execute(AREA_SQL, params)
        areas = [{"layer": layer, "class": cls, "new_ha": float(new_ha or 0), "old_ha": float(old_ha or 0),
                  "delta_ha": round(float(new_ha or 0) - float(old_ha or 0), 2)}
                 for layer, cls, new_ha, old_ha in cur.fetchall()]
    return {"changes": changes, "areas": areas}


def counts(consegna: Consegna) -> dict:
    return {sev: consegna.findings.filter(severity=sev).count() for sev in Finding.Severity.values}


def as_json(consegna: Consegna) -> str:
    return json.dumps({
        "consegna": consegna.pk, "comune": consegna.comune.istat_code, "stato": consegna.state,
        "specifica": consegna.spec_version, "conteggi": counts(consegna), "risultati": findings(consegna),
    }, ensure_ascii=False, indent=1)
