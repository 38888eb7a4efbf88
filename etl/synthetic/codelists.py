"""Code lists (code → description) of the regional PGT fields, read from the delivery specification.

One code list, not two: the synthetic generator and the ETL's pair check use the same committed
file that validates the comuni's deliveries (``data/specs/<code>.yaml``, loaded by ``consegne``),
so a synthetic plan is a valid delivery and the registry styles classify the same codes. The file
is read as data: etl does not import consegne. Most lists in it are provisional Remix lists (see
the file's header), so every dataset using them is labelled synthetic.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

SPEC_DIR = Path(__file__).resolve().parents[2] / "data" / "specs"
SPEC_CODE = "pgt-2024.1"  # the version the synthetic PGT follows; a new regional version is a new file


@cache
def spec(code: str = SPEC_CODE) -> dict:
    """The parsed specification file ``code`` (layers → fields → type, codes, description field)."""
    return yaml.safe_load((SPEC_DIR / f"{code}.yaml").read_text(encoding="utf-8"))


def codes(layer: str, field: str) -> dict[str, str]:
    """{code: description} of a coded field, exactly as the specification writes them."""
    fld = spec()["layers"][layer]["fields"][field]
    return {str(k): str(v) for k, v in (fld.get("codes") or {}).items()}


def fields(layer: str) -> dict[str, dict]:
    return spec()["layers"][layer]["fields"]


def _pairs() -> dict[str, list[tuple[str, str, dict[str, str]]]]:
    """layer → [(code field, description field, code list)] of every coded field with a description."""
    out = {}
    for layer, data in spec()["layers"].items():
        pairs = [
            (name, fld["description_field"], codes(layer, name))
            for name, fld in data["fields"].items()
            if fld.get("codes") and fld.get("description_field")
        ]
        if pairs:
            out[layer] = pairs
    return out


# What the ETL validates on load (``codelists: etl.synthetic.codelists.PAIRS`` in pgt_sintetico.yaml).
PAIRS = _pairs()
