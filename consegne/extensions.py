"""Extension points of the delivery review, filled by apps that consegne does not import.

An app appends a callable ``(request, consegna) -> str`` (safe HTML, already rendered by the app's own
template, or "" for nothing) to ``REVIEW_SECTIONS`` in its ``AppConfig.ready``; the review page shows
each section inline (e.g. incontri: the ambiti of the draft over a supra-municipal threshold).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

log = logging.getLogger(__name__)
REVIEW_SECTIONS: list[Callable] = []


def review_sections(request, consegna) -> list[SafeString]:
    out = []
    for section in REVIEW_SECTIONS:
        html = section(request, consegna)
        if html:
            out.append(mark_safe(html))  # noqa: S308  (rendered by the app's own template, autoescaped)
    return out
