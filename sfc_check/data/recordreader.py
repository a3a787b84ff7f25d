"""LOAD DATA, JSON and JSON Lines: records (objects) typed a record at a time."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .jsonstream import json_lines, json_records
from .rowreader import Batches, RowReader
from .rowtyping import RowProblem, extra_text, line_problem, record_fields, row_typer
from .textfiles import decode_error, open_text


class RecordReader(RowReader):
    """A JSON array of objects or JSON Lines: a key is a column; a record that is not an object is rejected."""

    def _read(self) -> Batches:
        return self._batches(self._cells())

    def _records(self, records: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any, Any]]:
        """Typed rows from JSON objects: a key is a column; a missing required key rejects that record."""
        spec = self.source.dataset
        names = [f.name for f in spec.fields]
        typer = row_typer(spec, {n: i for i, n in enumerate(names)}, extra=lambda cells: cells[len(names)])
        required = [f.name for f in spec.fields if f.required]
        known, all_required = spec.by_name.keys(), frozenset(required)
        self.stats.absent = set(names)
        for rowno, obj in records:
            lowered = record_fields(obj, known)
            if self.stats.absent and isinstance(lowered, dict):
                self.stats.absent -= lowered.keys()
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
        self.reading(hashing)
        display = self.source.display
        try:
            with text:
                records = (json_records(text, display) if self.source.format == "json" else
                           json_lines(text, self._count_blank, line_problem))
                yield from self._records(records)
        except UnicodeDecodeError:
            raise decode_error(self.source.path, display, encoding) from None
        self.stats.sha256 = hashing.sha256.hexdigest()
