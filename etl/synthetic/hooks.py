"""Load hooks of the synthetic sources: the PGT act each comune's synthetic features belong to."""

from __future__ import annotations

import pyarrow.compute as pc
from django.utils import timezone

from mappature.models import Comune, PgtAtto


def ensure_synthetic_atti(*, source, table, **_) -> None:
    """One synthetic PGT act per comune in the file; vigente unless a real act is in force.

    A municipal delivery published later supersedes it (the consegne app), so the synthetic act
    only fills the gap where no real PGT has been loaded.
    """
    codes = {c for c in _distinct(table, source.options.get("comune_column", "ISTAT_COM")) if c}
    have = set(
        PgtAtto.objects.filter(synthetic=True, comune__istat_code__in=codes).values_list(
            "comune__istat_code", flat=True
        )
    )
    in_force = set(
        PgtAtto.objects.filter(state=PgtAtto.State.VIGENTE, comune__istat_code__in=codes).values_list(
            "comune__istat_code", flat=True
        )
    )
    now = timezone.now()
    PgtAtto.objects.bulk_create(
        PgtAtto(
            comune=comune,
            kind=PgtAtto.Kind.PGT,
            synthetic=True,
            spec_version="sintetico",
            deliberation="sintetico / synthetic",
            state=PgtAtto.State.SUPERATO if comune.istat_code in in_force else PgtAtto.State.VIGENTE,
            published_at=None if comune.istat_code in in_force else now,
        )
        for comune in Comune.objects.filter(istat_code__in=codes - have)
    )


def _distinct(table, name: str) -> list:
    """The distinct values of a column, found by Arrow (a Python list of a large file's 300,000
    codes took 0.2 s)."""
    arrow = table.columns.table
    return pc.unique(arrow.column(name)).to_pylist() if name in arrow.column_names else []
