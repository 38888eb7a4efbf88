"""The shipped Realizzazioni read independently of Remix's code, for tests that check figures against the data.

Rows come from the file that etl/sources/realizzazioni.yaml loads (data/realizzazioni*.csv), so the
expected figures keep holding when rows are added to it.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import defaultdict
from decimal import Decimal

import yaml
from django.conf import settings


def norm(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", text)


def shipped_rows() -> list[dict]:
    declaration = yaml.safe_load((settings.BASE_DIR / "etl" / "sources" / "realizzazioni.yaml").read_text())
    path = settings.REMIX["DATA_DIR"] / declaration["location"]
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["sources"] = [s.strip() for s in (row["funding_source"] or "").split(";") if s.strip()]
        row["names"] = [norm(c) for c in (row["comuni"] or "").split(";") if c.strip()]
        row["domain_list"] = [d.strip() for d in (row["domains"] or "").split(";") if d.strip()]
        row["amount"] = Decimal(row["amount_eur"]) if row["amount_eur"].strip() else None
        row["cofunding"] = Decimal(row["cofunding_eur"]) if row["cofunding_eur"].strip() else None
    return rows


def zona_comuni_names() -> dict[str, set[str]]:
    """Normalised comune names per zona name, from the shipped comuni file."""
    with open(settings.REMIX["DATA_DIR"] / "comuni_cmm.geojson", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    zone = defaultdict(set)
    for f in features:
        zone[f["properties"]["zona_omogenea"]].add(norm(f["properties"]["name"]))
    return zone


def expected_by_source(rows: list[dict]) -> dict[str, dict]:
    """What the data say: one source gets the whole amount; a grant plus one co-funder with cofunding_eur
    splits into amount − cofunding and cofunding; anything else with several sources is "più fonti"."""
    out = defaultdict(lambda: {"n": 0, "n_without_amount": 0, "amount_eur": Decimal(0)})
    for row in rows:
        sources, amount, co = row["sources"], row["amount"], row["cofunding"]
        if len(sources) == 2 and amount is not None and co and 0 < co <= amount:
            shares = [(sources[0], amount - co), (sources[1], co)]
        elif len(sources) == 1:
            shares = [(sources[0], amount)]
        elif not sources:
            shares = [("fonte non indicata", amount)]
        else:
            shares = [("più fonti", amount)]
        for source, share in shares:
            out[source]["n"] += 1
            if share is None:
                out[source]["n_without_amount"] += 1
            else:
                out[source]["amount_eur"] += share
    return dict(out)
