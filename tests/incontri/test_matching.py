"""Scores reproducible from the declared weights; a weight change moves the ranking as expected."""

from __future__ import annotations

import pytest
import yaml

from incontri import context, criteria, matching


def scores(world):
    context.refresh(force=True)
    project = matching.realizzazione(world["project"].pk)
    return {m["area"]["id"]: m for m in matching.best_areas(project, limit=10)}


def test_score_is_the_weighted_mean_of_the_declared_criteria(world):
    ranked = scores(world)
    far, near = ranked[world["far"].pk], ranked[world["near"].pk]
    weights = {k: float(c["weight"]) for k, c in criteria.matching()["criteria"].items()}
    total = sum(weights.values())
    # by hand: the ambito di rigenerazione welcomes "abitativo" (fit 1); the productive AT does not (0)
    by = {p["criterion"]: p for p in far["breakdown"]}
    assert by["domain_fit"]["value"] == 1 and {p["criterion"]: p for p in near["breakdown"]}["domain_fit"]["value"] == 0
    # distance: 1 / (1 + d / 3000); the far area's edge is 2900 m from the project
    assert by["distance"]["value"] == pytest.approx(1 / (1 + 2900 / 3000), abs=1e-3)
    for m in (far, near):
        expected = 100 * sum(weights[p["criterion"]] * p["value"] for p in m["breakdown"]) / total
        assert m["score"] == pytest.approx(expected, abs=0.01)
        assert all(p["why"] and p["rationale"] for p in m["breakdown"])
    assert far["score"] > near["score"]


def test_changing_a_weight_changes_the_ranking(world, settings, tmp_path):
    assert list(scores(world))[0] == world["far"].pk
    data = yaml.safe_load((criteria.DIR / "matching.yaml").read_text(encoding="utf-8"))
    data["criteria"]["domain_fit"]["weight"] = 0
    data["criteria"]["distance"]["weight"] = 100
    path = tmp_path / "matching.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    settings.REMIX = {**settings.REMIX, "INCONTRI_CRITERIA": {"matching": str(path)}}
    assert list(scores(world))[0] == world["near"].pk


def test_api_for_an_intervention_and_for_an_area(world, client):
    context.refresh(force=True)
    body = client.get(f"/api/incontri/realizzazioni/{world['project'].pk}/aree").json()
    assert body["matches"][0]["area"]["id"] == world["far"].pk and body["matches"][0]["breakdown"]
    area = client.get(f"/api/incontri/aree/ambiti_rigenerazione/{world['far'].pk}").json()
    assert area["projects"][0]["project"]["id"] == world["project"].pk
    best = area["projects"][0]["score"]
    assert area["programmes"] == [{"programme": "Prova", "interventions": 1, "best_score": best}]
    assert client.get("/api/incontri/aree/ambiti_rigenerazione/999999").status_code == 404
    gpkg = client.get(f"/api/incontri/realizzazioni/{world['project'].pk}/aree.gpkg")
    assert gpkg.status_code == 200 and gpkg.content[:16] == b"SQLite format 3\x00"
