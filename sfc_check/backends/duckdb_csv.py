"""A canonical CSV export loaded by DuckDB itself: every physical line read with its line number, split into
cells, typed by the data dictionary's rules in SQL, rejected with the first bad cell's reason, duplicate keys
rejected (the later row). Python only hashes the bytes and reads the header line.

What DuckDB is not asked to read goes to the Python readers instead (their rows reach DuckDB through the
bridge): another encoding than UTF-8, a NUL byte, a lone carriage return, or a record that spans lines or
quotes a cell in a way plain CSV does not (an odd number of quote characters on a line, a stray quote).
"""
from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from ..data.dictionary import DatasetSpec, FieldSpec
from ..data.rowtyping import header_positions, shown_value
from ..data.textfiles import decode_error
from ..data.values import DATETIME_SHAPE, FALSE_WORDS, NOT_FINITE, PLAIN_NUMBER, THOUSANDS, TRUE_WORDS
from ..errors import DataError
from ..model import InputStats, RejectedRow
from .failures import engine_error, first_line
from .sql import SCALE, table_name

EMPTY = 1000  # a row's problem code: field i's cell is bad (i) or required and empty (EMPTY + i)
MAX_LINE_BYTES = 8 << 20  # a longer line is refused (exit 2) rather than read as one huge cell
SCAN_CHUNK = 1 << 22
WHITESPACE = "".join(c for c in map(chr, range(0x3000 + 1)) if c.isspace())  # what Python's str.strip() strips
_DIALECT = "duckdb"

# Cells as a CSV line holds them: a quoted cell ("" inside is a quote) or an unquoted one not starting with a quote.
_CELL = r'("(?:[^"]|"")*"|[^,"][^,]*|)'
_LINE = f"{_CELL}(?:,{_CELL})*"


@dataclass
class Scan:
    sha256: str
    quotes: bool
    plain: bool  # no NUL byte and no lone CR: DuckDB's line reader sees the lines Python's csv module sees
    odd_space: bool  # whitespace other than the space character (a tab, a no-break space…)


# Python's str.strip() strips these besides the space; they are rare, so a file without any is trimmed of spaces
# only, which is several times faster in DuckDB
_ODD_SPACES = tuple(c.encode() for c in WHITESPACE if c not in " \n\r")
_ODD_ASCII = bytes(c for c in range(128) if chr(c).isspace() and chr(c) not in " \n\r")
_ODD_LEADS = tuple({c[:1] for c in _ODD_SPACES if len(c) > 1})  # the first bytes of the others' UTF-8


def scan(path: Path) -> Scan:
    """One pass over the bytes at C speed: the hash, and whether DuckDB's line reader can take the file."""
    h = hashlib.sha256()
    quotes = nul = odd = False
    crs = crlfs = 0
    tail = b""
    with path.open("rb") as f:
        while block := f.read(SCAN_CHUNK):
            h.update(block)
            quotes = quotes or b'"' in block
            nul = nul or b"\0" in block
            edge = tail + block[:2]  # a multi-byte space the chunk cut in two
            odd = odd or len(block.translate(None, _ODD_ASCII)) != len(block) or (
                any(lead in block for lead in _ODD_LEADS) and any(c in block for c in _ODD_SPACES)) or (
                any(c in edge for c in _ODD_SPACES))
            crs += block.count(b"\r")
            crlfs += block.count(b"\r\n") + (tail[-1:] == b"\r" and block[:1] == b"\n")  # a CRLF cut by the chunk
            tail = block[-2:]
    return Scan(h.hexdigest(), quotes, not nul and crs == crlfs, odd)


def _t(sql: str, **values: exp.Expr) -> exp.Expr:
    """A fixed SQL fragment of ours, parsed by sqlglot once, its :placeholders filled with expression trees."""
    return exp.replace_placeholders(_parsed(sql), **values)  # (replacing copies the parsed tree)


@lru_cache(maxsize=None)
def _parsed(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read=_DIALECT)


def _strings(values: list[str] | tuple[str, ...] | frozenset[str]) -> exp.Tuple:
    return exp.Tuple(expressions=[exp.Literal.string(v) for v in sorted(values)])


