"""Build a one-off rule from a condition snippet and evaluate it on in-memory records (construct tests)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from sfc_check.app.evaluation import RunSettings, evaluate
from sfc_check.app.selftest import example_sources
from sfc_check.language.rulepack import Rule, load_rule_file
from sfc_check.language.rulepack import check_plan as check_rule
from sfc_check.model import AuditResult, RejectedRow

META = {
    "title": "construct under test", "severity": "high",
    "citation": {"document": "test", "paragraph": "n/a", "basis": "secondary"},
    "checks": "a construct of the rule language, under test", "rationale": "tests exercise one construct each",
    "effective_from": "2026-01-01", "message": "violation of the construct under test",
}


def make_rule(tmp_path: Path, body: dict[str, Any], rule_id: str = "TEST-RULE-001") -> Rule:
    doc = {"id": rule_id, **META, **body}
    doc.setdefault("examples", [{"name": "placeholder", "expect": "pass", "record": {}}])
    path = tmp_path / f"{rule_id}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    rule = load_rule_file(path)
    check_rule(rule)
    return rule


def run(rule: Rule, records: list[dict[str, Any]], data: dict[str, list[dict[str, Any]]] | None = None,
        as_of: str = "2026-06-30", tz: str = "Asia/Hong_Kong",
        overrides: dict[str, Any] | None = None) -> AuditResult:
    rejected: list[RejectedRow] = []
    sources = example_sources(rule, {"name": "t", "records": records, "data": data or {}}, rejected)
    assert not rejected, rejected
    settings = RunSettings(as_of=date.fromisoformat(as_of), tz=ZoneInfo(tz),
                           overrides={rule.id: overrides} if overrides else {})
    return evaluate([rule], sources, settings, rejected)


def keys(result: AuditResult) -> set[str]:
    return {",".join(str(v) for v in viol.key.values()) for viol in result.violations}
