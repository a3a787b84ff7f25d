"""Profiles: read a firm's own export layout (names, encodings, formats, codes) as the canonical datasets.

Each source cell is turned into canonical text (ISO dates, plain numbers, canonical codes) and then typed by
the same converters as canonical files, so rejection, row numbers and counting are identical.
"""
from __future__ import annotations

import csv
import difflib
import glob
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .datasets import FORMATS, InputFile, RowReader
from .dictionary import DatasetSpec, FieldSpec, load_dictionary
from .errors import DataError, RuleFileError
from .jsonstream import json_lines, json_records
from .rejectedrows import RejectedSink
from .rowtyping import RowProblem, in_batches, line_problem, row_typer
from .rulepack import validate_document
from .sheets import open_sheet
from .textfiles import decode_error, file_sha256, open_text
from .yamlsafe import YamlDocument, load_yaml_file

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
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)))
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
            close = difflib.get_close_matches(ds, list(dictionary), n=1)
            raise RuleFileError(f"unknown dataset {ds!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                                str(path), doc.line_of(["datasets", ds]))
        for fname, fspec in spec["fields"].items():
            if fname not in dictionary[ds].by_name:
                close = difflib.get_close_matches(fname, list(dictionary[ds].by_name), n=1)
                raise RuleFileError(f"{ds} has no field {fname!r}" + (f" (did you mean {close[0]!r}?)" if close
                                                                        else ""),
                                    str(path), doc.line_of(["datasets", ds, "fields", fname]))
            if isinstance(fspec, dict):
                sources = [k for k in ("column", "columns", "position", "constant", "synthesize") if k in fspec]
                if len(sources) != 1:
                    raise RuleFileError(f"{ds}.{fname}: give exactly one of column, columns, position, constant "
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

def _number_text(text: str, spec: dict[str, Any]) -> str:
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
            t = format(Decimal(t) * Decimal(str(spec["scale"])), "f")
        except InvalidOperation:
            raise ValueError(f"not a number after cleaning ({t!r})") from None
    return ("-" + t) if negative and t else t


def _compile_field(fs: FieldSpec, spec: Any, header: list[str], dataset: str, file_stem: str,
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
    if "position" in spec:
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

    def get(cells: list[Any], rowno: int) -> Any:
        raw = cells[pos] if pos < len(cells) else None
        if isinstance(raw, datetime):
            value: Any = raw if raw.tzinfo else raw.replace(tzinfo=zone)
            out = value.date().isoformat() if kind == "date" else value.isoformat()
        elif isinstance(raw, date):
            out = raw.isoformat()
        elif isinstance(raw, bool):
            out = "true" if raw else "false"
        elif isinstance(raw, (int, float, Decimal)):
            out = (str(int(raw)) if isinstance(raw, float) and raw.is_integer() and kind != "decimal"
                   else format(Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw), "f"))
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
                out = _number_text(out, number)
            except ValueError as exc:
                raise RowProblem(fs.name, raw, str(exc)) from None
        if formats and kind in ("date", "datetime") and not isinstance(raw, (date, datetime)):
            for fmt in formats:
                try:
                    parsed = datetime.strptime(out, fmt)
                    break
                except ValueError:
                    continue
            else:
                raise RowProblem(fs.name, raw, f"does not match the format {' or '.join(formats)} "
                                                f"(column {label!r})")
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


def _naive_iso(text: str) -> bool:
    try:
        return datetime.fromisoformat(text.replace(" ", "T", 1)).tzinfo is None
    except ValueError:
        return False


class ProfileReader(RowReader):
    """Reads every file a profile names for one dataset, in name order, as one stream of canonical rows."""

    def __init__(self, dataset: DatasetSpec, dspec: dict[str, Any], files: list[Path], data_dir: Path,
                 profile: Profile, rejected: RejectedSink, encoding: str | None = None) -> None:
        fmt = dspec.get("format") or FORMATS.get(files[0].suffix.lower(), "csv")
        display = ", ".join(str(f.relative_to(data_dir)) for f in files)
        super().__init__(InputFile(dataset, files[0], display, fmt), rejected, dspec.get("encoding") or encoding)
        self.dspec, self.files, self.data_dir, self.profile = dspec, files, data_dir, profile
        self.fmt = fmt
        self.stats.files = []
        synth = [f for f, s in dspec["fields"].items() if isinstance(s, dict) and s.get("synthesize")]
        if synth:
            self.stats.profile_notes.append(f"{', '.join(synth)} synthesised from file name and row number")
        gone = [f for f, s in dspec["fields"].items() if s == "unavailable"]
        if gone:
            self.stats.profile_notes.append(f"not in the export: {', '.join(gone)}")

    def __iter__(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        try:
            yield from self._typed(self._all_files())
        except PermissionError:
            raise DataError("cannot read file: permission denied", self.current_path) from None
        self.forget_keys()  # after the last file: keys repeated across a profile's files are duplicates too
        self.stats.sha256 = (self.stats.files[0]["sha256"] if len(self.stats.files) == 1 else
                             hashlib.sha256("".join(f["sha256"] for f in self.stats.files).encode()).hexdigest())

    def batches(self) -> Iterator[tuple[str, list[int], list[tuple[Any, ...]]]]:
        return in_batches(iter(self), lambda: self.current_path)

    def byte_ranges(self, parts: int) -> None:
        """Never cut: a profile maps its own columns (and may read several files) row by row."""
        return None

    def _all_files(self) -> Iterator[tuple[int, Any, Any]]:
        spec = self.source.dataset
        names = [f.name for f in spec.fields]
        gone = frozenset(f for f, s in self.dspec["fields"].items() if s == "unavailable")
        typer = row_typer(spec, {n: i for i, n in enumerate(names)}, unavailable=gone)
        zone = parse_zone(self.dspec.get("timezone") or self.profile.timezone or "UTC")
        nulls = frozenset(self.profile.null_values)
        where = self.dspec.get("where")
        self._file_names = [str(f.relative_to(self.data_dir)) for f in self.files]
        for index, path in enumerate(self.files):
            self.current_path = str(path.relative_to(self.data_dir))
            self._file_index = index
            before_read, before_rej, before_filtered = (self.stats.rows_read, self.stats.rows_rejected,
                                                        self.stats.rows_filtered)
            header, rows = self._open(path)
            getters = []
            missing = []
            for fs in spec.fields:
                fspec = self.dspec["fields"].get(fs.name)
                if fspec is None:
                    fspec = {"column": fs.name}  # unmapped: the canonical name itself, if the file has it
                elif isinstance(fspec, str) and fspec != "unavailable":
                    fspec = {"column": fspec}
                get, label = _compile_field(fs, fspec, header, spec.name, path.stem, zone, nulls)
                if label is None and fs.required and isinstance(fspec, dict) and ("column" in fspec or
                                                                                 "columns" in fspec):
                    missing.append(f"{fs.name} (column {fspec.get('column') or ' / '.join(fspec['columns'])})")
                getters.append(get)
            if missing:
                raise DataError(f"missing required column(s) for {spec.name}: {', '.join(missing)} "
                                f"(found: {', '.join(str(h) for h in header)})", self.current_path, 1)
            test = _where(where, header, self.current_path) if where else None
            for rowno, cells in rows:
                if isinstance(cells, RowProblem):
                    yield rowno, None, cells
                    continue
                if test is not None and not test(cells):
                    self.stats.rows_filtered += 1
                    continue
                try:
                    canonical = [g(cells, rowno) for g in getters]
                except RowProblem as exc:
                    yield rowno, None, exc
                    continue
                yield rowno, typer, canonical
            self.stats.files.append({"path": self.current_path, "sha256": self._hash,
                                     "rows_read": self.stats.rows_read - before_read,
                                     "rows_rejected": self.stats.rows_rejected - before_rej,
                                     "rows_filtered": self.stats.rows_filtered - before_filtered})

    def _open(self, path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
        header_row = self.dspec.get("header_row", 1)
        if self.fmt == "xlsx":
            self._hash = file_sha256(path)
            return self._xlsx(path, header_row)
        if self.fmt in ("json", "jsonl"):
            return self._json(path)
        text, hashing, encoding = open_text(path, self.encoding)
        display = self.current_path
        reader = csv.reader(text, delimiter=self.dspec.get("delimiter", ","))
        try:
            header: list[str] | None = None
            for _ in range(header_row):
                header = next(reader, None)
        except UnicodeDecodeError:
            text.close()
            raise decode_error(path, display, encoding) from None
        if header is None:
            text.close()
            raise DataError(f"no header at line {header_row}", display, header_row)

        def rows() -> Iterator[tuple[int, list[Any]]]:
            """Stream the records; the file's sha256 is known once the last byte is read."""
            try:
                with text:
                    line = reader.line_num
                    for cells in reader:
                        start, line = line + 1, reader.line_num
                        if any(c.strip() for c in cells):
                            yield start, cells
                        else:
                            self.stats.rows_blank += 1
            except UnicodeDecodeError:
                raise decode_error(path, display, encoding) from None
            self._hash = hashing.sha256.hexdigest()
        return header, rows()

    def _xlsx(self, path: Path, header_row: int) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
        header, sheet_rows = open_sheet(path, self.current_path, self.dspec.get("sheet"), header_row)

        def rows() -> Iterator[tuple[int, list[Any]]]:
            for rowno, cells in sheet_rows:
                if cells is None:
                    self.stats.rows_blank += 1
                else:
                    yield rowno, cells
        return ["" if h is None else str(h) for h in header], rows()

    def _json(self, path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
        names = sorted({(s if isinstance(s, str) else s.get("column", "")) for s in self.dspec["fields"].values()
                        if s != "unavailable"} | {c for s in self.dspec["fields"].values() if isinstance(s, dict)
                                                  for c in s.get("columns", [])} |
                       {f.name for f in self.source.dataset.fields} - {""})
        text, hashing, encoding = open_text(path, self.encoding)
        display = self.current_path
        lowered = [n.strip().lower() for n in names]

        def records() -> Iterator[tuple[int, Any]]:
            if self.fmt == "json":
                yield from json_records(text, display)
            else:
                yield from json_lines(text, self._count_blank, line_problem)

        def rows() -> Iterator[tuple[int, Any]]:
            """Cells by name, or the RowProblem of a record that is not a JSON object (it is rejected)."""
            try:
                with text:
                    for rowno, obj in records():
                        if isinstance(obj, dict):
                            low = {str(k).strip().lower(): v for k, v in obj.items()}
                            yield rowno, [low.get(n) for n in lowered]
                        else:
                            yield rowno, (obj if isinstance(obj, RowProblem) else
                                          RowProblem(None, None, f"not a JSON object ({type(obj).__name__})"))
            except UnicodeDecodeError:
                raise decode_error(path, display, encoding) from None
            self._hash = hashing.sha256.hexdigest()
        return names, rows()


def _where(spec: dict[str, Any], header: list[str], path: str) -> Callable[[list[Any]], bool]:
    index = {h.strip().lower(): i for i, h in enumerate(header) if h is not None}
    col = spec["column"].strip().lower()
    if col not in index:
        raise DataError(f"the profile's where column {spec['column']!r} is not in the header", path, 1)
    pos = index[col]

    def text(cells: list[Any]) -> str:
        return str(cells[pos]).strip() if pos < len(cells) and cells[pos] is not None else ""
    if "equals" in spec:
        want = str(spec["equals"])
        return lambda cells: text(cells) == want
    if "in" in spec:
        allowed = {str(v) for v in spec["in"]}
        return lambda cells: text(cells) in allowed
    denied = {str(v) for v in spec.get("not_in", [])}
    return lambda cells: text(cells) not in denied


def profile_sources(profile: Profile, data_dir: Path, rejected: RejectedSink,
                    encoding: str | None) -> dict[str, ProfileReader]:
    """One reader per profiled dataset whose file pattern matches something in DATA_DIR."""
    out = {}
    dictionary = load_dictionary()
    for name, dspec in profile.datasets.items():
        pattern = str(data_dir / dspec["file"])
        files = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
        if files:
            out[name] = ProfileReader(dictionary[name], dspec, files, data_dir, profile, rejected, encoding)
    return out
