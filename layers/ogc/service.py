"""Serves OWS requests with MapServer in-process: one generated map per visibility set, cached.

Each request asks the registry which layers the user may see; the set of (layer, last change,
data version) is the cache key of a loaded ``mapObj`` generated from those layers only, so a
layer that is unpublished or restricted is neither listed nor drawn nor queried. MapServer keeps
its PostGIS connections open between requests (``CLOSE_CONNECTION=DEFER``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import hashlib
import logging
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.db import OperationalError, connection

from remix import db
from remix.conf import shared_cache

from .. import conf
from ..models import Layer
from . import guard, mapfile
from .errors import LayerSourceError
from .mapscript_loader import mapscript
from .published import LayerSource, resolve

log = logging.getLogger(__name__)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
EXCEPTION_TYPE = "application/xml; charset=utf-8"


class _PerThread:
    """A bounded cache of loaded MapServer maps that each thread keeps for itself.

    The clones of a map share its PROJ context, whose reference count has no lock: two threads may not
    clone or answer from the same map at once. Each thread of a gthread worker therefore loads its own
    maps (a few milliseconds, once per registry change) and answers from them with no lock, so a tile is
    never queued behind a slow WMS or WFS of its process (docs/architecture.md, Serving). MapServer is
    built thread-safe (``mapserv -v``: THREADS): its errors, output buffers, connection pool, fonts and
    GDAL datasets are per thread or locked. ``clear`` (any thread) makes every thread drop its maps at
    its next use; a map is only ever freed by the thread that used it."""

    def __init__(self, limit) -> None:
        self._limit = limit
        self._local = threading.local()
        self._generation = 0

    def _own(self) -> OrderedDict:
        local = self._local
        if getattr(local, "generation", None) != self._generation:
            local.entries, local.generation = OrderedDict(), self._generation
        return local.entries

    def get(self, key):
        entries = self._own()
        value = entries.get(key)
        if value is not None:
            entries.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        entries = self._own()
        entries[key] = value
        while len(entries) > self._limit():
            entries.popitem(last=False)

    def clear(self) -> None:
        self._generation += 1


# Each thread keeps a quarter of ``OGC_MAP_CACHE`` maps (at least 2): with gunicorn's 4 threads a process
# holds as many loaded maps as it did with one shared cache (a loaded map of 8 layers is about 0.7 MB).
_maps = _PerThread(lambda: max(2, int(conf.OGC_MAP_CACHE) // 4))  # cache key → this thread's loaded map
# (id of a loaded map, layer names) → (that map, a copy of it with only those layers): see _drawn_only
_subsets = _PerThread(lambda: 4 * max(2, int(conf.OGC_MAP_CACHE) // 4))
_sources: dict[tuple, LayerSource | None] = {}
_visible: dict[object, tuple[float, float, list]] = {}  # user id (None: anonymous) → (when, stamp, layers)


@dataclass(frozen=True)
class OwsResponse:
    status: int
    content_type: str
    body: bytes

    @property
    def is_exception(self) -> bool:
        """An OGC exception report (never to be cached by anyone: the next try may succeed)."""
        return self.status >= 400 or guard.is_exception(self.content_type, self.body)


def ogc_dir() -> Path:
    path = Path(conf.OGC_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def conninfo(with_password: bool) -> str:
    """libpq keywords of Django's current database (the test database during tests)."""
    cfg = connection.settings_dict
    parts = {"host": cfg.get("HOST"), "port": cfg.get("PORT"), "dbname": cfg.get("NAME"), "user": cfg.get("USER")}
    if with_password:
        parts["password"] = cfg.get("PASSWORD")
    return " ".join(f"{k}='{_libpq(v)}'" for k, v in parts.items() if v)


def _libpq(value) -> str:
    return str(value).replace("\\", "\\\\").replace("'", "\\'")


