"""Indicator declarations: one YAML file per indicator under ``indicatori/declarations/``.

```yaml
code: suolo_consumato_ha
title_it / title_en / description_it / description_en
theme: sttm1            # ptm | sttm1 | sttm2 | sttm3 | rigenerazione | riferimenti
unit: ha
period: year            # year | period (e.g. 2023-2024) | date
higher_is_better: false # or null when neither
levels: [comune, zona, cmm, nil]
inputs: [ispra_suolo_stock]          # ETL source ids: a new version of one recomputes this
sources: ["Elaborazione su dati ISPRA …"]
aggregate: sum | ratio  # comune rows give num (and den); zona and CMM sum them, ratio = Σnum/Σden
scale: 100              # value = aggregate × scale
query: SELECT … AS area, … AS period, … AS num, … AS den      # per comune; %(param)s bound
nil_query: …            # the same per NIL of Milano (area = NIL number), optional
                        # (an indicator of NIL or LUM only needs no comune ``query``)
lum_query: …            # the same per LUM of the PTM (area = LUM id, layer ptm_lum), optional
zonal: {raster: sttm1_anomalia_termica}   # instead of query: mean of the raster per comune (num Σ, den n)
params: {soglia_pct: {value: 25, source: "…"}}
```
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from .errors import IndicatoriError

DECLARATIONS_DIR = Path(__file__).resolve().parent / "declarations"
LEVELS = ("comune", "zona", "cmm", "nil", "lum")
THEMES = {"ptm", "sttm1", "sttm2", "sttm3", "rigenerazione", "riferimenti"}
AGGREGATES = {"sum", "ratio"}


class DeclarationError(IndicatoriError, ValueError):
    pass


@dataclass(frozen=True)
class IndicatorDecl:
    code: str
    title_it: str
    title_en: str
    description_it: str
    description_en: str
    theme: str
    unit: str
    period: str
    higher_is_better: bool | None
    levels: tuple[str, ...]
    inputs: tuple[str, ...]
    sources: tuple[str, ...]
    aggregate: str
    scale: float
    query: str | None
    nil_query: str | None
    lum_query: str | None = None
    zonal: dict = field(default_factory=dict, hash=False, compare=False)
    params: dict = field(default_factory=dict, hash=False, compare=False)
    notes_it: str = ""
    notes_en: str = ""
    key: bool = False  # shown on the atlas sheets
    digest: str = ""

    def param_values(self) -> dict:
        return {name: spec["value"] if isinstance(spec, dict) else spec for name, spec in self.params.items()}

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "title_it": self.title_it,
            "title_en": self.title_en,
            "description_it": self.description_it,
            "description_en": self.description_en,
            "theme": self.theme,
            "unit": self.unit,
            "period": self.period,
            "higher_is_better": self.higher_is_better,
            "levels": list(self.levels),
            "inputs": list(self.inputs),
            "sources": list(self.sources),
            "aggregate": self.aggregate,
            "params": self.params,
            "notes_it": self.notes_it,
            "notes_en": self.notes_en,
        }


def parse(data: dict, digest: str = "", where: str = "?") -> IndicatorDecl:
    needed = {"code", "title_it", "title_en", "theme", "unit", "period", "levels", "inputs", "sources", "aggregate"}
    missing = needed - set(data)
    if missing:
        raise DeclarationError(f"{where}: chiavi mancanti {sorted(missing)}")
    if data["theme"] not in THEMES:
        raise DeclarationError(f"{where}: tema sconosciuto {data['theme']!r}")
    if data["aggregate"] not in AGGREGATES:
        raise DeclarationError(f"{where}: aggregazione sconosciuta {data['aggregate']!r}")
    bad = set(data["levels"]) - set(LEVELS)
    if bad:
        raise DeclarationError(f"{where}: livelli sconosciuti {sorted(bad)}")
    if data.get("query") and data.get("zonal"):
        raise DeclarationError(f"{where}: serve esattamente uno tra «query» e «zonal»")
    if set(data["levels"]) & {"comune", "zona", "cmm"} and not (data.get("query") or data.get("zonal")):
        raise DeclarationError(f"{where}: serve esattamente uno tra «query» e «zonal»")
    if "nil" in data["levels"] and not (data.get("nil_query") or data.get("zonal")):
        raise DeclarationError(f"{where}: livello «nil» senza «nil_query»")
    if "lum" in data["levels"] and not (data.get("lum_query") or data.get("zonal")):
        raise DeclarationError(f"{where}: livello «lum» senza «lum_query»")
    return IndicatorDecl(
        code=data["code"],
        title_it=data["title_it"],
        title_en=data["title_en"],
        description_it=data.get("description_it", ""),
        description_en=data.get("description_en", ""),
        theme=data["theme"],
        unit=data["unit"],
        period=data["period"],
        higher_is_better=data.get("higher_is_better"),
        levels=tuple(data["levels"]),
        inputs=tuple(data["inputs"]),
        sources=tuple(data["sources"]),
        aggregate=data["aggregate"],
        scale=float(data.get("scale", 1)),
        query=data.get("query"),
        nil_query=data.get("nil_query"),
        lum_query=data.get("lum_query"),
        zonal=dict(data.get("zonal") or {}),
        params=dict(data.get("params") or {}),
        notes_it=data.get("notes_it", ""),
        notes_en=data.get("notes_en", ""),
        key=bool(data.get("key", False)),
        digest=digest,
    )


@cache
def all_indicators() -> dict[str, IndicatorDecl]:
    found: dict[str, IndicatorDecl] = {}
    for path in sorted(DECLARATIONS_DIR.glob("*.yaml")):
        raw = path.read_bytes()
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as err:
            raise DeclarationError(f"{path.name}: YAML non valido ({err})") from err
        if not isinstance(data, dict):
            raise DeclarationError(f"{path.name}: attesa una mappa di chiavi")
        decl = parse(data, hashlib.sha256(raw).hexdigest(), where=path.name)
        if decl.code in found:
            raise DeclarationError(f"{path.name}: codice {decl.code!r} dichiarato due volte")
        found[decl.code] = decl
    return found


def dependants(source_id: str) -> list[IndicatorDecl]:
    return [d for d in all_indicators().values() if source_id in d.inputs]
