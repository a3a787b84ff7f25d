"""The neutral, sorted result document every report format renders (the JSON report contract)."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, overload

from .. import __version__
from ..app.audit import AuditRun
from ..findings import tally
from ..governance.policy import ParameterUse, parameter_uses
from ..language.rulepack import bundled_rules_dir
from ..model import InputStats, RejectedRow, RuleStatus, Severity, Violation, json_value


def violation_entry(v: Violation) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "rule_id": v.rule_id, "severity": v.severity.value, "dataset": v.dataset,
        "key": dict(zip(v.key_fields, map(json_value, v.key_values))), "path": v.path,
    }
    if v.row is not None:
        entry["row"] = v.row
    entry["message"] = v.message
    entry["evidence"] = dict(zip(v.evidence_fields, map(json_value, v.evidence_values)))
    entry["citation"] = v.citation
    entry["waived"] = v.waived
    if v.waiver:
        entry["waiver"] = v.waiver
    if v.baseline:
        entry["baseline"] = v.baseline
    return entry


class Entries(Sequence[dict[str, Any]]):
    """Violations or rejected rows as report entries, each made when a writer reaches it: a run with many of
    them never holds them twice (as objects and again as entries)."""

    def __init__(self, items: Sequence[Any], make: Callable[[Any], dict[str, Any]]) -> None:
        self._items, self._make = items, make

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self._make(v) for v in self._items[i]]
        return self._make(self._items[i])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(self._make, self._items)


def rejected_entry(r: RejectedRow) -> dict[str, Any]:
    return {"dataset": r.dataset, "path": r.path, "row": r.row, "column": r.column, "value": r.value,
            "reason": r.reason}


def build_document(run: AuditRun) -> dict[str, Any]:
    result = run.result
    outcomes = {o.rule_id: o for o in result.outcomes}
    uses: dict[str, list[ParameterUse]] = {}
    for u in parameter_uses(run.rules, result.parameters, run.policy, run.as_of):
        uses.setdefault(u.rule_id, []).append(u)
    rules = []
    for rule in run.rules:
        o = outcomes[rule.id]
        entry: dict[str, Any] = {
            "id": rule.id, "title": rule.title, "severity": rule.severity.value, "citation": rule.citation,
            "reference": rule.reference, "url": rule.doc["citation"].get("url"), "basis": rule.basis, "source": rule.source,
            "status": o.status.value, "checked": o.checked, "not_applicable": o.not_applicable,
            "violations": o.violations, "waived": o.waived, "dataset": rule.dataset,
            "effective_from": rule.effective_from.isoformat(),
            "effective_to": rule.effective_to.isoformat() if rule.effective_to else None,
            "file_sha256": rule.sha256,
            "checks": " ".join(rule.doc["checks"].split()),
            "rationale": " ".join(rule.doc["rationale"].split()),
        }
        if o.reason:
            entry["reason"] = o.reason
        if rule.id in uses:
            entry["parameters"] = [{"name": u.name, "value": json_value(u.value), "source": u.source,
                                    "default": json_value(u.default), "from_policy": u.from_policy,
                                    "stricter_than_sfc": u.stricter_than_sfc} for u in uses[rule.id]]
        rules.append(entry)
    violations = Entries(result.violations, violation_entry)
    counts = result.tally or tally(result.violations)
    by_severity = {s.value: counts.unwaived.get(s, 0) for s in Severity}
    ran = [o for o in result.outcomes if o.status in (RuleStatus.PASS, RuleStatus.FAIL)]
    summary = {
        "rules_checked": len(ran),
        "rules_failed": sum(1 for o in ran if o.status is RuleStatus.FAIL),
        "rules_skipped": sum(1 for o in result.outcomes if o.status is RuleStatus.SKIPPED),
        "rules_not_evaluable": sum(1 for o in result.outcomes if o.status is RuleStatus.NOT_EVALUABLE),
        "rules_not_in_force": sum(1 for o in result.outcomes if o.status is RuleStatus.NOT_IN_FORCE),
        "violations": len(result.violations),
        "waived": counts.waived,
        "new": counts.new if run.baseline else len(result.violations),
        "resolved": run.baseline.count_resolved if run.baseline else 0,
        "by_severity": by_severity,
        "rows_read": sum(i.rows_read for i in result.inputs),
        "rows_rejected": sum(i.rows_rejected for i in result.inputs),
        "stale_waivers": len(run.waivers.stale) if run.waivers else 0,
        "exit_code": run.exit_code,
        "decided_by": run.decided_by,
        "warnings": run.warnings,
    }
    doc: dict[str, Any] = {
        "tool": {"name": "sfc-check", "version": __version__},
        "run": {
            "started_at": _utc(run.started_at), "finished_at": _utc(run.finished_at),
            "as_of": run.as_of.isoformat(), "timezone": run.request.timezone,
            "data_dir": run.request.data_uri or str(run.request.data_dir), "rules": run.rules_location,
            "rule_pack_sha256": run.fingerprint, "fail_on": run.request.fail_on.value,
            "fail_on_new": run.request.fail_on_new,
            "only": list(run.request.only), "skip": list(run.request.skip),
            "policy": ({"name": run.policy.name, "path": run.policy.path, "sha256": run.policy.sha256}
                       if run.policy else None),
            "profile": ({"name": run.profile.name, "path": run.profile.path, "sha256": run.profile.sha256}
                        if run.profile else None),
        },
        "inputs": [_input_entry(i) for i in result.inputs],
        "ignored_files": result.ignored_files,
        "rules": rules,
        "violations": violations,
        "rejected_rows": Entries(result.rejected, rejected_entry),
        "summary": summary,
    }
    if run.waivers:
        w = run.waivers
        doc["waivers"] = {"path": w.path, "sha256": w.sha256, "applied": [x.entry() for x in w.applied],
                          "expired": [x.entry() for x in w.expired], "stale": [x.entry() for x in w.stale],
                          "not_yet_approved": [x.entry() for x in w.not_yet_approved]}
    if run.baseline:
        doc["baseline"] = {"path": run.baseline.path, "previous_as_of": run.baseline.previous_as_of,
                           "missing": run.baseline.missing, "resolved": run.baseline.resolved}
    doc["manifest"] = _manifest(run, doc)
    return doc


def _input_entry(i: InputStats) -> dict[str, Any]:
    entry: dict[str, Any] = {"dataset": i.dataset, "path": i.path, "format": i.format, "sha256": i.sha256,
                             "rows_read": i.rows_read, "rows_evaluated": i.rows_evaluated,
                             "rows_rejected": i.rows_rejected}
    if i.rows_blank:
        entry["rows_blank"] = i.rows_blank
    if i.files:
        entry["files"] = i.files
        entry["rows_filtered"] = i.rows_filtered
    if i.profile_notes:
        entry["notes"] = i.profile_notes
    return entry


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).name


def _manifest(run: AuditRun, doc: dict[str, Any]) -> dict[str, Any]:
    """Proof of exactly what was checked: tool, rule files, inputs, policy, parameters, dates and zone."""
    root = run.request.rules_dir or bundled_rules_dir()
    if root.is_file():
        root = root.parent
    return {
        "tool_version": __version__,
        "rule_pack_sha256": run.fingerprint,
        "rule_files": [{"id": r.id, "path": _relative(r.path, root), "sha256": r.sha256, "basis": r.basis}
                       for r in run.rules],
        "inputs": [{"dataset": i["dataset"], "path": i["path"], "sha256": i["sha256"], "rows_read": i["rows_read"],
                    "rows_rejected": i["rows_rejected"]} for i in doc["inputs"]],
        "policy": doc["run"]["policy"],
        "profile": doc["run"]["profile"],
        "parameters": {r["id"]: {p["name"]: p["value"] for p in r["parameters"]}
                       for r in doc["rules"] if r.get("parameters")},
        "waivers": {"path": run.waivers.path, "sha256": run.waivers.sha256} if run.waivers else None,
        "baseline": run.baseline.path if run.baseline else None,
        "as_of": run.as_of.isoformat(), "timezone": run.request.timezone,
        "started_at": _utc(run.started_at), "finished_at": _utc(run.finished_at),
    }


def _utc(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
