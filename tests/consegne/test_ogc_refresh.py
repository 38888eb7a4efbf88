"""Publishing or rolling back a PGT refreshes the OGC maps at once, not after the registry TTL."""

import pytest

from consegne import actions
from layers.models import Layer
from layers.ogc import service

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_ttl(settings):
    """A worker that re-reads the registry only every hour unless told: the publication must tell it."""
    settings.REMIX = {**settings.REMIX, "OGC_REGISTRY_TTL": 3600}
    service.close_connections()
    yield
    service.close_connections()


def test_publish_and_rollback_rebuild_the_served_map(
    tecnico, staff, deliver, long_ttl, django_capture_on_commit_callbacks
):
    """The map MapServer answers with is keyed by the new data version right after each change."""
    layer = Layer.objects.create(
        slug="pgt_at_test",
        title_it="AT",
        title_en="AT",
        source="pgt_ambiti_trasformazione",
        dataset_id="",
        kind="vector",
        published=True,
    )
    before = service.map_for(None)
    assert service.map_for(None) is before  # cached while nothing changes
    first = deliver(tecnico, "good_32632.gpkg")
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish(staff, first)
    after_publish = service.map_for(None)
    assert after_publish is not before
    layer.refresh_from_db()
    assert layer.data_version == 1 and layer.metadata["features"] == 2  # the two published ambiti

    second = deliver(tecnico, "variante_32632.gpkg")
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish(staff, second)
    first.atto.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        actions.rollback(staff, first.atto)
    assert service.map_for(None) is not after_publish
    layer.refresh_from_db()
    assert layer.data_version == 3


def test_layers_without_a_dataset_elsewhere_are_not_bumped(tecnico, staff, deliver, django_capture_on_commit_callbacks):
    """Only the layers reading the PGT views change version, not every layer lacking an ETL dataset."""
    pgt = Layer.objects.create(
        slug="pgt_at_test",
        title_it="AT",
        title_en="AT",
        source="pgt_ambiti_trasformazione",
        dataset_id="",
        kind="vector",
        published=True,
    )
    other = Layer.objects.create(
        slug="altro",
        title_it="Altro",
        title_en="Other",
        source="mappature_comune",
        dataset_id="",
        kind="vector",
        published=True,
    )
    first = deliver(tecnico, "good_32632.gpkg")
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish(staff, first)
    other.refresh_from_db()
    pgt.refresh_from_db()
    assert (pgt.data_version, other.data_version) == (1, 0)
