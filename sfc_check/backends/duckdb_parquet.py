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
        # trimming Python's whole whitespace set costs 2.4 s of 3.4 s on 1M trades: only when a text column has
        # whitespace other than the space (a number, date or time column printed as text never has)
        self.trim = (lambda e: exp.func("TRIM", e, ws)) if self._odd_space() else (lambda e: exp.Trim(this=e))
        self.stats.sha256 = file_sha256(self.path)
        self.stats.absent = {f.name for f in self.spec.fields if f.name not in positions}
        self._type(header, positions, False)
        return True

    def _odd_space(self) -> bool:
        """Whether a text column holds whitespace other than the space character (a tab, a no-break space…)."""
        texts = [name for name, kind in self.columns if kind.upper() == "VARCHAR"]
        if not texts:
            return False
        odd = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE if c != " ") + "]"
        found = exp.or_(*[exp.func("COALESCE", exp.func("regexp_matches", exp.column(n, quoted=True),
                                                        exp.Literal.string(odd)), exp.false()) for n in texts])
        query = exp.select(exp.func("bool_or", found), copy=False).from_(self._source(), copy=False)
        row = self.con.execute(query.sql("duckdb", copy=False)).fetchone()
        return bool(row and row[0])

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
        for i, (name, kind) in enumerate(self.columns):
            c: exp.Expr = exp.column(name, quoted=True)
            if kind.upper() in NANOSECOND_TYPES:
                c = exp.cast(c, "TIMESTAMPTZ" if "ZONE" in kind.upper() else "TIMESTAMP")
            cells.append(exp.alias_(exp.cast(c, "VARCHAR"), f"__c{i}", quoted=True))
        return exp.select(exp.alias_(_t("file_row_number + 1"), "n"), exp.alias_(exp.null(), "line"), *cells,
                          copy=False).from_(self._source(row_numbers=True), copy=False)

    def _cell(self, i: int) -> exp.Expr:
        return exp.column(f"__c{i}", quoted=True)

    def _width(self) -> exp.Expr:
        return exp.Literal.number(len(self.columns))

    def _blank(self) -> exp.Expr:
        """A record of nothing but empty values holds no record (counted apart, as a CSV's blank lines are)."""
        return exp.paren(exp.and_(*[_t("COALESCE(:cell, '') = ''", cell=self.trim(self._cell(i)))
                                    for i in range(len(self.columns))]))

    def _records_counted(self) -> str:
        return exp.select(exp.Count(this=exp.Star()), copy=False).from_(self._source(), copy=False).sql("duckdb")
