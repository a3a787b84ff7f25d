"""A Parquet export loaded by DuckDB: each column's values become the text DuckDB writes for them and are typed
by the same dictionary SQL as a CSV's cells (duckdb_csv), so every format types, rejects and counts alike.

What that means for Parquet's own types: a DECIMAL keeps the places its column stores (`1.5000`), a TIMESTAMP
without a zone is UTC (as an ISO text without an offset is), a TIMESTAMP WITH TIME ZONE is the instant it holds;
nanosecond timestamps are read to the microsecond (the dictionary's precision). The row number of a record is its
position in the file, from 1.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from ..data.dictionary import DatasetSpec
from ..data.rowtyping import header_positions
from ..data.textfiles import file_sha256
from ..errors import DataError
from .duckdb_csv import WHITESPACE, CsvLoad, _t
from .failures import first_line

NANOSECOND_TYPES = ("TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE_NS")


class ParquetLoad(CsvLoad):
    """Load one Parquet file into the dataset's table (every row typed or rejected with its reason)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spec: DatasetSpec, path: Path, display: str,
                 stats: Any, rejected: Any, timezone: str) -> None:
        super().__init__(con, spec, path, display, stats, rejected, timezone)
        self.columns: list[tuple[str, str]] = []

    def load(self) -> bool:
        self.columns = self._schema()
        header = [name for name, _ in self.columns]
        positions = header_positions(header, self.spec, self.display)
        ws = exp.Literal.string(WHITESPACE)
        self.trim = lambda e: exp.func("TRIM", e, ws)
        self.stats.sha256 = file_sha256(self.path)
        self.stats.absent = {f.name for f in self.spec.fields if f.name not in positions}
        self._type(header, positions, False)
        return True

    def _source(self, row_numbers: bool = False) -> exp.Expr:
        options = [exp.EQ(this=exp.var("file_row_number"), expression=exp.true())] if row_numbers else []
        return exp.func("read_parquet", exp.Literal.string(str(self.path)), *options)

    def _schema(self) -> list[tuple[str, str]]:
        query = exp.select(exp.Star(), copy=False).from_(self._source(), copy=False)
        try:
            described = self.con.execute(f"DESCRIBE {query.sql('duckdb', copy=False)}").fetchall()
        except duckdb.Error as exc:
            raise DataError(f"unreadable Parquet file: {first_line(exc)}", self.display) from None
        if not described:
            raise DataError("Parquet file without columns (expected the canonical column names)", self.display)
        return [(str(row[0]), str(row[1])) for row in described]

    def _cell_rows(self, quotes: bool) -> exp.Select:
        cells = []
        for name, kind in self.columns:
            c: exp.Expr = exp.column(name, quoted=True)
            if kind.upper() in NANOSECOND_TYPES:
                c = exp.cast(c, "TIMESTAMPTZ" if "ZONE" in kind.upper() else "TIMESTAMP")
            cells.append(exp.cast(c, "VARCHAR"))
        return exp.select(exp.alias_(_t("file_row_number + 1"), "n"), exp.alias_(exp.null(), "line"),
                          exp.alias_(exp.Array(expressions=cells), "c"), copy=False).from_(
            self._source(row_numbers=True), copy=False)

    def _blank(self) -> exp.Expr:
        """A record of nothing but empty values holds no record (counted apart, as a CSV's blank lines are)."""
        return _t("len(list_filter(c, x -> :cell <> '')) = 0", cell=self.trim(exp.column("x")))

    def _records_counted(self) -> str:
        return exp.select(exp.Count(this=exp.Star()), copy=False).from_(self._source(), copy=False).sql("duckdb")
