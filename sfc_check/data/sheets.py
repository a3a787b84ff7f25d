"""LOAD DATA, Excel: a sheet as a header and streamed rows of cell values (openpyxl, read-only)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DataError
from .rowreader import Batches, RowReader
from .rowtyping import extra_columns, row_typer
from .textfiles import file_sha256

MAX_XLSX_UNZIPPED = 4 << 30   # bytes a workbook may hold once decompressed, in all
MAX_XLSX_RATIO = 100          # how much larger than its compressed size one part may be (real sheets: 5–20×)
MAX_CELL_CHARS = 1 << 20      # characters in one cell


def check_workbook(path: Path, display: str) -> None:
    """Refuse a decompression bomb before openpyxl inflates it: a workbook's parts, decompressed, may not pass
    4 GB in all or 100 times their compressed size (a part of 1 MB or more)."""
    import zipfile
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"not a readable .xlsx workbook: {exc}", display) from None
    total = sum(p.file_size for p in parts)
    if total > MAX_XLSX_UNZIPPED:
        raise DataError(f"refused: the workbook decompresses to {total:,} bytes (limit {MAX_XLSX_UNZIPPED:,})",
                        display)
    for part in parts:
        if part.file_size >= 1 << 20 and part.file_size > MAX_XLSX_RATIO * max(part.compress_size, 1):
            raise DataError(f"refused: part {part.filename} decompresses {part.file_size // max(part.compress_size, 1):,}"
                            f" times larger than stored (limit {MAX_XLSX_RATIO}×): a decompression bomb?", display)


_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_VALUE = re.compile(rb"<v>[^<]")  # a cached value (an empty <v/> is none)


def uncached_formulas(path: Path, part: str, header: list[Any], header_row: int) -> list[str]:
    """Per column, how many cells hold a formula Excel never calculated (no cached value): openpyxl reads them
    as empty, so the report says so rather than letting them pass as blanks."""
    import zipfile
    counts: dict[str, int] = {}
    tail = b""
    try:
        with zipfile.ZipFile(path) as z, z.open(part.lstrip("/")) as f:
            while chunk := f.read(1 << 20):
                text = tail + chunk
                cut = text.rfind(b"</c>") + 4 if b"</c>" in text else 0
                for m in _CELL.finditer(text, 0, cut):
                    body = m.group(3) or b""
                    if int(m.group(2)) > header_row and b"<f" in body and not _VALUE.search(body):
                        col = m.group(1).decode()
                        counts[col] = counts.get(col, 0) + 1
                tail = text[cut:]
    except (KeyError, OSError, zipfile.BadZipFile):
        return []
    notes = []
    for col, n in sorted(counts.items(), key=lambda kv: (len(kv[0]), kv[0])):
        index = _column_index(col)
        name = header[index] if index < len(header) and header[index] not in (None, "") else f"column {col}"
        notes.append(f"{n:,} formula cell(s) in {name!s} have no calculated value (read as empty): open and save "
                     "the workbook in Excel to calculate them")
    return notes


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def open_sheet(path: Path, display: str, sheet: str | int | None = None, header_row: int = 1,
               notes: list[str] | None = None) -> tuple[list[Any], Iterator[tuple[int, list[Any] | None]]]:
    """An Excel sheet's header and its rows as cell values (a blank row comes as None), read-only and streamed."""
    from openpyxl import load_workbook  # imported lazily: only Excel inputs pay for it
    check_workbook(path, display)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise DataError(f"not a readable .xlsx workbook: {exc}", display) from None
    if not book.worksheets:
        book.close()
        raise DataError("not a readable .xlsx workbook: it has no sheet", display)
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
    try:
        for _ in range(header_row):  # (a header_row past the last row stops there, however large)
            first = next(values, None)
            header = list(first) if first else None
            if first is None:
                break
    except Exception as exc:  # a part openpyxl cannot parse (truncated or inconsistent XML)
        book.close()
        raise DataError(f"not a readable .xlsx workbook: {type(exc).__name__}: {exc}", display) from None
    if header is None:
        book.close()
        raise DataError(f"empty sheet: no header row at row {header_row}", display, header_row)
    if notes is not None:
        notes += uncached_formulas(path, getattr(ws, "_worksheet_path", ""), header, header_row)

    def rows() -> Iterator[tuple[int, list[Any] | None]]:
        try:
            for rowno, row in _guarded(values, display, header_row + 1):
                cells = list(row)
                blank = all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)
                yield rowno, None if blank else cells
        finally:
            book.close()
    return header, rows()


def _guarded(values: Iterator[Any], display: str, first: int) -> Iterator[tuple[int, Any]]:
    """Rows numbered from `first`; a row openpyxl cannot parse, or a cell past the size limit, stops the run
    with the row (an internal error would name nothing)."""
    rowno = first
    while True:
        try:
            row = next(values)
        except StopIteration:
            return
        except Exception as exc:  # openpyxl raises many types for broken sheet XML
            raise DataError(f"not a readable .xlsx workbook at row {rowno}: {type(exc).__name__}: {exc}",
                            display, rowno) from None
        if any(isinstance(c, str) and len(c) > MAX_CELL_CHARS for c in row):
            raise DataError(f"refused: a cell of more than {MAX_CELL_CHARS:,} characters in row {rowno}",
                            display, rowno)
        yield rowno, row
        rowno += 1


class SheetReader(RowReader):
    """A canonical .xlsx export: the first sheet, header in row 1, typed a row at a time (openpyxl gives
    typed cells, not text, so the column typing of CSV does not apply)."""

    def _read(self) -> Batches:
        return self._batches(self._xlsx_cells())

    def _xlsx_cells(self) -> Iterator[tuple[int, Any, Any]]:
        self.stats.sha256 = file_sha256(self.source.path)
        header, rows = open_sheet(self.source.path, self.source.display, notes=self.stats.profile_notes)
        positions = self._positions(header, "header row")
        self.stats.absent = {f.name for f in self.source.dataset.fields if f.name not in positions}
        typer = row_typer(self.source.dataset, positions, extra=extra_columns(header, self.source.dataset))
        for rowno, cells in rows:
            if cells is None:
                self.stats.rows_blank += 1
                continue
            yield rowno, typer, cells + [None] * (len(header) - len(cells))
