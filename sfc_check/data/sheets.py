"""LOAD DATA, Excel: a sheet as a header and streamed rows of cell values (openpyxl, read-only)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DataError
from .rowreader import Batches, RowReader
from .rowtyping import extra_columns, row_typer
from .textfiles import file_sha256


def open_sheet(path: Path, display: str, sheet: str | int | None = None, header_row: int = 1
               ) -> tuple[list[Any], Iterator[tuple[int, list[Any] | None]]]:
    """An Excel sheet's header and its rows as cell values (a blank row comes as None), read-only and streamed."""
    from openpyxl import load_workbook  # imported lazily: only Excel inputs pay for it
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise DataError(f"not a readable .xlsx workbook: {exc}", display) from None
    if sheet is None:
        ws = book.worksheets[0]
    elif isinstance(sheet, int) and 1 <= sheet <= len(book.worksheets):
        ws = book.worksheets[sheet - 1]
    elif sheet in book.sheetnames:
        ws = book[sheet]
    else:
        book.close()
        raise DataError(f"no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})", display)
    values = ws.iter_rows(values_only=True)
    header: list[Any] | None = None
    for _ in range(header_row):  # (a header_row past the last row stops there, however large)
        first = next(values, None)
        header = list(first) if first else None
        if first is None:
            break
    if header is None:
        book.close()
        raise DataError(f"empty sheet: no header row at row {header_row}", display, header_row)

    def rows() -> Iterator[tuple[int, list[Any] | None]]:
        try:
            for rowno, row in enumerate(values, header_row + 1):
                cells = list(row)
                blank = all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)
                yield rowno, None if blank else cells
        finally:
            book.close()
    return header, rows()


class SheetReader(RowReader):
    """A canonical .xlsx export: the first sheet, header in row 1, typed a row at a time (openpyxl gives
    typed cells, not text, so the column typing of CSV does not apply)."""

    def _read(self) -> Batches:
        return self._batches(self._xlsx_cells())

    def _xlsx_cells(self) -> Iterator[tuple[int, Any, Any]]:
        self.stats.sha256 = file_sha256(self.source.path)
        header, rows = open_sheet(self.source.path, self.source.display)
        positions = self._positions(header, "header row")
        self.stats.absent = {f.name for f in self.source.dataset.fields if f.name not in positions}
        typer = row_typer(self.source.dataset, positions, extra=extra_columns(header, self.source.dataset))
        for rowno, cells in rows:
            if cells is None:
                self.stats.rows_blank += 1
                continue
            yield rowno, typer, cells + [None] * (len(header) - len(cells))
