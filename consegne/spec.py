"""The regional delivery specification as data: committed YAML files → versioned spec tables → plain objects.

A new version of the regional "Schema fisico" is a new file in ``data/specs`` with a new code:
it becomes new rows, and deliveries keep the version they were validated with. The files live outside
this app because the ETL's synthetic PGT draws its code lists from the same file (one code list).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction

from .errors import SpecError
from .models import SpecCrossRule, SpecField, SpecLayer, SpecVersion

SPEC_DIR = Path(__file__).resolve().parent.parent / "data" / "specs"
FIELD_TYPES = {"text", "integer", "real", "date"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    mandatory: bool
    description_field: str
    codes: dict


@dataclass(frozen=True)
class LayerSpec:
    code: str
    required: bool
    geometry_type: str
    key_field: str
    class_field: str
    no_overlap: bool
    full_coverage: bool
    min_area_m2: float
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class Spec:
    id: int
    code: str
    accepted_srids: tuple[int, ...]
    layers: dict[str, LayerSpec]
    cross_layers: tuple[tuple[str, str], ...] = ()  # (layer, other) of the cross-layer rules


def load_file(path: Path) -> SpecVersion:
    """Load one spec file into the tables; a no-op when that version is already loaded unchanged."""
    raw = path.read_bytes()
    checksum = hashlib.sha256(raw).hexdigest()
    data = yaml.safe_load(raw)
    code = data.get("code")
    if not code or "layers" not in data:
        raise SpecError(f"{path.name}: 'code' and 'layers' are required")
    existing = SpecVersion.objects.filter(code=code).first()
    if existing is not None:
        if existing.checksum != checksum:
            raise SpecError(
                f"{path.name}: version {code} is already loaded with other content; "
                "a changed specification needs a new code"
            )
        return existing
    with transaction.atomic():
        version = SpecVersion.objects.create(
            code=code,
            title=data.get("title", code),
            source=data.get("source", ""),
            checksum=checksum,
            valid_from=_date(data.get("valid_from")),
            accepted_srids=[int(s) for s in data["accepted_srids"]],
        )
        for layer_code, layer in data["layers"].items():
            _load_layer(version, layer_code, layer)
        for rule in data.get("cross_rules", []):
            SpecCrossRule.objects.create(version=version, **rule)
    return version


def _date(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _load_layer(version: SpecVersion, code: str, layer: dict) -> None:
    row = SpecLayer.objects.create(
        version=version,
        code=code,
        required=layer.get("required", False),
        geometry_type=layer["geometry"],
        key_field=layer.get("key_field", ""),
        class_field=layer.get("class_field", ""),
        no_overlap=layer.get("no_overlap", False),
        full_coverage=layer.get("full_coverage", False),
        min_area_m2=layer.get("min_area_m2", 1.0),
    )
    for name, fld in layer["fields"].items():
        if fld["type"] not in FIELD_TYPES or len(name) > 10:
            raise SpecError(f"{code}.{name}: unknown type or name longer than 10 characters")
        SpecField.objects.create(
            layer=row,
            name=name.upper(),
            type=fld["type"],
            mandatory=fld.get("mandatory", False),
            description_field=fld.get("description_field", ""),
            codes={str(k): str(v) for k, v in (fld.get("codes") or {}).items()},
        )


def ensure_loaded() -> None:
    """Load every committed spec file that is not in the tables yet."""
    for path in sorted(SPEC_DIR.glob("*.yaml")):
        load_file(path)


def current_code() -> str:
    """The version a new delivery is validated with: the latest one already in force."""
    ensure_loaded()
    version = SpecVersion.objects.filter(valid_from__lte=dt.date.today()).order_by("-valid_from", "-id").first()
    if version is None:
        raise SpecError("no delivery specification is loaded")
    return version.code


def get(code: str) -> Spec:
    """The spec version ``code`` as plain frozen objects."""
    ensure_loaded()
    version = SpecVersion.objects.get(code=code)
    layers = {}
    for layer in version.layers.prefetch_related("fields"):
        fields = tuple(FieldSpec(f.name, f.type, f.mandatory, f.description_field, f.codes) for f in layer.fields.all())
        layers[layer.code] = LayerSpec(
            layer.code,
            layer.required,
            layer.geometry_type,
            layer.key_field,
            layer.class_field,
            layer.no_overlap,
            layer.full_coverage,
            layer.min_area_m2,
            fields,
        )
    cross = tuple(version.cross_rules.values_list("layer", "other").distinct())
    return Spec(version.id, version.code, tuple(version.accepted_srids), layers, cross)
