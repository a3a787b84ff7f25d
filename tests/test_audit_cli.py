"""End to end through the CLI: exact findings on the samples, the JSON contract, exit codes, outputs."""
from __future__ import annotations

import json
import shutil

import pytest
from conftest import SAMPLES, pairs, write

EXPECTED_SAMPLE_FINDINGS = {
    ("FIN-ELIG-001", "L003"), ("FIN-ELIG-001", "L004"), ("FIN-CREDIT-001", "L002"), ("FIN-CREDIT-002", "L003"),
    ("FIN-DISC-001", "L005"), ("FIN-COLL-001", "P013"), ("FIN-COLL-002", "P015"), ("FIN-COLL-004", "P017"),
    ("FIN-COLL-003", "C014"), ("FIN-COVER-001", "C009"), ("FIN-COVER-001", "C010"), ("FIN-MC-001", "C010"),
    ("FIN-VAL-001", "P021"),
    ("PERP-ACCESS-001", "T002"), ("PERP-ACCESS-001", "T005"), ("PERP-ACCESS-002", "T003"),
    ("PERP-ACCESS-002", "T012"), ("PERP-KNOW-001", "T004"), ("PERP-ACCT-001", "T004"), ("PERP-PROD-001", "T006"),
    ("PERP-PROD-001", "T007"), ("PERP-LEV-001", "T008"), ("PERP-PROD-002", "SOL-USD-PERP"),
    ("PERP-PROD-003", "DOGE-USD-PERP"), ("PERP-PROD-004", "DOGE-USD-PERP"),
    ("AMM-COI-001", "MM02"), ("AMM-AGR-001", "MM02"), ("AMM-IND-001", "MM02"), ("AMM-IND-002", "MM02"),
    ("AMM-DISC-001", "MM03"), ("AMM-STAFF-001", "S001"), ("AMM-STAFF-001", "S003"), ("AMM-ACCESS-001", "E001"),
    ("AMM-ACCESS-001", "E004"), ("AMM-KEY-001", "K002"), ("AMM-KEY-002", "K003"), ("AMM-TRADE-001", "T009"),
    ("AMM-TRADE-001", "T010"),
    # rule pack v2 (26EC6 paras 9, 10, 7(c))
    ("AMM-NOTIFY-001", "MM02"), ("AMM-NOTIFY-001", "MM03"), ("AMM-NOTIFY-002", "MM02"), ("AMM-NOTIFY-002", "MM03"),
    ("AMM-RO-001", "MM02"),
    # rule pack v2: the new datasets' planted violations (their near misses must stay quiet)
    ("FIN-MC-002", "MC2"), ("FIN-MC-003", "L008"), ("FIN-FRR-001", "P030"), ("SOB-RETAIL-001", "BO2"),
    ("WDR-AUTH-001", "W2"), ("WDR-NEWADDR-001", "W3"), ("AMM-PRIO-001", "F1"), ("AMM-FLAG-001", "F2"),
    ("AMM-FLAG-001", "F4"), ("FIN-MC-001", "C012"),
}


def audit_json(cli, *args):
    result = cli("audit", *args, "--format", "json")
    return result, result.json()


def test_samples_give_exactly_the_planted_findings(cli) -> None:
    result, report = audit_json(cli, SAMPLES / "exports", "--as-of", "2026-06-30")
    assert result.code == 1
    assert pairs(report) == EXPECTED_SAMPLE_FINDINGS
    assert {r["id"] for r in report["rules"] if r["status"] == "fail"} == {p[0] for p in EXPECTED_SAMPLE_FINDINGS}


def test_clean_samples_give_no_findings(cli) -> None:
    result, report = audit_json(cli, SAMPLES / "clean", "--as-of", "2026-06-30")
    assert result.code == 0 and report["violations"] == [] and report["summary"]["rules_checked"] == 41
    assert all(r["status"] == "pass" and r["checked"] > 0 for r in report["rules"])


