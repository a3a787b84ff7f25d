"""Policy files (tighten freely, never loosen the SFC) and the generated rule catalogue staying current."""
from __future__ import annotations

import pytest
from conftest import ROOT, SAMPLES, pairs, write

POLICY = SAMPLES / "policies" / "kowloon-securities.yaml"


def test_policy_overrides_change_findings_and_are_reported(cli) -> None:
    result = cli("audit", SAMPLES / "exports", "--as-of", "2026-06-30", "--policy", POLICY, "--format", "json")
    report = result.json()
    found = pairs(report)
    # 0.40 share limit: C001, C009, C010, C013 (exactly 0.5) now fail besides C014
    assert {k for r, k in found if r == "FIN-COLL-003"} == {"C001", "C009", "C010", "C013", "C014"}
    # 65 % haircut: every 60 % VA position now fails; P017 (65 %) passes
    assert {k for r, k in found if r == "FIN-COLL-002"} == {"P001", "P006", "P009", "P011", "P015", "P019", "P030"}
    params = {(r["id"], p["name"]): p for r in report["rules"] for p in r.get("parameters", [])}
    assert params[("FIN-COLL-003", "max_va_collateral_share")] == {
        "name": "max_va_collateral_share", "value": "0.4", "source": "policy", "default": "0.5", "from_policy": True,
        "stricter_than_sfc": False}
    assert params[("FIN-COLL-002", "min_va_haircut_pct")]["stricter_than_sfc"] is True
    assert params[("FIN-VAL-001", "max_valuation_age_days")]["from_policy"] is False
    assert report["run"]["policy"]["name"].startswith("Kowloon") and len(report["run"]["policy"]["sha256"]) == 64


@pytest.mark.parametrize("body,needle", [
    ("policy: p\nrules:\n  FIN-COLL-002:\n    min_va_haircut_pct: 50\n", "would loosen a value set by the SFC"),
    ("policy: p\nparameters:\n  eligible_va_collateral: [BTC, ETH, SOL]\n", "would loosen"),
    ("policy: p\nparameters:\n  max_va_colateral_share: 0.4\n", "did you mean 'max_va_collateral_share'"),
    ("policy: p\nrules:\n  FIN-COLL-003:\n    max_va_collateral_share: lots\n", "must be a decimal"),
    ("policy: p\nrules:\n  FIN-COLL-09:\n    x: 1\n", "no rule 'FIN-COLL-09'"),
    ("policy: p\nparamters:\n  x: 1\n", "did you mean 'parameters'"),
])
def test_bad_policy_files_exit_2_naming_file_and_line(cli, tmp_path, body, needle) -> None:
    path = write(tmp_path / "policy.yaml", body)
    result = cli("audit", SAMPLES / "clean", "--as-of", "2026-06-30", "--policy", path)
    assert result.code == 2 and needle in result.err and "policy.yaml:" in result.err, result.err


def test_stricter_sfc_list_is_accepted(cli, tmp_path) -> None:
    path = write(tmp_path / "policy.yaml", "policy: p\nparameters:\n  eligible_va_collateral: [btc]\n")
    result = cli("audit", SAMPLES / "exports", "--as-of", "2026-06-30", "--policy", path, "--only", "FIN-COLL-001",
                 "--format", "json")
    assert {k for _, k in pairs(result.json())} == {"P006", "P011", "P013", "P015", "P030"}  # ETH positions now fail too


def test_docs_rules_md_is_current(cli) -> None:
    result = cli("rules", "list", "--format", "markdown")
    assert result.code == 0
    committed = (ROOT / "docs" / "rules.md").read_text("utf-8")
    assert result.out == committed, "docs/rules.md is stale: run `sfc-check rules list --format markdown > docs/rules.md`"
    from sfc_check.language.rulepack import load_rules
    listed = {line.split(" | ")[0].lstrip("| ") for line in committed.splitlines() if line.startswith("| ")}
    assert listed - {"id"} == {r.id for r in load_rules(scope=None)}
