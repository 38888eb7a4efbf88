"""Project ideas: a technician proposes for their comune and never sees another comune's ideas."""

from __future__ import annotations

import pytest

from consegne.models import Membership
from incontri.models import ProjectIdea
from tests.consegne.conftest import PASSWORD, make_user


@pytest.fixture
def people(comuni):
    return {
        "besate": make_user("t.besate", Membership.Role.TECNICO, "015022"),
        "cassina": make_user("t.cassina", Membership.Role.TECNICO, "015060"),
        "staff": make_user("staff.cmm", Membership.Role.STAFF),
    }


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_technician_proposes_and_another_comune_gets_404(people, client):
    login(client, people["besate"])
    from mappature.models import Comune

    besate = Comune.objects.get(istat_code="015022")
    response = client.post(
        "/incontri/idee/",
        {
            "comune": besate.pk,
            "title": "Orti sociali",
            "domains": ["sociale", "ambientale"],
            "expected_cost_eur": "120000,50",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    idea = ProjectIdea.objects.get(title="Orti sociali")
    assert float(idea.expected_cost_eur) == 120000.5 and idea.comune == besate
    assert client.get(f"/incontri/idee/{idea.pk}/").status_code == 200
    # a technician cannot propose for another comune
    cassina = Comune.objects.get(istat_code="015060")
    client.post("/incontri/idee/", {"comune": cassina.pk, "title": "Altrui", "domains": ["sociale"]})
    assert not ProjectIdea.objects.filter(title="Altrui").exists()

    client.logout()
    login(client, people["cassina"])
    assert client.get(f"/incontri/idee/{idea.pk}/").status_code == 404
    assert client.get(f"/api/incontri/idee/{idea.pk}/aree").status_code == 404
    assert "Orti sociali" not in client.get("/incontri/idee/").content.decode()
    assert client.get("/api/incontri/idee").json() == {"ideas": []}

    client.logout()
    login(client, people["staff"])
    page = client.get("/incontri/idee/").content.decode()
    assert "Orti sociali" in page and "art. 14" in page
    body = client.get(f"/api/incontri/idee/{idea.pk}/aree").json()
    assert body["project"]["title"] == "Orti sociali"
    assert [i["title"] for i in client.get("/api/incontri/idee").json()["ideas"]] == ["Orti sociali"]


def test_anonymous_sees_no_idea(people, client):
    idea = ProjectIdea.objects.create(comune=people["besate"].membership.comune, title="Segreta", domains=["sociale"])
    assert client.get(f"/api/incontri/idee/{idea.pk}/aree").status_code == 404
    assert client.get("/api/incontri/idee").json() == {"ideas": []}
    assert client.get("/incontri/idee/").status_code == 302  # to the login page