class CsvLoad:
    """Load one canonical CSV into the dataset's table; `load()` is False when the Python reader must read it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spec: DatasetSpec, path: Path, display: str,
                 stats: InputStats, rejected: Any, timezone: str) -> None:
        self.con, self.spec, self.path, self.display = con, spec, path, display
        self.stats, self.rejected, self.timezone = stats, rejected, timezone
        self.lines = f"lines_{spec.name}"

    def load(self) -> bool:
        facts = scan(self.path)
        if not facts.plain:
            return False
        ws = exp.Literal.string(WHITESPACE)
        self.trim: Callable[[exp.Expr], exp.Expr] = (
            (lambda e: exp.func("TRIM", e, ws)) if facts.odd_space else (lambda e: exp.Trim(this=e)))
        self._read_lines()
        if facts.quotes and self._irregular():
            self._sql(f'DROP TABLE "{self.lines}"')
            return False
        header = self._header()
        positions = header_positions(header, self.spec, self.display)
        self.stats.sha256 = facts.sha256
        self.stats.absent = {f.name for f in self.spec.fields if f.name not in positions}
        self._type(header, positions, facts.quotes)
        self._sql(f'DROP TABLE "{self.lines}"')
        return True

    def _reader(self, options: Mapping[str, exp.Expr]) -> str:
        reader = exp.func("read_csv", exp.Literal.string(str(self.path)),
                          *[exp.EQ(this=exp.var(k), expression=v) for k, v in options.items()])
        return reader.sql(_DIALECT, copy=False)

    def _quoted_cells(self) -> exp.Select:
        """Cells of a file that quotes some of them, parsed by DuckDB's CSV reader (every line is a whole
        record: _irregular said so), each record paired with its line: the reader skips empty lines, so the
        k-th record is the k-th line that is not empty."""
        row = self._sql(f'SELECT max(length(line) - length(replace(line, \',\', \'\'))) + 1 '
                               f'FROM "{self.lines}"').fetchone()
        most = int(row[0] or 1) if row else 1
        names = [f"c{i}" for i in range(1, most + 1)]
        columns = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(n), expression=exp.Literal.string(
            "VARCHAR")) for n in names])
        options = {"columns": columns, "header": exp.false(), "delim": exp.Literal.string(","),
                   "quote": exp.Literal.string('"'), "escape": exp.Literal.string('"'), "auto_detect": exp.false(),
                   "strict_mode": exp.false(), "null_padding": exp.true(), "all_varchar": exp.true(),
                   "nullstr": exp.Literal.string("\x01"), "max_line_size": exp.Literal.number(MAX_LINE_BYTES)}
        self._run(f'CREATE TABLE "records_{self.spec.name}" AS SELECT * FROM {self._reader(options)} '
                  "WITH ORDINALITY")
        # the padding is null (an empty cell is ''): the record's own cells are those before the first null
        width = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=exp.column(n), expression=exp.null())),
                                     true=exp.Literal.number(len(names) - i)) for i, n in enumerate(reversed(names))],
                         default=exp.Literal.number(0))
        listed = exp.func("list_slice", exp.Array(expressions=[exp.column(n) for n in names]),
                          exp.Literal.number(1), width)
        numbered = exp.select("n", "line", exp.alias_(_t("row_number() OVER (ORDER BY n)"), "k"), copy=False).from_(
            self.lines, copy=False).where("line IS NOT NULL", copy=False)
        return exp.select("l.n", "l.line", exp.alias_(listed, "c"), copy=False).from_(numbered.subquery("l", copy=False), copy=False).join(
            f'"records_{self.spec.name}" AS r', on="r.ordinality = l.k", copy=False).where("l.n > 1", copy=False)

    def _read_lines(self) -> None:
        options = {"columns": _t("{'line': 'VARCHAR'}"), "header": exp.false(), "delim": exp.Literal.string("\0"),
                   "quote": exp.Literal.string(""), "escape": exp.Literal.string(""), "auto_detect": exp.false(),
                   "strict_mode": exp.false(), "max_line_size": exp.Literal.number(MAX_LINE_BYTES)}
        # WITH ORDINALITY numbers the lines as read: sqlglot has no node for it, so it follows the reader's SQL
        sql = f'CREATE TABLE "{self.lines}" AS SELECT ordinality AS n, line FROM {self._reader(options)} ' \
            "WITH ORDINALITY"
        try:
            self.con.execute(sql)
        except duckdb.InvalidInputException as exc:
            text = str(exc)
            if "unicode" in text.lower() or "utf-8" in text.lower():
                raise decode_error(self.path, self.display, "utf-8") from None
            raise DataError(f"unreadable CSV: {first_line(text)} (a line may be at most {MAX_LINE_BYTES >> 20} "
                            "MB)", self.display, _line_of(text)) from None
        except duckdb.Error as exc:
            raise engine_error(exc, "reading the file", self.display) from None

    def _irregular(self) -> bool:
        """Whether some line has an odd number of quotes (a record spanning lines) or quotes a cell oddly."""
        line = exp.column("line")
        odd = _t("(length(:l) - length(replace(:l, '\"', ''))) % 2 = 1", l=line)
        stray = _t("contains(:l, '\"') AND NOT regexp_full_match(:l, :p)", l=line, p=exp.Literal.string(_LINE))
        query = exp.select(exp.Count(this=exp.Star()), copy=False).from_(self.lines, copy=False).where(exp.or_(odd, stray), copy=False)
        row = self._sql(query.sql(_DIALECT, copy=False)).fetchone()
        return bool(row and row[0])

    def _header(self) -> list[str]:
        row = self._sql(f'SELECT line FROM "{self.lines}" WHERE n = 1').fetchone()
        text = row[0] if row else None
        cells = next(csv.reader([text]), []) if text else []
        if not any(c.strip() for c in cells):
            raise DataError("empty file: no header row (expected the canonical column names)", self.display, 1)
        return cells

    # --- typing ---------------------------------------------------------------------------------------
    def _type(self, header: list[str], positions: dict[str, int], quotes: bool) -> None:
        """Lines → cells → trimmed text → typed values → the first problem, one stage per subquery (a stage's
        columns are computed once)."""
        width = len(header)
        cells = self._cell_rows(quotes)
        fields = [_FieldSql(f, positions.get(f.name), self.timezone, self.trim, self._cell) for f in self.spec.fields]
        extras = [(str(h).strip(), i) for i, h in enumerate(header)
                  if h is not None and str(h).strip() and str(h).strip().lower() not in self.spec.by_name]
        blank = self._blank()
        texts = exp.select("n", exp.alias_(self._width(), "width"),
                           exp.alias_(_extra_json(extras, self.trim, self._cell), "__extra", quoted=True),
                           *[c for fs in fields for c in fs.texts()], copy=False).from_(cells.subquery("s1", copy=False), copy=False).where(
            exp.Not(this=blank), copy=False)
        typed = exp.select("n", "width", exp.column("__extra", quoted=True),
                           *[c for fs in fields for c in fs.raws()],
                           *[c for fs in fields for c in fs.columns()], copy=False).from_(texts.subquery("s2", copy=False), copy=False)
        ragged = exp.NEQ(this=exp.column("width"), expression=exp.Literal.number(width))
        code = exp.Case(ifs=[exp.If(this=ragged, true=exp.Literal.number(-1))] +
                        [exp.If(this=fs.bad(), true=exp.Literal.number(i)) for i, fs in enumerate(fields)
                         if fs.can_be_bad()] +
                        [exp.If(this=fs.empty(), true=exp.Literal.number(EMPTY + i)) for i, fs in enumerate(fields)
                         if fs.spec.required])
        judged = exp.select(exp.Star(), exp.alias_(code, "__bad", quoted=True), copy=False).from_(typed.subquery("s3", copy=False), copy=False)
        bad = exp.column("__bad", quoted=True)
        reason = exp.Case(ifs=[exp.If(this=exp.EQ(this=bad, expression=exp.Literal.number(i)), true=fs.reason())
                               for i, fs in enumerate(fields) if fs.can_be_bad()],
                          default=exp.Literal.string("required value is empty"))
        raw = exp.Case(ifs=[exp.If(this=exp.In(this=bad, expressions=[exp.Literal.number(i),
                                                                       exp.Literal.number(EMPTY + i)]),
                                   true=fs.raw_column()) for i, fs in enumerate(fields)])
        kept: list[str | exp.Expr] = ["n", "width", exp.column("__extra", quoted=True), bad,
                exp.alias_(exp.Case(ifs=[exp.If(this=exp.GTE(this=bad, expression=exp.Literal.number(0)),
                                                true=reason)]), "__reason", quoted=True),
                exp.alias_(raw, "__raw", quoted=True),
                *[c for fs in fields for c in fs.typed_columns()]]
        final = exp.select(*kept, copy=False).from_(judged.subquery("s4", copy=False), copy=False)
        self._run(f'CREATE TABLE "typed_{self.spec.name}" AS {final.sql(_DIALECT, copy=False)}')
        counts = self._sql(
            f'SELECT ({self._records_counted()}), count(*) FROM "typed_{self.spec.name}"').fetchone()
        assert counts is not None
        self.stats.rows_blank += counts[0] - counts[1]
        self.stats.rows_read += counts[1]
        self._reject_bad(fields, width)
        self._keep_unique(fields)

    def _cell_rows(self, quotes: bool) -> exp.Select:
        """(n, line, c): each record's line number, its text and its cells as a list of text."""
        if quotes:
            return self._quoted_cells()
        return exp.select("n", "line", exp.alias_(_t("string_split(line, ',')"), "c"), copy=False).from_(
            self.lines, copy=False).where(_t("n > 1 AND line IS NOT NULL"), copy=False)

    def _cell(self, i: int) -> exp.Expr:
        """The i-th cell of a record (from 0)."""
        return _t("list_extract(c, :i)", i=exp.Literal.number(i + 1))

    def _width(self) -> exp.Expr:
        """How many cells the record has."""
        return exp.Length(this=exp.column("c"))

    def _blank(self) -> exp.Expr:
        """A line of nothing but separators and spaces holds no record (counted apart, as blank lines are)."""
        return _t("CASE WHEN contains(line, '\"') THEN len(list_filter(c, x -> :cell <> '')) = 0 "
                  "ELSE :line = '' END", cell=self.trim(exp.column("x")),
                  line=self.trim(_t("replace(line, ',', '')")))

    def _records_counted(self) -> str:
        """SQL counting the lines after the header (records and blank lines)."""
        return f'SELECT count(*) FROM "{self.lines}" WHERE n > 1'

    def _run(self, sql: str) -> None:
        self._sql(sql)

    def _sql(self, sql: str) -> duckdb.DuckDBPyConnection:
        """Run one statement; a failure of the engine is an error naming this file (exit 2), never a crash."""
        try:
            return self.con.execute(sql)
        except duckdb.Error as exc:
            raise engine_error(exc, "reading the file", self.display) from None

    def _reject_bad(self, fields: list[_FieldSql], width: int) -> None:
        query = f'SELECT n, width, "__bad", "__raw", "__reason" FROM "typed_{self.spec.name}" ' \
                'WHERE "__bad" IS NOT NULL ORDER BY n'
        cursor = self._sql(query)
        names = [fs.spec.name for fs in fields]
        while batch := cursor.fetchmany(2048):
            for n, seen, bad, raw, reason in batch:
                self.stats.rows_rejected += 1
                if bad == -1:
                    self.rejected.append(RejectedRow(self.spec.name, self.display, n, None, None,
                                                     f"row has {seen} cells, the header has {width}"))
                else:
                    self.rejected.append(RejectedRow(self.spec.name, self.display, n, names[bad % EMPTY],
                                                     shown_value(raw), reason))

    def _keep_unique(self, fields: list[_FieldSql]) -> None:
        """The dataset's table (a view of the typed rows): typed rows whose key no earlier line had."""
        typed = f'"typed_{self.spec.name}"'
        keys = ", ".join(_q(k) for k in self.spec.key)
        repeated = f"SELECT {keys} FROM {typed} WHERE \"__bad\" IS NULL GROUP BY {keys} HAVING count(*) > 1"
        self._run(f'CREATE TABLE "dups_{self.spec.name}" AS SELECT * FROM ('
                  f'SELECT n, min(n) OVER (PARTITION BY {keys}) AS first, {keys} FROM {typed} '
                  f'WHERE "__bad" IS NULL AND ({keys}) IN ({repeated})) WHERE n <> first')
        cursor = self._sql(f'SELECT n, first, {keys} FROM "dups_{self.spec.name}" ORDER BY n')
        while batch := cursor.fetchmany(2048):
            for n, first, *values in batch:
                self.stats.rows_rejected += 1
                value = values[0] if len(values) == 1 else tuple(values)
                self.rejected.append(RejectedRow(self.spec.name, self.display, n, self.spec.key[0],
                                                 shown_value(value), f"duplicate key (first seen at row {first})"))
        keep: list[exp.Expr] = [exp.alias_(exp.Literal.string(self.display), "__path", quoted=True),
                                      exp.alias_(exp.column("n"), "__row", quoted=True),
                                      exp.column("__extra", quoted=True)]
        for fs in fields:
            keep += fs.kept()
        query = exp.select(*keep, copy=False).from_(typed, copy=False).where(
            f'"__bad" IS NULL AND n NOT IN (SELECT n FROM "dups_{self.spec.name}")', copy=False)
        self._run(f'CREATE OR REPLACE VIEW "{table_name(self.spec.name)}" AS {query.sql(_DIALECT, copy=False)}')


