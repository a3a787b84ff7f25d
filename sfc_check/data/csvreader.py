"""LOAD DATA, CSV in Python: the files the engine does not read itself (another encoding than UTF-8, a NUL
byte, a record spanning lines…), a row at a time, with the same typing and reasons as the engine's."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..errors import DataError
from .csvrecords import csv_records
from .rowreader import Batches, Cells, RowReader
from .rowtyping import RowProblem, extra_columns, row_typer
from .textfiles import decode_error, open_text


class CsvReader(RowReader):
    """A canonical CSV file: header names map columns to fields; a ragged or unreadable row is rejected."""

    @property
    def native_csv(self) -> Path | None:
        """The file, when the engine can read it itself (UTF-8, the encoding DuckDB reads)."""
        if (self.encoding or "utf-8").lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig"):
            return self.source.path
        return None

    def _read(self) -> Batches:
        text, hashing, encoding = open_text(self.source.path, self.encoding)
        self.reading(hashing)
        try:
            with text:
                reader = csv.reader(text)
                header = self._header(reader)
                positions = self._positions(header, "header")
                self.stats.absent = {f.name for f in self.source.dataset.fields if f.name not in positions}
                typer = row_typer(self.source.dataset, positions, text=True,
                                  extra=extra_columns(header, self.source.dataset))
                yield from self._batches(self._cells(reader, typer, len(header)))
        except UnicodeDecodeError:
            raise decode_error(self.source.path, self.source.display, encoding) from None
        self.stats.sha256 = hashing.sha256.hexdigest()

    def _header(self, reader: Any) -> list[str]:
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise DataError(f"unreadable CSV header: {exc}", self.source.display, 1) from None
        if header is None or not any(h.strip() for h in header):
            raise DataError("empty file: no header row (expected the canonical column names)",
                            self.source.display, 1)
        return header

    def _cells(self, reader: Any, typer: Any, width: int) -> Cells:
        """(line where the record starts, typer or None, cells or the problem) of each record that is not blank."""
        for start, cells in csv_records(reader, width, self.source.display):
            if not any(c.strip() for c in cells):
                self.stats.rows_blank += 1  # a blank line or a row of empty cells holds no record: counted apart
            elif len(cells) != width:
                yield start, None, RowProblem(None, None, f"row has {len(cells)} cells, the header has {width}")
            else:
                yield start, typer, cells
