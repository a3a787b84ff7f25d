"""LOAD DATA: find the export files in a folder and stream their rows, typed per the data dictionary."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from .columns import BatchTyper, NeedsRowPath
from .dictionary import DatasetSpec, load_dictionary
from .errors import DataError
from .jsonstream import json_lines, json_records
from .model import InputStats, RejectedRow
from .rejectedrows import RejectedSink
from .rowtyping import (
    BATCH,
    Row,
    RowProblem,
    cell_text,
    extra_columns,
    extra_text,
    in_batches,
    line_problem,
    row_typer,
    shown_value,
)
from .seenkeys import SeenKeys
from .sheets import open_sheet
from .textfiles import HashingRaw, RangeRaw, decode_error, file_sha256, line_cuts, open_text

FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
csv.field_size_limit(64 * 1024 * 1024)

_ROWS_PER_FILE = 10 ** 12


@dataclass(frozen=True)
class InputFile:
    """One export file and the canonical dataset it holds."""

    dataset: DatasetSpec
    path: Path
    display: str
    format: str


def discover(data_dir: Path) -> tuple[dict[str, InputFile], list[str]]:
    """Map dataset name → file by file stem; files of no known dataset are returned as ignored."""
    if not data_dir.exists():
        raise DataError("data folder not found", str(data_dir))
    if not data_dir.is_dir():
        raise DataError("not a folder: give the folder that holds the exported files", str(data_dir))
    dictionary = load_dictionary()
    found: dict[str, InputFile] = {}
    ignored: list[str] = []
    try:
        entries = sorted(data_dir.iterdir())
    except OSError as exc:
        raise DataError(f"cannot list folder: {exc.strerror}", str(data_dir)) from None
    for entry in entries:
        if not entry.is_file():
            continue
        fmt = FORMATS.get(entry.suffix.lower())
        spec = dictionary.get(entry.stem.lower())
        if fmt is None or spec is None:
            if not entry.name.startswith("."):
                ignored.append(entry.name)
            continue
        if spec.name in found:
            raise DataError(f"two files hold dataset {spec.name!r}: {found[spec.name].display} and {entry.name}; "
                            "keep one", str(entry))
        found[spec.name] = InputFile(spec, entry, entry.name, fmt)
    return found, ignored


class RowReader:
    """Streams (row number, typed row) of one input file; bad rows go to `rejected` with their reason."""

    def __init__(self, source: InputFile, rejected: RejectedSink, encoding: str | None = None) -> None:
        self.source = source
        self.rejected = rejected
        self.encoding = encoding
        self.stats = InputStats(dataset=source.dataset.name, path=source.display, format=source.format)
        self.current_path = source.display  # the file the row being read comes from (profiles read several)
        spec = source.dataset
        self._key_pos = [spec.index(k) for k in spec.key]
        self._seen = SeenKeys()
        self._needed: set[str] | None = None
        self._file_index = 0            # profiles read several files as one dataset
        self._file_names = [source.display]

    def project(self, fields: set[str]) -> None:
        """Only these fields will be read: the others are checked but not turned into values (CSV)."""
        self._needed = set(fields)

    def __iter__(self) -> Iterator[tuple[int, Row]]:
        for _, rownos, rows in self.batches():
            yield from zip(rownos, rows)

    def batches(self) -> Iterator[tuple[str, list[int], list[Row]]]:
        """(file, row numbers, typed rows) of consecutive accepted rows: the engine judges rules per batch."""
        try:
            if self.source.format == "csv":
                yield from self._csv_batches()
            elif self.source.format == "xlsx":
                yield from in_batches(self._typed(self._xlsx_cells()), lambda: self.current_path)
            else:
                reader = {"json": self._json_cells, "jsonl": self._jsonl_cells}[self.source.format]
                yield from self._record_batches(reader())
        except PermissionError:
            raise DataError("cannot read file: permission denied", self.source.display) from None
        except IsADirectoryError:
            raise DataError("is a directory, not a file", self.source.display) from None
        self.forget_keys()

    def forget_keys(self) -> None:
        """The file is read: its keys are needed no more. A dataset read early (the clients) would otherwise
        hold its duplicate-key index through every later pass."""
        self._seen = SeenKeys()

    # --- typing, rejection and duplicate keys, shared by every format -------------------------------
    def _typed(self, cells_iter: Iterator[tuple[int, Callable[[list[Any]], Row] | None, Any]]
               ) -> Iterator[tuple[int, Row]]:
        for rowno, typer, cells in cells_iter:
            row = self._type_one(rowno, typer, cells)
            if row is not None and self._unique(rowno, row):
                yield rowno, row

    def _type_one(self, rowno: int, typer: Callable[[list[Any]], Row] | None, cells: Any) -> Row | None:
        """The typed row, or None after reporting why it is rejected (its duplicate check comes after)."""
        self.stats.rows_read += 1
        if typer is None:  # the reader already knows the row is broken: cells holds the problem
            self._reject(rowno, cells)
            return None
        try:
            return typer(cells)
        except RowProblem as exc:  # (not kept past this block: its traceback would make a cycle, with GC off)
            self._reject(rowno, exc)
        return None

    def _reject(self, rowno: int, problem: RowProblem) -> None:
        self.stats.rows_rejected += 1
        self.rejected.append(RejectedRow(self.source.dataset.name, self.current_path, rowno, problem.column,
                                         shown_value(problem.value), problem.reason))

    def _partly_bulk(self, starts: list[int], cells: list[list[Any]], bulk: BatchTyper, failed: int | None,
                     suspect: set[int], one_by_one: Callable[[int], Iterable[tuple[int, Any, Any]]]
                     ) -> Iterator[tuple[str, list[int], list[Row]]]:
        """A batch holding bad rows: those go one by one (`one_by_one(j)` gives row j for the row typer: rejected
        with its reason, or nothing for a blank row), the others are still typed a column at a time. Rows keep
        their file order for the duplicate-key check. `suspect` holds the rows known bad before typing."""
        n = len(cells)
        typed: list[Row] | None = None
        for _ in range(len(bulk.plan) + 1):  # each round singles out the bad cells of one more column
            if failed is not None:
                candidates = [j for j in range(n) if j not in suspect]
                found = bulk.bad_rows([cells[j] for j in candidates], failed)
                if not found:
                    break  # a failure no single cell explains: the whole batch goes row by row
                suspect.update(candidates[k] for k in found)
            clean = [cells[j] for j in range(n) if j not in suspect]
            try:
                typed = bulk(clean) if clean else []
                break
            except NeedsRowPath as exc:
                failed = exc.field
        if typed is None:
            every_row = chain.from_iterable(one_by_one(j) for j in range(n))
            yield from in_batches(self._typed(every_row), lambda: self.current_path)
            return
        rownos: list[int] = []
        rows: list[Row] = []
        bulk_rows = iter(typed)
        for j in range(n):
            if j in suspect:
                for rowno, one_typer, one_cells in one_by_one(j):
                    row = self._type_one(rowno, one_typer, one_cells)
                    if row is not None:
                        rownos.append(rowno)
                        rows.append(row)
            else:
                rownos.append(starts[j])
                rows.append(next(bulk_rows))
        self.stats.rows_read += len(typed)
        rownos, rows = self._unique_batch(rownos, rows)
        if rows:
            yield self.current_path, rownos, rows

    def _unique_batch(self, starts: list[int], typed: list[Row]) -> tuple[list[int], list[Row]]:
        """Duplicate check for a whole batch at C speed when every key is new (the usual case)."""
        key_pos = self._key_pos
        if len(key_pos) == 1:
            keys = list(map(hash, map(itemgetter(key_pos[0]), typed)))
            fresh = set(keys)
            base = self._file_index * _ROWS_PER_FILE
            if len(fresh) == len(keys) and self._seen.add_new(keys, [base + r for r in starts]):
                return starts, typed
        unique = self._unique
        kept = [(rowno, row) for rowno, row in zip(starts, typed) if unique(rowno, row)]
        return [r for r, _ in kept], [row for _, row in kept]

    def _unique(self, rowno: int, row: Row) -> bool:
        """Record the row's key; a key seen before rejects the row as a duplicate (reported, not dropped)."""
        key_pos = self._key_pos
        key = row[key_pos[0]] if len(key_pos) == 1 else tuple(row[i] for i in key_pos)
        # the key's hash, not the key: a streamed file's ids are not kept alive (64-bit SipHash; a false
        # duplicate needs a collision, about 1 in 10^7 for ten million keys)
        mark = self._file_index * _ROWS_PER_FILE + rowno
        first = self._seen.first_seen(hash(key), mark)
        if first == mark:
            return True
        self.stats.rows_rejected += 1
        first_file, first_row = divmod(first, _ROWS_PER_FILE)
        where = (f"row {first_row}" if first_file == self._file_index
                 else f"{self._file_names[first_file]} row {first_row}")
        self.rejected.append(RejectedRow(self.source.dataset.name, self.current_path, rowno,
                                         self.source.dataset.key[0], shown_value(key),
                                         f"duplicate key (first seen at {where})"))
        return False

    def _positions(self, header: list[str], where: str) -> dict[str, int]:
        spec = self.source.dataset
        positions: dict[str, int] = {}
        for i, col in enumerate(header):
            name = str(col).strip().lower() if col is not None else ""
            if name in spec.by_name:
                if name in positions:
                    raise DataError(f"column {name!r} appears twice in the {where}", self.source.display, 1, name)
                positions[name] = i
        missing = [f.name for f in spec.fields if f.required and f.name not in positions]
        if missing:
            raise DataError(f"missing required column(s) {', '.join(missing)} for dataset {spec.name!r} "
                            f"(found: {', '.join(str(h) for h in header) or 'no columns'})",
                            self.source.display, 1, missing[0])
        return positions

    # --- formats -------------------------------------------------------------------------------------
    def _open_text(self) -> tuple[io.TextIOWrapper, HashingRaw, str]:
        return open_text(self.source.path, self.encoding)

    def byte_ranges(self, parts: int) -> list[tuple[int, int, int]] | None:
        """Where this CSV can be cut into `parts` read independently: (start, end, lines before start) each.
        Only a UTF-8 file without quote characters, whose line ends are LF or CRLF, qualifies: there every line
        end is a record end, so a cut after an LF cuts between records and line numbers count LFs."""
        if self.source.format != "csv" or (self.encoding or "utf-8").lower().replace("_", "-") not in (
                "utf-8", "utf8", "utf-8-sig"):
            return None
        with self.source.path.open("rb") as f:
            return line_cuts(f, parts)

    def range_batches(self, start: int, end: int, lines_before: int) -> Iterator[tuple[str, list[int], list[Row]]]:
        """The batches of one part of a file cut by byte_ranges (no file hash: the whole file is hashed apart)."""
        try:
            yield from self._csv_batches((start, end, lines_before))
        except PermissionError:
            raise DataError("cannot read file: permission denied", self.source.display) from None

    def _csv_header(self) -> list[str]:
        text, hashing, _ = self._open_text()
        with text:
            return self._header(csv.reader(text))

    def _header(self, reader: Any) -> list[str]:
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise DataError(f"unreadable CSV header: {exc}", self.source.display, 1) from None
        if header is None or not any(h.strip() for h in header):
            raise DataError("empty file: no header row (expected the canonical column names)",
                            self.source.display, 1)
        return header

    def _csv_batches(self, part: tuple[int, int, int] | None = None) -> Iterator[tuple[str, list[int], list[Row]]]:
        """CSV in batches: each batch typed column by column, or row by row when something is off. With `part`
        (start, end, lines before start), only that byte range of the file is read, after its header."""
        if part is None:
            text, hashing, encoding = self._open_text()
        else:
            header = self._csv_header()
            raw_file = self.source.path.open("rb")
            raw_file.seek(part[0])
            encoding = "utf-8"
            text = io.TextIOWrapper(io.BufferedReader(RangeRaw(raw_file, part[1]), 1 << 20), encoding=encoding,
                                    errors="strict", newline="")
        try:
            with text:
                reader = csv.reader(text)
                if part is None:
                    header = self._header(reader)
                    first = 0
                else:
                    first = part[2]
                positions = self._positions(header, "header")
                extra = extra_columns(header, self.source.dataset)
                typer = row_typer(self.source.dataset, positions, text=True, extra=extra)
                bulk = BatchTyper(self.source.dataset, positions, extra, self._needed)
                width = len(header)
                line = first + reader.line_num
                done = False
                while not done:
                    starts: list[int] = []
                    batch: list[list[str]] = []
                    problems: list[tuple[int, Any, Any]] = []
                    for _ in range(BATCH):
                        try:
                            cells = next(reader)
                        except StopIteration:
                            done = True
                            break
                        except csv.Error as exc:
                            problems.append((line + 1, None, RowProblem(None, None, f"unreadable CSV record: {exc}")))
                            line = first + reader.line_num
                            continue
                        starts.append(line + 1)
                        line = first + reader.line_num
                        batch.append(cells)
                    for _ in self._typed(iter(problems)):
                        pass  # only rejections: a row the csv module could not read
                    if not batch:
                        continue
                    failed: int | None = -1  # -1: typed in bulk; else the field that failed (None: unknown)
                    try:
                        if set(map(len, batch)) != {width}:
                            raise NeedsRowPath
                        typed = bulk(batch)
                    except NeedsRowPath as exc:
                        failed = exc.field  # only the index is kept: the exception's traceback holds the batch
                    if failed != -1:        # (and a kept exception would be a reference cycle, with GC off)
                        yield from self._partly_bulk(
                            starts, batch, bulk, failed, {j for j, row in enumerate(batch) if len(row) != width},
                            partial(self._one_csv_row, starts, batch, typer, width))
                        continue
                    self.stats.rows_read += len(typed)
                    rownos, rows = self._unique_batch(starts, typed)
                    if rows:
                        yield self.current_path, rownos, rows
        except UnicodeDecodeError:
            raise decode_error(self.source.path, self.source.display, encoding) from None
        if part is None:
            self.stats.sha256 = hashing.sha256.hexdigest()

    def _one_csv_row(self, starts: list[int], batch: list[list[str]], typer: Callable[[list[Any]], Row],
                     width: int, j: int) -> Iterator[tuple[int, Any, Any]]:
        return self._row_path([starts[j]], [batch[j]], typer, width)

    def _row_path(self, starts: list[int], batch: list[list[str]], typer: Callable[[list[Any]], Row],
                  width: int) -> Iterator[tuple[int, Any, Any]]:
        for start, cells in zip(starts, batch):
            if not any(c.strip() for c in cells):
                self.stats.rows_blank += 1  # a blank line or a row of empty cells holds no record: counted apart
                continue
            if len(cells) != width:
                yield start, None, RowProblem(None, None, f"row has {len(cells)} cells, the header has {width}")
                continue
            yield start, typer, cells

    def _record_batches(self, records: Iterator[tuple[int, Any, Any]]) -> Iterator[tuple[str, list[int], list[Row]]]:
        """JSON records typed a column at a time, as CSV is: null reads as an empty cell and a number or a
        boolean as its text, which type to the same values (values.scalar_text). A batch holding a broken
        record, or a cell the column typing refuses, is typed record by record, which names the problem."""
        spec = self.source.dataset
        width = len(spec.fields)
        bulk = BatchTyper(spec, {f.name: i for i, f in enumerate(spec.fields)}, itemgetter(width), self._needed)
        fields_of = itemgetter(slice(0, width))
        while True:
            chunk = list(islice(records, BATCH))
            if not chunk:
                return
            cells = [c if typer is not None else [] for _, typer, c in chunk]
            if set(map(type, chain.from_iterable(map(fields_of, cells)))) != {str}:
                cells = [[cell_text(c) for c in row[:width]] + row[width:] for row in cells]
            suspect = {j for j, (_, typer, _) in enumerate(chunk) if typer is None}  # broken records
            failed: int | None = -1
            if not suspect:
                try:
                    typed = bulk(cells)
                except NeedsRowPath as exc:
                    failed = exc.field  # (the index only: see _csv_batches)
                if failed == -1:
                    self.stats.rows_read += len(typed)
                    rownos, rows = self._unique_batch([rowno for rowno, _, _ in chunk], typed)
                    if rows:
                        yield self.current_path, rownos, rows
                    continue
            else:
                failed = None
            yield from self._partly_bulk([rowno for rowno, _, _ in chunk], cells, bulk, failed, suspect,
                                         partial(_one_record, chunk))

    def _records(self, records: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any, Any]]:
        """Typed rows from JSON objects: a key is a column; a missing required key rejects that record."""
        spec = self.source.dataset
        names = [f.name for f in spec.fields]
        typer = row_typer(spec, {n: i for i, n in enumerate(names)}, extra=lambda cells: cells[len(names)])
        required = [f.name for f in spec.fields if f.required]
        for rowno, obj in records:
            if isinstance(obj, RowProblem):
                yield rowno, None, obj
                continue
            if not isinstance(obj, dict):
                yield rowno, None, RowProblem(None, None, f"not a JSON object ({type(obj).__name__})")
                continue
            lowered = {str(k).strip().lower(): v for k, v in obj.items()}
            absent = [n for n in required if n not in lowered]
            if absent:
                yield rowno, None, RowProblem(absent[0], None, "required field is missing from the record")
                continue
            others = {str(k).strip(): extra_text(v) for k, v in obj.items()
                      if str(k).strip().lower() not in spec.by_name and v not in (None, "")}
            yield rowno, typer, [lowered.get(n) for n in names] + [others or None]

    def _json_cells(self) -> Iterator[tuple[int, Any, Any]]:
        text, hashing, encoding = self._open_text()
        try:
            with text:
                yield from self._records(json_records(text, self.source.display))
        except UnicodeDecodeError:
            raise decode_error(self.source.path, self.source.display, encoding) from None
        self.stats.sha256 = hashing.sha256.hexdigest()

    def _jsonl_cells(self) -> Iterator[tuple[int, Any, Any]]:
        text, hashing, encoding = self._open_text()
        try:
            with text:
                yield from self._records(json_lines(text, self._count_blank, line_problem))
        except UnicodeDecodeError:
            raise decode_error(self.source.path, self.source.display, encoding) from None
        self.stats.sha256 = hashing.sha256.hexdigest()

    def _count_blank(self) -> None:
        self.stats.rows_blank += 1

    def _xlsx_cells(self) -> Iterator[tuple[int, Any, Any]]:
        self.stats.sha256 = file_sha256(self.source.path)
        header, rows = open_sheet(self.source.path, self.source.display)
        positions = self._positions(header, "header row")
        typer = row_typer(self.source.dataset, positions, extra=extra_columns(header, self.source.dataset))
        for rowno, cells in rows:
            if cells is None:
                self.stats.rows_blank += 1
                continue
            yield rowno, typer, cells + [None] * (len(header) - len(cells))


def _one_record(chunk: list[tuple[int, Any, Any]], j: int) -> list[tuple[int, Any, Any]]:
    return [chunk[j]]


