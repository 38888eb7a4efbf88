"""layers.registry.data_changed: the one call after a layer's data changed (version, extent, OGC, columns)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection

from layers import registry
from layers.models import Layer
from layers.ogc import service
from remix import db
from tests.layers.test_admin import change_form

pytestmark = pytest.mark.django_db
TABLE = "test_registry_punti"


@pytest.fixture
def long_ttl(settings, tmp_path):
    """A worker that re-reads the registry only every hour unless told: the data change must tell it."""
    settings.REMIX = {**settings.REMIX, "OGC_REGISTRY_TTL": 3600, "OGC_DIR": tmp_path}
    service.close_connections()
    yield
    service.close_connections()


def _sql(template: str, params=None) -> tuple | None:
    with connection.cursor() as cur:
        db.execute(cur, db.compose(template, t=TABLE), params)
        return cur.fetchone() if cur.description else None


def _point(name: str, x: float, y: float) -> None:
    _sql("INSERT INTO {t} (nome, geom) VALUES (%s, ST_SetSRID(ST_MakePoint(%s, %s), 32632))", [name, x, y])


def _published_items(ows_map, slug: str) -> list[str]:
    return ows_map.getLayerByName(slug).metadata.get("gml_include_items").split(",")


def test_a_data_change_moves_the_version_once_and_the_ogc_services_serve_the_new_data(long_ttl):
    _sql("CREATE TABLE {t} (id serial PRIMARY KEY, nome text, geom geometry(Point, 32632))")
    _point("a", 514000, 5034000)
    _point("b", 516000, 5036000)
    layer = Layer.objects.create(
        slug="punti_registro", title_it="Punti", theme="riferimenti", source=TABLE, published=True
    )
    before = service.map_for(None)
    assert _published_items(before, layer.slug) == ["id", "nome"]
    # A load: a new column and a third point, far to the east.
    _sql("ALTER TABLE {t} ADD COLUMN quota integer")
    _point("c", 530000, 5040000)
    assert service.map_for(None) is before  # nothing told the services yet
    version = layer.data_version

    registry.data_changed([layer])

    stored = Layer.objects.get(pk=layer.pk)
    assert stored.data_version == layer.data_version == version + 1
    assert stored.metadata["features"] == 3
    (east,) = _sql("SELECT ST_XMax(ST_Extent(ST_Transform(geom, 4326))) FROM {t}")
    assert stored.metadata["extent"]["east"] == pytest.approx(east, abs=1e-6)
    after = service.map_for(None)  # at once, not after the hour
    assert after is not before
    assert _published_items(after, layer.slug) == ["id", "nome", "quota"]


def test_pointing_a_layer_at_other_data_in_the_admin_is_a_data_change(client, comuni):
    layer = Layer.objects.create(slug="confini", title_it="Confini", theme="ptm", source="mappature_comune")
    registry.refresh_extent(layer)
    assert layer.metadata["features"] == 133
    user = User.objects.create_user("staff", password="x" * 12, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_layer", "change_layer"]))
    client.force_login(user)
    data = change_form(layer)
    assert client.post(f"/admin/layers/layer/{layer.pk}/change/", {**data, "title_it": "Comuni"}).status_code == 302
    assert Layer.objects.get(pk=layer.pk).data_version == 0  # a title is no data change

    response = client.post(f"/admin/layers/layer/{layer.pk}/change/", {**data, "source": "mappature_zonaomogenea"})

    assert response.status_code == 302
    stored = Layer.objects.get(pk=layer.pk)
    assert stored.data_version == 1 and stored.metadata["features"] == 8  # the zone omogenee of CMM
