"""Feature-level checks, each one INSERT … SELECT from the staging table into the findings table.

Rules come from the spec tables (mandatory fields, code lists, overlap and coverage flags, cross
rules), so a new specification version changes what is checked without changing this code.

The queries are templates in which ``@name@`` stands for a staging table (an attribute of
:class:`~consegne.staging.Staging`: ``@features@``, ``@comune@``…) or for one of the shared fragments
below (``@ranked@``, ``@spec_layer@``); :func:`query` makes them psycopg queries, each table an
identifier composed with ``psycopg.sql``. Values are bound parameters, named (``%(c)s``…).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import connection

from remix import db

from . import lanes
from .rules import RULES, severity
from .spec import Spec
from .staging import Staging

INSERT = "INSERT INTO consegne_finding (consegna_id, severity, rule, layer, feature, params, geom) "
# Pair findings (one per pair of features) go to the staging table first and are bounded by bound_pairs().
INSERT_PAIRS = "INSERT INTO @pairs@ (consegna_id, severity, rule, layer, feature, params, geom) "
PAIR_CHECKS = ("overlap", "cross_layer")
# Above GROUP_ABOVE findings of one pair rule in one layer (600 mutually overlapping polygons make
# 180,300 pairs) the layer gets one summary finding (count, total area, the SHOWN largest on the
# map) and only the LISTED largest pairs are kept as findings of their own.
GROUP_ABOVE, SHOWN, LISTED = 100, 50, 20
SPEC_LAYER = "JOIN consegne_speclayer l ON l.version_id = %(spec)s AND l.code = s.layer "
TABLES = ("features", "comune", "pieces", "candidates", "edge", "pairs")  # of Staging

CHECKS: list[tuple[str, str]] = [
    (
        "geom_missing",
        """SELECT %(c)s, %(sev_geom_missing)s, 'geom_missing', layer, label, '{}', NULL
        FROM @features@ s WHERE geom IS NULL OR ST_IsEmpty(geom)""",
    ),
    (
        "geom_type",
        """SELECT %(c)s, %(sev_geom_type)s, 'geom_type', layer, label,
            jsonb_build_object('found', GeometryType(geom)), ST_PointOnSurface(geom)
        FROM @features@ s WHERE NOT ok AND geom IS NOT NULL AND NOT ST_IsEmpty(geom)
          AND GeometryType(geom) NOT IN ('POLYGON', 'MULTIPOLYGON')""",
    ),
    (
        "geom_invalid",
        """SELECT %(c)s, %(sev_geom_invalid)s, 'geom_invalid', layer, label,
            jsonb_build_object('reason', (d).reason), coalesce((d).location, ST_PointOnSurface(geom))
        FROM (SELECT s.*, ST_IsValidDetail(geom) AS d FROM @features@ s
              WHERE NOT ok AND geom IS NOT NULL AND NOT ST_IsEmpty(geom)) s
        WHERE NOT (d).valid""",
    ),
    (
        "sliver",
        """SELECT %(c)s, %(sev_sliver)s, 'sliver', layer, label,
            jsonb_build_object('area', round(ST_Area(geom)::numeric, 2)), geom
        FROM @features@ s @spec_layer@ WHERE ok AND area < l.min_area_m2""",
    ),
    (
        "duplicate_geom",
        """SELECT %(c)s, %(sev_duplicate_geom)s, 'duplicate_geom', layer, label,
            jsonb_build_object('other', first), geom
        FROM (SELECT s.*, first_value(label) OVER w AS first, row_number() OVER w AS rn
              FROM @features@ s
              -- only features with the same corner and area can be identical
              JOIN (SELECT layer, round(x0) AS rx, round(y0) AS ry, round(area) AS ra FROM @features@ WHERE ok
                    GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d
                ON d.layer = s.layer AND d.rx = round(s.x0) AND d.ry = round(s.y0) AND d.ra = round(s.area)
              WHERE s.ok
              WINDOW w AS (PARTITION BY s.layer, md5(ST_AsBinary(ST_Normalize(ST_SnapToGrid(s.geom, 0.01))))
                           ORDER BY fid)) s WHERE rn > 1""",
    ),
    (
        "duplicate_key",
        """SELECT %(c)s, %(sev_duplicate_key)s, 'duplicate_key', s.layer, label,
            jsonb_build_object('field', l.key_field, 'value', key), ST_PointOnSurface(geom)
        FROM (SELECT s.*, count(*) OVER (PARTITION BY layer, key) AS n FROM @features@ s WHERE key <> '') s
        @spec_layer@ WHERE n > 1""",
    ),
    # Mandatory fields, code lists and code/description agreement in one pass over (feature, field):
    # an empty value can only miss a mandatory field, a filled one only break the code rules.
    (
        "attributes",
        """SELECT %(c)s, CASE rule WHEN 'mandatory' THEN %(sev_mandatory)s
                                        WHEN 'code_unknown' THEN %(sev_code_unknown)s
                                        ELSE %(sev_code_description)s END,
            rule, layer, label, CASE rule
                WHEN 'mandatory' THEN jsonb_build_object('field', name)
                WHEN 'code_unknown' THEN jsonb_build_object('field', name, 'value', attrs->>name, 'allowed',
                    (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(codes) k))
                ELSE jsonb_build_object('dfield', dfield, 'value', coalesce(attrs->>dfield, ''),
                                        'code', v, 'expected', codes->>v) END,
            ST_PointOnSurface(geom)
        FROM (SELECT s.layer, s.label, s.attrs, s.geom, f.name, f.codes, f.description_field AS dfield, v, CASE
                  WHEN coalesce(v, '') = '' THEN CASE WHEN f.mandatory AND s.attrs ? f.name THEN 'mandatory' END
                  WHEN f.codes = '{}'::jsonb THEN NULL
                  WHEN NOT f.codes ? v THEN 'code_unknown'
                  WHEN f.description_field <> '' AND s.attrs ? f.description_field
                       AND upper(btrim(coalesce(s.attrs->>f.description_field, ''))) <> upper(f.codes->>v)
                      THEN 'code_description'
                  END AS rule
              FROM @features@ s @spec_layer@
              JOIN consegne_specfield f ON f.layer_id = l.id AND (f.mandatory OR f.codes <> '{}'::jsonb)
              CROSS JOIN LATERAL (SELECT btrim(s.attrs->>f.name) AS v) x) a
        WHERE rule IS NOT NULL""",
    ),
    (
        "istat_mismatch",
        """SELECT %(c)s, %(sev_istat_mismatch)s, 'istat_mismatch', layer, label,
            jsonb_build_object('value', attrs->>'COD_ISTAT', 'expected', %(istat)s, 'comune', %(comune)s),
            ST_PointOnSurface(geom)
        FROM @features@ s WHERE coalesce(btrim(attrs->>'COD_ISTAT'), '') NOT IN ('', %(istat)s)""",
    ),
    (
        "outside_boundary",
        """SELECT %(c)s, %(sev_outside_boundary)s, 'outside_boundary', layer, label,
            jsonb_build_object('area', round(ST_Area(d)::numeric, 1), 'tol', %(tol)s), d
        FROM (SELECT s.*, ST_Difference(s.geom, c.geom) AS d FROM @edge@ e JOIN @features@ s USING (fid), @comune@ c
              WHERE s.ok AND NOT ST_Covers(c.buf, s.geom)) s WHERE ST_Area(d) > 1""",
    ),
    (
        "overlap",
        """SELECT %(c)s, %(sev_overlap)s, 'overlap', layer, label,
            jsonb_build_object('other', other, 'area', round(ST_Area(i)::numeric, 1)), i
        FROM (SELECT a.layer, a.label, b.label AS other, l.min_area_m2, ST_Intersection(a.geom, b.geom) AS i
              FROM @candidates@ p JOIN @features@ a ON a.fid = p.afid JOIN @features@ b ON b.fid = p.bfid
              JOIN consegne_speclayer l ON l.version_id = %(spec)s AND l.code = a.layer AND l.no_overlap
              WHERE a.layer = b.layer AND a.ok AND b.ok AND ST_Relate(a.geom, b.geom, '2********')) s
        WHERE ST_Area(i) > min_area_m2""",
    ),
    (
        "cross_layer",
        """SELECT %(c)s, r.severity, r.rule, s.layer, s.label,
            jsonb_build_object('other', s.other, 'other_layer', r.other, 'area', round(ST_Area(i)::numeric, 1)), i
        FROM (SELECT r.id, a.layer, a.label, b.label AS other, ST_Intersection(a.geom, b.geom) AS i
              FROM @candidates@ p JOIN @features@ a ON a.fid = p.afid JOIN @features@ b ON b.fid = p.bfid
              JOIN consegne_speccrossrule r ON r.version_id = %(spec)s AND r.layer = a.layer AND r.other = b.layer
              WHERE a.ok AND b.ok AND ST_Relate(a.geom, b.geom, '2********')) s
        JOIN consegne_speccrossrule r ON r.id = s.id WHERE ST_Area(i) > r.min_area_m2""",
    ),
]

# Gaps: cheap area balance first (valid when the layer has no overlaps), the union only when needed.
# The area of the (shrunk) comune not covered by a layer's features, assuming they do not overlap:
# a feature well inside counts whole, an edge feature only for its part inside (on the pieces).
COVERAGE_DEFICIT = """
    SELECT (SELECT ST_Area(inner_geom) FROM @comune@)
           - coalesce(sum(CASE WHEN e.fid IS NULL OR ST_Covers(c.inner_geom, s.geom) THEN s.area
                               ELSE (SELECT sum(ST_Area(ST_Intersection(s.geom, p.g)))
                                     FROM @pieces@ p WHERE p.g && s.geom)
                          END), 0)
    FROM @features@ s LEFT JOIN @edge@ e USING (fid), @comune@ c WHERE s.layer = %(layer)s AND s.ok"""
GAPS = """SELECT %(c)s, %(sev_gap)s, 'gap', %(layer)s, '', jsonb_build_object('area', round(ST_Area(g)::numeric, 1)), g
    FROM (SELECT (ST_Dump(ST_Difference(c.inner_geom, coalesce(u.g, 'POLYGON EMPTY'::geometry)))).geom AS g
          FROM @comune@ c,
               (SELECT ST_Union(geom) AS g FROM @features@ WHERE layer = %(layer)s AND ok) u) d
    WHERE ST_Area(g) > %(min_area)s"""


# The pair findings of each (layer, rule, other layer), ranked by area; groups above GROUP_ABOVE are summarised.
RANKED = """SELECT f.*, coalesce(params->>'other_layer', '') AS other_layer,
        row_number() OVER (PARTITION BY layer, rule, params->>'other_layer'
                           ORDER BY (params->>'area')::numeric DESC, feature) AS rank,
        count(*) OVER (PARTITION BY layer, rule, params->>'other_layer') AS n
    FROM @pairs@ f"""
BOUND_PAIRS = [
    # Small groups and the largest pairs of large ones, as they are.
    """SELECT consegna_id, severity, rule, layer, feature, params, geom FROM (@ranked@) r
        WHERE n <= %(group_above)s OR rank <= %(listed)s ORDER BY layer, rule, rank""",
    # One summary per large group: how many, how much area, the largest on the map.
    """SELECT %(c)s, min(severity), CASE WHEN min(rule) = 'overlap' THEN 'overlap_grouped'
                                              ELSE 'cross_layer_grouped' END, layer, '',
            jsonb_build_object('count', count(*), 'area', round(sum((params->>'area')::numeric), 1),
                               'shown', least(count(*), %(shown)s), 'listed', %(listed)s,
                               'other_layer', other_layer, 'rule', min(rule)),
            ST_Collect(geom ORDER BY rank) FILTER (WHERE rank <= %(shown)s)
        FROM (@ranked@) r WHERE n > %(group_above)s GROUP BY layer, rule, other_layer""",
]


FRAGMENTS = {"ranked": RANKED, "spec_layer": SPEC_LAYER}
_MARKER = re.compile(r"@(\w+)@")


def query(template: str, stage: Staging) -> db.Composed:
    """``template`` as a psycopg query: each ``@table@`` the identifier of that staging table of
    ``stage``, each ``@fragment@`` the fragment of :data:`FRAGMENTS`; the rest SQL as written.

    The text between the markers is not parsed: a JSON ``'{}'`` needs no escaping.
    """
    parts = _MARKER.split(template)  # text, marker name, text, marker name, …, text
    return db.Composed([db.SQL(part) if i % 2 == 0 else _marker(part, stage) for i, part in enumerate(parts)])


def _marker(name: str, stage: Staging) -> db.Composable:
    if name in FRAGMENTS:
        return query(FRAGMENTS[name], stage)
    if name in TABLES:
        return getattr(stage, name)
    raise KeyError(f"unknown marker @{name}@ in a check's SQL")


def bound_pairs(stage: Staging, params: dict) -> None:
    """Move the pair findings into the report, summarising the groups too large to list."""
    limits = {"group_above": GROUP_ABOVE, "shown": SHOWN, "listed": LISTED}
    with connection.cursor() as cur:
        for select in BOUND_PAIRS:
            db.execute(cur, query(INSERT, stage) + query(select, stage), {**params, **limits})


def prepare_comune(stage: Staging, istat_code: str, tolerance_m: float) -> None:
    """The comune boundary, grown and shrunk by the tolerance, in the staging schema."""
    with connection.cursor() as cur:
        db.execute(
            cur,
            query(
                """CREATE UNLOGGED TABLE @comune@ AS
                SELECT geom, ST_Buffer(geom, %(tol)s) AS buf, ST_Buffer(geom, -%(tol)s) AS inner_geom
                FROM mappature_comune WHERE istat_code = %(istat)s""",
                stage,
            ),
            {"tol": tolerance_m, "istat": istat_code},
        )
        # Small pieces of the (shrunk) comune: intersecting a feature with them is far cheaper than
        # with the whole boundary of a large comune.
        db.execute(
            cur,
            query("CREATE UNLOGGED TABLE @pieces@ AS SELECT ST_Subdivide(inner_geom, 64) AS g FROM @comune@", stage),
        )
        db.execute(cur, query("CREATE INDEX ON @pieces@ USING gist (g)", stage))


# The checks run in two lanes at once (see consegne.lanes), of about the same time each: the
# prefilters (consegne.prefilter) with the pair and boundary checks that use them, and the
# per-feature checks.
# The statistics of the staging table (for the planner) are gathered first in the feature lane,
# the comune's boundary first in the other, while the first lane starts.
PAIR_LANE = ("comune", "prefilter", "overlap", "cross_layer", "outside_boundary", "coverage")


def run_all(
    stage: Staging, rules: Spec, params: dict, progress: Callable[[str], None], deadline=None
) -> dict[str, float]:
    """Run every check for consegna ``params['c']``; ``progress`` is told each check's name.

    Returns how long each check took (seconds, by name).
    """
    # cross_layer takes its severity from the rule rows; the coverage check ("gap") runs last.
    params = {**params, **{f"sev_{name}": severity(name) for name in RULES}}
    steps = {"analyze": stage.analyze, "comune": lambda: prepare_comune(stage, params["istat"], params["tol"])}
    steps.update(
        (name, _check(stage, sql, params, INSERT_PAIRS if name in PAIR_CHECKS else INSERT)) for name, sql in CHECKS
    )
    same = [code for code, layer in rules.layers.items() if layer.no_overlap]
    steps["prefilter"] = lambda: stage.prefilter(same, list(rules.cross_layers))
    deficits: list = []
    covered = [
        (code, layer.min_area_m2)
        for code, layer in rules.layers.items()
        if layer.full_coverage and code in stage.staged
    ]
    steps["coverage"] = lambda: deficits.extend(_coverage_deficits(stage, params, covered))
    seconds = lanes.run(
        [[(n, steps[n]) for n in PAIR_LANE], [(n, step) for n, step in steps.items() if n not in PAIR_LANE]],
        progress,
        deadline,
    )
    progress("gap")
    if deadline is not None:
        deadline.check("gap")
    bound_pairs(stage, params)
    with connection.cursor() as cur:
        if deadline is not None:
            deadline.limit(cur)
        for layer, deficit, min_area in deficits:
            if deficit > min_area or _has_overlaps(cur, params["c"], layer):
                db.execute(
                    cur, query(INSERT, stage) + query(GAPS, stage), {**params, "layer": layer, "min_area": min_area}
                )
    return seconds


def _check(stage: Staging, sql: str, params: dict, insert: str = INSERT) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cur:
            db.execute(cur, query(insert, stage) + query(sql, stage), params)

    return run


def _coverage_deficits(stage: Staging, params: dict, layers: list[tuple[str, float]]) -> list[tuple[str, float, float]]:
    """(layer, uncovered area, smallest gap reported) of each layer that must cover the comune."""
    with connection.cursor() as cur:
        out = []
        for code, min_area in layers:
            deficit = db.execute(cur, query(COVERAGE_DEFICIT, stage), {**params, "layer": code}).fetchone()[0]
            out.append((code, deficit, min_area))
        return out


def _has_overlaps(cur, consegna_id: int, layer: str) -> bool:
    found = db.execute(
        cur,
        "SELECT EXISTS (SELECT 1 FROM consegne_finding WHERE consegna_id = %s AND layer = %s "
        "AND rule IN ('overlap', 'overlap_grouped', 'geom_invalid'))",
        [consegna_id, layer],
    )
    return found.fetchone()[0]
