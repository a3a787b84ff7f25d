"""What a DuckDB failure means to the user: exit 2 with what to change, never a traceback."""
from __future__ import annotations

import duckdb

from ..errors import DataError, UsageError


def first_line(exc: Exception | str) -> str:
    """The line of an engine's message that says what went wrong (for a Java exception relayed by Py4J, the
    exception's own line, not 'An error occurred while calling o123.collect')."""
    text = str(exc).strip()
    lines = text.splitlines()
    if lines and lines[0].startswith("An error occurred while calling"):
        said = [line.strip().lstrip(": ") for line in lines[1:] if "Exception" in line or "Error" in line]
        if said:
            return said[0]
    return lines[0] if text else (type(exc).__name__ if isinstance(exc, Exception) else "unknown error")


def engine_error(exc: duckdb.Error, what: str, path: str | None = None) -> Exception:
    """A DuckDB failure as the error a user can act on (exit 2), naming what was being done."""
    text = first_line(exc)
    if isinstance(exc, duckdb.OutOfMemoryException) or "out of memory" in text.lower():
        return UsageError(f"{what}: the engine ran out of memory ({text}); raise --memory-limit, lower --threads, "
                          "or free disk in TMPDIR for spilling", path)
    if "overflow" in text.lower() or isinstance(exc, duckdb.OutOfRangeException):
        return DataError(f"{what}: a number outgrew exact decimal arithmetic ({text}); sfc-check never rounds "
                         "silently, so the run stops", path)
    if isinstance(exc, duckdb.IOException) or "no space" in text.lower():
        return UsageError(f"{what}: the engine could not read or write a file ({text}); free space in TMPDIR or "
                          "point TMPDIR at a folder with room", path)
    return UsageError(f"{what}: the engine refused the query: {text}", path)
