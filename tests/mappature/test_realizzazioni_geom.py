"""The interventions' map point is stored (mappature 0015) and kept right by triggers: the view
``map_realizzazioni`` draws what it computed before, and an index serves a spatial test on it."""

import json

import pytest
from django.db import connection

from mappature import queries_features
from mappature.filters import MapFilter
from mappature.layer_source import resolve
from mappature.models import Comune, Realizzazione
from remix import db

pytestmark = pytest.mark.django_db

# The geometry as map_realizzazioni computed it row by row before the stored column (written out here,
# independently of the code under test): own geometry, else a point on the surface of each comune.
OLD_GEOM = """coalesce(r.geom, (SELECT ST_Multi(ST_Collect(ST_PointOnSurface(c.geom)))
                                FROM mappature_comune c WHERE c.istat_code = ANY(r.comuni_istat)))"""


def _rows(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def _view_against_old():
    """(id, same point set, same number of points, old is null, view is null) for every intervention."""
    return _rows(
        f"SELECT r.id, coalesce(ST_Equals(v.geom, {OLD_GEOM}), false),"  # noqa: S608 (constant SQL)
        f" ST_NumGeometries(v.geom) IS NOT DISTINCT FROM ST_NumGeometries({OLD_GEOM}),"
        f" {OLD_GEOM} IS NULL, v.geom IS NULL"
        " FROM mappature_realizzazione r JOIN map_realizzazioni v ON v.id = r.id ORDER BY r.id"
    )


def test_the_view_draws_what_it_computed_before_for_every_shipped_intervention(realizzazioni):
    rows = _view_against_old()
    assert len(rows) == len(realizzazioni)
    assert [r[0] for r in rows if not (r[1] and r[2])] == []
    # The same interventions placed at their comuni only (no own point): every point comes from the comuni.
    Realizzazione.objects.update(geom=None)
    rows = _view_against_old()
    assert len(rows) == len(realizzazioni)
    assert [r[0] for r in rows if not (r[1] and r[2]) and not (r[3] and r[4])] == []
    several = [row for row in realizzazioni if len(row["names"]) > 1]
    if several:  # interventions over several comuni have one point per comune
        assert _rows(
            "SELECT count(*) FROM map_realizzazioni WHERE ST_NumGeometries(geom) = cardinality(comuni_istat)"
            " AND cardinality(comuni_istat) > 1"
        )[0][0] == len([r for r in several if r["names"]])


def _point_of(istat_code):
    return _rows(
        "SELECT ST_AsText(ST_Multi(ST_PointOnSurface(geom))) FROM mappature_comune WHERE istat_code = %s",
        [istat_code],
    )[0][0]


def _drawn(pk):
    return _rows("SELECT ST_AsText(geom) FROM map_realizzazioni WHERE id = %s", [pk])[0][0]


def test_new_comuni_or_a_reshaped_comune_move_the_point(comuni):
    r = Realizzazione.objects.create(code="T-1", programme="Prova", title="Prova", comuni_istat=["015146"])
    assert _drawn(r.pk) == _point_of("015146")  # Milano
    r.comuni_istat = ["015077"]
    r.save()
    assert _drawn(r.pk) == _point_of("015077")
    Realizzazione.objects.filter(pk=r.pk).update(comuni_istat=["015146", "015077"])
    assert _rows(
        "SELECT ST_Equals(v.geom, ST_Collect(ARRAY[ST_GeomFromText(%s, 32632), ST_GeomFromText(%s, 32632)]))"
        " FROM map_realizzazioni v WHERE v.id = %s",
        [_point_of("015146"), _point_of("015077"), r.pk],
    )[0][0]
    # A comune reloaded with another shape (as an ETL load updates it): its interventions follow.
    Realizzazione.objects.filter(pk=r.pk).update(comuni_istat=["015077"])
    _rows("UPDATE mappature_comune SET geom = ST_Translate(geom, 1000, 0) WHERE istat_code = '015077'")
    assert _drawn(r.pk) == _point_of("015077")
    # An own point wins over the comuni, and removing it puts the intervention back at its comuni.
    Realizzazione.objects.filter(pk=r.pk).update(geom="SRID=32632;MULTIPOINT((515000 5035000))")
    assert _drawn(r.pk) == "MULTIPOINT((515000 5035000))"
    Realizzazione.objects.filter(pk=r.pk).update(geom=None)
    assert _drawn(r.pk) == _point_of("015077")
    # A comune removed: nothing left to place the intervention at, as the computed view had it.
    Comune.objects.filter(istat_code="015077").delete()
    assert _drawn(r.pk) is None


def test_identify_and_bbox_on_interventions_use_the_gist_index(comuni):
    """5,000 interventions placed at their comuni (the map benchmark's share): the identify statement and a
    bbox page read the index on the stored point, where the computed geometry could use none."""
    _rows(
        "INSERT INTO mappature_realizzazione (code, cup, programme, funding_sources, title, comuni_istat, address,"
        " status, domains, source_url, source_date, attribution, notes, location_precision, synthetic, source_id)"
        " SELECT 'X' || g, '', 'Prova', '{}', 'Prova ' || g,"
        " ARRAY[(SELECT istat_code FROM mappature_comune ORDER BY istat_code OFFSET g %% 133 LIMIT 1)],"
        " '', '', '{}', '', '', '', '', 'comune', true, 'test' FROM generate_series(1, 5000) g"
    )
    _rows("ANALYZE mappature_realizzazione")
    from layers.models import Layer
    from tests.mappature.factories import make_layers

    make_layers()
    source = resolve(Layer.objects.get(slug="realizzazioni"), "it")
    query, params = queries_features._identify_query(source, MapFilter(), 9.19, 45.46, 300, 10)
    plan = db.fetch_value(db.compose("EXPLAIN (FORMAT JSON) SELECT ({q})", q=query), params)
    assert "mappature_realizzazione_map_geom_gist" in json.dumps(plan)
    page = db.fetch_value(
        "EXPLAIN (FORMAT JSON) SELECT id FROM map_realizzazioni"
        " WHERE geom && ST_Transform(ST_MakeEnvelope(9.18, 45.45, 9.20, 45.47, 4326), 32632)"
    )
    assert "mappature_realizzazione_map_geom_gist" in json.dumps(page)


# The comuni's names as map_realizzazioni listed them before 0017 (written out here, independently of the code
# under test): every known comune of the list once, in the order of its first mention.
OLD_COMUNI = """(SELECT string_agg(c.name, '; ' ORDER BY array_position(r.comuni_istat, c.istat_code))
                 FROM mappature_comune c WHERE c.istat_code = ANY(r.comuni_istat))"""


def test_the_view_names_the_comuni_as_before_and_looks_each_up_by_its_code(realizzazioni):
    Realizzazione.objects.create(
        code="T-2", programme="Prova", title="Prova", comuni_istat=["015077", "999999", "015146", "015077"]
    )
    Realizzazione.objects.create(code="T-3", programme="Prova", title="Prova", comuni_istat=["999999"])
    rows = _rows(
        f"SELECT r.code, v.comuni, {OLD_COMUNI} FROM mappature_realizzazione r"  # noqa: S608 (constant SQL)
        " JOIN map_realizzazioni v ON v.id = r.id ORDER BY r.id"
    )
    assert len(rows) > 100
    assert [r for r in rows if r[1] != r[2] and not (r[1] is None and r[2] is None)] == []
    by_code = {code: new for code, new, _old in rows}
    milano, second = (Comune.objects.get(istat_code=c).name for c in ("015146", "015077"))
    assert by_code["T-2"] == f"{second}; {milano}" and by_code["T-3"] is None
    _rows("ANALYZE mappature_comune")  # the planner knows the comuni are few, as on a loaded database
    _rows("ANALYZE mappature_realizzazione")
    plan = "\n".join(r[0] for r in _rows("EXPLAIN SELECT comuni FROM map_realizzazioni"))
    assert "Seq Scan on mappature_comune" not in plan, plan  # one index lookup per name, not a scan per row
