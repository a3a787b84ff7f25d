"""The JUnit XML report: one testcase per rule, so CI dashboards show the audit like a test run.

The dashboard agrees with the exit code: a rule fails only with unwaived violations that count under --fail-on
(new ones only, with --fail-on-new); violations below the threshold make the testcase skipped with a message
saying how many and why they do not count. Rejected rows that fail the run are a testcase of their own."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ..model import FailOn, Severity
from .text import visible

SKIPPED = ("skipped", "not_evaluable", "not_in_force")
def xml_text(value: Any) -> str:
    """Text XML 1.0 can carry: control characters and lone surrogates shown as escapes."""
    return visible(value)


def _counts(v: dict[str, Any], fail_on: FailOn, only_new: bool) -> bool:
    return (not v["waived"] and fail_on.counts(Severity(v["severity"]))
            and (not only_new or v.get("baseline") != "persisting"))


def render_junit(document: dict[str, Any]) -> str:
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for v in document["violations"]:
        by_rule.setdefault(v["rule_id"], []).append(v)
    run, summary = document["run"], document["summary"]
    fail_on = FailOn(run["fail_on"])
    only_new = bool(run.get("fail_on_new") and document.get("baseline"))
    suite = ET.Element("testsuite", name="sfc-check", timestamp=run["started_at"])
    props = ET.SubElement(suite, "properties")
    for name, value in (("as_of", run["as_of"]), ("rule_pack_sha256", run["rule_pack_sha256"]),
                        ("data_dir", run["data_dir"]), ("fail_on", run["fail_on"]),
                        ("fail_on_new", str(only_new).lower()), ("exit_code", summary["exit_code"])):
        ET.SubElement(props, "property", name=name, value=xml_text(value))
    failures = skipped = errors = 0
    for r in document["rules"]:
        case = ET.SubElement(suite, "testcase", classname=f"sfc-check.{r['dataset']}",
                             name=xml_text(f"{r['id']} {r['title']}"))
        if r["status"] in SKIPPED:
            ET.SubElement(case, "skipped", message=xml_text(f"{r['status']}: {r.get('reason', '')}"))
            skipped += 1
            continue
        found = by_rule.get(r["id"], [])
        counting: list[dict[str, Any]] = []
        below: list[dict[str, Any]] = []
        for v in found:
            if not v["waived"]:
                (counting if _counts(v, fail_on, only_new) else below).append(v)
        if counting:
            failure = ET.SubElement(case, "failure", type=r["severity"],
                                    message=xml_text(f"{len(counting)} violation(s) — {r['citation']}"))
            failure.text = _listing(counting)
            failures += 1
        elif below:
            why = ("persisting from the baseline (--fail-on-new)" if only_new and fail_on.counts(Severity(r["severity"]))
                   else f"severity {r['severity']}, below --fail-on {fail_on.value}")
            ET.SubElement(case, "skipped", message=xml_text(f"{len(below)} violation(s) not failing the run: {why}"))
            ET.SubElement(case, "system-out").text = _listing(below)
            skipped += 1
        waived = [v for v in found if v["waived"]]
        if waived:
            ET.SubElement(case, "system-err" if counting else "system-out").text = \
                f"{len(waived)} waived violation(s)"
    for reason in summary.get("decided_by", []):
        if reason.startswith("rejected rows") or summary["exit_code"] == 2:
            case = ET.SubElement(suite, "testcase", classname="sfc-check.inputs", name="inputs evaluated")
            if summary["exit_code"] == 2:
                ET.SubElement(case, "error", message=xml_text(reason))
                errors += 1
            else:
                ET.SubElement(case, "failure", type="rejected_rows", message=xml_text(reason))
                failures += 1
    total = len(suite.findall("testcase"))
    suite.attrib.update(tests=str(total), failures=str(failures), errors=str(errors), skipped=str(skipped))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def _listing(items: list[dict[str, Any]]) -> str:
    return xml_text("\n".join(
        f"{v.get('path') or v['dataset']}{':' + str(v['row']) if v.get('row') else ''} "
        f"[{', '.join(f'{k}={x}' for k, x in v['key'].items())}] {v['message']}" for v in items))