def _q(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(_DIALECT, copy=False)


def _extra_json(extras: list[tuple[str, int]], trim: Callable[[exp.Expr], exp.Expr],
                cell: Callable[[int], exp.Expr]) -> exp.Expr:
    if not extras:
        return exp.cast(exp.null(), "VARCHAR")
    pairs: list[exp.Expr] = []
    for name, i in extras:
        text = _t("NULLIF(:t, '')", t=trim(cell(i)))
        pairs += [exp.Literal.string(name), text]
    obj = exp.func("json_object", *pairs)
    present = exp.or_(*[exp.Not(this=exp.Is(this=p, expression=exp.null())) for p in pairs[1::2]])
    return exp.Case(ifs=[exp.If(this=present, true=exp.cast(obj, "VARCHAR"))])


class _FieldSql:
    """One dictionary field's SQL: its trimmed cell, typed value, whether the cell is bad and why."""

    def __init__(self, spec: FieldSpec, position: int | None, timezone: str,
                 trim: Callable[[exp.Expr], exp.Expr], cell: Callable[[int], exp.Expr]) -> None:
        self.spec, self.position, self.timezone, self.trim, self.cell = spec, position, timezone, trim, cell
        self.name = spec.name

    def raw(self) -> exp.Expr:
        if self.position is None:
            return exp.cast(exp.null(), "VARCHAR")
        return self.cell(self.position)

    def raw_column(self) -> exp.Expr:
        return exp.column(f"{self.name}__raw", quoted=True)

    def texts(self) -> list[exp.Expr]:
        """Stage 2: the raw cell and its trimmed text (null when empty)."""
        return [exp.alias_(self.raw(), f"{self.name}__raw", quoted=True),
                exp.alias_(_t("NULLIF(:t, '')", t=self.trim(self.raw())), f"{self.name}__t", quoted=True)]

    def raws(self) -> list[exp.Expr]:
        return [self.raw_column(), exp.column(f"{self.name}__t", quoted=True)]

    def typed_columns(self) -> list[exp.Expr]:
        """What the typed table keeps of the field: its value, its exponent or offset, its date in the zone."""
        c = exp.column(self.name, quoted=True)
        if self.spec.type == "decimal":
            return [c, exp.alias_(exp.column(f"{self.name}__c", quoted=True), f"{self.name}__e", quoted=True)]
        if self.spec.type == "datetime":
            local = exp.cast(exp.AtTimeZone(this=c, zone=exp.Literal.string(self.timezone)), "DATE")
            return [c, exp.alias_(exp.column(f"{self.name}__c", quoted=True), f"{self.name}__o", quoted=True),
                    exp.alias_(local, f"{self.name}__d", quoted=True)]
        return [c]

    def columns(self) -> list[exp.Expr]:
        """Stage 3: the typed value (and exponent or offset) from the trimmed text."""
        t = exp.column(f"{self.name}__t", quoted=True)
        out: list[exp.Expr] = []
        value, companion = self.typed(t)
        default = self.spec.default
        if default is not None:
            empty = exp.Is(this=t, expression=exp.null())
            value = exp.Case(ifs=[exp.If(this=empty, true=_default_sql(self.spec))], default=value)
            if companion is not None and isinstance(default, Decimal):  # the default's own places
                places = exp.Literal.number(int(default.as_tuple().exponent))
                companion = exp.Case(ifs=[exp.If(this=empty, true=places)], default=companion)
        out.append(exp.alias_(value, self.name, quoted=True))
        if companion is not None:
            out.append(exp.alias_(companion, f"{self.name}__c", quoted=True))
        return out

    def kept(self) -> list[exp.Expr]:
        """The dataset table's columns of the field."""
        names = [self.name] + {"decimal": ["__e"], "datetime": ["__o", "__d"]}.get(self.spec.type, [])
        return [exp.column(self.name + n if n.startswith("__") else n, quoted=True) for n in names]

    def can_be_bad(self) -> bool:
        return self.spec.type != "string" and self.position is not None

    def empty(self) -> exp.Expr:
        return exp.Is(this=exp.column(self.name, quoted=True), expression=exp.null())

    def bad(self) -> exp.Expr:
        """The cell has text and it did not type (or broke a bound)."""
        t = exp.column(f"{self.name}__t", quoted=True)
        v = exp.column(self.name, quoted=True)
        failed = exp.and_(exp.Not(this=exp.Is(this=t, expression=exp.null())),
                          exp.Is(this=v, expression=exp.null()))
        bounds = self._bounds(v)
        return failed if bounds is None else exp.or_(failed, bounds)

    def _bounds(self, v: exp.Expr) -> exp.Expr | None:
        tests: list[exp.Expr] = []
        if self.spec.min is not None:
            tests.append(exp.LT(this=v, expression=_number(self.spec.min)))
        if self.spec.max is not None:
            tests.append(exp.GT(this=v, expression=_number(self.spec.max)))
        return exp.func("COALESCE", exp.or_(*tests), exp.false()) if tests else None

    def reason(self) -> exp.Expr:
        t = exp.column(f"{self.name}__t", quoted=True)
        v = exp.column(self.name, quoted=True)
        why = self._why(t)
        ifs = []
        if self.spec.min is not None:
            ifs.append(exp.If(this=exp.LT(this=v, expression=_number(self.spec.min)),
                              true=exp.Literal.string(f"below the allowed minimum {self.spec.min}")))
        if self.spec.max is not None:
            ifs.append(exp.If(this=exp.GT(this=v, expression=_number(self.spec.max)),
                              true=exp.Literal.string(f"above the allowed maximum {self.spec.max}")))
        return exp.Case(ifs=ifs, default=why) if ifs else why

    # --- per type -------------------------------------------------------------------------------------
    def typed(self, t: exp.Expr) -> tuple[exp.Expr, exp.Expr | None]:
        kind, spec = self.spec.type, self.spec
        if kind == "string":
            if spec.case == "upper":
                return exp.Upper(this=t), None
            if spec.case == "lower":
                return exp.Lower(this=t), None
            return t, None
        if kind == "enum":
            return _t("CASE WHEN lower(:t) IN :v THEN lower(:t) END", t=t, v=_strings(spec.values)), None
        if kind == "bool":
            return _t("CASE WHEN lower(:t) IN :yes THEN TRUE WHEN lower(:t) IN :no THEN FALSE END", t=t,
                      yes=_strings(TRUE_WORDS), no=_strings(FALSE_WORDS)), None
        if kind == "date":
            return _t("CASE WHEN regexp_full_match(:t, '[0-9]{4}-[0-9]{2}-[0-9]{2}') AND NOT starts_with(:t, '0000') "
                      "THEN TRY_CAST(:t AS DATE) END", t=t), None
        if kind == "integer":
            return _t("CASE WHEN regexp_full_match(:t, '[+-]?[0-9]+') THEN TRY_CAST(:t AS BIGINT) "
                      "WHEN regexp_full_match(:t, '[+-]?[0-9]{1,3}(,[0-9]{3})+') "
                      "THEN TRY_CAST(replace(:t, ',', '') AS BIGINT) END", t=t), None
        if kind == "decimal":
            return _decimal(t)
        if kind == "datetime":
            return _datetime(t)
        raise AssertionError(kind)

    def _why(self, t: exp.Expr) -> exp.Expr:
        kind = self.spec.type
        if kind == "enum":
            return exp.Literal.string(f"not one of: {', '.join(self.spec.values)}")
        if kind == "bool":
            return exp.Literal.string("not a boolean (true/false, yes/no, y/n, 1/0)")
        if kind == "integer":
            return exp.Literal.string("not a whole number")
        if kind == "date":
            return _t("CASE WHEN length(:t) <> 10 OR substr(:t, 5, 1) <> '-' OR substr(:t, 8, 1) <> '-' "
                      "THEN 'not a date (YYYY-MM-DD)' ELSE 'not a valid calendar date (YYYY-MM-DD)' END", t=t)
        if kind == "datetime":
            return _t("CASE WHEN regexp_full_match(:t, :p) AND TRY_CAST(:n AS TIMESTAMPTZ) IS NOT NULL "
                      "THEN 'date-time out of range (0001-01-02 to 9999-12-30)' "
                      "ELSE 'not an ISO 8601 date-time (e.g. 2026-03-01T09:30:00+08:00)' END",
                      t=t, p=exp.Literal.string(_DATETIME), n=_datetime_text(t))
        return _decimal_reason(t)


def _number(v: Any) -> exp.Expr:
    d = Decimal(str(v))
    places = max(0, -int(d.as_tuple().exponent))
    return exp.cast(exp.Literal.string(format(d, "f")), f"DECIMAL(38, {places})")


def _default_sql(spec: FieldSpec) -> exp.Expr:
    d = spec.default
    if isinstance(d, bool):
        return exp.true() if d else exp.false()
    if isinstance(d, Decimal):
        return exp.cast(exp.Literal.string(format(d, "f")), f"DECIMAL(38, {SCALE})")
    return exp.Literal.string(str(d))


# Numbers: the usual cell takes the first branch; the rest is parsed from its text so that the exponent Python's
# Decimal would give (the places evidence shows) and the range checks need no arithmetic on the value.
_PLAIN = PLAIN_NUMBER.pattern  # the shapes Python's typing reads (values.py): one definition for both readers
_GROUPED = THOUSANDS.pattern
_PARTS = r"^[+-]?([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?$"
_NUMBER = f"CASE WHEN regexp_full_match(:t, '{_PLAIN}') THEN :t " \
          f"WHEN regexp_full_match(:t, '{_GROUPED}') THEN replace(:t, ',', '') END"


def _decimal_facts(t: exp.Expr) -> dict[str, exp.Expr]:
    n = _t(_NUMBER, t=t)
    parts = _t(f"regexp_extract(:n, '{_PARTS}', ['i', 'f', 'x'])", n=n)
    x = _t("TRY_CAST(COALESCE(NULLIF(struct_extract(:p, 'x'), ''), '0') AS BIGINT)", p=parts)
    digits = _t("ltrim(struct_extract(:p, 'i') || struct_extract(:p, 'f'), '0')", p=parts)
    exponent = _t(":x - length(struct_extract(:p, 'f'))", x=x, p=parts)
    adjusted = _t(":e + length(:d) - 1", e=exponent, d=digits)
    zeros = _t("length(:d) - length(rtrim(:d, '0'))", d=digits)
    return {"n": n, "x": x, "digits": digits, "exponent": exponent, "adjusted": adjusted, "zeros": zeros}


def _decimal(t: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    # the usual cells (plain, or grouped in thousands) take the first branches; the rest the long way
    simple = _t(r"regexp_full_match(:t, '-?[0-9]{1,18}(\.[0-9]{1,10})?')", t=t)
    grouped = _t(r"regexp_full_match(:t, '-?[0-9]{1,3}(,[0-9]{3}){1,5}(\.[0-9]{1,10})?')", t=t)
    f = _decimal_facts(t)
    fine = _t(f"(:d = '' OR (:x IS NOT NULL AND :a < 18 AND :a >= -30 AND :e + :z >= -{SCALE}))",
              d=f["digits"], x=f["x"], a=f["adjusted"], e=f["exponent"], z=f["zeros"])
    value = _t(f"CASE WHEN :s THEN CAST(:t AS DECIMAL(38, {SCALE})) "
               f"WHEN :g THEN CAST(replace(:t, ',', '') AS DECIMAL(38, {SCALE})) "
               f"WHEN :n IS NOT NULL AND :ok THEN TRY_CAST(:n AS DECIMAL(38, {SCALE})) END",
               s=simple, g=grouped, t=t, n=f["n"], ok=fine)
    exponent = _t("CASE WHEN :s OR :g THEN -length(split_part(:t, '.', 2)) ELSE :e END", s=simple, g=grouped, t=t,
                  e=f["exponent"])
    return value, exponent


def _decimal_reason(t: exp.Expr) -> exp.Expr:
    f = _decimal_facts(t)
    return _t(
        f"CASE WHEN regexp_full_match(lower(:t), '{NOT_FINITE.pattern}') THEN 'not a finite number' "
        "WHEN :n IS NULL AND contains(:t, ',') THEN 'not a number (misplaced thousands separator)' "
        "WHEN :n IS NULL THEN 'not a number' "
        "WHEN :d <> '' AND (:x IS NULL OR :a >= 18 OR :a < -30) "
        "THEN 'number out of range (sfc-check reads numbers from 10^-30 up to 10^18 in size)' "
        f"ELSE 'more than {SCALE} decimal places (sfc-check keeps {SCALE})' END",
        t=t, n=f["n"], d=f["digits"], x=f["x"], a=f["adjusted"])


# Date-times: ISO 8601 as exports write it; no offset means UTC.
_DATETIME = DATETIME_SHAPE.pattern


def _datetime_parts(t: exp.Expr) -> exp.Expr:
    return _t(f"regexp_extract(:t, '^{_DATETIME}$', ['d', 'h', 'm', 's', 'f', 'z'])", t=t)


def _datetime_text(t: exp.Expr) -> exp.Expr:
    p = _datetime_parts(t)
    # (hour 24 is refused as Python's reader refuses it: DuckDB alone would read 24:00 as the next midnight)
    return _t("CASE WHEN struct_extract(:p, 'd') <> '' AND NOT starts_with(struct_extract(:p, 'd'), '0000') "
              "AND struct_extract(:p, 'h') <> '24' THEN "
              "struct_extract(:p, 'd') || ' ' || COALESCE(NULLIF(struct_extract(:p, 'h'), ''), '00') || ':' || COALESCE(NULLIF(struct_extract(:p, 'm'), ''), '00') || ':' "
              "|| COALESCE(NULLIF(struct_extract(:p, 's'), ''), '00') || CASE WHEN struct_extract(:p, 'f') <> '' THEN '.' || struct_extract(:p, 'f') ELSE '' END || "
              "CASE WHEN struct_extract(:p, 'z') IN ('', 'Z', 'z') THEN '+00:00' "
              "WHEN length(struct_extract(:p, 'z')) = 3 THEN struct_extract(:p, 'z') || ':00' "
              "WHEN length(struct_extract(:p, 'z')) = 5 THEN substr(struct_extract(:p, 'z'), 1, 3) || ':' || substr(struct_extract(:p, 'z'), 4, 2) ELSE struct_extract(:p, 'z') END END", p=p)


# The shape nearly every export writes (2026-03-01T09:30:00+08:00) is cast directly; any other goes the long way.
_USUAL = "length(:t) = 25 AND substr(:t, 11, 1) = 'T' AND substr(:t, 20, 1) IN ('+', '-') AND substr(:t, 23, 1) = ':' " \
         "AND substr(:t, 12, 2) <> '24'"


def _datetime(t: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    usual = _t(_USUAL, t=t)
    quick = _t("TRY_CAST(:t AS TIMESTAMPTZ)", t=t)
    value, offset = _datetime_long(t)
    quick_offset = _t("(CASE WHEN substr(:t, 20, 1) = '-' THEN -1 ELSE 1 END) * "
                      "(TRY_CAST(substr(:t, 21, 2) AS INTEGER) * 3600 + TRY_CAST(substr(:t, 24, 2) AS INTEGER) * 60)",
                      t=t)
    either = _t("CASE WHEN :u AND :q IS NOT NULL THEN :q ELSE :v END", u=usual, q=quick, v=value)
    return (_t("CASE WHEN :ts >= TIMESTAMPTZ '0001-01-02 00:00:00+00' AND :ts <= TIMESTAMPTZ "
               "'9999-12-30 00:00:00+00' THEN :ts END", ts=either),
            _t("CASE WHEN :u AND :q IS NOT NULL THEN :qo ELSE :o END", u=usual, q=quick, qo=quick_offset, o=offset))


def _datetime_long(t: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    p = _datetime_parts(t)
    value = _t("TRY_CAST(:n AS TIMESTAMPTZ)", n=_datetime_text(t))
    zone = _t("replace(struct_extract(:p, 'z'), ':', '')", p=p)  # '', Z, +HH or +HHMM
    offset = _t("CASE WHEN length(:z) < 3 THEN 0 ELSE (CASE WHEN starts_with(:z, '-') THEN -1 ELSE 1 END) * "
                "(CAST(substr(:z, 2, 2) AS INTEGER) * 3600 + COALESCE(TRY_CAST(NULLIF(substr(:z, 4, 2), '') "
                "AS INTEGER), 0) * 60) END", z=zone)
    return value, offset


def _line_of(text: str) -> int | None:
    import re
    m = re.search(r"Line: (\d+)", text)
    return int(m.group(1)) if m else None
