"""CSV records with their first line, read so that no row can vanish inside another.

A quote that never closes makes a CSV parser read the rest of the file as one cell: rows disappear while the
counts still add up. A record that spans lines is legitimate (a quoted note with a line break), so the reader
stops the run (exit 2, naming the file and the line where the record started) only when a line inside such a
record holds a whole row's worth of delimiters (a row swallowed), or the record is implausibly long; a field
past the size limit stops it too. A record spanning lines that is only malformed is a rejected row as any other.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from ..errors import DataError

MAX_FIELD_CHARS = 1 << 24     # 16 M characters in one cell: past it, a quote has almost surely run away
MAX_RECORD_LINES = 10_000     # one record over more lines than this is a runaway quote, whatever its cells
csv.field_size_limit(MAX_FIELD_CHARS)


def csv_records(reader: Any, width: int | None, display: str, delimiter: str = ","
                ) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) of every record after the lines already read from `reader`."""
    line = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(f"unreadable CSV record starting at line {line + 1}: {exc} (a quote that never "
                            "closes? every row after it would be lost, so the run stops)", display, line + 1) from None
        start, line = line + 1, reader.line_num
        if line > start and (line - start >= MAX_RECORD_LINES or _hides_rows(cells, width, delimiter)):
            raise DataError(runaway(start, line, len(cells), width), display, start)
        yield start, cells


def _hides_rows(cells: list[str], width: int | None, delimiter: str) -> bool:
    """Whether a line inside a multi-line cell has a whole row's worth of delimiters: a row swallowed by a
    quote that opened in one row and closed in a later one (a note with a line break has no such line)."""
    if width is None or width < 2:
        return False
    rows = sum(1 for c in cells if "\n" in c or "\r" in c for part in c.splitlines()[1:]
               if part.count(delimiter) >= width - 1)
    # (a table of 2 or 3 columns needs two such lines: a note "x\n,," is not yet a swallowed row)
    return rows >= (1 if width >= 4 else 2)


def runaway(start: int, end: int, cells: int, width: int | None) -> str:
    shape = f"{cells} cell(s)" + (f", the header has {width}" if width is not None else "")
    return (f"a quoted cell opened on line {start} runs to line {end}: lines {start}–{end} read as one record "
            f"({shape}). An unterminated or stray quote would hide {end - start} row(s), so the run stops; "
            "close the quote or double it (\"\") inside a quoted cell")
