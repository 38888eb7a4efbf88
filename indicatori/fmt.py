"""Numbers and dates as the UI's language writes them: 1.140.669,50 in Italian, 1,140,669.50 in English."""

from __future__ import annotations

import datetime

DECIMALS = {"ha": 2, "%": 2, "ab": 0, "€": 0, "€/ab": 2, "n.": 0, "°C": 2, "m²/ab": 1}


def number(value, decimals: int = 2, lang: str = "it") -> str:
    if value is None:
        return "–"
    text = f"{float(value):,.{decimals}f}"
    if lang == "it":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def with_unit(value, unit: str, lang: str = "it") -> str:
    if value is None:
        return "–"
    text = number(value, DECIMALS.get(unit, 2), lang)
    if unit == "€":
        return f"{text} €" if lang == "it" else f"€{text}"
    return f"{text} {unit}"


def date(value, lang: str = "it") -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.strftime("%d/%m/%Y") if lang == "it" else value.isoformat()


def period(value: str, lang: str = "it") -> str:
    """A period as stored (2024, 2006-2012, 2023-03-01): dates in the language's format."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        return date(value, lang)
    return value
