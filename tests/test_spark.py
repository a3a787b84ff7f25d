"""Conformance of the Spark engine: the rule examples, the golden reports and the differential test give on
Spark exactly what they give on DuckDB. Marked `spark` (a local Spark session needs Java and takes seconds to
start): the README's quick command leaves them out, CI runs them (`pytest -m spark`), never skipping them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, examples
from hypothesis import HealthCheck, given, settings
from test_differential import AS_OF, DATA, HK, RULES, sources_of

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
