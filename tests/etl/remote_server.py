"""A small loopback server faking the remote services the ETL reads (WFS, ArcGIS REST, WebSIT)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

WFS_CAPABILITIES = """<?xml version="1.0" encoding="UTF-8"?>
<wfs:WFS_Capabilities version="2.0.0" xmlns:wfs="http://www.opengis.net/wfs/2.0"
  xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:xlink="http://www.w3.org/1999/xlink">
 <ows:ServiceIdentification><ows:Title>Prova</ows:Title><ows:ServiceType>WFS</ows:ServiceType>
  <ows:ServiceTypeVersion>2.0.0</ows:ServiceTypeVersion></ows:ServiceIdentification>
 <ows:OperationsMetadata>
  <ows:Operation name="GetCapabilities"><ows:DCP><ows:HTTP><ows:Get xlink:href="{base}/wfs"/></ows:HTTP></ows:DCP>
  </ows:Operation>
  <ows:Operation name="GetFeature"><ows:DCP><ows:HTTP><ows:Get xlink:href="{base}/wfs"/></ows:HTTP></ows:DCP>
  </ows:Operation>
 </ows:OperationsMetadata>
 <wfs:FeatureTypeList><wfs:FeatureType><wfs:Name>cmm:stazioni</wfs:Name><wfs:Title>Stazioni</wfs:Title>
  <wfs:DefaultCRS>urn:ogc:def:crs:EPSG::4326</wfs:DefaultCRS>
  <ows:WGS84BoundingBox><ows:LowerCorner>8.7 45.2</ows:LowerCorner><ows:UpperCorner>9.6 45.7</ows:UpperCorner>
  </ows:WGS84BoundingBox></wfs:FeatureType></wfs:FeatureTypeList>
</wfs:WFS_Capabilities>"""


class FakeServices:
    """Serves ``features`` (GeoJSON features, WGS84) over WFS and ArcGIS REST, and files by path."""

    def __init__(self, features: list[dict], files: dict[str, bytes] | None = None):
        self.features = features
        self.files = files or {}
        self.requests: list[str] = []
        services = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                services.requests.append(self.path)
                url = urlparse(self.path)
                query = {k.lower(): v[0] for k, v in parse_qs(url.query).items()}
                body, kind = services.route(url.path, query)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", kind)
                self.end_headers()
                self.wfile.write(body or b"not found")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def route(self, path: str, q: dict):
        if path in self.files:
            return self.files[path], "application/octet-stream"
        if path == "/wfs":
            if q.get("request", "").lower() == "getcapabilities":
                return WFS_CAPABILITIES.format(base=self.base).encode(), "application/xml"
            start, count = int(q.get("startindex", 0)), int(q.get("count", q.get("maxfeatures", 10**9)))
            page = self.features[start : start + count]
            collection = {
                "type": "FeatureCollection",
                "features": page,
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}},
            }
            return json.dumps(collection).encode(), "application/json"
        if path.endswith("/MapServer/13/query"):
            if q.get("returnidsonly") == "true":
                return json.dumps(
                    {"objectIdFieldName": "OBJECTID", "objectIds": list(range(1, len(self.features) + 1))}
                ).encode(), "application/json"
            ids = [int(x) for x in q["objectids"].split(",")]
            page = [dict(self.features[i - 1], id=i) for i in ids]
            return json.dumps({"type": "FeatureCollection", "features": page}).encode(), "application/json"
        return None, "text/plain"
