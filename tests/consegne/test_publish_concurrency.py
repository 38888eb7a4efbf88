"""Two reviewers publishing two drafts of one comune: one wins, the other is told to review again.

Publishing checks that the act in force is still the one the reviewer compared the draft with
(the review page's form carries it), under a lock of the comune's row; never an HTTP 500.
"""

import re
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from consegne import actions
from consegne.errors import VersionChanged
from consegne.models import AuditEntry, Consegna
from mappature.models import PgtAtto

from .conftest import BESATE, PASSWORD


def _compared(client, consegna) -> str:
    """The act in force recorded in the review page's publish form."""
    page = client.get(reverse("consegne:review", args=[consegna.pk])).content.decode()
    return re.search(r'name="compared" value="(\d*)"', page).group(1)


def _vigenti() -> list[int]:
    return list(
        PgtAtto.objects.filter(comune__istat_code=BESATE, state=PgtAtto.State.VIGENTE).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_the_second_publication_is_told_the_version_in_force_changed(tecnico, staff, deliver):
    first = deliver(tecnico, "good_32632.gpkg")
    actions.publish(staff, first)
    draft_a = deliver(tecnico, "variante_32632.gpkg")
    draft_b = deliver(tecnico, "good_3003_cp1252.zip")
    one, two = Client(), Client()
    one.login(username=staff.username, password=PASSWORD)
    two.login(username=staff.username, password=PASSWORD)
    seen_a, seen_b = _compared(one, draft_a), _compared(two, draft_b)
    assert seen_a == seen_b == str(first.atto_id)

    response = one.post(reverse("consegne:publish", args=[draft_a.pk]), {"compared": seen_a})
    assert response.status_code == 302
    response = two.post(reverse("consegne:publish", args=[draft_b.pk]), {"compared": seen_b}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "La versione in vigore del PGT di Besate è cambiata" in page and "Riesamina" in page
    draft_b.refresh_from_db()
    assert draft_b.state == Consegna.State.IN_REVISIONE and draft_b.atto.state == PgtAtto.State.BOZZA
    assert _vigenti() == [draft_a.atto_id]
    refused = AuditEntry.objects.get(action="pubblicazione_rifiutata")
    assert (refused.details["confrontata_con"], refused.details["vigente"]) == (first.atto_id, draft_a.atto_id)

    # Reviewed again against the new version in force, the draft can be published.
    assert _compared(two, draft_b) == str(draft_a.atto_id)
    two.post(reverse("consegne:publish", args=[draft_b.pk]), {"compared": str(draft_a.atto_id)})
    assert _vigenti() == [draft_b.atto_id]


@pytest.mark.django_db
def test_the_english_interface_says_it_in_english(tecnico, staff, deliver):
    first = deliver(tecnico, "good_32632.gpkg")
    draft = deliver(tecnico, "variante_32632.gpkg")
    actions.publish(staff, first)  # the draft was reviewed when nothing was in force
    client = Client()
    client.login(username=staff.username, password=PASSWORD)
    response = client.post(f"/en{reverse('consegne:publish', args=[draft.pk])}", {"compared": ""}, follow=True)
    assert response.status_code == 200
    assert "The version in force of the PGT of Besate changed" in response.content.decode()
    assert _vigenti() == [first.atto_id]


@pytest.mark.django_db(transaction=True)
def test_two_publications_at_the_same_moment_one_wins_one_is_refused(tecnico, staff, deliver):
    """Real concurrency: two connections publish at once; the first holds its transaction open
    (a trigger sleeps) while the second waits on the comune's lock, then sees the change."""
    first = deliver(tecnico, "good_32632.gpkg")
    actions.publish(staff, first)
    drafts = [deliver(tecnico, "variante_32632.gpkg"), deliver(tecnico, "good_3003_cp1252.zip")]
    with connection.cursor() as cur:
        cur.execute("""
            CREATE FUNCTION test_slow_publish() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_sleep(0.5); RETURN NEW; END $$;
            CREATE TRIGGER slow_publish BEFORE UPDATE ON mappature_pgtatto FOR EACH ROW
            WHEN (NEW.state = 'vigente' AND OLD.state = 'bozza') EXECUTE FUNCTION test_slow_publish();""")
    start, outcomes = threading.Barrier(2), {}

    def publish(draft):
        try:
            start.wait()
            actions.publish(staff, draft, first.atto_id)
            outcomes[draft.pk] = "published"
        except VersionChanged as err:
            outcomes[draft.pk] = str(err)
        except Exception as err:  # noqa: BLE001 - any other outcome fails the test below
            outcomes[draft.pk] = repr(err)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=publish, args=(d,)) for d in drafts]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP TRIGGER slow_publish ON mappature_pgtatto; DROP FUNCTION test_slow_publish()")
    results = sorted(outcomes.values())
    assert results[1] == "published", outcomes
    assert results[0].startswith("La versione in vigore del PGT di Besate è cambiata"), outcomes
    winner = next(d for d in drafts if outcomes[d.pk] == "published")
    assert _vigenti() == [winner.atto_id]
    loser = next(d for d in drafts if d is not winner)
    loser.refresh_from_db()
    assert loser.state == Consegna.State.IN_REVISIONE
