"""LOAD DATA, JSON and JSON Lines: records (objects) typed a column at a time, as CSV is."""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from itertools import chain, islice
from operator import itemgetter
from typing import Any

from .columns import BatchTyper, NeedsRowPath
from .jsonstream import json_lines, json_records
from .rowreader import Batches, RowReader
from .rowtyping import BATCH, RowProblem, cell_text, extra_text, line_problem, record_fields, row_typer
from .textfiles import decode_error, open_text


class RecordReader(RowReader):
    """A JSON array of objects or JSON Lines: a key is a column; a record that is not an object is rejected."""

    def _read(self) -> Batches:
        return self._record_batches(self._cells())

    def _record_batches(self, records: Iterator[tuple[int, Any, Any]]) -> Batches:
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
                    failed = exc.field  # (the index only: see csvreader)
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
        # used only for records the column typing refused: walked once, to their bad cell (see csvreader)
        typer = row_typer(spec, {n: i for i, n in enumerate(names)}, extra=lambda cells: cells[len(names)],
                          suspect=True)
        required = [f.name for f in spec.fields if f.required]
        known, all_required = spec.by_name.keys(), frozenset(required)
        for rowno, obj in records:
            lowered = record_fields(obj, known)
            if isinstance(lowered, RowProblem):
                yield rowno, None, lowered
                continue
            if lowered is obj and all_required <= lowered.keys():  # every key a field as it stands, none missing
                yield rowno, typer, [*map(lowered.get, names), None]  # (so no other columns either)
                continue
            absent = [n for n in required if n not in lowered]
            if absent:
                yield rowno, None, RowProblem(absent[0], None, "required field is missing from the record")
                continue
            others = {str(k).strip(): extra_text(v) for k, v in obj.items()
                      if str(k).strip().lower() not in spec.by_name and v not in (None, "")}
            yield rowno, typer, [lowered.get(n) for n in names] + [others or None]

    def _cells(self) -> Iterator[tuple[int, Any, Any]]:
        text, hashing, encoding = open_text(self.source.path, self.encoding)
        display = self.source.display
        try:
            with text:
                records = (json_records(text, display) if self.source.format == "json" else
                           json_lines(text, self._count_blank, line_problem))
                yield from self._records(records)
        except UnicodeDecodeError:
            raise decode_error(self.source.path, display, encoding) from None
        self.stats.sha256 = hashing.sha256.hexdigest()


def _one_record(chunk: list[tuple[int, Any, Any]], j: int) -> list[tuple[int, Any, Any]]:
    return [chunk[j]]
