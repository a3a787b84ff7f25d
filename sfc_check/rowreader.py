"""LOAD DATA, shared by every format: type rows, reject bad ones with their reason, reject repeated keys.

A format's reader (csvreader, recordreader, sheets, profilereader) only turns its file into cells; how a row
is typed, rejected and counted is decided here once, so every format reports the same way.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import chain
from typing import TYPE_CHECKING, Any

from .columns import BatchTyper, NeedsRowPath, column_of
from .errors import DataError
from .model import InputStats, RejectedRow
from .rejectedrows import RejectedSink
from .rowtyping import Row, RowProblem, in_batches, shown_value
from .seenkeys import SeenKeys

if TYPE_CHECKING:
    from .datasets import InputFile

_ROWS_PER_FILE = 10 ** 12  # a row's mark is file index * _ROWS_PER_FILE + row number (profiles read several files)

Batches = Iterator[tuple[str, list[int], list[Row]]]


class RowReader:
    """Streams (row number, typed row) of one input file; bad rows go to `rejected` with their reason.

    A subclass reads one format: it implements `_read`, the batches of accepted rows."""

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

    def batches(self) -> Batches:
        """(file, row numbers, typed rows) of consecutive accepted rows: the engine judges rules per batch."""
        try:
            yield from self._read()
        except PermissionError:
            raise DataError("cannot read file: permission denied", self.current_path) from None
        except IsADirectoryError:
            raise DataError("is a directory, not a file", self.current_path) from None
        self.forget_keys()

    def _read(self) -> Batches:
        raise NotImplementedError

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
                     ) -> Batches:
        """A batch holding bad rows: those go one by one (`one_by_one(j)` gives row j for the row typer: rejected
        with its reason, or nothing for a blank row), the others are still typed a column at a time. Rows keep
        their file order for the duplicate-key check. `suspect` holds the rows known bad before typing."""
        n = len(cells)
        typed: list[Row] | None = None
        # where each suspect's row typer may look first: every column before the one that failed was typed
        first_bad: dict[int, int] = {}
        for _ in range(len(bulk.plan) + 1):  # each round singles out the bad cells of one more column
            if failed is not None:
                candidates = [j for j in range(n) if j not in suspect]
                found = bulk.bad_rows([cells[j] for j in candidates], failed)
                if not found:
                    break  # a failure no single cell explains: the whole batch goes row by row
                suspect.update(candidates[k] for k in found)
                first_bad.update((candidates[k], failed) for k in found)
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
                    if j in first_bad and one_typer is not None:
                        one_typer = partial(one_typer, start=first_bad[j])
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
            values = column_of(typed, key_pos[0])
            base = self._file_index * _ROWS_PER_FILE
            marks = [base + r for r in starts]
            if self._seen.add_rising(values, marks):
                return starts, typed
            keys = list(map(hash, values))
            if len(set(keys)) == len(keys) and self._seen.add_new(keys, marks):
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


    def _count_blank(self) -> None:
        self.stats.rows_blank += 1
