"""The SARIF 2.1.0 report: one result per violation, for code-scanning dashboards and SARIF viewers.

Rules carry their title, what they check, why (the citation) and a helpUri where the citation has a URL;
results point at the input file and line, carry the baseline state (new / unchanged / absent for resolved
ones) and a suppression for a waived violation. Written piece by piece, like the JSON report."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
BASELINE_STATES = {"new": "new", "persisting": "unchanged"}
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def render_sarif(document: dict[str, Any]) -> str:
    return "".join(stream_sarif(document))


def stream_sarif(document: dict[str, Any]) -> Iterator[str]:
    run = document["run"]
    rules = document["rules"]
    index = {r["id"]: n for n, r in enumerate(rules)}
    head = {
        "tool": {"driver": {"name": "sfc-check", "version": document["tool"]["version"],
                            "semanticVersion": document["tool"]["version"],
                            "rules": [_rule(r) for r in rules]}},
        "originalUriBaseIds": {"DATA_DIR": {"uri": _base_uri(run["data_dir"])}},
        "invocations": [_invocation(document)],
        "columnKind": "unicodeCodePoints",
        "properties": {"as_of": run["as_of"], "timezone": run["timezone"], "fail_on": run["fail_on"],
                       "rule_pack_sha256": run["rule_pack_sha256"], "summary": document["summary"]},
    }
    yield '{\n  "$schema": ' + json.dumps(SCHEMA) + ',\n  "version": "2.1.0",\n  "runs": [\n    {\n'
    for key, value in head.items():
        yield f'      "{key}": ' + json.dumps(value, ensure_ascii=False) + ",\n"
    yield '      "results": ['
    first = True
    for v in document["violations"]:
        yield ("\n        " if first else ",\n        ") + _ENCODE(_result(v, index))
        first = False
    for resolved in (document.get("baseline") or {}).get("resolved", []):
        if resolved["rule_id"] in index:
            yield ("\n        " if first else ",\n        ") + _ENCODE(_resolved(resolved, index))
            first = False
    yield "\n      ]\n    }\n  ]\n}\n"


def _rule(r: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r["id"], "name": r["id"].replace("-", ""),
        "shortDescription": {"text": r["title"]},
        "fullDescription": {"text": r["checks"]},
        "help": {"text": f"{r['checks']}\n\nWhy: {r['rationale']}\n\nCitation: {r['citation']}",
                 "markdown": f"{r['checks']}\n\n**Why:** {r['rationale']}\n\n**Citation:** {r['citation']}"},
        "defaultConfiguration": {"level": LEVELS[r["severity"]]},
        "properties": {"severity": r["severity"], "citation": r["citation"], "basis": r["basis"],
                       "source": r["source"], "dataset": r["dataset"], "status": r["status"],
                       "checked": r["checked"], "tags": ["compliance", r["severity"]]},
    }
    if r.get("url"):
        out["helpUri"] = r["url"]
    return out


def _invocation(document: dict[str, Any]) -> dict[str, Any]:
    run, summary = document["run"], document["summary"]
    notes = [{"level": "warning", "message": {"text": w}} for w in summary.get("warnings", [])]
    if summary["rows_rejected"]:
        notes.append({"level": "warning", "message": {"text": f"{summary['rows_rejected']:,} input row(s) rejected "
                                                              "(not evaluated); see the JSON report"}})
    return {"executionSuccessful": summary["exit_code"] != 2, "exitCode": summary["exit_code"],
            "exitCodeDescription": "; ".join(summary.get("decided_by", [])) or "no violation fails the run",
            "startTimeUtc": run["started_at"], "endTimeUtc": run["finished_at"],
            "toolExecutionNotifications": notes}


def _location(v: dict[str, Any]) -> list[dict[str, Any]]:
    if not v.get("path"):
        return []
    physical: dict[str, Any] = {"artifactLocation": {"uri": Path(v["path"]).as_posix(), "uriBaseId": "DATA_DIR"}}
    if v.get("row"):
        physical["region"] = {"startLine": v["row"]}
    return [{"physicalLocation": physical,
             "logicalLocations": [{"name": json.dumps(v["key"], ensure_ascii=False, sort_keys=True),
                                   "kind": "object", "fullyQualifiedName": f"{v['dataset']}:{_key_text(v)}"}]}]


def _key_text(v: dict[str, Any]) -> str:
    return ",".join(f"{k}={x}" for k, x in v["key"].items())


def _fingerprint(rule_id: str, key: dict[str, Any]) -> str:
    """The violation's identity (rule and key), the same one baselines and waivers use."""
    return hashlib.sha256(json.dumps([rule_id, key], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _result(v: dict[str, Any], index: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": v["rule_id"], "ruleIndex": index[v["rule_id"]], "level": LEVELS[v["severity"]],
        "message": {"text": v["message"]}, "locations": _location(v),
        "partialFingerprints": {"sfcCheckIdentity/v1": _fingerprint(v["rule_id"], v["key"])},
        "properties": {"severity": v["severity"], "dataset": v["dataset"], "key": v["key"],
                       "evidence": v["evidence"]},
    }
    if v.get("baseline"):
        out["baselineState"] = BASELINE_STATES[v["baseline"]]
    if v.get("waived"):
        w = v.get("waiver") or {}
        out["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": f"waiver approved by {w.get('approved_by', '?')} on "
                                                 f"{w.get('approved_on', '?')}, expires {w.get('expires_on', '?')}: "
                                                 f"{w.get('reason', '')}"}]
    return out


def _resolved(r: dict[str, Any], index: dict[str, int]) -> dict[str, Any]:
    return {"ruleId": r["rule_id"], "ruleIndex": index[r["rule_id"]], "level": "none", "kind": "pass",
            "message": {"text": "resolved since the baseline: " + (r.get("message") or _key_text(r))},
            "baselineState": "absent",
            "partialFingerprints": {"sfcCheckIdentity/v1": _fingerprint(r["rule_id"], r["key"])},
            "properties": {"key": r["key"]}}


def _base_uri(data_dir: str) -> str:
    """DATA_DIR as a URI ending in a slash: a folder's file:// URI, or the URI the audit was given."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", data_dir):
        return data_dir.rstrip("/") + "/"
    return Path(data_dir).resolve().as_uri() + "/"
