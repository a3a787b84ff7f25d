"""A nightly run tells the truth: nothing checked is never a pass, and the cron line says what decided the exit
code, with counts that add up."""
from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from conftest import SAMPLES, write

AS_OF = ("--as-of", "2026-06-30")


def copy_exports(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES / "exports", tmp_path / "d")
    return tmp_path / "d"


def set_column(path: Path, column: str, value: str) -> None:
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    at = rows[0].index(column)
    for row in rows[1:]:
        row[at] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def test_a_rule_whose_inputs_were_all_rejected_is_not_evaluable_and_the_run_says_so(cli, tmp_path) -> None:
    data = copy_exports(tmp_path)
    set_column(data / "clients.csv", "status", "ACTV")  # one unmapped status code rejects every client
    result = cli("audit", data, *AS_OF, "--format", "json")
    doc = result.json()
    sob = next(r for r in doc["rules"] if r["id"] == "SOB-RETAIL-001")
    assert sob["status"] == "not_evaluable" and sob["checked"] == 0
    assert "15 of 15 clients row(s) rejected" in sob["reason"]
    assert any("every row of clients.csv (15) was rejected" in w for w in doc["summary"]["warnings"])
    assert "every row of clients.csv (15) was rejected" in result.err
    # restricted to that rule, nothing is judged: exit 2, never a pass
    only = cli("audit", data, *AS_OF, "--only", "SOB-RETAIL-001", "--quiet")
    assert only.code == 2 and only.out.startswith("NOT CHECKED (no selected rule could judge a record: "
                                                  "1 not evaluable)")


def test_an_empty_export_is_not_a_pass(cli, tmp_path) -> None:
    data = copy_exports(tmp_path)
    text = (data / "withdrawals.csv").read_text("utf-8")
    (data / "withdrawals.csv").write_text(text.splitlines()[0] + "\n", "utf-8")
    doc = cli("audit", data, *AS_OF, "--format", "json").json()
    statuses = {r["id"]: (r["status"], r.get("reason")) for r in doc["rules"] if r["id"].startswith("WDR-")}
    assert statuses == {rule: ("not_evaluable", "checked no record: the withdrawals export holds no records")
                        for rule in ("WDR-AUTH-001", "WDR-NEWADDR-001")}


