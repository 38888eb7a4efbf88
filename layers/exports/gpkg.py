"""Writes a GeoPackage: each layer copied by GDAL's ogr2ogr straight from PostGIS, then styled and documented.

ogr2ogr streams PostGIS rows into the GeoPackage at GDAL speed; the area of interest is joined
from the export job's row (``layers_exportjob.area``) by its integer id, so no value is ever
spliced into SQL. Styles (QGIS ``layer_styles``), aliases (``gpkg_data_columns``), metadata and
lineage (``gpkg_metadata``) and a readme table are added afterwards with SQLite.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from remix import db

from ..ogc.published import LayerSource
from ..ogc.service import conninfo
from .errors import ExportFailed
from .gpkg_meta import document

Progress = Callable[[str, int], None]  # (layer slug, features written so far in that layer)
GDAL_SPEED = ["-gt", "65536", "--config", "OGR_SQLITE_SYNCHRONOUS", "OFF", "--config", "PG_LIST_ALL_TABLES", "NO"]


@dataclass(frozen=True)
class LayerExport:
    source: LayerSource
    features: int


def select_query(src: LayerSource, area: db.Composable | None = None, exact: bool = True) -> db.Composed:
    """The SELECT of one layer's features: catalogue identifiers only; ``area`` is the export job's id (a
    placeholder or a literal), the features kept are those intersecting the job's stored area. ``exact=False``
    tests bounding boxes only (``&&``): a cheap upper bound of the count."""
    query = db.compose(
        "SELECT {columns} FROM {rel} t",
        columns=[*(db.compose("t.{c}", c=c.name) for c in src.columns), db.compose("t.{g} AS geom", g=src.geom_column)],
        rel=src.identifier,
    )
    if area is None:
        return query
    # The stored area is shrunk by 1 cm (jobs._set_area), so a plain ST_Intersects — fast, prepared —
    # leaves out the neighbours that only touch a comune's border.
    test = db.compose("ST_Intersects(t.{g}, a.area)" if exact else "t.{g} && a.area", g=src.geom_column)
    return db.compose(
        "{query} JOIN layers_exportjob a ON a.id = {area} WHERE {test}", query=query, area=area, test=test
    )


def select_sql(src: LayerSource, job_id: int | None) -> str:
    """The SELECT ogr2ogr runs for one layer, as text: ogr2ogr binds no parameter, so the job's id is
    the one literal (an integer)."""
    return db.render(select_query(src, None if job_id is None else db.literal(int(job_id))))


def count(src: LayerSource, job_id: int | None, exact: bool = True) -> int:
    """How many features of ``src`` the export will write; ``exact=False`` gives a cheap upper bound
    (bounding boxes only: no geometry test), enough to check limits before the real work."""
    if src.kind == "raster":
        return 0
    area = None if job_id is None else db.Placeholder("job")
    query = db.compose("SELECT count(*) FROM ({select}) s", select=select_query(src, area, exact))
    return db.fetch_value(query, {"job": job_id})


def pg_datasource() -> tuple[str, dict]:
    """GDAL's PG: datasource (no password) and the environment that carries the password."""
    env = {**os.environ}
    password = connection.settings_dict.get("PASSWORD")
    if password:
        env["PGPASSWORD"] = password
    return f"PG:{conninfo(with_password=False)}", env


def write(
    path: Path, layers: list[LayerExport], job_id: int | None, context: dict, on_progress: Progress
) -> list[LayerExport]:
    """Write every layer into ``path`` (a new file), then its styles, aliases, metadata and readme.

    ``layers`` carry estimated counts (for progress); the exact counts, read back from the file,
    are what the readme and metadata state and what is returned.
    """
    if path.exists():
        path.unlink()
    datasource, env = pg_datasource()
    for item in layers:
        if item.source.kind == "raster":
            _raster(path, item.source, context.get("area_extent"))
        else:
            _vector(path, item, datasource, env, job_id, on_progress)
    with closing(sqlite3.connect(path)) as package, package:
        package.execute("PRAGMA synchronous = OFF")  # as GDAL wrote the layers; the file is complete or discarded
        tables = {row[0] for row in package.execute("SELECT table_name FROM gpkg_contents")}
        layers = [
            LayerExport(
                item.source,
                _count_rows(package, item.source.slug)
                if item.source.slug in tables and item.source.kind != "raster"
                else 0,
            )
            for item in layers
        ]
        document(package, layers, context)
    return layers


def _vector(path: Path, item: LayerExport, datasource: str, env: dict, job_id, on_progress: Progress) -> None:
    src = item.source
    cmd = [
        "ogr2ogr",
        "-f",
        "GPKG",
        *(["-update"] if path.exists() else []),
        str(path),
        datasource,
        "-sql",
        select_sql(src, job_id),
        "-nln",
        src.slug,
        "-a_srs",
        f"EPSG:{src.srid}",
        "-nlt",
        _nlt(src.geometry_type),
        "-lco",
        "GEOMETRY_NAME=geom",
        "-lco",
        f"IDENTIFIER={src.title_it}",
        "-lco",
        f"DESCRIPTION={src.abstract_it}",
        *GDAL_SPEED,
    ]
    _run(cmd, env, lambda: on_progress(src.slug, _rows(path, src.slug)))
    on_progress(src.slug, item.features)


def _raster(path: Path, src: LayerSource, extent) -> None:
    cmd = [
        "gdal_translate",
        "-q",
        "-of",
        "GPKG",
        src.raster_path,
        str(path),
        "-co",
        f"RASTER_TABLE={src.slug}",
        "-co",
        f"RASTER_IDENTIFIER={src.title_it}",
        "-co",
        "TILE_FORMAT=PNG",
    ]
    if path.exists():
        cmd += ["-co", "APPEND_SUBDATASET=YES"]
    if extent:
        cmd += ["-projwin", *(str(v) for v in (extent[0], extent[3], extent[2], extent[1]))]
    _run(cmd, dict(os.environ), lambda: None)


def _nlt(geometry_type: str) -> str:
    return {"POLYGON": "MULTIPOLYGON", "LINESTRING": "MULTILINESTRING", "POINT": "POINT"}.get(
        geometry_type, geometry_type if geometry_type != "GEOMETRY" else "GEOMETRY"
    )


def _run(cmd: list[str], env: dict, tick: Callable[[], None]) -> None:
    """Run a GDAL tool, calling ``tick`` about once a second (progress); a failure raises ExportFailed."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while True:
        try:
            _out, err = proc.communicate(timeout=1.0)
            break
        except subprocess.TimeoutExpired:
            tick()
    if proc.returncode != 0:
        raise ExportFailed(f"{cmd[0]}: {(err or '').strip()[-500:]}")


def _count_rows(package: sqlite3.Connection, table: str) -> int:
    # SQLite quotes identifiers as the SQL standard (and PostgreSQL) does: composed with remix.db, rendered
    # without a PostgreSQL connection (identifiers only).
    return package.execute(db.compose("SELECT count(*) FROM {t}", t=table).as_string()).fetchone()[0]


def _rows(path: Path, table: str) -> int:
    """Rows already committed in ``table`` (read while ogr2ogr writes; 0 when the file is busy)."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2)) as package:
            return _count_rows(package, table)
    except sqlite3.Error:
        return 0
