"""A municipal technician reads, uploads to and publishes only their own comune; CMM staff review all."""

import pytest
from django.urls import reverse

from consegne import actions
from consegne.errors import NotAllowed
from consegne.models import AuditEntry
from mappature.models import Comune, PgtAtto

from .conftest import ACT, BESATE, CASSINA, PASSWORD, uploaded

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_technician_cannot_upload_for_another_comune(tecnico, consegne_settings):
    with pytest.raises(NotAllowed):
        actions.submit(tecnico, Comune.objects.get(istat_code=CASSINA), uploaded("good_32632.gpkg"), ACT)


def test_upload_form_offers_only_the_own_comune_and_refuses_another(client, tecnico, consegne_settings):
    login(client, tecnico)
    page = client.get(reverse("consegne:upload"))
    assert list(page.context["form"].fields["comune"].queryset.values_list("istat_code", flat=True)) == [BESATE]
    other = Comune.objects.get(istat_code=CASSINA)
    response = client.post(
        reverse("consegne:upload"),
        {
            "comune": other.pk,
            "file": uploaded("good_32632.gpkg"),
            "kind": "pgt",
            "deliberation": "1",
            "adoption_date": "2024-01-01",
        },
    )
    assert response.status_code == 400  # not a valid choice for this user
    assert not other.consegne.exists()


def test_technician_cannot_read_another_comunes_delivery_or_report(client, tecnico, tecnico_cassina, deliver):
    c = deliver(tecnico, "good_32632.gpkg")
    login(client, tecnico_cassina)
    for name in ("detail", "status", "report_json", "report_csv", "findings_geojson", "review"):
        assert client.get(reverse(f"consegne:{name}", args=[c.pk])).status_code == 404, name
    # Ids of another comune's acts answer like missing ones (404), never "forbidden" (403).
    assert client.get(reverse("consegne:atto_tile", args=[c.atto_id, 12, 2152, 1465])).status_code == 404
    assert client.post(reverse("consegne:rollback", args=[c.atto_id])).status_code == 404
    assert c.pk not in [x.pk for x in client.get(reverse("consegne:list")).context["consegne"]]
    # The owner does see it.
    login(client, tecnico)
    assert client.get(reverse("consegne:detail", args=[c.pk])).status_code == 200


def test_technician_cannot_publish_even_their_own_delivery(client, tecnico, tecnico_cassina, deliver):
    c = deliver(tecnico, "good_32632.gpkg")
    with pytest.raises(NotAllowed):
        actions.publish(tecnico, c)
    with pytest.raises(NotAllowed):
        actions.publish(tecnico_cassina, c)
    login(client, tecnico)
    assert client.post(reverse("consegne:publish", args=[c.pk])).status_code == 403
    c.atto.refresh_from_db()
    assert c.atto.state == PgtAtto.State.BOZZA


def test_staff_sees_every_comune_and_publishes(client, tecnico, staff, deliver):
    c = deliver(tecnico, "good_32632.gpkg")
    login(client, staff)
    assert client.get(reverse("consegne:review", args=[c.pk])).status_code == 200
    assert client.post(reverse("consegne:publish", args=[c.pk])).status_code == 302
    c.atto.refresh_from_db()
    assert c.atto.state == PgtAtto.State.VIGENTE
    assert AuditEntry.objects.filter(action="pubblicazione", username=staff.username).exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("consegne:list"))
    assert response.status_code == 302 and reverse("consegne:login") in response["Location"]


def test_staff_sends_back_and_restores_through_the_pages(client, tecnico, staff, deliver):
    """Send back with a comment (the technician reads it), then publish two versions and restore the first."""
    from consegne.models import Consegna

    back = deliver(tecnico, "good_32632.gpkg")
    login(client, staff)
    client.post(reverse("consegne:send_back", args=[back.pk]), {"comment": "Manca la scheda dell'AT2"})
    login(client, tecnico)
    page = client.get(reverse("consegne:detail", args=[back.pk])).content.decode()
    assert "Manca la scheda dell&#x27;AT2" in page
    first, second = deliver(tecnico, "good_32632.gpkg"), deliver(tecnico, "variante_32632.gpkg")
    login(client, staff)
    client.post(reverse("consegne:publish", args=[first.pk]))
    # The second draft is published as reviewed against the first (the review page's form says so).
    first.refresh_from_db()
    client.post(reverse("consegne:publish", args=[second.pk]), {"compared": str(first.atto_id)})
    page = client.get(reverse("consegne:review", args=[second.pk])).content.decode()
    assert f'data-atto="{first.atto_id}" data-state="superato"' in page
    response = client.post(reverse("consegne:rollback", args=[first.atto_id]), {"consegna": second.pk})
    assert response.status_code == 302
    first.atto.refresh_from_db()
    assert first.atto.state == PgtAtto.State.VIGENTE
    assert Consegna.objects.get(pk=back.pk).state == "rinviata"
    # A technician cannot restore.
    login(client, tecnico)
    assert client.post(reverse("consegne:rollback", args=[second.atto_id])).status_code == 403


def test_the_list_page_looks_up_the_membership_once(client, tecnico, deliver, django_assert_num_queries):
    """The list checks three permissions (deliveries visible, comuni to upload for, review): one Membership
    query serves them all, for the request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = deliver(tecnico, "good_32632.gpkg")
    login(client, tecnico)
    client.get(reverse("consegne:list"))  # the session is warm: the count below is the page's own
    with django_assert_num_queries(5), CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("consegne:list"))
    assert sum("consegne_membership" in q["sql"] for q in queries.captured_queries) == 1
    assert [x.pk for x in page.context["consegne"]] == [c.pk]
    assert page.context["can_upload"] and not page.context["can_review"]


def test_the_kept_membership_never_outlives_the_request(client, tecnico, tecnico_cassina, deliver):
    """A role changed between two requests applies at the next one; two users in turn each get their own."""
    from consegne.models import Membership

    c = deliver(tecnico, "good_32632.gpkg")
    login(client, tecnico_cassina)
    assert client.get(reverse("consegne:detail", args=[c.pk])).status_code == 404
    Membership.objects.filter(user=tecnico_cassina).update(role=Membership.Role.STAFF, comune=None)
    assert client.get(reverse("consegne:detail", args=[c.pk])).status_code == 200
    login(client, tecnico)
    assert client.get(reverse("consegne:list")).context["can_review"] is False
