"""Profiles, reading: every file a profile names for a dataset, in name order, as one stream of canonical rows.

Each source cell becomes canonical text through the profile's field mapping (profiles.compile_field), then
is typed by the same row typer as a canonical file, so rejection, row numbers and counting are identical.
"""
from __future__ import annotations

import csv
import glob
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..rejectedrows import RejectedSink
from .csvrecords import csv_records
from .datasets import FORMATS, InputFile, refuse_unreadable
from .dictionary import DatasetSpec, load_dictionary
from .jsonstream import json_lines, json_records
from .profiles import Profile, compile_field, parse_zone
from .rowreader import Batches, RowReader
from .rowtyping import RowProblem, line_problem, record_fields, row_typer
from .sheets import open_sheet
from .textfiles import decode_error, file_sha256, open_text


class ProfileReader(RowReader):
    """Reads every file a profile names for one dataset, in name order, as one stream of canonical rows."""

    def __init__(self, dataset: DatasetSpec, dspec: dict[str, Any], files: list[Path], data_dir: Path,
                 profile: Profile, rejected: RejectedSink, encoding: str | None = None) -> None:
        fmt = dspec.get("format") or FORMATS.get(files[0].suffix.lower(), "csv")
        if fmt == "parquet":
            raise DataError(f"profile dataset {dataset.name!r}: a profile maps CSV, JSON and Excel layouts; a "
                            f"Parquet export is read as {dataset.name}.parquet with the dictionary's column names",
                            str(files[0]))
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

    @property
    def total_bytes(self) -> int | None:
        try:
            return sum(f.stat().st_size for f in self.files)
        except OSError:
            return None

    def _read(self) -> Batches:
        yield from self._batches(self._all_files())
        self.stats.sha256 = (self.stats.files[0]["sha256"] if len(self.stats.files) == 1 else
                             hashlib.sha256("".join(f["sha256"] for f in self.stats.files).encode()).hexdigest())

    def _all_files(self) -> Iterator[tuple[int, Any, Any]]:
        spec = self.source.dataset
        names = [f.name for f in spec.fields]
        gone = frozenset(f for f, s in self.dspec["fields"].items() if s == "unavailable")
        typer = row_typer(spec, {n: i for i, n in enumerate(names)}, unavailable=gone,
                          every_problem=self.every_problem)
        zone = parse_zone(self.dspec.get("timezone") or self.profile.timezone or "UTC")
        nulls = frozenset(self.profile.null_values)
        where = self.dspec.get("where")
        for path in self.files:
            self.current_path = str(path.relative_to(self.data_dir))
            before_read, before_rej, before_filtered = (self.stats.rows_read, self.stats.rows_rejected,
                                                        self.stats.rows_filtered)
            header, rows = self._open(path)
            getters = []
            missing = []
            absent = set()
            for fs in spec.fields:
                fspec = self.dspec["fields"].get(fs.name)
                if fspec is None:
                    fspec = {"column": fs.name}  # unmapped: the canonical name itself, if the file has it
                elif isinstance(fspec, str) and fspec != "unavailable":
                    fspec = {"column": fspec}
                get, label = compile_field(fs, fspec, header, spec.name, path.stem, zone, nulls)
                reads = isinstance(fspec, dict) and any(k in fspec for k in ("column", "columns", "join"))
                if label is None and reads:
                    absent.add(fs.name)
                if label is None and fs.required and reads:
                    assert isinstance(fspec, dict)
                    named = fspec.get("column") or " / ".join(fspec.get("columns") or []) or \
                        " + ".join(fspec["join"])
                    missing.append(f"{fs.name} (column {named})")
                getters.append(get)
            if missing:
                raise DataError(f"missing required column(s) for {spec.name}: {', '.join(missing)} "
                                f"(found: {', '.join(str(h) for h in header)})", self.current_path, 1)
            # a field is absent when no file of the dataset has its column
            self.stats.absent = absent if path == self.files[0] else self.stats.absent & absent
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
                    if self.every_problem:
                        exc.more = _other_problems(getters, cells, rowno, exc)
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
        self.reading(hashing)
        display = self.current_path
        reader = csv.reader(text, delimiter=self.dspec.get("delimiter", ","))
        try:
            header: list[str] | None = None
            for _ in range(header_row):  # (a header_row past the end stops at the end, however large)
                header = next(reader, None)
                if header is None:
                    break
        except UnicodeDecodeError:
            text.close()
            raise decode_error(path, display, encoding, self.source.dataset.name) from None
        except csv.Error as exc:
            text.close()
            raise DataError(f"unreadable CSV before the header: {exc}", display, reader.line_num + 1) from None
        if header is None:
            text.close()
            raise DataError(f"no header at line {header_row}", display, header_row)

        def rows() -> Iterator[tuple[int, list[Any]]]:
            """Stream the records; the file's sha256 is known once the last byte is read."""
            try:
                with text:
                    for start, cells in csv_records(reader, len(header), display,
                                                    self.dspec.get("delimiter", ",")):
                        if any(c.strip() for c in cells):
                            yield start, cells
                        else:
                            self.stats.rows_blank += 1
            except UnicodeDecodeError:
                raise decode_error(path, display, encoding, self.source.dataset.name) from None
            self._hash = hashing.sha256.hexdigest()
        return header, rows()

    def _xlsx(self, path: Path, header_row: int) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
        header, sheet_rows = open_sheet(path, self.current_path, self.dspec.get("sheet"), header_row,
                                        self.stats.profile_notes)

        def rows() -> Iterator[tuple[int, list[Any]]]:
            for rowno, cells in sheet_rows:
                if cells is None:
                    self.stats.rows_blank += 1
                else:
                    yield rowno, cells
        return ["" if h is None else str(h) for h in header], rows()

    def _json(self, path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
        names = sorted(({(s if isinstance(s, str) else s.get("column", "")) for s in self.dspec["fields"].values()
                         if s != "unavailable"} | {c for s in self.dspec["fields"].values() if isinstance(s, dict)
                                                   for c in (*s.get("columns", []), *s.get("join", []))} |
                        set(_where_columns(self.dspec.get("where"))) |
                        {f.name for f in self.source.dataset.fields}) - {""})
        text, hashing, encoding = open_text(path, self.encoding)
        self.reading(hashing)
        display = self.current_path
        lowered = [n.strip().lower() for n in names]
        columns = frozenset(lowered)

        def records() -> Iterator[tuple[int, Any]]:
            if self.fmt == "json":
                envelope = self.dspec.get("records")
                yield from json_records(text, display, (envelope,) if envelope else ("records", "data"))
            else:
                yield from json_lines(text, self._count_blank, line_problem)

        def rows() -> Iterator[tuple[int, Any]]:
            """Cells by name, or the RowProblem of a record that cannot be a row (it is rejected)."""
            try:
                with text:
                    for rowno, obj in records():
                        fields = record_fields(obj, columns)
                        if isinstance(fields, RowProblem):
                            yield rowno, fields
                            continue
                        yield rowno, [fields[n] if n in fields else _at_path(fields, n) if "." in n else None
                                      for n in lowered]
            except UnicodeDecodeError:
                raise decode_error(path, display, encoding, self.source.dataset.name) from None
            self._hash = hashing.sha256.hexdigest()
        return names, rows()


def _other_problems(getters: list[Callable[[list[Any], int], Any]], cells: list[Any], rowno: int,
                    first: RowProblem) -> list[RowProblem]:
    """Every bad cell of a row after `first` (profile check lists them all, the audit only the first)."""
    found = []
    for get in getters:
        try:
            get(cells, rowno)
        except RowProblem as exc:
            if exc.column != first.column:
                found.append(exc)
    return found


def _where_columns(spec: dict[str, Any] | None) -> list[str]:
    if not spec:
        return []
    if "all" in spec or "any" in spec:
        return [c for part in spec.get("all") or spec.get("any") or [] for c in _where_columns(part)]
    return [spec["column"]]


def _at_path(record: dict[str, Any], path: str) -> Any:
    """A nested JSON value by a dotted path (`event.user.id`), keys matched as header names are: stripped and
    without regard to case; None when a step is missing or not an object."""
    value: Any = record
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        keyed = {str(k).strip().lower(): v for k, v in value.items()}
        value = keyed.get(step)
    return value


def _where(spec: dict[str, Any], header: list[str], path: str) -> Callable[[list[Any]], bool]:
    """The profile's row filter: one column's test, or all: / any: of several."""
    if "all" in spec:
        parts = [_where(p, header, path) for p in spec["all"]]
        return lambda cells: all(test(cells) for test in parts)
    if "any" in spec:
        parts = [_where(p, header, path) for p in spec["any"]]
        return lambda cells: any(test(cells) for test in parts)
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
        files = sorted(Path(p) for p in glob.glob(pattern))
        for f in files:
            refuse_unreadable(f)  # a match that cannot be read stops the run: never taken as absent
        if files:
            out[name] = ProfileReader(dictionary[name], dspec, files, data_dir, profile, rejected, encoding)
    return out
