"""Benchmarks: each measures the project and its anchor tool side by side, in the same run.

A benchmark module is ``bench/b_<name>.py`` exposing ``run(ctx: Context) -> list[Result]``.
``python -m bench`` (``make bench``) runs them all, prints a table and writes
``var/bench/results.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Result:
    """One measured comparison. ``ratio`` > 1 means the project beats the anchor."""

    name: str
    project: float
    anchor: float
    unit: str
    target: float
    scale: str
    higher_is_better: bool = True
    notes: str = ""
    details: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.project / self.anchor if self.anchor else 0.0
        return self.anchor / self.project if self.project else 0.0

    @property
    def met(self) -> bool:
        return self.ratio >= self.target

    def as_json(self) -> dict:
        data = asdict(self)
        data["ratio"] = round(self.ratio, 3)
        data["met"] = self.met
        return data


@dataclass
class Context:
    """What every benchmark gets: where to write scratch files and how large to go."""

    work_dir: Path
    scale: int
    quick: bool
