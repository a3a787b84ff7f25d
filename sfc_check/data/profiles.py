"""Profiles: load and check a firm's description of its own export layout (names, encodings, formats, codes),
and turn one of its cells into canonical text (ISO dates, plain numbers, canonical codes): compile_field.

Reading the files through a profile is profilereader's job.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import RuleFileError, did_you_mean
from ..validation import validate_document
from ..yamlsafe import YamlDocument, load_yaml_file
from .dictionary import FieldSpec, load_dictionary
from .rowtyping import RowProblem
from .values import decimal_text, in_range

DEFAULT_NULLS = ("", "null", "NULL", "None", "N/A", "n/a", "-", "--")


@lru_cache(maxsize=1)
def profile_schema() -> dict[str, Any]:
    return json.loads(resources.files("sfc_check.schemas").joinpath("profile.schema.json").read_text("utf-8"))


@dataclass
class Profile:
    name: str
    path: str
    sha256: str
    doc: YamlDocument
    datasets: dict[str, dict[str, Any]]
    timezone: str | None
    null_values: tuple[str, ...]
    require: tuple[str, ...] = ()

    def unavailable(self) -> dict[str, set[str]]:
        return {ds: {f for f, spec in p["fields"].items() if spec == "unavailable"}
                for ds, p in self.datasets.items()}


def parse_zone(text: str, where: str = "") -> tzinfo:
    """An IANA zone name or a fixed offset such as +08:00 / UTC+8."""
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", text.strip())
    if m:
        sign = 1 if m.group(1) == "+" else -1
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):  # (the world's offsets run -12:00 to +14:00)
            raise RuleFileError(f"time zone offset {text!r}{where} is not a real offset (from -14:00 to +14:00, "
                                "minutes 00–59)")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    if text.strip().upper() in ("UTC", "GMT", "Z"):
        return timezone.utc
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleFileError(f"unknown time zone {text!r}{where} (use e.g. Asia/Hong_Kong or +08:00)") from None


def load_profile(path: Path) -> Profile:
    """Validate a profile: schema (unknown keys named with the nearest valid one), then datasets and fields."""
    doc = load_yaml_file(path)
    if not isinstance(doc.data, dict):
        raise RuleFileError("a profile holds one mapping (profile, datasets)", str(path), 1)
    validate_document(doc, profile_schema(), "profile")
    dictionary = load_dictionary()
    for ds, spec in doc.data["datasets"].items():
        if ds not in dictionary:
            raise RuleFileError(f"unknown dataset {ds!r}{did_you_mean(ds, dictionary)}",
                                str(path), doc.line_of(["datasets", ds]))
        pattern = str(spec.get("file", ""))
        if PurePath(pattern).is_absolute() or ".." in PurePath(pattern.replace("\\", "/")).parts:
            raise RuleFileError(f"file pattern {pattern!r} must name files inside DATA_DIR (no absolute path, "
                                "no '..')", str(path), doc.line_of(["datasets", ds, "file"]))
        for fname, fspec in spec["fields"].items():
            if fname not in dictionary[ds].by_name:
                raise RuleFileError(f"{ds} has no field {fname!r}{did_you_mean(fname, dictionary[ds].by_name)}",
                                    str(path), doc.line_of(["datasets", ds, "fields", fname]))
            if isinstance(fspec, dict):
                sources = [k for k in ("column", "columns", "join", "position", "constant", "synthesize")
                           if k in fspec]
                if len(sources) != 1:
                    raise RuleFileError(f"{ds}.{fname}: give exactly one of column, columns, join, position, constant "
                                        "or synthesize", str(path), doc.line_of(["datasets", ds, "fields", fname]))
                if "timezone" in fspec:
                    _zone_in(doc, ["datasets", ds, "fields", fname, "timezone"])
        if "timezone" in spec:
            _zone_in(doc, ["datasets", ds, "timezone"])
    if doc.data.get("timezone"):
        _zone_in(doc, ["timezone"])
    return Profile(name=doc.data["profile"], path=str(path), sha256=doc.sha256,
                   doc=doc, datasets=doc.data["datasets"], timezone=doc.data.get("timezone"),
                   null_values=tuple(doc.data.get("null_values", DEFAULT_NULLS)),
                   require=tuple(doc.data.get("require", ())))


def _zone_in(doc: YamlDocument, where: list[Any]) -> None:
    value: Any = doc.data
    for part in where:
        value = value[part]
    try:
        parse_zone(str(value))
    except RuleFileError as exc:
        raise RuleFileError(exc.message, doc.path, doc.line_of(where)) from None


# --- turning one source cell into canonical text ---------------------------------------------------------

def number_text(text: str, spec: dict[str, Any]) -> str:
    t = text.strip()
    for token in spec.get("strip", ()):
        t = t.replace(token, "")
    t = t.strip().replace(" ", "")
    negative = False
    if spec.get("parentheses_negative") and t.startswith("(") and t.endswith(")"):
        negative, t = True, t[1:-1]
    if t.startswith("-"):
        negative, t = not negative, t[1:]
    if spec.get("percent") and t.endswith("%"):
        t = t[:-1]
    if spec.get("thousands"):
        t = t.replace(spec["thousands"], "")
    if spec.get("decimal") and spec["decimal"] != ".":
        t = t.replace(spec["decimal"], ".")
    if "scale" in spec:
        try:
            t = decimal_text(in_range(Decimal(t)) * Decimal(str(spec["scale"])))
        except ArithmeticError:  # not a number (InvalidOperation), or the scaling overflowed
            raise ValueError(f"not a number after cleaning ({t!r})") from None
    return ("-" + t) if negative and t else t


def compile_field(fs: FieldSpec, spec: Any, header: list[str], dataset: str, file_stem: str,
                   default_zone: tzinfo, nulls: frozenset[str]) -> tuple[Callable[[list[Any], int], Any], str | None]:
    """A getter: (source cells, row number) → canonical cell (text, or None), plus the source column's name."""
    if spec == "unavailable":
        return (lambda cells, rowno: None), None
    if isinstance(spec, str):
        spec = {"column": spec}
    if "constant" in spec:
        const = spec["constant"]
        value = ("true" if const else "false") if isinstance(const, bool) else str(const)
        return (lambda cells, rowno: value), None
    if "synthesize" in spec:
        return (lambda cells, rowno: f"{file_stem}:{rowno}"), None
    index = {h.strip().lower(): i for i, h in reversed(list(enumerate(header))) if h is not None}
    joined: list[int] = []
    if "join" in spec:  # several columns make one value (a date and a time): the first one names it
        if any(n.strip().lower() not in index for n in spec["join"]):
            return (lambda cells, rowno: None), None  # reported as a missing column by the caller
        joined = [index[n.strip().lower()] for n in spec["join"]]
        pos, label = joined[0], " + ".join(spec["join"])
    elif "position" in spec:
        pos = spec["position"] - 1
        label = f"#{spec['position']}"
    else:
        names = spec.get("columns") or [spec["column"]]
        found = [n for n in names if n.strip().lower() in index]
        if not found:
            return (lambda cells, rowno: None), None  # reported as a missing column by the caller
        pos = index[found[0].strip().lower()]
        label = found[0]
    strip_tokens = tuple(spec.get("strip", ()))
    mapping = {str(k).strip().lower(): v for k, v in (spec.get("map") or {}).items()}
    number = spec.get("number")
    formats = spec.get("format")
    formats = [formats] if isinstance(formats, str) else formats
    zone = parse_zone(spec["timezone"]) if "timezone" in spec else default_zone
    pad = spec.get("pad")
    fill = spec.get("fill_down", False)
    last = [None]
    kind = fs.type

    separator = spec.get("separator", " ")

    def get(cells: list[Any], rowno: int) -> Any:
        raw = cells[pos] if pos < len(cells) else None
        if joined:
            parts = [cells[i] for i in joined if i < len(cells) and cells[i] is not None and str(cells[i]).strip()]
            raw = separator.join(p.isoformat() if isinstance(p, (date, datetime)) else str(p).strip()
                                 for p in parts) or None
        if isinstance(raw, datetime):
            value: Any = raw if raw.tzinfo else raw.replace(tzinfo=zone)
            out = value.date().isoformat() if kind == "date" else value.isoformat()
        elif isinstance(raw, date):
            out = raw.isoformat()
        elif isinstance(raw, bool):
            out = "true" if raw else "false"
        elif isinstance(raw, (int, float, Decimal)):
            out = (str(int(raw)) if isinstance(raw, float) and raw.is_integer() and kind != "decimal"
                   else decimal_text(Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)))
        else:
            out = "" if raw is None else str(raw)
            for token in strip_tokens:
                out = out.replace(token, "")
            out = out.strip()
        if out in nulls:
            out = ""
        if fill:
            if out:
                last[0] = out
            else:
                out = last[0] or ""
        if not out:
            return None
        if mapping:
            mapped = mapping.get(out.lower())
            if mapped is not None:
                out = ("true" if mapped else "false") if isinstance(mapped, bool) else str(mapped)
        if number is not None:
            try:
                out = number_text(out, number)
            except ValueError as exc:
                raise RowProblem(fs.name, raw, str(exc)) from None
        if formats and kind in ("date", "datetime") and not isinstance(raw, (date, datetime)):
            why = ""
            for fmt in formats:
                try:
                    parsed = parse_formatted(out, fmt)
                    break
                except ValueError as exc:
                    why = f": {exc}" if fmt in EPOCH_UNITS else why
                    continue
            else:
                raise RowProblem(fs.name, raw, f"does not match the format {' or '.join(formats)} "
                                                f"(column {label!r}){why}")
            if kind == "date":
                out = parsed.date().isoformat()
            else:
                out = (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).isoformat()
        elif kind == "datetime" and out and _naive_iso(out):
            out = datetime.fromisoformat(out.replace(" ", "T", 1)).replace(tzinfo=zone).isoformat()
        if pad:
            out = out.rjust(pad["width"], pad.get("char", "0"))
        return out
    return get, label


