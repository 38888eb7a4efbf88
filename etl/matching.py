"""Match names written by people ("Cassina de Pecchi", "CASSANO D’ADDA") to reference rows."""

from __future__ import annotations

import re
import unicodedata

from django.apps import apps

_APOSTROPHES = re.compile(r"[’‘'`´]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case, no accents, apostrophes and punctuation as spaces, single spaces."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub(" ", _APOSTROPHES.sub(" ", ascii_text.lower())).strip()


class NameIndex:
    """normalised ``field`` of ``app.Model`` -> value of ``to``; ambiguous names match nothing."""

    def __init__(self, match: str, to: str):
        label, _, field = match.rpartition(".")
        self.model = apps.get_model(label)
        self.field = field
        self.index: dict[str, object] = {}
        ambiguous = set()
        for name, value in self.model.objects.values_list(field, to):
            key = normalise(name)
            if key in self.index and self.index[key] != value:
                ambiguous.add(key)
            self.index[key] = value
        for key in ambiguous:
            del self.index[key]

    def get(self, name: str):
        return self.index.get(normalise(name))

    def describe(self) -> str:
        return str(self.model._meta.verbose_name)
