"""Checks and normalises an OWS request before MapServer sees it.

MapServer 8.0 crashes the whole process (SIGSEGV) on some valid-looking requests — a WFS
``RESULTTYPE=hits`` with an OGR output format such as GeoJSON — and answers nothing at all to a
request without a known ``SERVICE``. Every request passes through :func:`prepare` first: what
MapServer cannot answer safely is answered here with an OGC exception report, what it can answer
is rewritten into its safe equivalent (a count is always returned as GML: it has no features).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape, quoteattr

SERVICES = ("WMS", "WFS")
# A request name tells the service when a client leaves SERVICE out (WMS 1.1.1 clients often do).
_REQUEST_SERVICE = {
    "getmap": "WMS",
    "getfeatureinfo": "WMS",
    "getlegendgraphic": "WMS",
    "getstyles": "WMS",
    "getfeature": "WFS",
    "describefeaturetype": "WFS",
    "getpropertyvalue": "WFS",
    "liststoredqueries": "WFS",
    "describestoredqueries": "WFS",
}
MAX_PARAM_CHARS = 200_000  # a FILTER can be long; anything beyond is not a GIS client


@dataclass(frozen=True)
class Prepared:
    """What to hand MapServer (``query``/``body``), or the answer already decided (``error``)."""

    query: str = ""
    body: bytes = b""
    service: str = ""
    request: str = ""
    error: tuple[int, bytes] | None = None
    typenames: tuple[str, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()  # (property, descending) of a WFS SORTBY
    layers: tuple[str, ...] = ()  # the LAYERS of a WMS request, as written
    styled: bool = False  # the request carries its own styling (SLD, SLD_BODY)


def _typenames(params: dict) -> tuple[str, ...]:
    raw = params.get("TYPENAMES") or params.get("TYPENAME") or ""
    return tuple(n.strip().split(":")[-1] for n in raw.strip("()").split(",") if n.strip())


def _sort(params: dict) -> tuple[tuple[str, bool], ...]:
    """``SORTBY=prop [ASC|DESC|A|D], ...`` (WFS 1.1 and 2.0 spellings) as (property, descending)."""
    out = []
    for term in params.get("SORTBY", "").split(","):
        words = term.replace("+", " ").split()
        if not words:
            continue
        name = words[0].split(":")[-1]
        order = words[1].upper() if len(words) > 1 else "ASC"
        if order not in ("ASC", "DESC", "A", "D") or not name.replace("_", "").isalnum():
            return ()
        out.append((name, order in ("DESC", "D")))
    return tuple(out)


def sortby(sort: tuple[tuple[str, bool], ...]) -> str:
    """The SORTBY value of parsed ``sort`` terms (WFS 2.0 spelling)."""
    return ",".join(f"{name} {'DESC' if desc else 'ASC'}" for name, desc in sort)


def without(query: str, *names: str) -> str:
    """``query`` without the parameters ``names`` (any case)."""
    drop = {n.upper() for n in names}
    return urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.upper() not in drop])


def exception_report(code: str, locator: str, text: str) -> bytes:
    """An OWS 1.1 ExceptionReport (what WFS 1.1/2.0 and OWSLib expect; WMS clients show the text too)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" version="1.1.0" xml:lang="en">\n'
        f"  <ows:Exception exceptionCode={quoteattr(code)} locator={quoteattr(locator)}>\n"
        f"    <ows:ExceptionText>{escape(text)}</ows:ExceptionText>\n"
        "  </ows:Exception>\n</ows:ExceptionReport>\n"
    ).encode()


def _refuse(code: str, locator: str, text: str) -> Prepared:
    return Prepared(error=(400, exception_report(code, locator, text)))


def prepare(query_string: str, body: bytes = b"") -> Prepared:
    """Validate and normalise one request (GET query string and, for POST, its XML body)."""
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, strict_parsing=False, max_num_fields=200)
    except ValueError:
        return _refuse("InvalidParameterValue", "", "Too many or malformed parameters.")
    if any(len(v) > MAX_PARAM_CHARS for _k, v in pairs):
        return _refuse("InvalidParameterValue", "", "A parameter is too long.")
    params: dict[str, str] = {}
    for key, value in pairs:
        params.setdefault(key.upper(), value)  # the first occurrence wins, as in MapServer
    if body:
        return _prepare_post(params, query_string, body)
    service = params.get("SERVICE", "").strip().upper()
    request = params.get("REQUEST", "").strip()
    if not service:
        service = _REQUEST_SERVICE.get(request.lower(), "")
        if not service:
            return _refuse(
                "MissingParameterValue", "service", "Parameter SERVICE is missing: use SERVICE=WMS or SERVICE=WFS."
            )
    if service not in SERVICES:
        return _refuse(
            "InvalidParameterValue",
            "service",
            f"Service {params.get('SERVICE', '')[:40]!r} is not offered: use SERVICE=WMS or SERVICE=WFS.",
        )
    if not request:
        return _refuse("MissingParameterValue", "request", "Parameter REQUEST is missing.")
    out = [(k, v) for k, v in pairs if k.upper() not in ("SERVICE",)]
    if service == "WFS" and request.lower() == "getfeature" and params.get("RESULTTYPE", "").strip().lower() == "hits":
        # MapServer 8.0 segfaults on hits with an OGR output format: a count has no features, GML says it
        out = [(k, v) for k, v in out if k.upper() != "OUTPUTFORMAT"]
    sort = _sort(params) if service == "WFS" else ()
    return Prepared(
        query=urlencode([("SERVICE", service), *out]),
        service=service,
        request=request,
        typenames=_typenames(params),
        sort=sort,
        layers=tuple(params.get("LAYERS", "").split(",")) if service == "WMS" and params.get("LAYERS") else (),
        styled=bool(params.get("SLD") or params.get("SLD_BODY")),
    )


def _prepare_post(params: dict, query_string: str, body: bytes) -> Prepared:
    """A POSTed OWS request (XML): well-formed, no DTD or entities, and hits never asks for OGR output."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as err:
        return _refuse("OperationParsingFailed", "", f"The XML request cannot be read: {err}")
    if root.getroottree().docinfo.doctype:
        return _refuse("OperationParsingFailed", "", "Document type declarations are not accepted.")
    service = (root.get("service") or params.get("SERVICE", "")).upper()
    request = etree.QName(root).localname
    if service and service not in SERVICES:
        return _refuse("InvalidParameterValue", "service", "Only WMS and WFS are offered.")
    if (root.get("resultType") or "").lower() == "hits" and root.get("outputFormat") is not None:
        del root.attrib["outputFormat"]
        body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Prepared(query=query_string, body=body, service=service or "WFS", request=request)


def is_exception(content_type: str, body: bytes) -> bool:
    """An OGC exception (MapServer answers some with status 200)."""
    head = body[:600]
    return "se_xml" in content_type or b"ExceptionReport" in head or b"ServiceException" in head
