"""A Parquet export typed by Spark itself, on the cluster: the same rules as DuckDB's typing of a cell's text
(duckdb_csv), written for Spark, so a data lake's files never pass through this machine.

Each column's values become text (timestamps in ISO form, as the DuckDB loader writes them), are trimmed,
typed by the dictionary, checked against its bounds, and the first bad field of a row names the row's rejection,
with the same reasons. Rows whose every cell is empty are blank (counted apart); a later row repeating a key is
rejected as a duplicate. Row numbers are the row's position in its file, from 1. tests/test_spark.py holds both
loaders to the same typed tables and rejections on random cells.
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from ..data.dictionary import DatasetSpec, FieldSpec
from ..data.rowtyping import header_positions, shown_value
from ..data.values import DATETIME_SHAPE, FALSE_WORDS, NOT_FINITE, PLAIN_NUMBER, THOUSANDS, TRUE_WORDS
from ..model import InputStats, RejectedRow
from .duckdb_csv import WHITESPACE
from .sql import SCALE

DIALECT = "spark"
EMPTY = 1000  # a row's problem code: field i's cell is bad (i) or required and empty (EMPTY + i)


def _t(sql: str, **values: exp.Expr) -> exp.Expr:
    """A fixed Spark SQL fragment, parsed once, its :placeholders filled with expression trees."""
    return exp.replace_placeholders(_parsed(sql), **values)


@lru_cache(maxsize=None)
def _parsed(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read=DIALECT)


def _s(text: str) -> exp.Expr:
    return exp.Literal.string(text)


def _strings(values: Any) -> list[exp.Expr]:
    return [exp.Literal.string(v) for v in sorted(values)]


def _q(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(DIALECT)


class SparkParquetLoad:
    """Type one Parquet file on Spark into a temporary view named `table` (rejections streamed to `rejected`)."""

    def __init__(self, session: Any, spec: DatasetSpec, path: str, display: str, stats: InputStats,
                 rejected: Any, timezone: str, table: str) -> None:
        self.session, self.spec, self.path, self.display = session, spec, path, display
        self.stats, self.rejected, self.timezone, self.table = stats, rejected, timezone, table

    def load(self) -> Any:
        """The typed rows as a DataFrame, persisted and registered as the dataset's view. Whole-stage code
        generation is off while typing: compiling the typing expressions took 2 s per query on a 5-row file,
        and on 1.46M rows the audit took 168 s with it, 172 s without (benchmarks/RESULTS.md)."""
        conf = self.session.conf
        before = conf.get("spark.sql.codegen.wholeStage", "true")
        conf.set("spark.sql.codegen.wholeStage", "false")
        try:
            return self._load()
        finally:
            conf.set("spark.sql.codegen.wholeStage", before)

    def _load(self) -> Any:
        from pyspark.sql.types import TimestampNTZType, TimestampType
        raw = self.session.read.parquet(self.path)
        header = [f.name for f in raw.schema.fields]
        positions = header_positions(header, self.spec, self.display)
        self.stats.absent = {f.name for f in self.spec.fields if f.name not in positions}
        texts = []
        for i, f in enumerate(raw.schema.fields):
            c = _q(f.name)
            if isinstance(f.dataType, TimestampType):  # an instant: ISO text in UTC (the session's zone)
                text = f"date_format({c}, \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS'+00:00'\")"
            elif isinstance(f.dataType, TimestampNTZType):  # no zone: UTC, as an ISO text without offset is
                text = f"date_format({c}, \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS\")"
            else:
                text = f"CAST({c} AS STRING)"
            texts.append(f"{text} AS `__c{i}`")
        self.session.read.parquet(self.path).selectExpr(
            "_metadata.row_index + 1 AS n", *texts).createOrReplaceTempView(f"{self.table}__cells")
        fields = [_SparkField(f, positions.get(f.name), self.timezone) for f in self.spec.fields]
        extras = [(h.strip(), i) for i, h in enumerate(header) if h.strip() and h.strip().lower() not in
                  self.spec.by_name]
        typed = self._typed(fields, extras, len(header))
        typed.persist()
        counts = typed.groupBy().agg({"n": "count"}).collect()[0][0]
        total = self.session.table(f"{self.table}__cells").count()
        self.stats.rows_read += int(counts)
        self.stats.rows_blank += int(total) - int(counts)
        self._reject_bad(typed, fields)
        good = self._keep_unique(typed, fields)
        good.count()  # (materialised now, while the typing runs interpreted)
        good.createOrReplaceTempView(self.table)
        typed.unpersist()
        return good

    def _typed(self, fields: list[_SparkField], extras: list[tuple[str, int]], width: int) -> Any:
        """Cells → trimmed text → the parts numbers and date-times are read from → typed values → the first
        problem: one stage per subquery, so that each part is computed once (Spark's optimiser does not share
        the repeated subexpressions of one large expression)."""
        query = exp.select(exp.column("n"), *[c for f in fields for c in f.texts()],
                           exp.alias_(_extra_json(extras), "__extra", quoted=True),
                           exp.alias_(_blank(width), "__blank", quoted=True)).from_(
            exp.Table(this=exp.to_identifier(f"{self.table}__cells", quoted=True)))
        query = exp.select(exp.Star()).from_(query.subquery("s1")).where(
            exp.Not(this=exp.column("__blank", quoted=True)))
        for stage, method in enumerate(("normalised", "parts", "facts", "columns"), start=2):
            added = [c for f in fields for c in getattr(f, method)()]
            if added:
                query = exp.select(exp.Star(), *added).from_(query.subquery(f"s{stage}"))
        code = exp.Case(ifs=[exp.If(this=f.bad(), true=exp.Literal.number(i)) for i, f in enumerate(fields)
                             if f.can_be_bad()] +
                        [exp.If(this=f.empty(), true=exp.Literal.number(EMPTY + i)) for i, f in enumerate(fields)
                         if f.spec.required])
        judged = exp.select(exp.Star(), exp.alias_(code, "__bad", quoted=True)).from_(query.subquery("s6"))
        return self.session.sql(judged.sql(DIALECT))

    def _reject_bad(self, typed: Any, fields: list[_SparkField]) -> None:
        reasons = exp.Case(ifs=[exp.If(this=exp.EQ(this=exp.column("__bad", quoted=True),
                                                    expression=exp.Literal.number(i)), true=f.reason())
                                for i, f in enumerate(fields) if f.can_be_bad()],
                           default=exp.Literal.string("required value is empty"))
        raw = exp.Case(ifs=[exp.If(this=exp.In(this=exp.column("__bad", quoted=True),
                                               expressions=[exp.Literal.number(i), exp.Literal.number(EMPTY + i)]),
                                   true=exp.column(f"{f.name}__raw", quoted=True)) for i, f in enumerate(fields)])
        bad = typed.where("`__bad` IS NOT NULL").selectExpr(
            "n", "`__bad`", f"{raw.sql(DIALECT)} AS raw", f"{reasons.sql(DIALECT)} AS reason").orderBy("n")
        names = [f.name for f in fields]
        for n, code, value, reason in _rows(bad):
            self.stats.rows_rejected += 1
            self.rejected.append(RejectedRow(self.spec.name, self.display, int(n), names[int(code) % EMPTY],
                                             shown_value(value), reason))

    def _keep_unique(self, typed: Any, fields: list[_SparkField]) -> Any:
        """Typed rows whose key no earlier row had; each later repeat is rejected naming the first."""
        keys = ", ".join(_q(k) for k in self.spec.key)
        good = typed.where("`__bad` IS NULL")
        good.createOrReplaceTempView(f"{self.table}__good")
        ranked = self.session.sql(
            f"SELECT *, min(n) OVER (PARTITION BY {keys}) AS `__first` FROM `{self.table}__good`")
        repeats = ranked.where("n <> `__first`").selectExpr("n", "`__first`", *[_q(k) for k in self.spec.key])
        for n, first, *values in _rows(repeats.orderBy("n")):
            self.stats.rows_rejected += 1
            value = values[0] if len(values) == 1 else tuple(values)
            self.rejected.append(RejectedRow(self.spec.name, self.display, int(n), self.spec.key[0],
                                             shown_value(value), f"duplicate key (first seen at row {first})"))
        kept = [f"'{_escape(self.display)}' AS `__path`", "n AS `__row`", "`__extra`"]
        for f in fields:
            kept += [_q(c) for c in f.kept()]
        out = ranked.where("n = `__first`").selectExpr(*kept)
        return out.persist()


def _rows(frame: Any) -> Iterator[tuple[Any, ...]]:
    for row in frame.toLocalIterator():
        yield tuple(row)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _blank(width: int) -> exp.Expr:
    cells = [_t("COALESCE(TRIM(BOTH :ws FROM :c), '') = ''", ws=_s(WHITESPACE), c=exp.column(f"__c{i}", quoted=True))
             for i in range(width)]
    return exp.and_(*cells) if cells else exp.true()


def _extra_json(extras: list[tuple[str, int]]) -> exp.Expr:
    """The columns the dictionary does not know, as JSON text by header name (empty cells left out)."""
    if not extras:
        return exp.cast(exp.null(), "STRING")
    pairs: list[exp.Expr] = []
    for name, i in extras:
        pairs += [_s(name), _t("NULLIF(TRIM(BOTH :ws FROM :c), '')", ws=_s(WHITESPACE),
                              c=exp.column(f"__c{i}", quoted=True))]
    struct = exp.func("named_struct", *pairs)
    return _t("NULLIF(to_json(:s), '{}')", s=struct)


class _SparkField:
    """One dictionary field's Spark SQL: its trimmed cell, typed value, whether the cell is bad and why."""

    def __init__(self, spec: FieldSpec, position: int | None, timezone: str) -> None:
        self.spec, self.position, self.timezone = spec, position, timezone
        self.name = spec.name

    def raw(self) -> exp.Expr:
        if self.position is None:
            return exp.cast(exp.null(), "STRING")
        return exp.column(f"__c{self.position}", quoted=True)

    def text(self) -> exp.Expr:
        return exp.column(f"{self.name}__t", quoted=True)

    def c(self, suffix: str) -> exp.Expr:
        return exp.column(f"{self.name}__{suffix}", quoted=True)

    def texts(self) -> list[exp.Expr]:
        """Stage 1: the raw cell and its trimmed text (null when empty)."""
        trimmed = _t("NULLIF(TRIM(BOTH :ws FROM :c), '')", ws=_s(WHITESPACE), c=self.raw())
        return [exp.alias_(self.raw(), f"{self.name}__raw", quoted=True),
                exp.alias_(trimmed, f"{self.name}__t", quoted=True)]

    def normalised(self) -> list[exp.Expr]:
        """Stage 2: a number's text without thousands separators; a date-time's text in the one form cast."""
        t = self.text()
        if self.spec.type == "decimal":
            n = _t("CASE WHEN :t RLIKE :plain THEN :t WHEN :t RLIKE :grouped THEN replace(:t, ',', '') END", t=t,
                   plain=_s(f"^(?:{_PLAIN})$"), grouped=_s(f"^(?:{_GROUPED})$"))
            return [exp.alias_(n, f"{self.name}__n", quoted=True)]
        if self.spec.type == "datetime":
            return [exp.alias_(_datetime_text(t), f"{self.name}__n", quoted=True),
                    exp.alias_(_t("replace(:z, ':', '')", z=_part(t, 6)), f"{self.name}__z", quoted=True)]
        return []

    def parts(self) -> list[exp.Expr]:
        """Stage 3: a number's integer digits, fraction digits and exponent."""
        if self.spec.type != "decimal":
            return []
        n = self.c("n")
        return [exp.alias_(_t("regexp_extract(:n, :p, 1)", n=n, p=_s(_PARTS)), f"{self.name}__i", quoted=True),
                exp.alias_(_t("regexp_extract(:n, :p, 2)", n=n, p=_s(_PARTS)), f"{self.name}__f", quoted=True),
                exp.alias_(_t("TRY_CAST(COALESCE(NULLIF(regexp_extract(:n, :p, 3), ''), '0') AS BIGINT)", n=n,
                              p=_s(_PARTS)), f"{self.name}__x", quoted=True)]

    def facts(self) -> list[exp.Expr]:
        """Stage 4: a number's significant digits and exponent (as Python's Decimal has them)."""
        if self.spec.type != "decimal":
            return []
        return [exp.alias_(_t("TRIM(LEADING '0' FROM concat(:i, :f))", i=self.c("i"), f=self.c("f")),
                           f"{self.name}__digits", quoted=True),
                exp.alias_(_t(":x - length(:f)", x=self.c("x"), f=self.c("f")), f"{self.name}__exp", quoted=True)]

    def columns(self) -> list[exp.Expr]:
        """Stage 5: the typed value (and exponent or offset, and the date in the firm's zone)."""
        value, companion = self.typed(self.text())
        default = self.spec.default
        if default is not None:
            empty = exp.Is(this=self.text(), expression=exp.null())
            value = exp.Case(ifs=[exp.If(this=empty, true=_default_sql(self.spec))], default=value)
            if companion is not None and isinstance(default, Decimal):
                places = exp.Literal.number(int(default.as_tuple().exponent))
                companion = exp.Case(ifs=[exp.If(this=empty, true=places)], default=companion)
        out = [exp.alias_(value, self.name, quoted=True)]
        if companion is not None:
            out.append(exp.alias_(companion, f"{self.name}__{'e' if self.spec.type == 'decimal' else 'o'}",
                                  quoted=True))
        if self.spec.type == "datetime":
            local = _t("to_date(from_utc_timestamp(:v, :z))", v=value.copy(), z=_s(self.timezone))
            out.append(exp.alias_(local, f"{self.name}__d", quoted=True))
        return out

    def kept(self) -> list[str]:
        return [self.name] + [self.name + n for n in {"decimal": ["__e"], "datetime": ["__o", "__d"]}.get(
            self.spec.type, [])]

    def can_be_bad(self) -> bool:
        return self.spec.type != "string" and self.position is not None

    def empty(self) -> exp.Expr:
        return exp.Is(this=exp.column(self.name, quoted=True), expression=exp.null())

    def bad(self) -> exp.Expr:
        v = exp.column(self.name, quoted=True)
        failed = exp.and_(exp.Not(this=exp.Is(this=self.text(), expression=exp.null())),
                          exp.Is(this=v, expression=exp.null()))
        tests: list[exp.Expr] = []
        if self.spec.min is not None:
            tests.append(exp.LT(this=v, expression=_number(self.spec.min)))
        if self.spec.max is not None:
            tests.append(exp.GT(this=v, expression=_number(self.spec.max)))
        return exp.or_(failed, exp.func("COALESCE", exp.or_(*tests), exp.false())) if tests else failed

    def reason(self) -> exp.Expr:
        v = exp.column(self.name, quoted=True)
        ifs = []
        if self.spec.min is not None:
            ifs.append(exp.If(this=exp.LT(this=v, expression=_number(self.spec.min)),
                              true=_s(f"below the allowed minimum {self.spec.min}")))
        if self.spec.max is not None:
            ifs.append(exp.If(this=exp.GT(this=v, expression=_number(self.spec.max)),
                              true=_s(f"above the allowed maximum {self.spec.max}")))
        why = self._why(self.text())
        return exp.Case(ifs=ifs, default=why) if ifs else why

    def typed(self, t: exp.Expr) -> tuple[exp.Expr, exp.Expr | None]:
        kind, spec = self.spec.type, self.spec
        if kind == "string":
            if spec.case == "upper":
                return exp.Upper(this=t), None
            if spec.case == "lower":
                return exp.Lower(this=t), None
            return t, None
        if kind == "enum":
            return _t("CASE WHEN lower(:t) IN (:v) THEN lower(:t) END", t=t,
                      v=exp.Tuple(expressions=_strings(spec.values))).transform(_untuple), None
        if kind == "bool":
            return _t("CASE WHEN lower(:t) IN (:y) THEN TRUE WHEN lower(:t) IN (:n) THEN FALSE END", t=t,
                      y=exp.Tuple(expressions=_strings(TRUE_WORDS)),
                      n=exp.Tuple(expressions=_strings(FALSE_WORDS))).transform(_untuple), None
        if kind == "date":
            return _t("CASE WHEN :t RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND NOT startswith(:t, '0000') "
                      "THEN TRY_CAST(:t AS DATE) END", t=t), None
        if kind == "integer":
            return _t("CASE WHEN :t RLIKE '^[+-]?[0-9]+$' THEN TRY_CAST(:t AS BIGINT) "
                      "WHEN :t RLIKE '^[+-]?[0-9]{1,3}(,[0-9]{3})+$' THEN TRY_CAST(replace(:t, ',', '') AS BIGINT) "
                      "END", t=t), None
        if kind == "decimal":
            return self._decimal(t)
        if kind == "datetime":
            return self._datetime(t)
        raise AssertionError(kind)

    def _adjusted(self) -> exp.Expr:
        return _t(":e + length(:d) - 1", e=self.c("exp"), d=self.c("digits"))

    def _decimal(self, t: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
        simple = _t(":t RLIKE :p", t=t, p=_s(r"^-?[0-9]{1,18}(\.[0-9]{1,10})?$"))
        grouped = _t(":t RLIKE :p", t=t, p=_s(r"^-?[0-9]{1,3}(,[0-9]{3}){1,5}(\.[0-9]{1,10})?$"))
        zeros = _t("length(:d) - length(TRIM(TRAILING '0' FROM :d))", d=self.c("digits"))
        fine = _t(f"(:d = '' OR (:x IS NOT NULL AND :a < 18 AND :a >= -30 AND :e + :z >= -{SCALE}))",
                  d=self.c("digits"), x=self.c("x"), a=self._adjusted(), e=self.c("exp"), z=zeros)
        value = _t(f"CASE WHEN :s THEN CAST(:t AS DECIMAL(38, {SCALE})) "
                   f"WHEN :g THEN CAST(replace(:t, ',', '') AS DECIMAL(38, {SCALE})) "
                   f"WHEN :n IS NOT NULL AND :ok THEN TRY_CAST(:n AS DECIMAL(38, {SCALE})) END",
                   s=simple, g=grouped, t=t, n=self.c("n"), ok=fine)
        exponent = _t("CASE WHEN :s OR :g THEN -length(split_part(:t, '.', 2)) ELSE :e END", s=simple.copy(),
                      g=grouped.copy(), t=t, e=self.c("exp"))
        return value, exponent

    def _decimal_reason(self, t: exp.Expr) -> exp.Expr:
        return _t(
            "CASE WHEN lower(:t) RLIKE :nf THEN 'not a finite number' "
            "WHEN :n IS NULL AND contains(:t, ',') THEN 'not a number (misplaced thousands separator)' "
            "WHEN :n IS NULL THEN 'not a number' "
            "WHEN :d <> '' AND (:x IS NULL OR :a >= 18 OR :a < -30) "
            "THEN 'number out of range (sfc-check reads numbers from 10^-30 up to 10^18 in size)' "
            f"ELSE 'more than {SCALE} decimal places (sfc-check keeps {SCALE})' END",
            t=t, nf=_s(f"^(?:{NOT_FINITE.pattern})$"), n=self.c("n"), d=self.c("digits"), x=self.c("x"),
            a=self._adjusted())

    def _datetime(self, t: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
        usual = _t(_USUAL, t=t)
        quick = _t("TRY_CAST(:t AS TIMESTAMP)", t=t)
        value = _t("TRY_CAST(:n AS TIMESTAMP)", n=self.c("n"))
        offset = _t("CASE WHEN length(:z) < 3 THEN 0 ELSE (CASE WHEN startswith(:z, '-') THEN -1 ELSE 1 END) * "
                    "(CAST(substr(:z, 2, 2) AS INT) * 3600 + COALESCE(TRY_CAST(NULLIF(substr(:z, 4, 2), '') "
                    "AS INT), 0) * 60) END", z=self.c("z"))
        quick_offset = _t("(CASE WHEN substr(:t, 20, 1) = '-' THEN -1 ELSE 1 END) * "
                          "(TRY_CAST(substr(:t, 21, 2) AS INT) * 3600 + TRY_CAST(substr(:t, 24, 2) AS INT) * 60)",
                          t=t)
        fast = _t(":u AND :n IS NOT NULL AND :q IS NOT NULL", u=usual, n=self.c("n"), q=quick)
        either = _t("CASE WHEN :fast THEN :q ELSE :v END", fast=fast, q=quick.copy(), v=value)
        return (_t("CASE WHEN :ts >= TIMESTAMP '0001-01-02 00:00:00' AND :ts <= TIMESTAMP '9999-12-30 00:00:00' "
                   "THEN :ts END", ts=either),
                _t("CASE WHEN :fast THEN :qo ELSE :o END", fast=fast.copy(), qo=quick_offset, o=offset))

    def _why(self, t: exp.Expr) -> exp.Expr:
        kind = self.spec.type
        if kind == "enum":
            return _s(f"not one of: {', '.join(self.spec.values)}")
        if kind == "bool":
            return _s("not a boolean (true/false, yes/no, y/n, 1/0)")
        if kind == "integer":
            return _s("not a whole number")
        if kind == "date":
            return _t("CASE WHEN length(:t) <> 10 OR substr(:t, 5, 1) <> '-' OR substr(:t, 8, 1) <> '-' "
                      "THEN 'not a date (YYYY-MM-DD)' ELSE 'not a valid calendar date (YYYY-MM-DD)' END", t=t)
        if kind == "datetime":
            return _t("CASE WHEN TRY_CAST(:n AS TIMESTAMP) IS NOT NULL "
                      "THEN 'date-time out of range (0001-01-02 to 9999-12-30)' "
                      "ELSE 'not an ISO 8601 date-time (e.g. 2026-03-01T09:30:00+08:00)' END", n=self.c("n"))
        return self._decimal_reason(t)


def _untuple(node: exp.Expr) -> exp.Expr:
    """`x IN ((a, b))` → `x IN (a, b)` (a placeholder inside IN's parentheses holds the whole list)."""
    if isinstance(node, exp.In) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Tuple):
        return exp.In(this=node.this, expressions=node.expressions[0].expressions)
    return node


def _number(v: Any) -> exp.Expr:
    d = Decimal(str(v))
    places = max(0, -int(d.as_tuple().exponent))
    return exp.cast(_s(format(d, "f")), f"DECIMAL(38, {places})")


def _default_sql(spec: FieldSpec) -> exp.Expr:
    d = spec.default
    if isinstance(d, bool):
        return exp.true() if d else exp.false()
    if isinstance(d, Decimal):
        return exp.cast(_s(format(d, "f")), f"DECIMAL(38, {SCALE})")
    return _s(str(d))


_PLAIN = PLAIN_NUMBER.pattern
_GROUPED = THOUSANDS.pattern
_PARTS = r"^[+-]?([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?$"


_DATETIME = DATETIME_SHAPE.pattern


def _part(t: exp.Expr, group: int) -> exp.Expr:
    return _t("regexp_extract(:t, :p, :g)", t=t, p=_s(f"^{_DATETIME}$"), g=exp.Literal.number(group))


def _datetime_text(t: exp.Expr) -> exp.Expr:
    d, h, m, s, f, z = (_part(t, g) for g in range(1, 7))
    return _t("CASE WHEN :d <> '' AND NOT startswith(:d, '0000') AND :h <> '24' THEN "
              "concat(:d, ' ', COALESCE(NULLIF(:h, ''), '00'), ':', COALESCE(NULLIF(:m, ''), '00'), ':', "
              "COALESCE(NULLIF(:s, ''), '00'), CASE WHEN :f <> '' THEN concat('.', :f) ELSE '' END, "
              "CASE WHEN :z IN ('', 'Z', 'z') THEN '+00:00' WHEN length(:z) = 3 THEN concat(:z, ':00') "
              "WHEN length(:z) = 5 THEN concat(substr(:z, 1, 3), ':', substr(:z, 4, 2)) ELSE :z END) END",
              d=d, h=h, m=m, s=s, f=f, z=z)


_USUAL = "length(:t) = 25 AND substr(:t, 11, 1) = 'T' AND substr(:t, 20, 1) IN ('+', '-') AND substr(:t, 23, 1) = ':'"
