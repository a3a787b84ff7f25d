"""LOAD DATA, Parquet: the engine reads a Parquet export itself (columnar and typed already, it never passes
through Python rows); this is its place among the sources: the file, its dataset and what was read from it."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..model import InputStats
from ..rejectedrows import RejectedSink
from .rowreader import InputFile
from .rowtyping import Row


class ParquetSource:
    """A `.parquet` export: the engine types it by the dictionary (backends/duckdb_parquet.py)."""

    def __init__(self, source: InputFile, rejected: RejectedSink, encoding: str | None = None,
                 uri: str | None = None, size: int | None = None) -> None:
        self.source = source
        self.rejected = rejected
        self.uri, self.size = uri, size  # a file Spark reads where this machine cannot (listed by Spark)
        self.stats = InputStats(dataset=source.dataset.name, path=source.display, format="parquet")

    @property
    def native_parquet(self) -> Path | str:
        return self.uri or self.source.path

    @property
    def total_bytes(self) -> int | None:
        if self.uri is not None:
            return self.size
        try:
            return self.source.path.stat().st_size
        except OSError:
            return None

    def __iter__(self) -> Iterator[tuple[int, Row]]:
        # (a Parquet file is loaded by the engine; there are no Python rows to stream)
        raise TypeError("a Parquet export is read by the engine, not row by row")
