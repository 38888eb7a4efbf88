"""The English catalogue: complete, reviewed, and free of the swapped translations it once had.

A swapped entry ("Per abitante" → "Variant", "Ambiti di trasformazione" → "adoption date") is still a
translated entry, so completeness alone cannot catch it. Two checks do: an English string shared by
Italian strings that are not the same word must be a reviewed synonym (below), and the key labels
of the interface have the reviewed translation of the glossary. tests/browser/test_english_pages.py
reads those labels on every page in English.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

PO = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES" / "django.po"

# Italian strings that may share one English translation (reviewed: same meaning).
SYNONYMS = [
    {"Consegne del PGT", "consegne PGT", "Consegne PGT"},
    {"pubblicata", "pubblicato"},
    {"informazioni", "informazione"},
    {"Sorgente", "fonte", "sorgente", "Fonte"},
    {"modificati", "modificato"},
    {"invariato", "invariati"},
    {"fallito", "non riuscita"},
    {"completata", "completato"},
    {"Superficie", "area", "Area"},
    {"dati sintetici", "dato sintetico", "DATI SINTETICI"},
    {"vigente", "in vigore"},
    {"Revisione", "Rivedi"},
    {"Accedi", "Entra"},
    {"Dato", "dati"},
    {"Realizzazioni", "realizzazioni", "Interventi"},
    {"realizzazione", "Intervento"},
    {"Caricata il", "Caricato il"},
]

# Key labels of the interface and their reviewed English.
GLOSSARY = {
    "Per abitante": "Per inhabitant",
    "Finanziamento totale": "Total funding",
    "Finanziamento per fonte": "Funding by source",
    "Selezione": "Selection",
    "Strati": "Layers",
    "Sintesi": "Summary",
    "Realizzazioni": "Interventions",
    "Ambiti di trasformazione": "Transformation areas",
    "Ambiti di rigenerazione": "Regeneration areas",
    "Aree dismesse": "Brownfield sites",
    "Filtri delle realizzazioni": "Intervention filters",
    "Fonte di finanziamento": "Funding source",
    "Ambito tematico": "Domain",
    "Programma": "Programme",
    "Stato": "Status",
    "Comuni": "Municipalities",
    "Popolazione": "Population",
    "Tabella attributi": "Attribute table",
    "Errore": "Error",
    "più fonti": "several sources",
    "Senza importo": "Without an amount",
    "errore": "error",
    "avviso": "warning",
    "Variante": "Variant",
    "data di adozione": "adoption date",
    "cofinanziamento (€)": "co-funding (€)",
    "azione": "action",
}


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def parse_po(path: Path = PO) -> list[dict]:  # noqa: C901 - one branch per .po line kind
    """Entries of a .po file: msgid, msgid_plural, msgstr forms, flags, obsolete."""
    entries, current, key = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current is not None:
                entries.append(current)
            current, key = None, None
            continue
        if current is None:
            current = {"msgid": "", "plural": None, "msgstr": {}, "flags": set(), "obsolete": False}
        if line.startswith("#~"):
            current["obsolete"] = True
        elif line.startswith("#,"):
            current["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            key, current["plural"] = "plural", _unquote(line[13:])
        elif line.startswith("msgid "):
            key, current["msgid"] = "msgid", _unquote(line[6:])
        elif line.startswith("msgstr"):
            match = re.match(r"msgstr(?:\[(\d+)\])? (.*)$", line)
            key = int(match.group(1) or 0)
            current["msgstr"][key] = _unquote(match.group(2))
        elif line.startswith('"'):
            if key == "msgid":
                current["msgid"] += _unquote(line)
            elif key == "plural":
                current["plural"] += _unquote(line)
            else:
                current["msgstr"][key] += _unquote(line)
    return [e for e in entries if e["msgid"] or e["obsolete"]]


@pytest.fixture(scope="module")
def entries():
    return parse_po()


def test_no_fuzzy_obsolete_or_untranslated_entry(entries):
    assert not [e["msgid"] for e in entries if e["obsolete"]], "obsolete entries (#~): remove them"
    assert not [e["msgid"] for e in entries if "fuzzy" in e["flags"]], "fuzzy entries: review them"
    missing = [e["msgid"] for e in entries if not all(v.strip() for v in e["msgstr"].values()) or not e["msgstr"]]
    assert not missing, f"untranslated: {missing}"


def test_placeholders_and_markup_survive_translation(entries):
    placeholder, tag = re.compile(r"%\(\w+\)[sd]"), re.compile(r"</?(?:code|a|strong|em|b|br)\b[^>]*>")
    wrong = []
    for e in entries:
        source = set(placeholder.findall(e["msgid"] + (e["plural"] or "")))
        for form in e["msgstr"].values():
            found = set(placeholder.findall(form))
            if (found != source) if e["plural"] is None else not found <= source:
                wrong.append(e["msgid"])
            if not set(tag.findall(e["msgid"])) <= set(tag.findall(form)):
                wrong.append(e["msgid"])
    assert not wrong


def test_one_english_string_means_one_italian_word(entries):
    """A translation shared by different Italian strings is a swap unless reviewed as a synonym."""

    def norm(text):
        return re.sub(r"\W", "", text.lower())

    by_english = defaultdict(set)
    for e in entries:
        if e["plural"] is None:
            by_english[norm(e["msgstr"].get(0, ""))].add(e["msgid"])
    reviewed = [frozenset(s) for s in SYNONYMS]
    shared = {k: v for k, v in by_english.items() if len({norm(i) for i in v}) > 1}
    suspicious = {k: v for k, v in shared.items() if not any(v <= s for s in reviewed)}
    assert not suspicious, f"the same English for different Italian strings: {suspicious}"


def test_key_labels_have_their_reviewed_translation(entries):
    translated = {e["msgid"]: e["msgstr"].get(0) for e in entries if e["plural"] is None}
    wrong = {it: (translated.get(it), en) for it, en in GLOSSARY.items() if translated.get(it) != en}
    assert not wrong, wrong
