"""LOAD DATA in Python, shared by every format the engine does not read itself: type rows, reject bad ones with
their reason. (Repeated keys are found by the engine, over every format alike.)

A format's reader (csvreader, recordreader, sheets, profilereader) only turns its file into cells; how a row
is typed, rejected and counted is decided here once, so every format reports the same way.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..model import InputStats, RejectedRow
from ..rejectedrows import RejectedSink
from .dictionary import DatasetSpec
from .rowtyping import Row, RowProblem, header_positions, in_batches, shown_value
from .textfiles import HashingRaw


@dataclass(frozen=True)
class InputFile:
    """One export file and the canonical dataset it holds."""

    dataset: DatasetSpec
    path: Path
    display: str
    format: str



Batches = Iterator[tuple[str, list[int], list[Row]]]
Cells = Iterator[tuple[int, Callable[[list[Any]], Row] | None, Any]]


class RowReader:
    """Streams (row number, typed row) of one input file; bad rows go to `rejected` with their reason.

    A subclass reads one format: it implements `_read`, the batches of accepted rows."""

    def __init__(self, source: InputFile, rejected: RejectedSink, encoding: str | None = None) -> None:
        self.source = source
        self.rejected = rejected
        self.encoding = encoding
        self.stats = InputStats(dataset=source.dataset.name, path=source.display, format=source.format)
        self.current_path = source.display  # the file the row being read comes from (profiles read several)
        self.every_problem = False           # profile check: report every bad cell of a row, not the first
        self.other_problems: list[RejectedRow] = []  # the bad cells after a rejected row's first
        self.raw: HashingRaw | None = None   # the file being read, as bytes (for progress)
        self.bytes_finished = 0              # bytes of the files already read (profiles read several)

    @property
    def total_bytes(self) -> int | None:
        try:
            return self.source.path.stat().st_size
        except OSError:
            return None

    @property
    def bytes_read(self) -> int:
        return self.bytes_finished + (self.raw.consumed if self.raw else 0)

    def reading(self, raw: HashingRaw) -> None:
        """The next file's bytes are being read (the one before is finished)."""
        if self.raw is not None:
            self.bytes_finished += self.raw.consumed
        self.raw = raw

    def __iter__(self) -> Iterator[tuple[int, Row]]:
        for _, rownos, rows in self.batches():
            yield from zip(rownos, rows)

    def batches(self) -> Batches:
        """(file, row numbers, typed rows) of consecutive accepted rows."""
        try:
            yield from self._read()
        except PermissionError:
            raise DataError("cannot read file: permission denied", self.current_path) from None
        except IsADirectoryError:
            raise DataError("is a directory, not a file", self.current_path) from None

    def _read(self) -> Batches:
        raise NotImplementedError

    def _batches(self, cells: Cells) -> Batches:
        return in_batches(self._typed(cells), lambda: self.current_path)

    def _typed(self, cells_iter: Cells) -> Iterator[tuple[int, Row]]:
        for rowno, typer, cells in cells_iter:
            row = self._type_one(rowno, typer, cells)
            if row is not None:
                yield rowno, row

    def _type_one(self, rowno: int, typer: Callable[[list[Any]], Row] | None, cells: Any) -> Row | None:
        """The typed row, or None after reporting why it is rejected."""
        self.stats.rows_read += 1
        if typer is None:  # the reader already knows the row is broken: cells holds the problem
            self._reject(rowno, cells)
            return None
        try:
            return typer(cells)
        except RowProblem as exc:
            self._reject(rowno, exc)
        return None

    def _reject(self, rowno: int, problem: RowProblem) -> None:
        self.stats.rows_rejected += 1
        self.rejected.append(RejectedRow(self.source.dataset.name, self.current_path, rowno, problem.column,
                                         shown_value(problem.value), problem.reason))
        for other in problem.more:  # (profile check: every bad cell of the row, not counted as rows)
            self.other_problems.append(RejectedRow(self.source.dataset.name, self.current_path, rowno,
                                                   other.column, shown_value(other.value), other.reason))

    def _positions(self, header: list[Any], where: str) -> dict[str, int]:
        return header_positions(header, self.source.dataset, self.source.display, where)

    def _count_blank(self) -> None:
        self.stats.rows_blank += 1
