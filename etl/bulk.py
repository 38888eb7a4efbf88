"""Writing rows into the target: upsert in general, a bulk insert into an empty scope.

A first load (or a new comune's plan) has nothing to compare with. Most first loads never come
here: :mod:`etl.firstload` COPYs their rows straight into the target and validates them there,
so each row that passes is written once. When it cannot (another CRS, a derived geometry, a
duplicate key PostgreSQL refuses while the unique key stands…), the staged path ends here with a
plain INSERT … SELECT from the stage. Either way, when a load brings more rows than the table
holds, the secondary indexes (the GiST above all) are dropped and built once at the end —
building a GiST in bulk is several times faster than growing it row by row — and the keys are
dropped and re-added, checked in one pass (:func:`_indexes_rebuilt`). All of it happens inside
the load's transaction, so a failure restores them; the price is that readers of the table (and
of the tables its foreign keys point to) wait for the commit during such a bulk load.
"""

from __future__ import annotations

from contextlib import contextmanager

from remix import db

from . import staging
from .declarations import Source
from .scratch import RESOLVED

# Below this many incoming rows (or fewer than the table holds), indexes and keys are kept as they are.
BULK_MIN_ROWS = 10_000


def write(cur, source: Source, target: staging.Target, staged: int) -> tuple[int, int, int]:
    """(inserted, updated, deleted) after writing the resolved rows into the target."""
    if _scope_is_empty(cur, source, target):
        with _indexes_rebuilt(cur, target.table, staged):
            return _insert_all(cur, target), 0, 0
    inserted, updated = staging.merge(cur, target)
    return inserted, updated, staging.delete_missing(cur, source, target)


def _scope_is_empty(cur, source: Source, target: staging.Target) -> bool:
    query = db.compose(
        "SELECT NOT EXISTS (SELECT 1 FROM {table} t WHERE {scope})",
        table=target.table,
        scope=staging.scope_condition(source),
    )
    return db.execute(cur, query).fetchone()[0]


def _insert_all(cur, target: staging.Target) -> int:
    cols = staging.target_columns(target)
    defaults = target.defaults()
    # No ORDER BY on the key: sorting the wide rows (geometries) cost more than it saved the unique index.
    query = db.compose(
        "INSERT INTO {table} ({names}) SELECT {values} FROM {resolved}",
        table=target.table,
        names=[*cols, *(c for c, _ in defaults)],
        values=[*map(db.ident, cols), *(db.Placeholder(f"default{i}") for i in range(len(defaults)))],
        resolved=RESOLVED,
    )
    return db.execute(cur, query, {f"default{i}": v for i, (_, v) in enumerate(defaults)}).rowcount


@contextmanager
def _indexes_rebuilt(cur, table: str, incoming: int):
    """Drop the secondary indexes and the keys for the insert and rebuild them, for a bulk insert.

    A foreign key checked row by row (a deferred trigger per inserted row) costs more than the
    insert itself; added back afterwards, PostgreSQL checks all the rows in one join, so the
    constraint is kept and still verified inside the transaction. A unique constraint (or
    primary key) grown entry by entry cost the insert more than building its index once by
    sorting (in parallel); re-adding it checks every row again, so it still holds when the
    transaction commits. Keys another table's foreign key depends on stay.
    """
    existing = db.execute(
        cur, "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [table]
    ).fetchone()[0]
    if incoming < max(existing, BULK_MIN_ROWS):
        yield
        return
    indexes = db.execute(
        cur,
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT x.indisunique "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        [table],
    ).fetchall()
    constraints = db.execute(
        cur,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c WHERE conrelid = %s::regclass "
        "AND (contype = 'f' OR contype IN ('p', 'u') AND NOT condeferrable AND NOT EXISTS ("
        "SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid)) "
        "ORDER BY contype DESC",  # keys back before the foreign keys
        [table],
    ).fetchall()
    # The definitions below are PostgreSQL's own (pg_get_indexdef, pg_get_constraintdef), replayed as SQL.
    # Pending deferred checks (e.g. of rows the hooks wrote) would forbid the ALTER TABLEs below.
    db.execute(cur, "SET CONSTRAINTS ALL IMMEDIATE")
    for name, _ in constraints:
        db.execute(cur, db.compose("ALTER TABLE {table} DROP CONSTRAINT {name}", table=table, name=name))
    for name, _ in indexes:
        db.execute(cur, db.compose("DROP INDEX {name}", name=name))
    db.execute(cur, "SET CONSTRAINTS ALL DEFERRED")
    yield
    db.execute(cur, "SET CONSTRAINTS ALL IMMEDIATE")
    db.execute(cur, "SET LOCAL maintenance_work_mem = '256MB'")
    for _, ddl in indexes:
        db.execute(cur, db.SQL(ddl))
    for name, ddl in constraints:
        db.execute(
            cur, db.compose("ALTER TABLE {table} ADD CONSTRAINT {name} {ddl}", table=table, name=name, ddl=db.SQL(ddl))
        )
    db.execute(cur, "SET CONSTRAINTS ALL DEFERRED")
