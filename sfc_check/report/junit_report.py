"""The JUnit XML report: one testcase per rule, so CI dashboards show the audit like a test run."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

SKIPPED = ("skipped", "not_evaluable", "not_in_force")


def render_junit(document: dict[str, Any]) -> str:
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for v in document["violations"]:
        by_rule.setdefault(v["rule_id"], []).append(v)
    rules = document["rules"]
    failures = sum(1 for r in rules if any(not v["waived"] for v in by_rule.get(r["id"], [])))
    skipped = sum(1 for r in rules if r["status"] in SKIPPED)
    suite = ET.Element("testsuite", name="sfc-check", tests=str(len(rules)), failures=str(failures),
                       errors="0", skipped=str(skipped), timestamp=document["run"]["started_at"])
    props = ET.SubElement(suite, "properties")
    for name, value in (("as_of", document["run"]["as_of"]), ("rule_pack_sha256", document["run"]["rule_pack_sha256"]),
                        ("data_dir", document["run"]["data_dir"])):
        ET.SubElement(props, "property", name=name, value=str(value))
    for r in rules:
        case = ET.SubElement(suite, "testcase", classname=f"sfc-check.{r['dataset']}",
                             name=f"{r['id']} {r['title']}")
        if r["status"] in SKIPPED:
            ET.SubElement(case, "skipped", message=f"{r['status']}: {r.get('reason', '')}")
            continue
        open_items = [v for v in by_rule.get(r["id"], []) if not v["waived"]]
        if open_items:
            failure = ET.SubElement(case, "failure", type=r["severity"],
                                    message=f"{len(open_items)} violation(s) — {r['citation']}")
            failure.text = "\n".join(
                f"{v.get('path') or v['dataset']}{':' + str(v['row']) if v.get('row') else ''} "
                f"[{', '.join(f'{k}={x}' for k, x in v['key'].items())}] {v['message']}" for v in open_items)
        waived = [v for v in by_rule.get(r["id"], []) if v["waived"]]
        if waived:
            ET.SubElement(case, "system-out").text = f"{len(waived)} waived violation(s)"
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
