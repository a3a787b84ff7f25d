"""LOAD DATA, CSV: read a canonical CSV export in batches typed a column at a time, or a byte range of it."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from .columns import BatchTyper, NeedsRowPath
from .errors import DataError
from .rowreader import Batches, RowReader
from .rowtyping import BATCH, Row, RowProblem, extra_columns, row_typer
from .textfiles import HashingRaw, RangeRaw, decode_error, line_cuts, open_text

csv.field_size_limit(64 * 1024 * 1024)


class CsvReader(RowReader):
    """A canonical CSV file: header names map columns to fields; a ragged or unreadable row is rejected."""

    def _read(self) -> Batches:
        return self._csv_batches()

    @property
    def native_csv(self) -> Path | None:
        """The file, when the engine can read it itself (UTF-8, the encoding DuckDB reads)."""
        if (self.encoding or "utf-8").lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig"):
            return self.source.path
        return None

    def _open_text(self) -> tuple[io.TextIOWrapper, HashingRaw, str]:
        return open_text(self.source.path, self.encoding)

    def byte_ranges(self, parts: int) -> list[tuple[int, int, int]] | None:
        """Where this CSV can be cut into `parts` read independently: (start, end, lines before start) each.
        Only a UTF-8 file without quote characters, whose line ends are LF or CRLF, qualifies: there every line
        end is a record end, so a cut after an LF cuts between records and line numbers count LFs."""
        if (self.encoding or "utf-8").lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
            return None
        with self.source.path.open("rb") as f:
            return line_cuts(f, parts)

    def range_batches(self, start: int, end: int, lines_before: int) -> Batches:
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

    def _csv_batches(self, part: tuple[int, int, int] | None = None) -> Batches:
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
                # rows typed one by one are those the column typing refused: walked once, to their bad cell
                typer = row_typer(self.source.dataset, positions, text=True, extra=extra, suspect=True)
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

