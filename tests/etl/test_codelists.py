"""Code/description pairs are checked against their code list; wrong pairs are rejected with their values."""

import json

import pytest

from mappature.models import ThematicFeature

from .conftest import aree_source

PAIRS = {"prova": [("COD", "DCOD", {"A": "Area agricola", "B": "Bosco"})], "altro": [("X", "DX", {"1": "uno"})]}
SQUARE = {"type": "MultiPolygon", "coordinates": [[[[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]]]}
ROWS = [  # CODICE, COD, DCOD
    ("K1", "A", " area AGRICOLA "),  # description compared without case and outer spaces
    ("K2", "B", None),  # no description: the code alone is checked
    ("K3", "C", "Cava"),  # unknown code
    ("K4", "A", "Bosco"),  # description of another code
    ("K5", None, None),  # no code at all
]


@pytest.mark.django_db
def test_wrong_code_pairs_are_rejected_with_their_values(load, tmp_path):
    features = [
        {"type": "Feature", "geometry": SQUARE, "properties": {"CODICE": key, "NOME": key, "COD": code, "DCOD": desc}}
        for key, code, desc in ROWS
    ]
    path = tmp_path / "codici.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": features,
                "crs": {"type": "name", "properties": {"name": "EPSG:32632"}},
            }
        )
    )
    result = load(aree_source(str(path), codelists="tests.etl.test_codelists.PAIRS"))
    reasons = dict(result.rejects)
    assert sorted(reasons) == [3, 4]
    assert "COD/DCOD: «C» – «Cava»" in reasons[3] and "COD/DCOD: «A» – «Bosco»" in reasons[4]
    assert sorted(ThematicFeature.objects.filter(layer="prova").values_list("feature_key", flat=True)) == [
        "K1",
        "K2",
        "K5",
    ]
