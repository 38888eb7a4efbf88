"""What a delivered GeoPackage's layers really are, read from its SQLite schema before GDAL reads them.

A GeoPackage is a SQLite database: a "layer" may be a view (whose query can take for ever: a
recursive one never ends), a virtual table, or a table carrying triggers. Remix accepts plain
tables only. The file is opened read-only and immutable (no journal, no lock, nothing written,
so no trigger can fire), and every statement is bounded by the validation's time limit.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from .checks import Found
from .deadline import Deadline, ValidationTimeout
from .errors import ConsegneError

# Triggers GDAL and the GeoPackage spatial index extension create on every feature table.
STANDARD_TRIGGER = r"^(rtree_{t}_\w+_(insert\d*|update\d*|delete)|trigger_(insert|delete)_feature_count_{t})$"


class Unreadable(ConsegneError, ValueError):
    """The file is not a SQLite database GDAL could read."""


def inspect(path: Path, layers: dict[str, str], deadline: Deadline) -> list[Found]:
    """Findings for the delivered layers (``{table name: spec code}``) that are not plain tables."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as err:
        raise Unreadable(str(err)) from err
    # Called every 10,000 SQLite instructions: a non-zero answer interrupts the statement.
    db.set_progress_handler(lambda: int(deadline.remaining() <= 0), 10_000)
    found: list[Found] = []
    try:
        db.execute("PRAGMA trusted_schema = OFF")
        for name, code in layers.items():
            rows = db.execute(
                "SELECT type, coalesce(sql, '') FROM sqlite_master WHERE name = ? COLLATE NOCASE "
                "AND type IN ('table', 'view')",
                [name],
            ).fetchall()
            kind, sql = rows[0] if rows else ("", "")
            if kind == "view":
                found.append(Found("gpkg_view", code, params={"layer": name}))
                continue
            virtual = re.match(r"\s*CREATE\s+VIRTUAL\s+TABLE\s+.*?\bUSING\s+(\w+)", sql, re.I | re.S)
            if virtual:
                found.append(Found("gpkg_virtual", code, params={"layer": name, "module": virtual.group(1)}))
                continue
            standard = re.compile(STANDARD_TRIGGER.format(t=re.escape(name)), re.I)
            triggers = [
                t
                for (t,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = ? COLLATE NOCASE ORDER BY name",
                    [name],
                )
                if not standard.match(t)
            ]
            if triggers:
                found.append(Found("gpkg_triggers", code, params={"layer": name, "triggers": ", ".join(triggers)}))
    except sqlite3.OperationalError as err:
        if deadline.remaining() <= 0:
            raise ValidationTimeout("gpkg") from err
        raise Unreadable(str(err)) from err
    except sqlite3.DatabaseError as err:
        raise Unreadable(str(err)) from err
    finally:
        db.close()
    return found