def test_json_report_has_the_contract_fields_and_counts_add_up(cli) -> None:
    _, report = audit_json(cli, SAMPLES / "exports", "--as-of", "2026-06-30")
    assert set(report) >= {"tool", "run", "inputs", "rules", "violations", "rejected_rows", "summary"}
    assert report["tool"]["name"] == "sfc-check"
    assert set(report["run"]) >= {"started_at", "as_of", "data_dir", "rules", "fail_on"}
    assert report["run"]["as_of"] == "2026-06-30" and report["run"]["fail_on"] == "high"
    for i in report["inputs"]:
        assert set(i) >= {"dataset", "path", "sha256", "rows_read", "rows_rejected"}
        assert i["rows_read"] == i["rows_evaluated"] + i["rows_rejected"]
    for r in report["rules"]:
        assert set(r) >= {"id", "title", "severity", "citation", "status", "checked", "violations", "waived"}
    for v in report["violations"]:
        assert set(v) >= {"rule_id", "severity", "dataset", "key", "path", "message", "evidence", "citation", "waived"}
    loan = next(v for v in report["violations"] if v["rule_id"] == "FIN-ELIG-001" and v["key"] == {"loan_id": "L004"})
    assert loan["row"] == 5 and loan["path"] == "va_financing_loans.csv" and loan["evidence"]["client"] == "missing"
    group = next(v for v in report["violations"] if v["rule_id"] == "FIN-MC-001")
    assert group["key"] == {"client_id": "C010"} and "row" not in group
    assert group["evidence"]["outstanding"] == "900000" and group["evidence"]["collateral.market_value"] == "800000"
    s = report["summary"]
    assert s["violations"] == len(report["violations"]) == sum(r["violations"] for r in report["rules"])
    assert sum(s["by_severity"].values()) == s["violations"]
    assert s["rules_failed"] == sum(1 for r in report["rules"] if r["status"] == "fail")
    order = [({"critical": 0, "high": 1, "medium": 2, "low": 3}[v["severity"]], v["rule_id"], v["path"], v.get("row", 0))
             for v in report["violations"]]
    assert order == sorted(order)


def test_two_runs_give_byte_identical_violations(cli) -> None:
    _, a = audit_json(cli, SAMPLES / "exports", "--as-of", "2026-06-30")
    _, b = audit_json(cli, SAMPLES / "exports", "--as-of", "2026-06-30")
    assert json.dumps(a["violations"]) == json.dumps(b["violations"]) and a["inputs"] == b["inputs"]


@pytest.mark.parametrize("fail_on,code", [("critical", 1), ("high", 1), ("low", 1), ("none", 0)])
def test_fail_on_threshold(cli, fail_on, code) -> None:
    assert cli("audit", SAMPLES / "exports", "--as-of", "2026-06-30", "--quiet", "--fail-on", fail_on).code == code


def test_medium_only_findings_exit_0_at_high_and_1_at_medium(cli) -> None:
    args = ("audit", SAMPLES / "exports", "--as-of", "2026-06-30", "--only", "FIN-VAL-001", "--quiet")
    assert cli(*args).code == 0
    assert cli(*args, "--fail-on", "medium").code == 1


def test_only_and_skip_by_id_and_tag(cli) -> None:
    _, report = audit_json(cli, SAMPLES / "exports", "--as-of", "2026-06-30", "--only", "perpetuals",
                           "--skip", "PERP-ACCESS-001")
    ids = {r["id"] for r in report["rules"]}
    assert ids and all(i.startswith("PERP-") or i == "AMM-TRADE-001" for i in ids) and "PERP-ACCESS-001" not in ids
    bad = cli("audit", SAMPLES / "exports", "--only", "PERP-ACESS-001")
    assert bad.code == 2 and "PERP-ACCESS-001" in bad.err


def test_absent_datasets_skip_their_rules_with_the_reason(cli, tmp_path) -> None:
    shutil.copy(SAMPLES / "exports" / "collateral.csv", tmp_path)
    result, report = audit_json(cli, tmp_path, "--as-of", "2026-06-30")
    by_id = {r["id"]: r for r in report["rules"]}
    assert by_id["FIN-COLL-001"]["status"] == "fail"
    assert by_id["FIN-MC-001"]["status"] == "skipped" and "va_financing_loans" in by_id["FIN-MC-001"]["reason"]
    assert by_id["PERP-ACCESS-001"]["status"] == "skipped"
    assert report["summary"]["rules_skipped"] == 35  # six collateral rules ran
    required = cli("audit", tmp_path, "--require", "perp_trades")
    assert required.code == 2 and "perp_trades" in required.err
    misspelt = cli("audit", tmp_path, "--require", "perp_trade")  # a typo must not read as "file not found"
    assert misspelt.code == 2 and "unknown dataset 'perp_trade' (did you mean 'perp_trades'?)" in misspelt.err


def test_as_of_changes_date_based_findings(cli) -> None:
    _, early = audit_json(cli, SAMPLES / "exports", "--as-of", "2026-06-29", "--only", "AMM-KEY-002")
    assert pairs(early) == set()  # K003 is 90 days old on 29 June: the boundary passes
    _, later = audit_json(cli, SAMPLES / "exports", "--as-of", "2026-06-30", "--only", "AMM-KEY-002")
    assert pairs(later) == {("AMM-KEY-002", "K003")}


def test_rejected_rows_are_reported_and_counted(cli, tmp_path) -> None:
    write(tmp_path / "collateral.csv", "position_id,client_id,asset,asset_type,quantity,market_value_hkd,haircut_pct,"
          "valued_on\nP1,C1,SOL,virtual_asset,1,100,70,2026-06-30\nP2,C1,BTC,virtual_asset,1,100,sixty,2026-06-30\n")
    result, report = audit_json(cli, tmp_path, "--as-of", "2026-06-30")
    assert report["rejected_rows"] == [{"dataset": "collateral", "path": "collateral.csv", "row": 3,
                                        "column": "haircut_pct", "value": "sixty", "reason": "not a number"}]
    assert report["inputs"][0]["rows_read"] == 2 and report["inputs"][0]["rows_rejected"] == 1
    assert pairs(report) == {("FIN-COLL-001", "P1"), ("FIN-COLL-003", "C1")}


