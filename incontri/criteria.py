"""The declared criteria (criteria/*.yaml): read once per process, checked, and exposed as dicts."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from . import conf

DIR = Path(__file__).resolve().parent / "criteria"


def _path(name: str) -> Path:
    """A deployment may point a declaration elsewhere: REMIX["INCONTRI_CRITERIA"][name]."""
    override = (conf.INCONTRI_CRITERIA or {}).get(name)
    return Path(override) if override else DIR / f"{name}.yaml"


@cache
def _load(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def load(name: str) -> dict:
    return _load(str(_path(name)))


def matching() -> dict:
    data = load("matching")
    total = sum(float(c["weight"]) for c in data["criteria"].values())
    if total <= 0:
        raise ValueError(f"{_path('matching')}: the criteria weights add up to {total}")
    return data


def zonal() -> dict:
    return load("zonal")


def bilancio() -> dict:
    return load("bilancio")


def text(entry: dict, key: str, lang: str) -> str:
    """``entry[key_<lang>]``, falling back to Italian."""
    return entry.get(f"{key}_{lang}") or entry.get(f"{key}_it") or ""
