"""What the database says about a relation: does it exist, its columns and types, its geometry.

Read from ``pg_attribute`` (``information_schema`` is ~50× slower) and cached per ``(relation,
version)``: callers pass the registry's ``data_version`` (a layer's columns change only with a load or
a migration); ``layers.registry.data_changed`` calls :func:`forget`. Without a version nothing is cached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .compose import fetch_all, fetch_one

KEY_CANDIDATES = ("id", "ogc_fid", "fid", "gid")  # the feature key, in order of preference
_LIMIT = 1000
_COLUMNS: dict[tuple[str, str, object], dict[str, str]] = {}


def _regclass(relation: str | tuple[str, str]) -> str:
    """The text ``to_regclass`` takes: each part quoted, so names are taken literally."""
    parts = relation if isinstance(relation, tuple) else tuple(relation.split(".", 1))
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def columns(relation: str | tuple[str, str], version: object = None, using: str = "default") -> dict[str, str]:
    """``{column: type}`` in table order (``format_type``: ``integer``, ``geometry(MultiPolygon,32632)``…);
    empty when the relation does not exist. Cached when ``version`` is given."""
    key = (using, _regclass(relation), version)
    if version is not None and key in _COLUMNS:
        return _COLUMNS[key]
    rows = fetch_all(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        [key[1]],
        using,
    )
    found = dict(rows)
    if version is not None and found:
        if len(_COLUMNS) >= _LIMIT:
            _COLUMNS.clear()
        _COLUMNS[key] = found
    return found


def forget(relations: Iterable[str] | str | None = None) -> None:
    """Drop cached columns of ``relations`` (all when None): after a load, a migration, a publication."""
    if relations is None:
        _COLUMNS.clear()
        return
    names = {_regclass(r) for r in ([relations] if isinstance(relations, str) else relations)}
    for key in [k for k in _COLUMNS if k[1] in names]:
        _COLUMNS.pop(key, None)


def relation_exists(relation: str | tuple[str, str], using: str = "default") -> bool:
    return fetch_one("SELECT to_regclass(%s) IS NOT NULL", [_regclass(relation)], using)[0]


def existing_relations(relations: Iterable[str], using: str = "default") -> set[str]:
    """Those of ``relations`` (``"table"`` or ``"schema.table"``) that exist: :func:`relation_exists` of many,
    in one query."""
    names = list(dict.fromkeys(relations))
    if not names:
        return set()
    rows = fetch_all(
        "SELECT n FROM unnest(%s::text[], %s::text[]) AS u(n, r) WHERE to_regclass(r) IS NOT NULL",
        [names, [_regclass(n) for n in names]],
        using,
    )
    return {n for (n,) in rows}


def key_column(names: Iterable[str]) -> str | None:
    """The feature key among ``names``: the first of :data:`KEY_CANDIDATES` present, else None."""
    present = set(names)
    return next((k for k in KEY_CANDIDATES if k in present), None)


_GEOMETRY_TYPE = re.compile(r"^geometry\((\w+?)(?:,(\d+))?\)$", re.IGNORECASE)


def geometry_of(sql_type: str) -> tuple[str, int]:
    """``(geometry type, SRID)`` from a column type as :func:`columns` gives it, without a query:
    ``geometry(MultiPolygon,32632)`` → ``("MULTIPOLYGON", 32632)``; ``geometry`` → ``("GEOMETRY", 0)``."""
    found = _GEOMETRY_TYPE.match(sql_type.strip())
    if found is None:
        return "GEOMETRY", 0
    return found.group(1).upper(), int(found.group(2) or 0)