def test_rejected_rows_can_fail_the_run(cli, tmp_path) -> None:
    data = copy_exports(tmp_path)
    rows = list(csv.reader((data / "perp_trades.csv").open(encoding="utf-8", newline="")))
    rows[1][rows[0].index("leverage")] = "x"  # not a number: one rejected row
    with (data / "perp_trades.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    base = ("audit", data, *AS_OF, "--fail-on", "none", "--quiet")
    assert cli(*base).code == 0
    strict = cli(*base, "--fail-on-rejected")
    assert strict.code == 1 and strict.out.startswith("FAIL (rejected rows 1 (--fail-on-rejected)): ")
    assert cli(*base, "--max-rejected", "1").code == 0
    assert cli(*base, "--max-rejected", "0").out.startswith("FAIL (rejected rows 1 > 0 (--max-rejected))")
    assert cli(*base, "--max-rejected", "1%").code == 0          # 1 of 113 is 0.9 %
    assert cli(*base, "--max-rejected", "0.5%").code == 1
    bad = cli(*base, "--max-rejected", "ten")
    assert bad.code == 2 and "--max-rejected 'ten'" in bad.err


def test_require_all_needs_every_dataset_a_selected_rule_reads(cli, tmp_path) -> None:
    data = copy_exports(tmp_path)
    (data / "withdrawals.csv").unlink()
    assert cli("audit", data, *AS_OF, "--quiet").code == 1
    result = cli("audit", data, *AS_OF, "--quiet", "--require-all")
    assert result.code == 2 and "required dataset 'withdrawals' not found" in result.err
    assert cli("audit", data, *AS_OF, "--quiet", "--require-all", "--skip", "WDR-AUTH-001",
               "--skip", "WDR-NEWADDR-001").code == 1


def test_the_cron_line_says_what_decided_the_exit_code_and_counts_add_up(cli, tmp_path) -> None:
    data = copy_exports(tmp_path)
    monday = tmp_path / "monday.json"
    cli("audit", data, *AS_OF, "--output", monday, "--quiet")
    text = (data / "collateral.csv").read_text("utf-8").replace("P015,C012,ETH,virtual_asset,4,100000,59.99",
                                                               "P015,C012,ETH,virtual_asset,4,100000,60")
    (data / "collateral.csv").write_text(text + "P022,C015,XRP,virtual_asset,100,1000,70,2026-06-30,N,100\n")
    waivers = write(tmp_path / "w.yaml", "waivers:\n" + "".join(
        f"  - rule_id: {rule}\n    key: {key}\n    reason: agreed exception\n    approved_by: Head of Compliance\n"
        f"    approved_on: \"2026-06-01\"\n    expires_on: \"2026-12-31\"\n"
        for rule, key in (("PERP-ACCESS-001", "{trade_id: T002}"), ("FIN-COLL-001", "{position_id: P999}"))))
    result = cli("audit", data, *AS_OF, "--baseline", monday, "--fail-on-new", "--waivers", waivers, "--quiet")
    assert result.code == 1
    assert result.out == ("FAIL (new critical 1): 53 violations — 1 new, 1 resolved, 1 waived, 1 stale waiver; "
                          "unwaived: 23 critical, 23 high, 6 medium; 0 of 114 rows rejected; 0 rules not evaluable, "
                          "0 skipped; fail-on high, new only; as of 2026-06-30\n")
    counts = re.search(r"(\d+) violations — .*?\b(\d+) waived, .*; unwaived: (\d+) critical, (\d+) high, (\d+) medium",
                       result.out)
    assert counts is not None
    total, waived, *severities = map(int, counts.groups())
    assert total == waived + sum(severities)


def test_without_fail_on_new_the_line_names_every_failing_severity(cli) -> None:
    result = cli("audit", SAMPLES / "exports", *AS_OF, "--quiet", "--fail-on", "medium")
    assert result.out.startswith("FAIL (critical 24; high 23; medium 6): 53 violations — 0 waived; ")
    clean = cli("audit", SAMPLES / "clean", *AS_OF, "--quiet")
    assert clean.code == 0 and clean.out.startswith("PASS: 0 violations")


def test_the_readme_nightly_script_runs_twice_from_an_empty_reports_folder(tmp_path) -> None:
    """The README's nightly example, as written, with this machine's paths: the first night has no baseline
    (every violation new: exit 1), the second night finds nothing new (exit 0) and rotates again."""
    import subprocess
    import sys

    from conftest import ROOT
    readme = (ROOT / "README.md").read_text("utf-8")
    script = readme.split("## Nightly runs")[1].split("```bash\n")[1].split("```")[0]
    reports, exports = tmp_path / "reports", tmp_path / "exports"
    reports.mkdir()
    shutil.copytree(SAMPLES / "exports", exports)
    waivers = write(tmp_path / "waivers.yaml", "waivers: []\n")
    script = (script.replace("/reports", str(reports)).replace("/exports/today", str(exports))
              .replace("--profile /etc/sfc-check/profile.yaml ", "")
              .replace("/etc/sfc-check/policy.yaml", str(SAMPLES / "policies" / "kowloon-securities.yaml"))
              .replace("/etc/sfc-check/waivers.yaml", str(waivers))
              .replace("sfc-check audit", f"{sys.executable} -m sfc_check.cli audit --as-of 2026-06-30"))
    first = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=False)
    assert first.returncode == 1, first.stderr
    assert first.stdout.startswith("FAIL (new critical") and "— 0 waived" not in first.stdout
    assert (reports / "last.json").exists() and not first.stderr.startswith("warning")
    second = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "— 0 new, 0 resolved" in second.stdout and second.stdout.startswith("PASS")
    assert {p.name for p in reports.iterdir()} == {"last.json", "today.json", "today.html", "today.xml",
                                                   "today.sarif"}
