"""Configuration file, help text and start-up: what a user of the command line meets first."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import SAMPLES, write

AS_OF = ("--as-of", "2026-06-30")


@pytest.fixture
def in_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_config_file_sets_audit_options_and_the_command_line_overrides_it(cli, in_folder) -> None:
    write(in_folder / "sfc-check.yaml", "audit:\n  fail-on: none\n  quiet: true\n  output: [reports/r.json]\n"
          "  require: [clients]\n")
    (in_folder / "reports").mkdir()
    result = cli("audit", SAMPLES / "exports", *AS_OF)
    assert result.code == 0 and result.out.startswith("PASS: 53 violations")   # fail-on none, one line
    assert json.loads((in_folder / "reports" / "r.json").read_text("utf-8"))["summary"]["violations"] == 53
    assert cli("audit", SAMPLES / "exports", *AS_OF, "--fail-on", "high").code == 1
    assert cli("audit", SAMPLES / "clean", *AS_OF, "--require", "margin_calls").code == 0


def test_paths_in_a_config_file_are_relative_to_it(cli, in_folder, monkeypatch) -> None:
    write(in_folder / "conf" / ".sfc-check.yaml", "audit:\n  data-dir: ../data\n  format: csv\n")
    import shutil
    shutil.copytree(SAMPLES / "exports", in_folder / "data")
    monkeypatch.chdir(in_folder / "conf")
    result = cli("audit", *AS_OF)
    assert result.code == 1 and result.out.startswith("rule_id,severity")


def test_pyproject_tool_table_is_read(cli, in_folder) -> None:
    write(in_folder / "pyproject.toml", '[project]\nname = "x"\n\n[tool.sfc-check.audit]\nfail-on = "critical"\n'
          "quiet = true\n")
    assert "fail-on critical" in cli("audit", SAMPLES / "exports", *AS_OF).out


def test_a_misspelt_config_key_is_exit_2_with_file_and_line(cli, in_folder) -> None:
    write(in_folder / "sfc-check.yaml", "audit:\n  quiet: true\n  fail_onn: low\n")
    result = cli("audit", SAMPLES / "exports", *AS_OF)
    assert result.code == 2 and "sfc-check.yaml:3: unknown audit option 'fail-onn' (did you mean 'fail-on'?)" \
        in result.err


def test_config_show_names_each_value_and_its_source(cli, in_folder) -> None:
    write(in_folder / "sfc-check.yaml", "audit:\n  timezone: UTC\n  format: json\n")
    out = cli("config", "show").out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert lines["timezone"].split()[1] == "UTC" and lines["timezone"].endswith("sfc-check.yaml:2")
    assert lines["format"].split()[1] == "json" and lines["fail-on"].split()[1:] == ["high", "default"]


def test_help_names_values_plainly_and_offers_short_flags_and_completion(cli, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    audit_help = cli("audit", "--help").out
    assert "<list[str]>" not in audit_help and "<list[Path]>" not in audit_help
    assert "<bool>" not in audit_help and "<bool>" not in cli("--help").out  # flags take no value
    for needle in ("DATE", "ID|TAG", "FILE", "critical|high|medium|low|none", "Examples:", "-o", "-f"):
        assert needle in audit_help, needle
    assert "--install-completion" in cli("--help").out


def test_short_flags_work(cli, tmp_path) -> None:
    out = tmp_path / "r.json"
    result = cli("audit", SAMPLES / "clean", *AS_OF, "-q", "-o", out, "-f", "json")
    assert result.code == 0 and result.out.startswith("PASS") and json.loads(out.read_text("utf-8"))


def test_help_and_explain_start_without_the_engine_or_the_report_writers() -> None:
    """Start-up cost is what is imported: neither command loads DuckDB, sqlglot, jinja2 or openpyxl."""
    code = ("import sys\nfrom sfc_check.cli.commands import main\nsys.argv = ['sfc-check'] + sys.argv[1:]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('duckdb', 'sqlglot', 'jinja2', 'openpyxl') if m in sys.modules), "
            "file=sys.stderr)")
    for args in (["--help"], ["explain", "FIN-COLL-001"], ["audit", "--help"]):
        run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
        assert run.stderr.strip().splitlines()[-1] == "[]", (args, run.stderr)


def test_rules_validate_reports_every_error_in_every_file(cli, tmp_path) -> None:
    import shutil
    folder = tmp_path / "rules"
    folder.mkdir()
    good = next(SAMPLES.parent.joinpath("rules").rglob("FIN-COLL-002.yaml"))
    shutil.copy(good, folder / "FIN-COLL-002.yaml")
    text = good.read_text("utf-8")
    (folder / "FIN-COLL-101.yaml").write_text(text.replace("id: FIN-COLL-002", "id: FIN-COLL-101")
                                              .replace("severity: critical", "severity: severe")
                                              .replace("dataset: collateral", "datasett: collateral"), "utf-8")
    (folder / "FIN-COLL-102.yaml").write_text(text.replace("id: FIN-COLL-002", "id: FIN-COLL-102")
                                              .replace("title: ", "titel: "), "utf-8")
    result = cli("rules", "validate", folder)
    assert result.code == 2
    errors = [line for line in result.err.splitlines() if line.startswith("sfc-check: error:")]
    assert any("FIN-COLL-101.yaml" in e and "'severe'" in e for e in errors)
    assert any("FIN-COLL-101.yaml" in e and "datasett" in e for e in errors)
    assert any("FIN-COLL-102.yaml" in e and "titel" in e for e in errors)
    assert "error(s) in 2 of 3 file(s)" in result.err
    assert cli("rules", "validate", folder / "FIN-COLL-002.yaml").out.strip() == "1 rule(s) valid"


def test_the_spark_engine_without_pyspark_says_how_to_install_it(cli, monkeypatch) -> None:
    import sys

    from conftest import ROOT
    monkeypatch.setitem(sys.modules, "pyspark", None)  # (as on a machine without the spark extra)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    result = cli("audit", ROOT / "samples" / "exports", "--as-of", "2026-06-30", "--engine", "spark")
    assert result.code == 2
    assert "pip install 'sfc-check[spark]'" in result.err and "Traceback" not in result.err


def test_the_spark_submit_script_prints_its_own_path() -> None:
    import subprocess
    import sys
    from pathlib import Path
    out = subprocess.run([sys.executable, "-m", "sfc_check.cli.submit"], capture_output=True, text=True, check=True)
    path = Path(out.stdout.strip())
    assert path.name == "submit.py" and path.is_file() and "from sfc_check.cli.commands import main" in \
        path.read_text("utf-8")


def test_a_uri_data_folder_needs_the_spark_engine(cli, tmp_path) -> None:
    result = cli("audit", tmp_path.as_uri(), "--as-of", "2026-06-30")
    assert result.code == 2 and "read by Spark: add --engine spark" in result.err