# Formats whose text, in exactly this shape (ASCII digits, zero-padded), datetime.fromisoformat reads to the
# same value as strptime, and refuses as strptime does: 0.5 µs instead of 10-30 µs a cell, which made strptime
# a third of the time of a profile's pass over a trade history
_ISO_SHAPES = {
    "%Y-%m-%d %H:%M:%S": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"),
    "%Y-%m-%dT%H:%M:%S": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"),
    "%Y-%m-%d %H:%M": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}"),
    "%Y-%m-%d": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
}


EPOCH_UNITS = {"epoch_s": 1, "epoch_ms": 1000}
_EPOCH = re.compile(r"[0-9]{1,16}(\.[0-9]{1,6})?")
_EPOCH_RANGE = (datetime(1990, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc))


def parse_formatted(text: str, fmt: str) -> datetime:
    """`datetime.strptime(text, fmt)`, by the ISO parser when the text has the format's exact ISO shape;
    `epoch_s` / `epoch_ms`: Unix time in seconds or milliseconds (UTC), between 1990 and 2100 (a number out
    of that range is more likely the wrong unit than a trade)."""
    if fmt in EPOCH_UNITS:
        if not _EPOCH.fullmatch(text):
            raise ValueError(f"not Unix time in {'seconds' if fmt == 'epoch_s' else 'milliseconds'}")
        seconds = Decimal(text) / EPOCH_UNITS[fmt]
        if not _EPOCH_RANGE[0].timestamp() <= seconds < _EPOCH_RANGE[1].timestamp():
            raise ValueError("Unix time outside 1990–2100: the wrong unit (seconds or milliseconds)?")
        return datetime.fromtimestamp(0, timezone.utc) + timedelta(seconds=float(seconds))
    shape = _ISO_SHAPES.get(fmt)
    if shape is not None and shape.fullmatch(text):
        return datetime.fromisoformat(text)
    return datetime.strptime(text, fmt)


def _naive_iso(text: str) -> bool:
    try:
        return datetime.fromisoformat(text.replace(" ", "T", 1)).tzinfo is None
    except ValueError:
        return False
