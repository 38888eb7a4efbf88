"""remix.db: identifiers are quoted by psycopg, values bound, the catalogue read and cached per version."""

import pytest
from django.db import connection, transaction

from remix import db

pytestmark = pytest.mark.django_db


def test_a_hostile_identifier_is_quoted_not_executed():
    name = 'x"; DROP TABLE mappature_comune; --'
    text = db.render(db.compose("SELECT {col} FROM {table}", col=name, table=db.relation("public.mappature_comune")))
    assert text == 'SELECT "x""; DROP TABLE mappature_comune; --" FROM "public"."mappature_comune"'
    with pytest.raises(Exception, match="does not exist"), transaction.atomic():
        db.fetch_all(db.compose("SELECT {col} FROM {table}", col=name, table="mappature_comune"))
    assert db.relation_exists("mappature_comune")


def test_values_are_bound_positionally_and_by_name():
    query = db.compose("SELECT {a}::text, %(v)s::int + 1", a=db.literal("lit"))
    assert db.fetch_one(query, {"v": 41}) == ("lit", 42)
    assert db.fetch_value("SELECT %s::text || %s::text", ["a", "'; --"]) == "a'; --"
    assert db.fetch_dicts(db.compose("SELECT 1 AS {n}", n="één")) == [{"één": 1}]


def test_lists_and_qualified_names_compose():
    q = db.compose("SELECT {cols} FROM {rel}", cols=["id", "name"], rel=("public", "mappature_comune"))
    assert db.render(q) == 'SELECT "id", "name" FROM "public"."mappature_comune"'
    with pytest.raises(TypeError):
        db.compose("SELECT {x}", x=3)


def test_catalogue_columns_types_and_geometry():
    cols = db.columns("mappature_comune")
    assert list(cols)[0] == "id" and cols["geom"].startswith("geometry(MultiPolygon,32632")
    assert db.columns("no_such_relation") == {}
    assert not db.relation_exists('mappature_comune"; --')
    assert db.key_column(["name", "gid", "fid"]) == "fid"
    assert db.key_column(["name"]) is None


def test_columns_are_cached_per_version_until_forgotten():
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE remix_db_probe (id int, a text)")
    assert list(db.columns("remix_db_probe", version=1)) == ["id", "a"]
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE remix_db_probe ADD COLUMN b int")
    assert list(db.columns("remix_db_probe", version=1)) == ["id", "a"]  # cached for this version
    assert list(db.columns("remix_db_probe", version=2)) == ["id", "a", "b"]  # a new version reads again
    assert list(db.columns("remix_db_probe")) == ["id", "a", "b"]  # no version: never cached
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE remix_db_probe ADD COLUMN c int")
    db.forget("remix_db_probe")
    assert list(db.columns("remix_db_probe", version=1)) == ["id", "a", "b", "c"]
    db.forget()


def test_geometry_type_and_srid_come_from_the_column_type_without_a_query():
    assert db.geometry_of(db.columns("mappature_comune")["geom"]) == ("MULTIPOLYGON", 32632)
    assert db.geometry_of("geometry(PointZ,4326)") == ("POINTZ", 4326)
    assert db.geometry_of("geometry(Point)") == ("POINT", 0)
    assert db.geometry_of("geometry") == ("GEOMETRY", 0)


def test_existing_relations_answers_relation_exists_for_many_at_once():
    names = [
        "mappature_comune",
        "public.mappature_comune",
        "no_such_relation",
        'mappature_comune"; --',
        "mappature_comune",
    ]
    assert db.existing_relations(names) == {n for n in set(names) if db.relation_exists(n)}
    assert db.existing_relations(names) == {"mappature_comune", "public.mappature_comune"}
    assert db.existing_relations([]) == set()
