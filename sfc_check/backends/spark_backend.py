"""The Spark backend: the same rule queries judged by Apache Spark, for data past one machine's reach.

Loading is the DuckDB backend's, unchanged: every format is typed, rejected with its reason, numbered and
deduplicated by the same SQL, so the records Spark judges are exactly the records DuckDB would judge. The typed
tables are staged as Parquet (a folder this machine and the cluster both read) and become Spark views; each rule's
query is the same sqlglot tree, lowered where Spark spells a thing differently, and emitted as Spark SQL. Failing
records come back a partition at a time (never the whole result on the driver).

Semantics kept equal to DuckDB (tests/test_spark.py runs the examples, golden sets and the differential test on
both): the session time zone is UTC (dates in the firm's zone are computed at load), ANSI mode makes an overflow an
error, and decimal arithmetic never trades precision for range (a product that does not fit is an error, as in
DuckDB, not a rounded value).
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlglot import exp

from ..data.dictionary import DatasetSpec
from ..data.textfiles import file_sha256
from ..errors import DataError, SfcCheckError, UsageError
from ..language.plan import RulePlan
from .base import Settings, SparkSettings, Verdicts
from .duckdb_backend import DuckDBBackend
from .failures import first_line
from .sql import VerdictQueries, table_name

DIALECT = "spark"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SPARK_LOG = Path(tempfile.gettempdir()) / "sfc-check-spark.log"  # the JVM's own output (see _jvm_output_to)


# Spark's session settings that make its answers DuckDB's (see the module's docstring)
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}


def spark_session(settings: SparkSettings) -> Any:
    """The process's Spark session (started once, reused by every run in the process)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("the Spark engine needs PySpark: pip install 'sfc-check[spark]' (and Java 17 or 21)") from None
    # PySpark logs each failed query to stderr as JSON: the failure is worded by spark_error instead
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    builder = SparkSession.builder.appName("sfc-check")
    if settings.remote:
        builder = builder.remote(settings.remote)
    elif os.environ.get("PYSPARK_GATEWAY_PORT"):
        pass  # launched by spark-submit: its --master and --conf options decide
    else:
        builder = builder.master(settings.master).config("spark.ui.enabled", "false").config(
            "spark.ui.showConsoleProgress", "false")
        if settings.master.startswith("local"):
            builder = builder.config("spark.sql.shuffle.partitions", str(max(2, 2 * (os.cpu_count() or 1))))
    try:
        with _jvm_output_to(SPARK_LOG):
            session = builder.getOrCreate()
        for key, value in SESSION_CONF.items():
            session.conf.set(key, value)
    except Exception as exc:  # py4j / PySpark raise many kinds: each means Spark could not start
        raise UsageError(f"cannot start Spark ({first_line(exc)}): Spark needs Java 17 or 21 on PATH or JAVA_HOME "
                         "(e.g. apt install openjdk-17-jre-headless), or a reachable --spark-remote; Spark's own "
                         f"log: {SPARK_LOG}") from None
    return session


