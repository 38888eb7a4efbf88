"""Publishing is one atomic action; every version stays; rollback is one action; a DB failure harms nothing."""

import pytest
from django.db import DatabaseError, connection

from consegne import actions
from consegne.models import AuditEntry, Consegna
from consegne.queries import diff
from mappature.models import PgtAtto

pytestmark = pytest.mark.django_db


def pgt_view_keys(layer: str, istat: str) -> set[str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT feature_key FROM pgt_{layer} WHERE istat_code = %s", [istat])
        return {r[0] for r in cur.fetchall()}


def test_publish_then_variante_then_rollback(tecnico, staff, deliver):
    """The view of the PGT in force follows each publication; rollback restores the earlier version."""
    first = deliver(tecnico, "good_32632.gpkg")
    actions.publish(staff, first)
    istat = first.comune.istat_code
    assert pgt_view_keys("ambiti_trasformazione", istat) == {"AT1 Città Giardino", "AT2 Cascina Façade"}

    second = deliver(tecnico, "variante_32632.gpkg")
    changes = diff(second.atto, first.atto)
    at = changes["changes"]["ambiti_trasformazione"]
    assert (at["added"], at["removed"], at["modified"]) == (1, 1, 1)
    assert changes["changes"]["consumo_suolo"]["same"] > 0
    assert any(
        a["layer"] == "ambiti_trasformazione" and a["class"] == "300" and a["new_ha"] > 0 for a in changes["areas"]
    )

    actions.publish(staff, second)
    assert pgt_view_keys("ambiti_trasformazione", istat) == {"AT1 Città Giardino", "AT3 Nuovo polo"}
    first.atto.refresh_from_db()
    assert first.atto.state == PgtAtto.State.SUPERATO

    actions.rollback(staff, first.atto)
    assert pgt_view_keys("ambiti_trasformazione", istat) == {"AT1 Città Giardino", "AT2 Cascina Façade"}
    states = dict(PgtAtto.objects.filter(comune=first.comune).values_list("pk", "state"))
    assert states == {first.atto_id: "vigente", second.atto_id: "superato"}
    assert list(
        AuditEntry.objects.filter(action__in=["pubblicazione", "ripristino"])
        .order_by("at")
        .values_list("action", flat=True)
    ) == ["pubblicazione", "pubblicazione", "ripristino"]


def test_database_failure_during_publish_leaves_the_published_version_intact(tecnico, staff, deliver):
    """A real error raised by PostgreSQL mid-publish rolls everything back: the old version stays in force."""
    first = deliver(tecnico, "good_32632.gpkg")
    actions.publish(staff, first)
    second = deliver(tecnico, "variante_32632.gpkg")
    with connection.cursor() as cur:  # fail when the new act is switched to vigente (after the old one moved)
        cur.execute("""
            CREATE FUNCTION pg_temp.fail_publish() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'disk full (simulated)'; END $$;
            CREATE TRIGGER fail_publish BEFORE UPDATE ON mappature_pgtatto FOR EACH ROW
            WHEN (NEW.state = 'vigente' AND OLD.state = 'bozza') EXECUTE FUNCTION pg_temp.fail_publish();""")
    with pytest.raises(DatabaseError):
        actions.publish(staff, second)
    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER fail_publish ON mappature_pgtatto")
    first.atto.refresh_from_db()
    second.refresh_from_db()
    assert first.atto.state == PgtAtto.State.VIGENTE
    assert second.state == Consegna.State.IN_REVISIONE and second.atto.state == PgtAtto.State.BOZZA
    assert pgt_view_keys("ambiti_trasformazione", first.comune.istat_code) == {
        "AT1 Città Giardino",
        "AT2 Cascina Façade",
    }
    assert not AuditEntry.objects.filter(action="pubblicazione", object_id=str(second.atto_id)).exists()


def test_send_back_discards_the_bozza_and_keeps_the_comment(tecnico, staff, deliver):
    c = deliver(tecnico, "good_32632.gpkg")
    atto_id = c.atto_id
    actions.send_back(staff, c, "  Manca la scheda dell'AT2  ")
    c.refresh_from_db()
    assert c.state == Consegna.State.RINVIATA and c.review_comment == "Manca la scheda dell'AT2"
    assert not PgtAtto.objects.filter(pk=atto_id).exists()
    with pytest.raises(actions.WrongState):
        actions.publish(staff, c)


def test_publish_bumps_the_registry_layers_that_read_the_pgt_views(
    tecnico, staff, deliver, django_capture_on_commit_callbacks
):
    """Caches, WMS and exports keyed by data_version see the new version at once."""
    from layers.models import Layer

    layer = Layer.objects.create(
        slug="pgt_test_consumo",
        title_it="t",
        title_en="t",
        source="pgt_consumo_suolo",
        dataset_id="pgt_test",
        kind="vector",
    )
    before = layer.data_version
    consegna = deliver(tecnico, "good_32632.gpkg")
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish(staff, consegna)
    layer.refresh_from_db()
    assert layer.data_version == before + 1
    assert layer.metadata["lineage"][-1]["evento"] == "pubblicazione"
