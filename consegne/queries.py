"""Read-side SQL of the delivery pages: findings as GeoJSON, acts as vector tiles, the diff against the PGT in force."""

from __future__ import annotations

import json

from mappature import tiles
from mappature.models import PgtAtto
from mappature.pgt_layers import PGT_LAYERS
from remix import db

from .models import Consegna, Finding
from .rules import message


def findings(consegna: Consegna, limit: int | None = None) -> list[dict]:
    """The findings (all, or the first ``limit``) as plain dicts with their message in the active language."""
    rows, labels = [], dict(Finding.Severity.choices)
    qs = consegna.findings.order_by("id").values_list("id", "severity", "rule", "layer", "feature", "params")
    for pk, sev, rule, layer, feature, params in qs[:limit]:
        rows.append(
            {
                "id": pk,
                "severity": sev,
                "severity_label": str(labels.get(sev, sev)),
                "rule": rule,
                "layer": layer,
                "feature": feature,
                "message": message(rule, params),
            }
        )
    return rows


def findings_geojson(consegna: Consegna, limit: int = 5000) -> str:
    """Located findings in EPSG:4326 (WGS84 lon/lat), for the report map."""
    return db.fetch_value(
        """
        SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
            'type', 'Feature', 'id', id,
            'properties', json_build_object('id', id, 'severity', severity, 'rule', rule, 'layer', layer),
            'geometry', ST_AsGeoJSON(ST_Transform(geom, 4326), 6)::json)), '[]'))::text
        FROM (SELECT * FROM consegne_finding WHERE consegna_id = %s AND geom IS NOT NULL
              ORDER BY id LIMIT %s) f""",
        [consegna.pk, limit],
    )


# One MVT layer per act tile; each feature carries its PGT layer, key and (when compared) its change.
ATTO_TILE_LAYER = "atto"


def _act_features() -> db.Composed:
    """The features of one act (placeholder: the act id, once per PGT layer), geometry typed per layer.

    One arm per layer so that the tile's bbox test uses that layer's partial GiST index (mappature
    migration 0005): the table has no index on the plain geometry. The layers are those of
    ``PGT_LAYERS``, which are the layers of the spec (and the only ones a bozza is promoted with).
    Each arm's layer code and geometry type are literals: the partial index is chosen when the
    statement is planned (a parameter could leave it to a generic plan), and a type modifier takes
    no parameter.
    """
    arms = (
        db.compose(
            "SELECT f.id, f.layer, f.feature_key, f.attrs, f.geom::geometry({kind}, 32632) AS geom"
            " FROM mappature_pgtfeature f WHERE f.atto_id = %s AND f.layer = {code}",
            kind=db.literal(layer.geometry),
            code=db.literal(layer.code),
        )
        for layer in PGT_LAYERS
    )
    return db.compose("({arms})", arms=db.join(arms, " UNION ALL "))


def _change(new: str, old: str) -> db.Composed:
    """SQL: how feature ``new`` differs from the feature with its layer and key in the other act ``old``
    (``new`` and ``old`` are the two relations' aliases).

    Either side may be missing (outer joins); the same rule counts the diff table and marks the tiles.
    """
    return db.compose(
        "CASE WHEN {old}.feature_key IS NULL THEN 'added' WHEN {new}.feature_key IS NULL THEN 'removed'"
        " WHEN {new}.attrs <> {old}.attrs OR NOT ST_Equals({new}.geom, {old}.geom) THEN 'modified'"
        " ELSE 'same' END",
        new=new,
        old=old,
    )


def atto_tile(atto_id: int, z: int, x: int, y: int, compare_to: int | None = None, as_new: bool = True) -> bytes:
    """One vector tile of a PGT act: each feature's ``layer`` and ``feature_key``, generalised at low zooms.

    With ``compare_to`` each feature also gets ``change``: against that act, the feature is ``added``,
    ``modified`` or ``same`` when this act is the new version (``as_new``), ``removed``, ``modified`` or
    ``same`` when it is the old one. Never cached: bozze are private and short-lived.
    """
    columns, joins = db.SQL(", t.layer, t.feature_key"), db.SQL("")
    params: list = [z, x, y, ATTO_TILE_LAYER, *[atto_id] * len(PGT_LAYERS)]
    if compare_to is not None:
        change = _change("t", "o") if as_new else _change("o", "t")
        columns = db.compose("{columns}, {change} AS change", columns=columns, change=change)
        joins = db.SQL(
            " LEFT JOIN mappature_pgtfeature o"
            " ON o.atto_id = %s AND o.layer = t.layer AND o.feature_key = t.feature_key"
        )
        params.append(compare_to)
    sql = tiles.mvt_sql(z, _act_features(), columns=columns, joins=joins)
    return tiles.run(sql, params)


def atto_extents(atto_ids: list[int]) -> dict[int, dict]:
    """For each act with features: ``count`` and ``bbox`` [west, south, east, north] in EPSG:4326."""
    rows = db.fetch_all(
        """
        SELECT atto_id, n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
            SELECT atto_id, count(*) AS n,
                   ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 32632), 4326) AS e
            FROM mappature_pgtfeature WHERE atto_id = ANY(%s) GROUP BY atto_id) s""",
        [list(atto_ids)],
    )
    return {pk: {"count": n, "bbox": [round(v, 6) for v in box]} for pk, n, *box in rows}


def vigente_of(comune_id: int) -> PgtAtto | None:
    return PgtAtto.objects.filter(comune_id=comune_id, state=PgtAtto.State.VIGENTE).first()


DIFF_SQL = db.compose(
    """
    WITH n AS (SELECT layer, feature_key, attrs, geom FROM mappature_pgtfeature WHERE atto_id = %(new)s),
         o AS (SELECT layer, feature_key, attrs, geom FROM mappature_pgtfeature WHERE atto_id = %(old)s)
    SELECT coalesce(n.layer, o.layer) AS layer, {change} AS change, count(*)
    FROM n FULL JOIN o ON n.layer = o.layer AND n.feature_key = o.feature_key
    GROUP BY 1, 2 ORDER BY 1, 2""",
    change=_change("n", "o"),
)

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
    changes: dict[str, dict] = {}
    for layer, change, count in db.fetch_all(DIFF_SQL, params):
        changes.setdefault(layer, {"added": 0, "removed": 0, "modified": 0, "same": 0})[change] = count
    areas = [
        {
            "layer": layer,
            "class": cls,
            "new_ha": float(new_ha or 0),
            "old_ha": float(old_ha or 0),
            "delta_ha": round(float(new_ha or 0) - float(old_ha or 0), 2),
        }
        for layer, cls, new_ha, old_ha in db.fetch_all(AREA_SQL, params)
    ]
    return {"changes": changes, "areas": areas}


def counts(consegna: Consegna) -> dict:
    return {sev: consegna.findings.filter(severity=sev).count() for sev in Finding.Severity.values}


def as_json(consegna: Consegna) -> str:
    return json.dumps(
        {
            "consegna": consegna.pk,
            "comune": consegna.comune.istat_code,
            "stato": consegna.state,
            "specifica": consegna.spec_version,
            "conteggi": counts(consegna),
            "risultati": findings(consegna),
        },
        ensure_ascii=False,
        indent=1,
    )