@contextlib.contextmanager
def _jvm_output_to(log: Path) -> Iterator[None]:
    """Spark's JVM inherits this process's stderr when it starts: it gets a log file instead, so its start-up
    chatter never mixes with the report (a cron job's mail, a terminal's table). Errors still reach the user:
    PySpark raises them, and they are worded here."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    saved = os.dup(2)
    try:
        os.dup2(fd, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)


def lower_for_spark(tree: exp.Expr) -> exp.Expr:
    """What Spark spells differently from the trees' neutral form: the 128-bit integer of exact division is
    DECIMAL(38, 0) (Spark's widest exact integer; ANSI mode makes its overflow an error)."""
    def lower(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
            return exp.DataType.build("DECIMAL(38, 0)")
        return node
    return tree.transform(lower, copy=True)


class SparkBackend:
    """Typed tables loaded by DuckDB, staged as Parquet, judged by Spark."""

    def __init__(self, timezone_name: str, settings: Settings | None = None,
                 spark: SparkSettings | None = None) -> None:
        spark = spark or SparkSettings()
        if spark.remote and not spark.staging:
            raise UsageError("--spark-remote needs --spark-staging: a folder this machine writes and the Spark "
                             "cluster reads (the typed tables are handed over there as Parquet)")
        self.staged: dict[str, str] = {}
        self.persisted: list[Any] = []  # typed tables Spark holds for this run (released at close)
        self.owned_staging = spark.staging is None
        try:
            self.staging = Path(spark.staging or tempfile.mkdtemp(prefix="sfc-check-spark-")).resolve()
            self.run_folder = Path(tempfile.mkdtemp(prefix="run-", dir=self.staging))
        except OSError as exc:
            raise UsageError(f"--spark-staging: cannot create a folder there ({exc.strerror}); give an existing "
                             "folder this process can write and the cluster can read", spark.staging) from None
        self.loader = DuckDBBackend(timezone_name, settings)
        try:
            self.session = spark_session(spark)
        except UsageError:
            self.close()
            raise
        self.timezone = timezone_name
        self.tables = self.loader.tables

    def close(self) -> None:
        session = getattr(self, "session", None)
        for frame in getattr(self, "persisted", ()):
            try:
                frame.unpersist()
            except Exception:  # (a session already stopped holds nothing)
                pass
        if session is not None:
            for view in self.staged.values():
                try:
                    session.catalog.dropTempView(view)
                except Exception:  # (a view Spark already lost needs no dropping)
                    pass
        self.loader.close()
        shutil.rmtree(self.staging if self.owned_staging else self.run_folder, ignore_errors=True)

    # --- loading: DuckDB's, then handed to Spark ------------------------------------------------------
    def load_rows(self, spec: DatasetSpec, rows: Iterator[tuple[str, int, tuple[Any, ...]]]) -> int:
        return self.loader.load_rows(spec, rows)

    def remove_duplicates(self, spec: DatasetSpec) -> list[tuple[Any, ...]]:
        return self.loader.remove_duplicates(spec)

    def load_csv(self, spec: DatasetSpec, path: Path, stats: Any, rejected: Any) -> bool:
        return self.loader.load_csv(spec, path, stats, rejected)

    def load_parquet(self, spec: DatasetSpec, path: Path | str, stats: Any, rejected: Any) -> None:
        """A Parquet export is read and typed by Spark itself (spark_typing): it never passes through here. A
        URI (hashed when Spark listed it) is Spark's to read; a file here is handed over by its absolute path
        (a Spark Connect server or a cluster does not share this process's folder)."""
        from .spark_typing import SparkParquetLoad
        table = table_name(spec.name)
        try:
            if isinstance(path, Path):
                stats.sha256 = file_sha256(path)
            where = path if isinstance(path, str) else str(path.resolve())
            self.persisted.append(SparkParquetLoad(self.session, spec, where, stats.path, stats, rejected,
                                                   self.timezone, table).load())
        except SfcCheckError:
            raise
        except Exception as exc:
            raise spark_error(exc, f"reading {spec.name} on Spark", stats.path) from None
        self.loader.tables[spec.name] = table
        self.staged[spec.name] = table

    def _stage(self) -> None:
        """Each typed table not yet handed to Spark: written as Parquet, read back as a temporary view."""
        for name, table in self.loader.tables.items():
            if name in self.staged:
                continue
            target = self.run_folder / f"{table}.parquet"
            source = exp.Table(this=exp.to_identifier(table, quoted=True)).sql("duckdb")
            self.loader._sql(f"COPY {source} TO '{_quote(str(target))}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)",
                             f"handing {name} to Spark")
            try:
                self.session.read.parquet(str(target)).createOrReplaceTempView(table)
            except Exception as exc:
                raise UsageError(f"handing {name} to Spark: Spark cannot read {target} ({first_line(exc)}); "
                                 "--spark-staging must be a folder the cluster reads") from None
            self.staged[name] = table

    # --- judging --------------------------------------------------------------------------------------
    def judge(self, plan: RulePlan, group_path: str | None) -> Verdicts:
        self._stage()
        queries = VerdictQueries(plan, self.timezone, self.loader.tables, group_path)
        frame = self._run(lower_for_spark(queries.counts).sql(DIALECT), plan.rule_id)
        try:
            counts = frame.collect()[0]
        except Exception as exc:
            raise spark_error(exc, f"rule {plan.rule_id}") from None
        total, not_applicable, failing = (int(x) for x in counts)
        rows = self._rows(lower_for_spark(queries.failing).sql(DIALECT), plan.rule_id) if failing else iter(())
        return Verdicts(total - not_applicable, not_applicable, failing, rows, queries.shown)

    def _run(self, sql: str, rule_id: str) -> Any:
        try:
            return self.session.sql(sql)
        except Exception as exc:
            raise spark_error(exc, f"rule {rule_id}") from None

    def _rows(self, sql: str, rule_id: str) -> Iterator[tuple[Any, ...]]:
        """Failing records a partition at a time, instants as microseconds (PySpark would give them as naive
        times in this machine's zone) turned back into UTC date-times."""
        from pyspark.sql.types import TimestampType
        frame = self._run(sql, rule_id)
        stamps = [i for i, f in enumerate(frame.schema.fields) if isinstance(f.dataType, TimestampType)]
        if stamps:
            columns = [f"unix_micros(`{f.name}`) AS `{f.name}`" if i in stamps else f"`{f.name}`"
                       for i, f in enumerate(frame.schema.fields)]
            frame = frame.selectExpr(*columns)
        try:
            for row in frame.toLocalIterator():
                values = tuple(row)
                if stamps:
                    values = tuple(EPOCH + timedelta(microseconds=v) if i in stamps and v is not None else v
                                   for i, v in enumerate(values))
                yield values
        except Exception as exc:
            raise spark_error(exc, f"rule {rule_id}") from None


def spark_error(exc: Exception, what: str, path: str | None = None) -> Exception:
    """A Spark failure as the error a user can act on (exit 2), naming what was being done."""
    text = first_line(exc)
    if "OVERFLOW" in text.upper() or "NUMERIC_VALUE_OUT_OF_RANGE" in text:
        return DataError(f"{what}: a number outgrew exact decimal arithmetic ({text}); sfc-check never rounds "
                         "silently, so the run stops", path)
    return UsageError(f"{what}: Spark refused the query: {text}", path)


def _quote(text: str) -> str:
    return text.replace("'", "''")


def list_exports(uri: str, settings: SparkSettings) -> list[tuple[str, str, int, str]]:
    """The files directly in a folder Spark reads (s3a://, hdfs://, file://…), as (name, URI, size, SHA-256),
    listed and hashed by Spark (the hash reads each file once on the executors; a file past 2 GB cannot be)."""
    session = spark_session(settings)
    try:
        frame = session.read.format("binaryFile").load(uri.rstrip("/") + "/*")
        rows = frame.selectExpr("path", "length", "sha2(content, 256)").orderBy("path").collect()
    except Exception as exc:
        raise UsageError(f"Spark cannot list this folder: {first_line(exc)}", uri) from None
    return [(str(p).rstrip("/").rsplit("/", 1)[-1], str(p), int(n), str(h)) for p, n, h in rows]


def fetch_exports(files: list[tuple[str, str]], folder: Path, settings: SparkSettings) -> None:
    """Copy (name, URI) files Spark reads into `folder`, through the driver's memory one file at a time: CSV,
    JSON and Excel exports are typed on this machine, as from a local folder."""
    if not files:
        return
    session = spark_session(settings)
    for name, uri in files:
        try:
            content = session.read.format("binaryFile").load(uri).select("content").collect()[0][0]
        except Exception as exc:
            raise DataError(f"Spark cannot read this export: {first_line(exc)}", uri) from None
        try:
            (folder / name).write_bytes(bytes(content))
        except OSError as exc:
            raise DataError(f"cannot keep a copy of {name} on this machine ({exc.strerror}): point TMPDIR at a "
                            "folder with free space", str(folder)) from None
