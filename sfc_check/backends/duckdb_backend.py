"""The DuckDB backend, embedded: typed tables in, each rule's verdicts out (counts, and the records that fail
with the values their message and evidence show). DuckDB sorts, joins, aggregates and spills; we say what."""
from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from ..data.dictionary import DatasetSpec
from ..errors import DataError, UsageError
from ..language.plan import RulePlan
from .base import Settings, Verdicts
from .failures import engine_error, first_line
from .sql import MISSING, SCALE, Shown, VerdictQueries, table_name

FETCH = 2048  # failing rows fetched from DuckDB at a time
DIALECT = "duckdb"


class DuckDBBackend:
    """One in-process DuckDB database for one run."""

    def __init__(self, timezone_name: str, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.timezone = timezone_name
        # where DuckDB spills past its memory limit: a folder of this run's own in TMPDIR, removed at the end
        self.spill = settings.temp_directory or tempfile.mkdtemp(prefix="sfc-check-spill-")
        try:
            self.con = duckdb.connect(":memory:", config=_config(settings, self.spill))
        except duckdb.Error as exc:
            self._remove_spill(settings)
            raise UsageError(f"cannot start DuckDB with these settings: {first_line(exc)}") from None
        self.owned_spill = not settings.temp_directory
        self.con.execute("SET TimeZone = 'UTC'")
        self.tables: dict[str, str] = {}

    def close(self) -> None:
        self.con.close()
        if self.owned_spill:
            shutil.rmtree(self.spill, ignore_errors=True)

    def _remove_spill(self, settings: Settings) -> None:
        if not settings.temp_directory:
            shutil.rmtree(self.spill, ignore_errors=True)

    # --- loading --------------------------------------------------------------------------------------
    def load_rows(self, spec: DatasetSpec, rows: Iterator[tuple[str, int, tuple[Any, ...]]]) -> int:
        """Typed rows (file, row number, row in dictionary order plus extras) into the dataset's table, through a
        temporary CSV DuckDB reads with exact types. Returns the number of rows loaded."""
        fd, name = tempfile.mkstemp(prefix=f"sfc-check-{spec.name}-", suffix=".csv")
        n = 0
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
                out = csv.writer(f)
                out.writerow(_bridge_header(spec))
                for path, rowno, row in rows:
                    n += 1
                    out.writerow(_bridge_cells(spec, path, rowno, row, n))
            self._create_from_bridge(spec, name)
        except OSError as exc:
            raise DataError(f"cannot write a temporary file: {exc.strerror}; free space in TMPDIR or point "
                            "TMPDIR at a folder with room", tempfile.gettempdir()) from None
        finally:
            Path(name).unlink(missing_ok=True)
        return n

    def _create_from_bridge(self, spec: DatasetSpec, path: str) -> None:
        table = table_name(spec.name)
        self._sql(_bridge_sql(spec, self.timezone), f"loading {spec.name}", [path])
        self.tables[spec.name] = table

    def _sql(self, sql: str, what: str, params: list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        try:
            return self.con.execute(sql, params)
        except duckdb.Error as exc:
            raise engine_error(exc, what) from None

    def remove_duplicates(self, spec: DatasetSpec) -> list[tuple[Any, ...]]:
        """Delete each row whose key an earlier row had (in the order the rows were loaded); return them as
        (file, row, key value, first file, first row), in load order."""
        table = exp.to_identifier(table_name(spec.name), quoted=True).sql(DIALECT, copy=False)
        keys = ", ".join(exp.to_identifier(k, quoted=True).sql(DIALECT, copy=False) for k in spec.key)
        key = keys if len(spec.key) == 1 else f"({keys})"
        found = self._sql(
            f"SELECT __seq, __path, __row, {key}, fp, fr FROM (SELECT *, first_value(__path) OVER w AS fp, "
            f"first_value(__row) OVER w AS fr, row_number() OVER w AS nth FROM {table} WHERE ({keys}) IN "
            f"(SELECT {keys} FROM {table} GROUP BY {keys} HAVING count(*) > 1) "
            f"WINDOW w AS (PARTITION BY {keys} ORDER BY __seq)) WHERE nth > 1 ORDER BY __seq",
            f"finding repeated keys of {spec.name}").fetchall()
        if found:
            self._sql(f"DELETE FROM {table} WHERE __seq IN ({', '.join(str(int(r[0])) for r in found)})",
                      f"finding repeated keys of {spec.name}")
        return [tuple(r[1:]) for r in found]

    def load_csv(self, spec: DatasetSpec, path: Path, stats: Any, rejected: Any) -> bool:
        """A canonical UTF-8 CSV typed by DuckDB itself; False when the Python reader must read it instead."""
        from .duckdb_csv import CsvLoad
        loaded = CsvLoad(self.con, spec, path, stats.path, stats, rejected, self.timezone).load()
        if loaded:
            self.tables[spec.name] = table_name(spec.name)
        return loaded

    def load_parquet(self, spec: DatasetSpec, path: Path | str, stats: Any, rejected: Any) -> None:
        """A Parquet export typed by DuckDB itself (every row typed or rejected, keys deduplicated)."""
        from .duckdb_parquet import ParquetLoad
        if isinstance(path, str):  # (a URI: run_audit sends those to Spark only)
            raise UsageError("a data folder given as a URI is read by Spark: add --engine spark", path)
        ParquetLoad(self.con, spec, path, stats.path, stats, rejected, self.timezone).load()
        self.tables[spec.name] = table_name(spec.name)

    # --- judging --------------------------------------------------------------------------------------
    def judge(self, plan: RulePlan, group_path: str | None) -> Verdicts:
        queries = VerdictQueries(plan, self.timezone, self.tables, group_path)
        total, not_applicable, failing = self._fetch_one(queries.counts.sql(DIALECT, copy=False), plan.rule_id)
        rows = self._stream(queries.failing.sql(DIALECT, copy=False), plan.rule_id) if failing else iter(())
        return Verdicts(total - not_applicable, not_applicable, failing, rows, queries.shown)

    def _fetch_one(self, sql: str, rule_id: str) -> tuple[Any, ...]:
        try:
            row = self.con.execute(sql).fetchone()
        except duckdb.Error as exc:
            raise engine_error(exc, f"rule {rule_id}") from None
        assert row is not None
        return tuple(row)

    def _stream(self, sql: str, rule_id: str) -> Iterator[tuple[Any, ...]]:
        try:
            cursor = self.con.cursor()
            cursor.execute(sql)
            while batch := cursor.fetchmany(FETCH):
                yield from batch
            cursor.close()
        except duckdb.Error as exc:
            raise engine_error(exc, f"rule {rule_id}") from None


def decode_shown(shown: list[Shown], row: tuple[Any, ...], start: int) -> dict[str, Any]:
    """The values a failing row shows, as Python values the way a file's typing gives them (a decimal with
    the places its cell had, a date-time at the offset it was written with)."""
    names: dict[str, Any] = {}
    i = start
    for s in shown:
        v = row[i]
        i += 1
        companion = None
        if s.companion is not None:
            companion = row[i]
            i += 1
        names[s.name] = _python_value(s.type, v, companion)
    return names


def _python_value(kind: str, v: Any, companion: Any) -> Any:
    if v is None:
        return None
    if kind == "decimal":
        v = v if isinstance(v, Decimal) else Decimal(v)
        if companion is not None:
            try:
                return v.quantize(Decimal(1).scaleb(int(companion)))
            except ArithmeticError:
                return v
        return v
    if kind == "datetime" and isinstance(v, datetime):
        offset = timedelta(seconds=int(companion or 0))
        return v.astimezone(timezone(offset))
    return v


def is_missing(code: int) -> bool:
    return code >= MISSING


# --- the bridge: typed Python rows → CSV text DuckDB casts back exactly --------------------------------------

@lru_cache(maxsize=64)
def _bridge_sql(spec: DatasetSpec, timezone_name: str) -> str:
    """CREATE TABLE of a dataset from a bridge file (its path the statement's one parameter)."""
    options = {"header": exp.true(), "all_varchar": exp.true(), "quote": exp.Literal.string('"'),
               "escape": exp.Literal.string('"'), "delim": exp.Literal.string(","), "nullstr": exp.Literal.string(""),
               "strict_mode": exp.true(), "parallel": exp.false()}
    source = exp.func("read_csv", exp.Placeholder(),
                      *[exp.EQ(this=exp.var(k), expression=v) for k, v in options.items()])
    select = [exp.alias_(exp.cast(exp.column("__seq", quoted=True), "BIGINT"), "__seq", quoted=True),
              exp.alias_(exp.column("__path", quoted=True), "__path", quoted=True),
              exp.alias_(exp.cast(exp.column("__row", quoted=True), "BIGINT"), "__row", quoted=True),
              exp.alias_(exp.column("__extra", quoted=True), "__extra", quoted=True)]
    for f in spec.fields:
        select += typed_columns(f.name, f.type, timezone_name)
    query = exp.select(*select, copy=False).from_(source, copy=False)
    table = exp.Table(this=exp.to_identifier(table_name(spec.name), quoted=True))
    return exp.Create(this=table, kind="TABLE", expression=query, replace=True).sql(DIALECT, copy=False)


def typed_columns(name: str, kind: str, timezone_name: str) -> list[exp.Expr]:
    """A bridge column cast to its type, with the exponent, offset and zone date its type carries."""
    c = exp.column(name, quoted=True)
    if kind == "decimal":
        return [exp.alias_(exp.cast(c, f"DECIMAL(38, {SCALE})"), name, quoted=True),
                exp.alias_(exp.cast(exp.column(name + "__e", quoted=True), "INTEGER"), name + "__e", quoted=True)]
    if kind == "datetime":
        stamp = exp.cast(c, "TIMESTAMPTZ")
        local = exp.cast(exp.AtTimeZone(this=stamp, zone=exp.Literal.string(timezone_name)), "DATE")
        return [exp.alias_(stamp, name, quoted=True),
                exp.alias_(exp.cast(exp.column(name + "__o", quoted=True), "INTEGER"), name + "__o", quoted=True),
                exp.alias_(local, name + "__d", quoted=True)]
    sql_type = {"date": "DATE", "bool": "BOOLEAN", "integer": "BIGINT"}.get(kind, "VARCHAR")
    return [exp.alias_(exp.cast(c, sql_type), name, quoted=True)]


def _bridge_header(spec: DatasetSpec) -> list[str]:
    out = ["__seq", "__path", "__row", "__extra"]
    for f in spec.fields:
        out.append(f.name)
        if f.type == "decimal":
            out.append(f.name + "__e")
        elif f.type == "datetime":
            out.append(f.name + "__o")
    return out


def _bridge_cells(spec: DatasetSpec, path: str, rowno: int, row: tuple[Any, ...], seq: int) -> list[Any]:
    extra = row[len(spec.fields)] if len(row) > len(spec.fields) else None
    out: list[Any] = [seq, path, rowno, json.dumps(extra, ensure_ascii=False) if extra else ""]
    for f, v in zip(spec.fields, row):
        if v is None:
            out.append("")
            if f.type in ("decimal", "datetime"):
                out.append("")
            continue
        if f.type == "decimal":
            out += [format(v, "f"), int(v.as_tuple().exponent)]
        elif f.type == "datetime":
            offset = v.utcoffset()
            out += [v.astimezone(timezone.utc).isoformat(), int(offset.total_seconds()) if offset else 0]
        elif f.type == "bool":
            out.append("true" if v else "false")
        elif isinstance(v, date):
            out.append(v.isoformat())
        else:
            out.append(v)
    return out


def _config(settings: Settings, spill: str) -> dict[str, Any]:
    config: dict[str, Any] = {"preserve_insertion_order": True, "autoinstall_known_extensions": False,
                              "autoload_known_extensions": False, "temp_directory": spill}
    if settings.threads:
        config["threads"] = settings.threads
    if settings.memory_limit:
        config["memory_limit"] = settings.memory_limit
    return config
