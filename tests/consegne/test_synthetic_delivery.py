"""One code list: the synthetic PGT is a valid delivery, and the registry styles classify the spec's codes."""

from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from background.testing import run_jobs
from consegne import actions, spec
from consegne.models import Consegna
from etl.synthetic import codelists, pgt
from etl.synthetic import comuni as reference_comuni
from mappature.models import Comune

from .conftest import ACT, BESATE

pytestmark = pytest.mark.django_db
CODE_RULES = {"code_unknown", "code_description", "missing_field", "field_type", "mandatory"}
DECLARATIONS = Path(__file__).resolve().parents[2] / "layers" / "declarations"


@pytest.fixture
def synthetic_gpkg(comuni, tmp_path):
    """The synthetic PGT of Besate alone, written as the GeoPackage a comune would upload."""
    rows = [row for row in reference_comuni() if row[0] == BESATE]
    path = tmp_path / "pgt_sintetico_besate.gpkg"
    pgt.write_gpkg(path, pgt.build(rows, pgt.DEFAULT_SEED, 120))
    return path


def test_a_synthetic_delivery_passes_the_code_list_checks(synthetic_gpkg, tecnico, consegne_settings):
    """Generated with the spec's code lists, the synthetic plan raises no code-list or field finding."""
    upload = SimpleUploadedFile("pgt_sintetico_besate.gpkg", synthetic_gpkg.read_bytes())
    consegna = actions.submit(tecnico, Comune.objects.get(istat_code=BESATE), upload, ACT)
    run_jobs()
    consegna.refresh_from_db()
    found = list(consegna.findings.values_list("rule", "layer", "params"))
    assert not [f for f in found if f[0] in CODE_RULES], found
    coded = consegna.atto.features.filter(layer="consumo_suolo").values_list("attrs", flat=True)
    assert {a["CLASSE"] for a in coded} <= set(codelists.codes("consumo_suolo", "CLASSE"))
    assert consegna.state == Consegna.State.IN_REVISIONE, found


def test_etl_and_consegne_read_the_same_specification():
    """The ETL's code lists are the ones consegne validates deliveries with, file for file."""
    assert codelists.SPEC_DIR.resolve() == spec.SPEC_DIR.resolve()
    current = spec.get(spec.current_code())
    for layer, pairs in codelists.PAIRS.items():
        rules = {f.name: f for f in current.layers[layer].fields}
        for code_field, desc_field, codes in pairs:
            assert rules[code_field].codes == codes and rules[code_field].description_field == desc_field


def _categorized_pgt_declarations():
    return [
        p
        for p in sorted(DECLARATIONS.glob("pgt_*.yaml"))
        if yaml.safe_load(p.read_text())["style"].get("kind") == "categorized"
    ]


def test_at_least_one_pgt_style_is_categorized():
    assert _categorized_pgt_declarations()


@pytest.mark.parametrize("path", _categorized_pgt_declarations(), ids=lambda p: p.stem)
def test_pgt_styles_classify_codes_or_descriptions_of_the_spec(path):
    """A categorized PGT style only names values exactly as the specification writes them for its field:
    MapServer matches class values exactly, so another spelling leaves valid features unstyled."""
    declaration = yaml.safe_load(path.read_text())
    style = declaration["style"]
    layer = declaration["source"].removeprefix("pgt_")
    allowed = set()
    for name, fld in codelists.fields(layer).items():
        listed = codelists.codes(layer, name)
        if name.lower() == style["field"]:
            allowed |= set(listed)
        if (fld.get("description_field") or "").lower() == style["field"]:
            allowed |= set(listed.values())
    values = {str(c["value"]) for c in style["classes"]}
    assert allowed and values <= allowed, (values, allowed)
