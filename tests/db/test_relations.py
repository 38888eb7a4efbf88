"""layers.relations: one resolution of a registry layer to its relation (key, geometry, columns)."""

import pytest
from django.db import connection

from layers.errors import SourceError
from layers.models import Layer
from layers.relations import resolve, split
from remix import db

pytestmark = pytest.mark.django_db


def _layer(source: str, version: int = 1) -> Layer:
    return Layer(slug=f"probe-{source}", source=source, data_version=version)


def test_a_layer_resolves_to_its_relation_key_and_geometry():
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE probe_rel (gid int, label text, the_geom geometry(Point, 32632))")
    rel = resolve(_layer("probe_rel"))
    assert (rel.schema, rel.name, rel.key, rel.geom_column) == ("public", "probe_rel", "gid", "the_geom")
    assert (rel.geometry_type, rel.srid) == ("POINT", 32632)
    assert list(rel.columns) == ["gid", "label", "the_geom"] and "label" in rel
    assert db.render(db.compose("SELECT 1 FROM {t}", t=rel.identifier)) == 'SELECT 1 FROM "public"."probe_rel"'


def test_a_missing_relation_is_a_source_error():
    with pytest.raises(SourceError, match="non trovata"):
        resolve(_layer("no_such_table"))
    assert split("x.y") == ("x", "y") and split("y") == ("public", "y")
