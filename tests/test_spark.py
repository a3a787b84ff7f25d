"""Conformance of the Spark engine: the rule examples, the golden reports and the differential test give on
Spark exactly what they give on DuckDB. Marked `spark` (a local Spark session needs Java and takes seconds to
start): the README's quick command leaves them out, CI runs them (`pytest -m spark`), never skipping them."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT, examples
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_differential import AS_OF, DATA, HK, RULES, sources_of
from test_parquet import csv_as_parquet

from sfc_check.app.evaluation import RunSettings, evaluate
from sfc_check.app.selftest import run_examples
from sfc_check.backends.base import SparkSettings
from sfc_check.language.rulepack import load_rules

pytestmark = pytest.mark.spark

GOLDEN = ROOT / "tests" / "golden"
SETS = json.loads((GOLDEN / "sets.json").read_text("utf-8"))
SPARK = SparkSettings(master="local[2]")


def test_every_rule_example_holds_on_spark() -> None:
    results = run_examples(load_rules(None, scope=None), SPARK)  # (audit and sign-off rules)
    assert len(results) > 200
    assert [f"{r.test_id}: expected {r.expect}, got {r.got} ({r.detail})" for r in results if not r.ok] == []


@pytest.mark.parametrize("name", sorted(SETS))
def test_the_golden_report_on_spark(name: str, cli, tmp_path: Path) -> None:
    spec = SETS[name]
    out = tmp_path / "report.json"
    args = [str(ROOT / a) if a.startswith("samples/") else a for a in spec["args"]]
    result = cli("audit", ROOT / spec["data"], "--as-of", "2026-06-30", "--output", out, "--quiet",
                 "--engine", "spark", "--spark-master", "local[2]", *args)
    assert result.code in (0, 1), result.err
    got = json.loads(out.read_text("utf-8"))
    expected = json.loads((GOLDEN / f"{name}.expected.json").read_text("utf-8"))
    for part in ("inputs", "rules", "violations", "rejected_rows", "summary", "ignored_files"):
        assert got[part] == expected[part], part


@pytest.mark.property
@settings(max_examples=examples(3, 8), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=DATA)
def test_spark_finds_what_duckdb_finds(data) -> None:
    def run(spark: SparkSettings | None) -> tuple[list, list]:
        sources, _ = sources_of(data)
        result = evaluate(RULES, sources, RunSettings(as_of=AS_OF, tz=HK, spark=spark), [])
        found = [(v.rule_id, v.key, v.path, v.row, v.message, v.evidence) for v in result.violations]
        return found, [(o.rule_id, o.status, o.checked, o.not_applicable, o.violations) for o in result.outcomes]
    assert run(SPARK) == run(None)


def test_a_decimal_overflow_stops_the_spark_run_as_it_stops_duckdb(cli, tmp_path: Path) -> None:
    """A sum past exact DECIMAL(38, 20) arithmetic: both engines stop (exit 2) naming the rule, neither rounds."""
    positions = "".join(f"P{i},C1,0700.HK,security,1,999999999999999999,0,2026-06-30,N,100\n" for i in range(12))
    (tmp_path / "collateral.csv").write_text(
        "position_id,client_id,asset,asset_type,quantity,market_value_hkd,haircut_pct,valued_on,repledged,"
        f"frr_haircut_pct\n{positions}", "utf-8")
    (tmp_path / "va_financing_loans.csv").write_text(
        "loan_id,client_id,drawn_on,outstanding_hkd,status\nL1,C1,2026-06-01,5,open\n", "utf-8")
    for engine in ("duckdb", "spark"):
        result = cli("audit", tmp_path, "--as-of", "2026-06-30", "--engine", engine, "--spark-master", "local[2]")
        assert result.code == 2, (engine, result.err)
        assert "FIN-COVER-001: a number outgrew exact decimal arithmetic" in result.err
        assert "Traceback" not in result.err and "internal error" not in result.err and '{"ts"' not in result.err


def test_spark_connect_needs_a_staging_folder_the_cluster_reads(cli) -> None:
    result = cli("audit", ROOT / "samples" / "exports", "--engine", "spark", "--spark-remote", "sc://nowhere:15002")
    assert result.code == 2 and "--spark-staging" in result.err


# --- the two loaders of a Parquet export: DuckDB's and Spark's own typing give the same table ------------------
NUMBERS = ["1", "1.50", "-0", "+2", "1e3", "1E-30", "1e-31", "1,000", "1,000.5", "1,00", "12,345,678.9", "1.2.3",
           "inf", "-Infinity", "NaN", "1e18", "999999999999999999", "9.99e17", "0.00000000001", "0.0000000001",
           "1.10000000000", ".5", "5.", "e5", "1e", "--1", "0x10", "١٢", "1 000", "12%", "0"]
STAMPS = ["2026-03-01T09:30:00+08:00", "2026-03-01 09:30", "2026-03-01", "2026-03-01T09:30:00Z",
          "2026-03-01T09:30:00.123456-05:30", "2026-03-01T09:30:00.1234567Z", "2026-03-01T24:00:00+08:00",
          "2026-02-30T00:00:00Z", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z",
          "2026-03-01T09:30:00+0800", "2026-03-01T09:30:00+08", "2026-03-01T09:30:00+14:00", "2026-03-01T09:60:00Z",
          "2026-3-1T09:30:00+08:00", "2026-03-01T09:30:00 +08:00", "20260301T093000Z", "x", "2026-03-01t09:30:00z"]
DATES = ["2026-03-01", "2026-02-29", "2024-02-29", "0000-01-01", "2026-3-01", "2026/03/01", "20260301", "x",
         "9999-12-31", "0001-01-01"]
WORDS = ["true", "FALSE", "Yes", "n", "1", "0", "T", "maybe", "completed", "Requested", "SUBMITTED", "rejected",
         "mfa", "password", "none", "retail", "professional", "individual", "corporate", "A", "b", "active"]
PADS = ["", " ", "\u00a0", "\t", "\u3000"]


def cell(values: list[str]) -> st.SearchStrategy:
    padded = st.tuples(st.sampled_from(PADS), st.sampled_from(values), st.sampled_from(PADS)).map("".join)
    return st.one_of(st.none(), st.just(""), padded)


def table(columns: dict[str, list[str]], key: str) -> st.SearchStrategy:
    row = st.fixed_dictionaries({c: cell(v) for c, v in columns.items()})
    ids = st.sampled_from(["K1", "K2", "K3", "K4", "K5", "K6", " K1", ""])
    return st.lists(st.tuples(ids, row), min_size=1, max_size=25).map(
        lambda rows: [{key: k, **r} for k, r in rows])


WITHDRAWALS = table({"client_id": WORDS, "asset": WORDS, "amount": NUMBERS, "destination_address": WORDS,
                     "requested_at": STAMPS, "status": WORDS, "auth_method": WORDS, "auth_passed": WORDS,
                     "address_whitelisted_at": STAMPS, "amount_hkd": NUMBERS, "memo": WORDS}, "withdrawal_id")
CLIENTS = table({"client_type": WORDS, "investor_class": WORDS, "pi_portfolio_hkd": NUMBERS,
                 "pi_assessed_on": DATES, "has_securities_margin_account": WORDS, "credit_rating": WORDS,
                 "status": WORDS, "securities_margin_outstanding_hkd": NUMBERS, "sob_elected_at": STAMPS}, "client_id")


def loaded_by_both(dataset: str, rows: list[dict], folder: Path) -> tuple[tuple, tuple]:
    from datetime import datetime, timezone

    import duckdb

    from sfc_check.backends.duckdb_backend import DuckDBBackend
    from sfc_check.backends.spark_backend import spark_session
    from sfc_check.backends.spark_typing import SparkParquetLoad
    from sfc_check.data.dictionary import load_dictionary
    from sfc_check.model import InputStats

    spec = load_dictionary()[dataset]
    path = folder / f"{dataset}.parquet"
    columns = list(rows[0])
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({', '.join(f'{chr(34)}{c}{chr(34)} VARCHAR' for c in columns)})")
    con.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in columns)})", [list(r.values()) for r in rows])
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)

    def micros(v):
        return (v - epoch) // __import__("datetime").timedelta(microseconds=1) if isinstance(v, datetime) else v

    def extra(v):
        return {k: x for k, x in json.loads(v).items() if x is not None} if v else None

    duck_rejected: list = []
    backend = DuckDBBackend("Asia/Hong_Kong")
    stats = InputStats(dataset, path.name)
    backend.load_parquet(spec, path, stats, duck_rejected)
    names = [d[0] for d in backend.con.execute(f'SELECT * FROM "ds_{dataset}"').description]
    duck_rows = [tuple(extra(v) if n == "__extra" else micros(v) for n, v in zip(names, r))
                 for r in backend.con.execute(f'SELECT * FROM "ds_{dataset}" ORDER BY "__row"').fetchall()]
    duck = (names, duck_rows, [(r.row, r.column, r.value, r.reason) for r in duck_rejected], stats.rows_read, stats.rows_blank)
    backend.close()

    session = spark_session(SPARK)
    spark_rejected: list = []
    stats = InputStats(dataset, path.name)
    good = SparkParquetLoad(session, spec, str(path), path.name, stats, spark_rejected, "Asia/Hong_Kong",
                            f"ds_{dataset}").load()
    from pyspark.sql.types import TimestampType
    shown = [f"unix_micros(`{f.name}`) AS `{f.name}`" if isinstance(f.dataType, TimestampType) else f"`{f.name}`"
             for f in good.schema.fields]
    spark_rows = [tuple(extra(v) if n == "__extra" else v for n, v in zip(good.columns, r))
                  for r in good.selectExpr(*shown).orderBy("__row").collect()]
    spark = (good.columns, spark_rows, [(r.row, r.column, r.value, r.reason) for r in spark_rejected], stats.rows_read,
             stats.rows_blank)
    good.unpersist()
    return duck, spark


def every_value_once(columns: dict[str, list[str]], key: str, valid: dict[str, str]) -> list[dict]:
    """A table that puts each tricky value (padded and not) in each column once, the row otherwise valid, so
    that no earlier bad cell hides a later one."""
    rows = []
    for column, values in columns.items():
        for value in values + [f"{pad}{v}{pad}" for v, pad in zip(values, PADS[1:] * len(values))]:
            rows.append({**valid, key: f"R{len(rows)}", column: value})
    return rows


def test_spark_types_every_tricky_value_as_duckdb_does(tmp_path: Path) -> None:
    withdrawals = every_value_once(
        {"amount": NUMBERS, "requested_at": STAMPS, "status": WORDS, "auth_passed": WORDS, "amount_hkd": NUMBERS},
        "withdrawal_id", {"client_id": "C1", "asset": "BTC", "amount": "1", "destination_address": "x",
                          "requested_at": "2026-03-01T09:30:00+08:00", "status": "completed", "auth_method": "mfa",
                          "auth_passed": "true", "address_whitelisted_at": "", "amount_hkd": "10", "memo": "m"})
    clients = every_value_once(
        {"pi_assessed_on": DATES, "client_type": WORDS, "status": WORDS + [""],
         "securities_margin_outstanding_hkd": NUMBERS + [""]},
        "client_id", {"client_type": "individual", "investor_class": "retail", "pi_portfolio_hkd": "",
                      "pi_assessed_on": "", "has_securities_margin_account": "y", "credit_rating": "",
                      "status": "", "securities_margin_outstanding_hkd": "", "sob_elected_at": ""})
    for dataset, rows in (("withdrawals", withdrawals), ("clients", clients)):
        duck, spark = loaded_by_both(dataset, rows, Path(tempfile.mkdtemp(dir=tmp_path)))
        assert len(duck[2]) > 20  # (the table does reject: the values are tricky)
        assert spark[2] == duck[2]
        assert spark == duck


@pytest.mark.property
@settings(max_examples=examples(3, 15), deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(withdrawals=WITHDRAWALS, clients=CLIENTS)
def test_spark_types_a_parquet_export_as_duckdb_does(withdrawals, clients, tmp_path: Path) -> None:
    """Random tables (repeated and blank keys, empty rows, padding): the same typed rows and rejections.
    (Not shrunk: one Spark load takes seconds; the failing table is printed whole.)"""
    for dataset, rows in (("withdrawals", withdrawals), ("clients", clients)):
        duck, spark = loaded_by_both(dataset, rows, Path(tempfile.mkdtemp(dir=tmp_path)))
        assert spark[0] == duck[0]                      # the same columns
        assert spark[2] == duck[2]                      # the same rejected rows, reasons and values
        assert spark[3:] == duck[3:]                    # the same counts of rows read and blank
        assert spark[1] == duck[1]                      # the same typed values, exponents, offsets and dates


# --- Spark Connect: a server started here, the audit run as a separate process against it ---------------------
@pytest.fixture(scope="module")
def connect_server(tmp_path_factory):
    import socket
    import subprocess
    import time

    import pyspark
    home = Path(pyspark.__file__).parent
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    logs = tmp_path_factory.mktemp("connect-server")
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOG_DIR": str(logs), "SPARK_PID_DIR": str(logs),
           "SPARK_IDENT_STRING": f"sfc-check-{port}"}
    subprocess.run(["bash", str(home / "sbin" / "start-connect-server.sh"), "--master", "local[2]",
                    "--conf", f"spark.connect.grpc.binding.port={port}"], env=env, check=True, capture_output=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(1)
        else:
            raise AssertionError(f"the Spark Connect server did not listen: {list(logs.iterdir())}")
        yield f"sc://127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(home / "sbin" / "stop-connect-server.sh")], env=env, capture_output=True)


def test_spark_connect_gives_duckdbs_report(connect_server, cli, tmp_path: Path) -> None:
    import subprocess
    import sys
    data = tmp_path / "exports"
    shutil.copytree(ROOT / "samples" / "exports", data)
    csv_as_parquet(data / "withdrawals.csv", data / "withdrawals.parquet")  # (typed by Spark on the server)
    (data / "withdrawals.csv").unlink()
    staging = tmp_path / "staging"
    staging.mkdir()
    remote = tmp_path / "remote.json"
    run = subprocess.run([sys.executable, "-m", "sfc_check.cli", "audit", str(data), "--as-of", "2026-06-30",
                          "--engine", "spark", "--spark-staging", str(staging), "--output", str(remote), "--quiet"],
                         env={**os.environ, "SPARK_REMOTE": connect_server}, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 1, run.stderr
    local = tmp_path / "local.json"
    assert cli("audit", data, "--as-of", "2026-06-30", "--output", local, "--quiet").code == 1
    got, expected = json.loads(remote.read_text("utf-8")), json.loads(local.read_text("utf-8"))
    for part in ("inputs", "rules", "violations", "rejected_rows", "summary"):
        assert got[part] == expected[part], part
    assert len(got["violations"]) > 40 and not list(staging.iterdir())  # (the staging folder is left empty)


def test_a_tied_greatest_value_shows_the_same_places_on_spark(tmp_path: Path) -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    from rulekit import make_rule
    from test_conditions import pos

    from sfc_check.app.selftest import example_sources
    rule = make_rule(tmp_path, {"dataset": "collateral", "group": {"by": ["client_id"], "aggregates": {
        "hi": {"max": {"field": "haircut_pct"}}, "lo": {"min": {"field": "haircut_pct"}}}},
        "violation_when": {"all": [{"field": "lo", "ge": 0}, {"field": "hi", "ge": 0}]}})
    for order in ([("P1", "60"), ("P2", "60.00"), ("P3", "5.0"), ("P4", "5")],
                  [("P2", "60.00"), ("P1", "60"), ("P4", "5"), ("P3", "5.0")]):
        rejected: list = []
        records = [pos(p, client_id="A", haircut_pct=h) for p, h in order]
        sources = example_sources(rule, {"name": "t", "records": records, "data": {}}, rejected)
        result = evaluate([rule], sources, RunSettings(as_of=date(2026, 6, 30), tz=ZoneInfo("Asia/Hong_Kong"),
                                                       spark=SPARK), rejected)
        assert [{k: str(x) for k, x in v.evidence.items()} for v in result.violations] == \
            [{"client_id": "A", "lo": "5.0", "hi": "60.00"}]


def test_a_staging_folder_that_does_not_exist_is_a_clear_error(cli, tmp_path: Path) -> None:
    result = cli("audit", ROOT / "samples" / "exports", "--engine", "spark", "--spark-staging", tmp_path / "nope")
    assert result.code == 2 and "--spark-staging: cannot create a folder there" in result.err
    assert "Traceback" not in result.err and "internal error" not in result.err


def test_spark_submit_runs_the_audit_with_its_own_master(tmp_path: Path) -> None:
    """The README's cluster command: spark-submit runs sfc_check/cli/submit.py, its --master decides."""
    import subprocess
    import sys

    import pyspark
    script = subprocess.run([sys.executable, "-m", "sfc_check.cli.submit"], capture_output=True, text=True,
                            check=True).stdout.strip()
    out = tmp_path / "report.json"
    run = subprocess.run([str(Path(pyspark.__file__).parent / "bin" / "spark-submit"), "--master", "local[1]",
                          script, "audit", str(ROOT / "samples" / "exports"), "--as-of", "2026-06-30",
                          "--engine", "spark", "--output", str(out), "--quiet"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 1, run.stderr[-3000:]
    expected = json.loads((GOLDEN / "samples-exports.expected.json").read_text("utf-8"))
    got = json.loads(out.read_text("utf-8"))
    assert got["violations"] == expected["violations"] and got["rules"] == expected["rules"]


def test_a_folder_given_as_a_uri_is_listed_hashed_and_typed_by_spark(cli, tmp_path: Path, monkeypatch) -> None:
    """A lake folder (here file://; s3a:// and hdfs:// alike): its exports give the report DuckDB gives on the
    same files (hashes included: Spark computes them) — Parquet read by Spark, CSV and JSON fetched through
    Spark and read here — and other files are listed as ignored."""
    lake = tmp_path / "lake"
    lake.mkdir()
    for f in sorted((ROOT / "samples" / "exports").iterdir()):
        if f.suffix == ".csv" and f.stem != "clients":
            csv_as_parquet(f, lake / f"{f.stem}.parquet")
        else:
            (lake / f.name).write_bytes(f.read_bytes())
    local = tmp_path / "local.json"
    assert cli("audit", lake, "--as-of", "2026-06-30", "--output", local, "--quiet").code == 1
    (lake / "notes.txt").write_text("not an export", "utf-8")
    remote = tmp_path / "remote.json"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = cli("audit", lake.as_uri(), "--as-of", "2026-06-30", "--engine", "spark", "--spark-master",
                 "local[2]", "--output", remote, "--quiet")
    assert result.code == 1, result.err
    got, expected = json.loads(remote.read_text("utf-8")), json.loads(local.read_text("utf-8"))
    for part in ("inputs", "rules", "violations", "rejected_rows", "summary"):
        assert got[part] == expected[part], part
    assert got["ignored_files"] == ["notes.txt"] and got["run"]["data_dir"] == lake.as_uri()
    formats = {i["path"]: i["format"] for i in got["inputs"]}
    assert len(formats) == 14 and formats["clients.csv"] == "csv" and formats["access_log.jsonl"] == "jsonl"
    assert formats["perp_trades.parquet"] == "parquet" and len(got["violations"]) > 40
    assert not list(scratch.glob("sfc-check-fetched-*"))  # the fetched copies are removed
