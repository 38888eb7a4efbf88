"""Domain models of the territory of the Città metropolitana di Milano and what is planned on it."""

from .pgt import PgtAtto, PgtFeature
from .realizzazioni import Realizzazione
from .tematiche import Stazione, ThematicFeature
from .territorio import Comune, ZonaOmogenea
from .tiles import TileCache, TileOverview

__all__ = [
    "Comune",
    "PgtAtto",
    "PgtFeature",
    "Realizzazione",
    "Stazione",
    "ThematicFeature",
    "TileCache",
    "TileOverview",
    "ZonaOmogenea",
]