def test_output_file_is_written_and_a_missing_folder_fails_before_work(cli, tmp_path) -> None:
    out = tmp_path / "report.json"
    result = cli("audit", SAMPLES / "clean", "--as-of", "2026-06-30", "--output", out)
    assert result.code == 0 and json.loads(out.read_text("utf-8"))["summary"]["violations"] == 0
    assert "PASS" in result.out  # the terminal still gets the human summary
    missing = cli("audit", SAMPLES / "clean", "--output", tmp_path / "nope" / "r.json")
    assert missing.code == 2 and "folder does not exist" in missing.err


def test_with_output_files_format_names_the_format_of_a_file_without_a_known_extension(cli, tmp_path) -> None:
    """`--format json --output report` writes JSON to the file; stdout keeps the human table."""
    out = tmp_path / "report"
    result = cli("audit", SAMPLES / "exports", "--as-of", "2026-06-30", "--format", "json", "--output", out)
    assert result.code == 1 and json.loads(out.read_text("utf-8"))["summary"]["violations"] == 53
    assert result.out.strip().splitlines()[-1].startswith("FAIL (critical 24; high 23): 53 violations") and not result.out.startswith("{")


def test_table_output_names_rules_violations_and_verdict(cli) -> None:
    result = cli("audit", SAMPLES / "exports", "--as-of", "2026-06-30")
    assert result.code == 1
    assert "FIN-COLL-002" in result.out and "P015" in result.out and "26EC5 para 7(b)" in result.out
    assert "\x1b[" not in result.out  # no colour codes when stdout is not a terminal
    assert result.out.strip().splitlines()[-1].startswith("FAIL (critical 24; high 23): 53 violations")


def test_quiet_prints_one_line(cli) -> None:
    result = cli("audit", SAMPLES / "exports", "--as-of", "2026-06-30", "--quiet")
    assert len(result.out.strip().splitlines()) == 1 and result.out.startswith("FAIL")


@pytest.mark.parametrize("args,needle", [
    (("audit", "/definitely/not/here"), "data folder not found"),
    (("audit", str(SAMPLES / "clean"), "--as-of", "30/06/2026"), "not a date"),
    (("audit", str(SAMPLES / "clean"), "--timezone", "Mars/Olympus"), "unknown time zone"),
    (("audit", str(SAMPLES / "clean"), "--encoding", "klingon"), "unknown encoding"),
    (("audit", str(SAMPLES / "clean"), "--fail-on", "severe"), "severe"),
    (("explain", "FIN-COLL-02"), "FIN-COLL-002"),
])
def test_usage_errors_exit_2_with_a_message_and_no_traceback(cli, args, needle) -> None:
    result = cli(*args)
    assert result.code == 2 and needle in result.err and "Traceback" not in result.err + result.out


def test_missing_column_exits_2_naming_file_and_column(cli, tmp_path) -> None:
    write(tmp_path / "perp_trades.csv", "trade_id,client_id,instrument,trade_time,side,quantity,price\n")
    result = cli("audit", tmp_path)
    assert result.code == 2 and "perp_trades.csv" in result.err and "leverage" in result.err


def test_explain_and_rules_commands(cli) -> None:
    shown = cli("explain", "perp-access-001")
    assert shown.code == 0 and "professional" in shown.out and "## Why" in shown.out
    assert cli("rules", "show", "FIN-COLL-001").code == 0
    listed = cli("rules", "list")
    assert listed.code == 0 and "AMM-TRADE-001" in listed.out
    assert cli("rules", "validate").code == 0
    tested = cli("rules", "test")
    assert tested.code == 0 and "examples passed" in tested.out
    typo = cli("explain", "FIN-COLL-02")
    assert typo.code == 2 and "no rule 'FIN-COLL-02' (did you mean 'FIN-COLL-002'?)" in typo.err


def test_an_audit_written_as_json_does_not_import_what_only_other_formats_need(tmp_path) -> None:
    """Jinja2 (HTML only), openpyxl (xlsx only) and NumPy (large files only) cost memory and start-up time on
    every nightly run; they are imported where they are needed."""
    import subprocess
    import sys
    script = ("import sys\nfrom sfc_check.cli.commands import main\n"
              f"sys.argv = ['sfc-check', 'audit', {str(SAMPLES / 'exports')!r}, '--as-of', '2026-06-30', '--quiet', "
              f"'--output', {str(tmp_path / 'r.json')!r}]\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(sorted({'jinja2', 'openpyxl', 'numpy'} & sys.modules.keys()))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["summary"]["violations"] > 0
