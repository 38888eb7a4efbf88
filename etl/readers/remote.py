"""Remote readers: HTTP file download, OGC WFS (OWSLib, paged), ArcGIS REST MapServer layer query
(object-id paging, as Regione Lombardia serves its PGT mosaic) and CMM's WebSIT XML catalogue.

Each one materialises the remote data as a local file under ``WORK_DIR/downloads/<source>`` (a
GeoJSON for the services, the original file for downloads) and hands it to the file readers, so
the checksum, the archive of each version and the restore work exactly as for local files.
Downloads are size-limited and zips are read in place through GDAL's /vsizip (never unpacked).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlparse
from xml.etree import ElementTree

import requests
from owslib.util import ServiceException
from owslib.wfs import WebFeatureService

from remix import conf as remix_conf

from ..declarations import Source
from ..errors import MESSAGES, SourceNotFound, SourceUnreadable
from .base import FeatureTable, file_checksum, register
from .files import OgrFileReader
from .raster import RasterReader
from .tabular import TabularReader

TIMEOUT_S = 60
DEFAULT_MAX_MB = 1024


def _limit(source: Source) -> int:
    return int(source.options.get("max_mb", DEFAULT_MAX_MB)) * 1024 * 1024


def _get(url: str, source: Source, **params) -> requests.Response:
    try:
        response = requests.get(url, params=params or None, timeout=TIMEOUT_S, stream=True)
    except requests.RequestException as err:
        raise SourceNotFound(MESSAGES["not_found"] % {"location": url}) from err
    if response.status_code != 200:
        raise SourceNotFound(MESSAGES["not_found"] % {"location": f"{url} (HTTP {response.status_code})"})
    return response


def _read_limited(response: requests.Response, source: Source, url: str) -> bytes:
    limit, chunks, size = _limit(source), [], 0
    for chunk in response.iter_content(1 << 16):
        size += len(chunk)
        if size > limit:
            raise SourceUnreadable(
                MESSAGES["unreadable"]
                % {"location": url, "detail": f"più grande del limite di {limit // (1024 * 1024)} MB"}
            )
        chunks.append(chunk)
    return b"".join(chunks)


class _Materialised:
    """Base: fetch once into a local file, then behave as the local reader of that file."""

    def __init__(self, source: Source, location: str | None = None):
        self.source = source
        self.url = location or source.location
        self.folder = Path(remix_conf.WORK_DIR) / "downloads" / source.id
        self.local: Path | None = None

    def _fetch(self) -> Path:
        raise NotImplementedError

    def _ensure(self) -> Path:
        if self.local is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.local = self._fetch()
        return self.local

    def _write(self, name: str, content: bytes) -> Path:
        path = self.folder / name
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(content)
        tmp.replace(path)
        return path

    def fingerprint(self) -> str:
        return file_checksum(self._ensure())

    def archive_path(self) -> Path:
        return self._ensure()

    def _local_reader(self):
        path = self._ensure()
        suffix = path.suffix.lower()
        cls = (
            RasterReader
            if suffix in (".tif", ".tiff")
            else TabularReader
            if suffix in (".csv", ".xlsx")
            else OgrFileReader
        )
        # The services' layer names are remote names: the GeoJSON written from them has one layer.
        source = dataclasses.replace(self.source, layer=None) if path.name == "features.geojson" else self.source
        return cls(source, str(path))

    def read(self) -> FeatureTable:
        return self._local_reader().read()

    def _geojson(self, features: list, crs: str | None) -> Path:
        collection = {"type": "FeatureCollection", "features": features}
        if crs:
            collection["crs"] = {"type": "name", "properties": {"name": crs}}
        return self._write("features.geojson", json.dumps(collection, ensure_ascii=False).encode())


@register("http")
class HttpFileReader(_Materialised):
    """A file published at a URL (GeoPackage, zipped Shapefile, GeoJSON, CSV, GeoTIFF…)."""

    def _fetch(self) -> Path:
        content = _read_limited(_get(self.url, self.source), self.source, self.url)
        name = Path(urlparse(self.url).path).name or "download"
        return self._write(re.sub(r"[^\w.-]", "_", name), content)


@register("wfs")
class WfsReader(_Materialised):
    """An OGC WFS 2.0 feature type (``layer``), fetched as GeoJSON pages of ``options.page_size``."""

    def _fetch(self) -> Path:
        page = int(self.source.options.get("page_size", 1000))
        try:
            wfs = WebFeatureService(self.url, version="2.0.0", timeout=TIMEOUT_S)
            features, start = [], 0
            while True:
                response = wfs.getfeature(
                    typename=self.source.layer, startindex=start, maxfeatures=page, outputFormat="application/json"
                )
                batch = json.loads(response.read())
                features += batch.get("features", [])
                if len(batch.get("features", [])) < page:
                    break
                start += page
        except (requests.RequestException, ServiceException, OSError) as err:
            raise SourceNotFound(MESSAGES["not_found"] % {"location": self.url}) from err
        except ValueError as err:
            raise SourceUnreadable(MESSAGES["unreadable"] % {"location": self.url, "detail": err}) from err
        crs = (batch.get("crs") or {}).get("properties", {}).get("name") or self.source.crs
        return self._geojson(features, crs)


@register("arcgis")
class ArcGisReader(_Materialised):
    """An ArcGIS REST ``MapServer/<layer>``: all object ids first, then GeoJSON batches by id."""

    def _json(self, url: str, **params) -> dict:
        data = _get(url, self.source, **params).json()
        if "error" in data:
            raise SourceUnreadable(MESSAGES["unreadable"] % {"location": url, "detail": data["error"]})
        return data

    def _fetch(self) -> Path:
        query = self.url.rstrip("/") + "/query"
        where = self.source.options.get("where", "1=1")
        ids = sorted(self._json(query, where=where, returnIdsOnly="true", f="json").get("objectIds") or [])
        batch = int(self.source.options.get("page_size", 500))
        features = []
        for i in range(0, len(ids), batch):
            chunk = ",".join(str(x) for x in ids[i : i + batch])
            data = self._json(query, objectIds=chunk, outFields="*", outSR=4326, f="geojson")
            features += data.get("features", [])
        return self._geojson(features, "EPSG:4326")


@register("websit")
class WebsitReader(_Materialised):
    """A dataset of CMM's WebSIT PTM catalogue (``servizi_banchedati_PTM.xml``), by ID or SERVIZIO.

    The catalogue points at a zipped Shapefile (DATO); its AGGIORNAMENTO (mm/yyyy) is kept in
    ``self.record`` for the version's metadata.
    """

    record: dict | None = None

    def _fetch(self) -> Path:
        wanted = str(self.source.options.get("dataset", "")).strip().lower()
        xml = _read_limited(_get(self.url, self.source), self.source, self.url)
        try:
            root = ElementTree.fromstring(xml)  # noqa: S314 - CMM's catalogue; no DTDs/entities are expanded
        except ElementTree.ParseError as err:
            raise SourceUnreadable(MESSAGES["unreadable"] % {"location": self.url, "detail": err}) from err
        for node in root.iter("servizi_banchedati_PTM"):
            record = {child.tag: (child.text or "").strip() for child in node}
            if wanted in (record.get("ID", "").lower(), record.get("SERVIZIO", "").lower()):
                self.record = record
                break
        else:
            raise SourceNotFound(f"Il catalogo WebSIT non contiene il dataset «{wanted}».")
        data_url = urljoin(self.url, record["DATO"])
        content = _read_limited(_get(data_url, self.source), self.source, data_url)
        digest = hashlib.sha256(data_url.encode()).hexdigest()[:8]
        return self._write(f"{Path(urlparse(data_url).path).stem}_{digest}.zip", content)
