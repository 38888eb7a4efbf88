"""Source declarations: one YAML file per dataset under etl/sources/, read into frozen dataclasses."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from .errors import DeclarationError

SOURCES_DIR = Path(__file__).resolve().parent / "sources"
THEMES = {"ptm", "pgt", "rigenerazione", "sttm1", "sttm2", "sttm3", "riferimenti"}


@dataclass(frozen=True)
class FieldMap:
    """How one target field is filled: from a source column, a constant, or a lookup."""

    target: str
    source: str | None = None
    value: object = None
    lookup: str | None = None  # "app.Model.field" the source value is matched against
    create: bool = False  # create missing lookup rows (only for name-keyed reference tables)
    split: str | None = None  # separator turning a text value into a list
    where: tuple = ()  # extra (field, value) conditions on the lookup rows, e.g. synthetic: true
    match: str | None = None  # "app.Model.field" matched by normalised name (accents, apostrophes)
    to: str | None = None  # the field of the matched row that is stored (with ``match``)
    collect: tuple[str, ...] | None = None  # columns gathered into a JSON object; ("*",) = all unmapped

    @classmethod
    def parse(cls, target: str, spec) -> FieldMap:
        if isinstance(spec, str):
            return cls(target=target, source=spec)
        if not isinstance(spec, dict):
            raise DeclarationError(f"field {target!r}: expected a column name or a mapping")
        unknown = set(spec) - {"from", "value", "lookup", "create", "split", "where", "match", "to", "collect"}
        if unknown:
            raise DeclarationError(f"field {target!r}: unknown keys {sorted(unknown)}")
        return cls(
            target=target,
            source=spec.get("from"),
            value=spec.get("value"),
            lookup=spec.get("lookup"),
            create=bool(spec.get("create", False)),
            split=spec.get("split"),
            where=tuple(sorted((spec.get("where") or {}).items())),
            match=spec.get("match"),
            to=spec.get("to"),
            collect=_tuple(spec["collect"]) if "collect" in spec else None,
        )


@dataclass(frozen=True)
class Source:
    """A dataset the ETL can load, exactly as declared in its YAML file."""

    id: str
    title: str
    theme: str
    reader: str
    location: str
    target: str
    natural_key: tuple[str, ...]
    fields: tuple[FieldMap, ...]
    layer: str | None = None
    crs: str | None = None
    geometry: str | None = "geom"
    geometry_type: str | None = None  # forced geometry type when the target field is generic
    codelists: str | None = None  # "module.NAME" of {layer: [(code field, description field, {code: desc})]}
    required: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    options: dict = field(default_factory=dict, hash=False, compare=False)
    licence: str = ""
    attribution: str = ""
    update_frequency: str = ""
    synthetic: bool = False
    depends_on: tuple[str, ...] = ()
    after_load: tuple[str, ...] = ()
    before_load: tuple[str, ...] = ()
    generate: str | None = None  # "module.function" writing the file before it is read (synthetic)
    geometry_from: dict = field(default_factory=dict, hash=False, compare=False)
    preserve: dict = field(default_factory=dict, hash=False, compare=False)
    attribute_from: dict = field(default_factory=dict, hash=False, compare=False)
    unique_across_scopes: tuple[str, ...] = ()
    digest: str = ""

    @property
    def target_fields(self) -> list[str]:
        return [f.target for f in self.fields]


def _tuple(value) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def parse_source(data: dict, digest: str = "") -> Source:
    needed = {"id", "title", "theme", "reader", "location", "target"}
    if data.get("target") != "raster":  # a raster is published whole: no fields, no keys
        needed |= {"natural_key", "fields"}
    missing = needed - set(data)
    if missing:
        raise DeclarationError(f"source {data.get('id', '?')}: missing keys {sorted(missing)}")
    if data["theme"] not in THEMES:
        raise DeclarationError(f"source {data['id']}: unknown theme {data['theme']!r}")
    fields = tuple(FieldMap.parse(k, v) for k, v in (data.get("fields") or {}).items())
    known = {f.target for f in fields}
    for key in (*_tuple(data.get("natural_key")), *_tuple(data.get("required")), *_tuple(data.get("scope"))):
        if key not in known:
            raise DeclarationError(f"source {data['id']}: {key!r} is not a mapped field")
    return Source(
        id=data["id"],
        title=data["title"],
        theme=data["theme"],
        reader=data["reader"],
        location=str(data["location"]),
        target=data["target"],
        natural_key=_tuple(data.get("natural_key")),
        fields=fields,
        layer=data.get("layer"),
        crs=data.get("crs"),
        geometry=data.get("geometry", "geom"),
        geometry_type=data.get("geometry_type"),
        codelists=data.get("codelists"),
        required=_tuple(data.get("required")),
        scope=_tuple(data.get("scope")),
        options=dict(data.get("options") or {}),
        licence=data.get("licence", ""),
        attribution=data.get("attribution", ""),
        update_frequency=data.get("update_frequency", ""),
        synthetic=bool(data.get("synthetic", False)),
        depends_on=_tuple(data.get("depends_on")),
        after_load=_tuple(data.get("after_load")),
        before_load=_tuple(data.get("before_load")),
        generate=data.get("generate"),
        geometry_from=dict(data.get("geometry_from") or {}),
        preserve=dict(data.get("preserve") or {}),
        attribute_from=dict(data.get("attribute_from") or {}),
        unique_across_scopes=_tuple(data.get("unique_across_scopes")),
        digest=digest,
    )


@cache
def all_sources() -> dict[str, Source]:
    """Every declared source, by id, in dependency order."""
    found = {}
    for path in sorted(SOURCES_DIR.glob("*.yaml")):
        raw = path.read_bytes()
        source = parse_source(yaml.safe_load(raw), hashlib.sha256(raw).hexdigest())
        if source.id in found:
            raise DeclarationError(f"source id {source.id!r} declared twice")
        found[source.id] = source
    return {sid: found[sid] for sid in _dependency_order(found)}


def _dependency_order(sources: dict[str, Source]) -> list[str]:
    ordered, seen = [], set()

    def visit(sid: str, stack: tuple[str, ...]):
        if sid in stack:
            raise DeclarationError(f"dependency cycle: {' -> '.join((*stack, sid))}")
        if sid in seen:
            return
        if sid not in sources:
            raise DeclarationError(f"unknown dependency {sid!r}")
        for dep in sources[sid].depends_on:
            visit(dep, (*stack, sid))
        seen.add(sid)
        ordered.append(sid)

    for sid in sorted(sources):
        visit(sid, ())
    return ordered


def get_source(source_id: str) -> Source:
    try:
        return all_sources()[source_id]
    except KeyError:
        raise DeclarationError(f"unknown source {source_id!r}") from None