def service_info(directory: Path, lang: str = "it") -> mapfile.ServiceInfo:
    """Service metadata from ``REMIX["OGC_SERVICE"]`` (English keys ``*_en`` where they differ)."""
    svc = conf.OGC_SERVICE

    def text(key: str, default: str = "") -> str:
        value = svc.get(f"{key}_en") if lang == "en" else None
        return str(value or svc.get(key, default) or "")

    keywords = svc.get(
        "keywords_en" if lang == "en" and svc.get("keywords_en") else "keywords",
        ("rigenerazione urbana", "PGT", "PTM", "Città metropolitana di Milano"),
    )
    return mapfile.ServiceInfo(
        title=text("title", "Remix – Città metropolitana di Milano"),
        abstract=text("abstract", "Strati pubblicati dal portale Remix della rigenerazione urbana."),
        keywords=tuple(str(k) for k in keywords),
        organization=text("organization", "Città metropolitana di Milano"),
        person=text("person"),
        position=text("position"),
        email=text("email"),
        phone=text("phone"),
        address=text("address"),
        city=text("city"),
        province=text("province"),
        postcode=text("postcode"),
        country=text("country"),
        website=text("website"),
        fees=text("fees", "none"),
        access_constraints=text("access_constraints", "CC-BY 4.0"),
        metadata_url=text("metadata_url"),
        max_features=int(svc.get("max_features", 10000)),
        connection=conninfo(with_password=False),
        fontset=str(directory / "fonts.txt"),
        template_dir=str(directory / "templates" / lang),  # feature-info labels are per language
        language="eng" if lang == "en" else "ita",
    )


def visible_layers(user) -> list[Layer]:
    return list(Layer.objects.visible_to(user).order_by("theme", "sort_order", "slug"))


def resolved(layers: list[Layer]) -> list[LayerSource]:
    """Resolve each layer once per change; a broken layer is logged and left out, not fatal."""
    out = []
    database = connection.settings_dict.get("NAME")
    for layer in layers:
        key = (database, layer.pk, layer.updated_at, layer.data_version)
        if key not in _sources:
            try:
                _sources[key] = resolve(layer)
            except LayerSourceError as err:
                log.warning("OGC: layer left out: %s", err)
                _sources[key] = None  # said once per change of the layer, not at every map generation
        if _sources[key] is not None:
            out.append(_sources[key])
    return out


def write_mapfile(layers: list[Layer], lang: str = "it") -> tuple[Path, list[LayerSource]]:
    """Generate the mapfile (and its feature-info templates) for ``layers``; returns its path."""
    directory = ogc_dir()
    sources = resolved(layers)
    info = service_info(directory, lang)
    _write(directory / "fonts.txt", f"sans {FONT}\n")
    templates = Path(info.template_dir)
    templates.mkdir(parents=True, exist_ok=True)
    _write(templates / "_header.html", mapfile.HEADER_TEMPLATE)
    _write(templates / "_footer.html", mapfile.FOOTER_TEMPLATE)
    for src in sources:
        _write(templates / f"{src.slug}.html", mapfile.feature_info_template(src, lang))
    text = mapfile.render(sources, info, lang)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = directory / f"remix-{lang}-{digest}.map"
    if not path.exists():
        _write(path, text)
        _prune(directory)
    return path, sources


def _write(path: Path, text: str) -> None:
    """Write a file whole or not at all: another thread or process may be reading it (MapServer reads
    the templates while it answers a GetFeatureInfo), and must never see it empty or cut short."""
    if path.exists() and path.read_text() == text:
        return
    part = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    part.write_text(text)
    os.replace(part, path)


