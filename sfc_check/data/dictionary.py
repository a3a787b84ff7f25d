"""The data dictionary: canonical datasets, their keys and typed fields, loaded from schemas/datasets.yaml."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from ..yamlsafe import load_yaml_text


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field: its type, whether the column must be present, and how values normalise."""

    name: str
    type: str
    required: bool = False
    values: tuple[str, ...] = ()
    case: str | None = None
    default: Any = None
    min: Any = None
    max: Any = None
    absent: str | None = None  # "not_evaluable": a rule reading it on a file without the column cannot judge


@dataclass(frozen=True)
class DatasetSpec:
    """A canonical dataset: its name (the file stem), primary key and fields in canonical order."""

    name: str
    key: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    by_name: dict[str, FieldSpec] = field(default_factory=dict, compare=False, hash=False)

    def index(self, name: str) -> int:
        """Position of a canonical field in a typed row."""
        for i, f in enumerate(self.fields):
            if f.name == name:
                return i
        raise KeyError(name)


@lru_cache(maxsize=1)
def load_dictionary() -> dict[str, DatasetSpec]:
    """The bundled dictionary, parsed once per process."""
    text = resources.files("sfc_check.schemas").joinpath("datasets.yaml").read_text("utf-8")
    raw = load_yaml_text(text, "sfc_check/schemas/datasets.yaml").data
    out: dict[str, DatasetSpec] = {}
    for name, spec in raw.items():
        fields = tuple(
            FieldSpec(name=fname, type=f["type"], required=bool(f.get("required", False)),
                      values=tuple(f.get("values", ())), case=f.get("case"),
                      default=_typed_default(f["type"], f.get("default")),
                      min=f.get("min"), max=f.get("max"), absent=f.get("absent"))
            for fname, f in spec["fields"].items()
        )
        ds = DatasetSpec(name=name, key=tuple(spec["key"]), fields=fields)
        ds.by_name.update({f.name: f for f in fields})
        out[name] = ds
    return out


def _typed_default(kind: str, value: Any) -> Any:
    """A default as a field of that type holds it (a decimal default is a Decimal, as a read cell is)."""
    if value is not None and kind == "decimal" and not isinstance(value, bool):
        return Decimal(str(value))
    return value
