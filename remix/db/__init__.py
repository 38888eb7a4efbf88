"""The one door to SQL: composition with ``psycopg.sql``, the database catalogue, Arrow → COPY.

This package sits at the bottom of the import graph: it imports Django's database layer, psycopg
and pyarrow, never a project app, and every app may import it (``docs/architecture.md``).

Rules it enforces by construction:

- identifiers (tables, views, columns, schemas) are composed with :func:`ident`, :func:`relation` or
  :func:`compose` — quoted by psycopg, never pasted into a string;
- values are bound parameters (``%s`` or ``%(name)s``); :func:`literal` exists only for the few
  places PostgreSQL cannot take a parameter (DDL such as ``CREATE VIEW``, ``COPY … TO``);
- the catalogue (which relations exist, their columns and types) is read through ``pg_attribute``
  and cached per data version (:mod:`remix.db.catalogue`);
- Arrow tables go into a relation by ``COPY … FROM STDIN``, binary or CSV, through
  :mod:`remix.db.copy` (imported on its own: ``from remix.db import copy``).
"""

from .catalogue import KEY_CANDIDATES, columns, existing_relations, forget, geometry_of, key_column, relation_exists
from .compose import (
    SQL,
    Composable,
    Composed,
    Identifier,
    Literal,
    Placeholder,
    compose,
    execute,
    fetch_all,
    fetch_dicts,
    fetch_one,
    fetch_value,
    ident,
    join,
    literal,
    relation,
    render,
)

__all__ = [
    "KEY_CANDIDATES",
    "SQL",
    "Composable",
    "Composed",
    "Identifier",
    "Literal",
    "Placeholder",
    "columns",
    "compose",
    "execute",
    "fetch_all",
    "fetch_dicts",
    "fetch_one",
    "fetch_value",
    "forget",
    "geometry_of",
    "ident",
    "join",
    "key_column",
    "literal",
    "relation",
    "existing_relations",
    "relation_exists",
    "render",
]