def _prune(directory: Path, keep: int = 64) -> None:
    """Old mapfiles are only kept for inspection: the newest ``keep`` stay."""
    maps = sorted(directory.glob("remix-*.map"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in maps[keep:]:
        old.unlink(missing_ok=True)


REGISTRY_KEY = "ogc:registry-version"


def registry_changed(**_kwargs) -> None:
    """Signal receiver: a layer, its groups or a user's groups changed; every app server re-reads the
    registry. A new random value in the database (never a local file): written in the transaction
    of the change, so other servers see it when, and only if, the change is committed."""
    shared_cache().set(REGISTRY_KEY, uuid.uuid4().hex, timeout=None)


def _registry_version() -> str | None:
    return shared_cache().get(REGISTRY_KEY)


def _visible_stamps(user) -> list[tuple]:
    who = user.pk if user is not None and user.is_authenticated else None
    ttl = float(conf.OGC_REGISTRY_TTL)
    now, mtime = time.monotonic(), _registry_version()
    cached = _visible.get(who)
    if cached and now - cached[0] < ttl and cached[1] == mtime:
        return cached[2]
    stamps = list(
        Layer.objects.visible_to(user)
        .order_by("theme", "sort_order", "slug")
        .values_list("pk", "updated_at", "data_version")
    )
    _visible[who] = (now, mtime, stamps)
    if len(_visible) > 1000:
        _visible.clear()
    return stamps


def _cache_key(stamps: list[tuple], lang: str) -> str:
    parts = [lang, conninfo(with_password=False)] + [f"{pk}:{changed}:{version}" for pk, changed, version in stamps]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def map_for(user, lang: str = "it"):
    """The loaded MapServer map of the layers ``user`` may see (generated on first use).

    The visible set (id, last change, data version) is asked of the database unless this process
    asked it for the same user less than ``REMIX["OGC_REGISTRY_TTL"]`` seconds ago and no registry
    change was signalled since (``registry_changed`` writes a new registry version in the database).
    """
    stamps = _visible_stamps(user)
    key = _cache_key(stamps, lang)
    cached = _maps.get(key)
    if cached is not None:
        return cached
    by_pk = {layer.pk: layer for layer in Layer.objects.filter(pk__in=[s[0] for s in stamps])}
    path, _sources_used = write_mapfile([by_pk[s[0]] for s in stamps if s[0] in by_pk], lang)
    ms = mapscript()
    loaded = ms.mapObj(str(path))
    password_conn = conninfo(with_password=True)
    for index in range(loaded.numlayers):
        lyr = loaded.getLayer(index)
        if lyr.connectiontype == ms.MS_POSTGIS:
            lyr.connection = password_conn  # in memory only: the file on disk has no password
    _maps.put(key, loaded)
    return loaded


def dispatch(user, query_string: str, online_resource: str, body: bytes = b"", lang: str = "it") -> OwsResponse:
    """Run one OWS request (GET query string, or POST body) against the user's map.

    The request is checked first (:mod:`layers.ogc.guard`): what MapServer would crash on or not
    answer gets an OGC exception report here, and MapServer only sees what it answers safely.
    """
    prepared = guard.prepare(query_string, body)
    if prepared.error is not None:
        status, report = prepared.error
        return OwsResponse(status=status, content_type=EXCEPTION_TYPE, body=report)
    template = map_for(user, lang)
    capabilities = prepared.request.lower() == "getcapabilities"
    links = _metadata_links(template, online_resource) if capabilities else {}
    if _server_started[0] is None:
        _server_restarted()  # remember when the server this process talks to started
    source = _drawn_only(template, prepared)
    answer = _run(source, prepared.query, online_resource, prepared.body, links, prepared)
    failed = _failed()
    if failed and (_connection_lost(failed) or _server_restarted()):
        # A pooled PostGIS connection died (database restarted): drop the pool and answer again.
        log.warning("OGC: PostGIS connection lost (%s); reconnecting", failed[0][:200])
        mapscript().msConnPoolCloseUnreferenced()
        answer = _run(source, prepared.query, online_resource, prepared.body, links, prepared)
        failed = _failed()
        if failed and _connection_lost(failed):  # still down: the views answer 503 with Retry-After
            mapscript().msConnPoolCloseUnreferenced()
            raise OperationalError(f"PostGIS unreachable from MapServer: {failed[0][:200]}")
    if capabilities:
        return _clean_capabilities(answer)
    if prepared.request.lower() == "getfeatureinfo" and not answer.is_exception:
        return _labelled_info(template, answer)
    return answer


def _drawn_only(template, prepared):
    """For a GetMap of named layers, a copy of the user's map holding only those layers (made once, kept).

    Every request runs on a clone of its map (MapServer changes it while answering), and cloning copies
    every layer with its projection: with twenty layers that was a tenth of a tile's time. A GetMap draws
    only the layers it names, in the map's order, so the answer from the smaller map is the same. Only
    exact layer names qualify: a group, the root layer, an unknown name or a request with its own SLD is
    answered from the whole map, as before. Both maps are the calling thread's own (``_PerThread``)."""
    if prepared.request.lower() != "getmap" or not prepared.layers or prepared.styled:
        return template
    names = frozenset(prepared.layers)
    key = (id(template), names)
    entry = _subsets.get(key)
    if entry is not None and entry[0] is template:  # the map itself is held by the entry: ids stay unique
        return entry[1]
    groups = {template.name}
    layer_names = set()
    for index in range(template.numlayers):
        layer = template.getLayer(index)
        layer_names.add(layer.name)
        if layer.group:
            groups.add(layer.group)
    if not names <= layer_names or names & groups:
        return template
    subset = template.clone()
    for index in reversed(range(subset.numlayers)):
        if subset.getLayer(index).name not in names:
            subset.removeLayer(index)
    _subsets.put(key, (template, subset))
    return subset


_TEXT_LAYER = re.compile(r"^Layer '([^']*)'")
_TEXT_ITEM = re.compile(r"^(\s+)([a-z_][a-z0-9_]*) = '")


def _labels(template, slug: str) -> dict[str, str]:
    layer = template.getLayerByName(slug) if slug else None
    if layer is None:
        return {}
    prefix = mapfile.LABEL_PREFIX
    items = (layer.metadata.get("gml_include_items") or "").split(",")
    return {item: layer.metadata.get(prefix + item) for item in items if layer.metadata.get(prefix + item)}


def _labelled_info(template, answer: OwsResponse) -> OwsResponse:
    """Identify answers carry each attribute's label (the HTML template already does): ``label`` on
    the GML property elements, ``labels`` (name → label) on each GeoJSON feature, the label instead
    of the name in plain text. Names and values are untouched (same as WFS); an answer that cannot
    be read is passed on as it is."""
    kind = answer.content_type.split(";")[0].strip().lower()
    try:
        if kind == "text/plain":
            body = _labelled_text(template, answer.body.decode("utf-8")).encode("utf-8")
        elif kind == "application/json":
            body = _labelled_json(template, answer.body)
        elif kind.endswith("gml") or kind.endswith("xml"):
            body = _labelled_gml(template, answer.body)
        else:
            return answer
    except (ValueError, SyntaxError) as err:  # JSON, UTF-8 and XML (lxml's errors are SyntaxErrors) errors
        log.info("identify answer left unlabelled: %s", err)
        return answer
    return OwsResponse(status=answer.status, content_type=answer.content_type, body=body)


def _labelled_text(template, text: str) -> str:
    lines, labels = [], {}
    for line in text.splitlines(keepends=True):
        layer = _TEXT_LAYER.match(line)
        if layer:
            labels = _labels(template, layer.group(1))
        item = _TEXT_ITEM.match(line)
        if item and item.group(2) in labels:
            line = f"{item.group(1)}{labels[item.group(2)]} = '" + line[item.end() :]
        lines.append(line)
    return "".join(lines)


def _labelled_json(template, body: bytes) -> bytes:
    import json

    data = json.loads(body)
    labels = _labels(template, data.get("name", "")) if isinstance(data, dict) else {}
    if not labels or not isinstance(data.get("features"), list):
        return body
    for feature in data["features"]:
        props = feature.get("properties") or {}
        feature["labels"] = {name: labels[name] for name in props if name in labels}
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _labelled_gml(template, body: bytes) -> bytes:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(body, parser)
    if etree.QName(root).localname != "msGMLOutput":
        return body
    for group in root:
        slug = etree.QName(group).localname.removesuffix("_layer") if isinstance(group.tag, str) else ""
        labels = _labels(template, slug)
        for feature in group:
            if not isinstance(feature.tag, str):
                continue
            for prop in feature:
                if isinstance(prop.tag, str) and prop.tag in labels:
                    prop.set("label", labels[prop.tag])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


_LANGUAGE_IN_URL = re.compile(rb"\?language=[a-z]{3}&amp;")


def _clean_capabilities(answer: OwsResponse) -> OwsResponse:
    """Keywords whole again (``mapfile.KEYWORD_COMMA``), and operation URLs as clean as the one the
    client used: MapServer prefixes them with ``language=`` once the service declares its languages."""
    body = answer.body.replace(mapfile.KEYWORD_COMMA.encode(), b",")
    body = _LANGUAGE_IN_URL.sub(b"?", body)
    return OwsResponse(status=answer.status, content_type=answer.content_type, body=body)


# MapServer's words for a failed query, and libpq's for a connection that no longer works.
_QUERY_ERRORS = ("Error executing", "Query error", "msPostGIS")
_CONNECTION_ERRORS = (
    "server closed the connection",
    "terminating connection",
    "no connection to the server",
    "connection to server",
    "could not connect",
    "SSL SYSCALL",
    "the database system is",
)
_request_state = threading.local()  # .failed, set by _run: this thread's last request's PostGIS failures


def _failed() -> list[str]:
    """MapServer's messages when a PostGIS query of this thread's last request failed (else empty)."""
    return getattr(_request_state, "failed", [])


_server_started: list = [None]  # pg_postmaster_start_time() last seen by this process


def _connection_lost(messages: list[str]) -> bool:
    return any(e in m for m in messages for e in _CONNECTION_ERRORS)


def _server_restarted() -> bool:
    """Has PostgreSQL restarted since this process last looked (its pooled connections are dead)?
    Asked only after a failed query; raises OperationalError while the database is down."""
    started = db.fetch_value("SELECT pg_postmaster_start_time()")
    before, _server_started[0] = _server_started[0], started
    return before is not None and before != started


def _metadata_links(template, online_resource: str) -> dict[str, str]:
    """Each layer's RNDT record (ISO 19139 XML of the catalogue), for the capabilities' MetadataURL."""
    from django.urls import NoReverseMatch, reverse

    root = online_resource.split("/ows", 1)[0]
    links = {}
    if not template.web.metadata.get("ows_inspire_metadataurl_href"):
        with contextlib.suppress(NoReverseMatch):  # no service record configured: the catalogue
            links[""] = root + reverse("layers:catalogue")
    for index in range(template.numlayers):
        name = template.getLayer(index).name
        try:
            links[name] = root + reverse("catalogue_api:metadata-xml", args=[name])
        except NoReverseMatch:
            return {}
    return links


_NUMERIC_GML = ("Integer", "Long", "Real")


def _numeric_sort(current, prepared) -> bool:
    """MapServer sorts PostGIS layers by the text of each value ("9311" after "20205"): a SORTBY on a
    numeric property of one layer is done by PostgreSQL instead, in a sorted subquery (ties by key).
    Property names are checked against the layer's published items; nothing from the request reaches
    SQL but those names, composed as identifiers."""
    if prepared is None or not prepared.sort or len(prepared.typenames) != 1:
        return False
    layer = current.getLayerByName(prepared.typenames[0])
    if layer is None or not layer.metadata.get("remix_table"):
        return False
    items = set((layer.metadata.get("gml_include_items") or "").split(","))
    if any(name not in items for name, _desc in prepared.sort):
        return False
    if not any(layer.metadata.get(f"gml_{name}_type") in _NUMERIC_GML for name, _desc in prepared.sort):
        return False
    key, geom = layer.metadata.get("gml_featureid"), layer.metadata.get("remix_geom_column")
    if not (_PLAIN.match(key or "") and _PLAIN.match(geom or "")):  # MapServer quotes these two itself
        return False
    order = db.join(
        db.compose("{name} DESC NULLS LAST" if desc else "{name} ASC NULLS LAST", name=name)
        for name, desc in prepared.sort
    )
    sorted_rows = db.compose(
        "(SELECT * FROM {rel} ORDER BY {order}, {key}) AS sorted",
        rel=db.ident(layer.metadata.get("remix_schema"), layer.metadata.get("remix_table")),
        order=order,
        key=key,
    )
    layer.data = mapfile.postgis_data(geom, sorted_rows, key, int(layer.metadata.get("remix_srid")))
    return True


_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")


def _capabilities_metadata(current, links: dict) -> None:
    """What only the capabilities tell: each layer's data extent, its RNDT record, the service's record."""
    for index in range(current.numlayers):
        layer = current.getLayer(index)
        if layer.metadata.get("remix_data_extent"):
            layer.metadata.set("ows_extent", layer.metadata.get("remix_data_extent"))
    for name, href in links.items():
        if name == "":
            current.web.metadata.set("ows_inspire_capabilities", "url")
            current.web.metadata.set("ows_inspire_metadataurl_href", href)
            current.web.metadata.set("ows_inspire_metadataurl_format", "text/html")
            continue
        layer = current.getLayerByName(name)
        layer.metadata.set("ows_metadataurl_href", href)
        layer.metadata.set("ows_metadataurl_format", "text/xml")
        layer.metadata.set("ows_metadataurl_type", "ISO19115:2003")


def _run(
    template, query_string: str, online_resource: str, body: bytes, links: dict | None = None, prepared=None
) -> OwsResponse:
    ms = mapscript()
    request = ms.OWSRequest()
    current = template.clone()
    sorted_here = not body and _numeric_sort(current, prepared)
    if sorted_here:
        query_string = guard.without(query_string, "SORTBY")
    if body:
        request.loadParamsFromPost(body.decode("utf-8", "replace"), query_string)
    else:
        request.loadParamsFromURL(query_string)
    current.web.metadata.set("ows_onlineresource", online_resource)
    if prepared is not None and prepared.request.lower() == "getcapabilities":
        _capabilities_metadata(current, links or {})
    ms.msIO_installStdoutToBuffer()
    headers, payload = {}, b""
    try:
        _dispatch_without_gil(ms, current, request)
    except ms.MapServerError as err:
        log.info("MapServer error: %s", err)
    finally:
        try:
            headers = ms.msIO_getAndStripStdoutBufferMimeHeaders() or {}
            payload = ms.msIO_getStdoutBufferBytes()
        except ms.MapServerError as err:  # nothing written, or no header block
            log.info("MapServer wrote no answer: %s", err)
        ms.msIO_resetHandlers()
        watched = _QUERY_ERRORS + _CONNECTION_ERRORS
        _request_state.failed = [m for m in _error_messages(ms, payload) if any(e in m for e in watched)]
        ms.msResetErrorList()
    if not payload:  # MapServer wrote nothing it could call an answer
        return OwsResponse(
            status=400,
            content_type=EXCEPTION_TYPE,
            body=guard.exception_report(
                "NoApplicableCode", "", "The request could not be answered: check SERVICE, VERSION and REQUEST."
            ),
        )
    content_type = headers.get("Content-Type", "text/plain")
    try:
        status = int(str(headers.get("Status", "200")).split()[0] or 200)
    except ValueError:
        status = 200
    payload = bytes(payload)
    if sorted_here:  # the paging links MapServer wrote must keep the order the client asked for
        payload = _with_sortby(payload, guard.sortby(prepared.sort))
    return OwsResponse(status=status, content_type=content_type, body=payload)


@functools.cache
def _native_dispatch():
    """``msOWSDispatch`` of the libmapserver mapscript is linked with, called through ctypes (None if not found)."""
    name = ctypes.util.find_library("mapserver")
    try:
        function = ctypes.CDLL(name).msOWSDispatch if name else None
    except (OSError, AttributeError):
        return None
    if function is not None:
        function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        function.restype = ctypes.c_int
    return function


def _dispatch_without_gil(ms, current, request) -> None:
    """``current.OWSDispatch(request)``, with Python's GIL released while MapServer works.

    mapscript's own binding keeps the GIL for the whole call: a one-second WFS or WMS request froze every
    other thread of the process (map tiles, pages, API), which is what threaded workers are for. The same
    C function (``msOWSDispatch(map, request, MS_TRUE)``, which mapscript's method calls) is called
    through ctypes, which releases the GIL; MapServer is built thread-safe (``mapserv -v``: THREADS),
    and each thread answers from maps of its own (``_PerThread``). Its errors are raised as mapscript raises them
    (any wrapped call does, and clears the error list): the caller's handling is unchanged."""
    native = _native_dispatch()
    if native is None:
        current.OWSDispatch(request)
        return
    native(int(current.this), int(request.this), ms.MS_TRUE)
    ms.msGetErrorObj()  # raises MapServerError for an error the request left, as OWSDispatch does


_PAGING_LINK = re.compile(rb'\b(next|previous)="([^"]*)"')


def _with_sortby(payload: bytes, sortby: str) -> bytes:
    extra = ("&amp;" + urlencode({"SORTBY": sortby})).encode()
    return _PAGING_LINK.sub(lambda m: m.group(1) + b'="' + m.group(2) + extra + b'"', payload)


def cache_control(answer: OwsResponse, user) -> str:
    """Maps and features may be cached a minute (shared caches only for anonymous answers); an
    exception never is: the same request may succeed a moment later."""
    if answer.is_exception:
        return "no-store"
    return "private, max-age=60" if user is not None and user.is_authenticated else "public, max-age=60"


def _error_messages(ms, payload) -> list[str]:
    """MapServer's error list of this request, and the exception text it wrote (XML or plain)."""
    messages = []
    error = ms.msGetErrorObj()
    for _ in range(20):  # the chain is short; bounded all the same
        if error is None or not error.code:
            break
        messages.append(f"{error.routine}: {error.message}")
        error = error.next()
    if payload and len(payload) < 100_000 and b"xception" in bytes(payload[:2000]):
        messages.append(bytes(payload).decode("utf-8", "replace"))
    return messages


def close_connections() -> None:
    """Close MapServer's idle PostGIS connections and forget the loaded maps (tests, database switches)."""
    _maps.clear()
    _subsets.clear()
    _visible.clear()
    mapscript().msConnPoolCloseUnreferenced()
