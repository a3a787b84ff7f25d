"""Shared read-only helpers over the result document for the human-readable reports (HTML, Markdown)."""
from __future__ import annotations

from typing import Any


class ReportView:
    """Groups violations by failing rule and words locations and keys the same way in every format."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document

    @property
    def verdict(self) -> str:
        return "FAIL" if self.doc["summary"]["exit_code"] == 1 else "PASS"

    @staticmethod
    def where(v: dict[str, Any]) -> str:
        return f"{v.get('path') or v['dataset']}" + (f":{v['row']}" if v.get("row") else "")

    @staticmethod
    def key(v: dict[str, Any]) -> str:
        return ", ".join(f"{k}={x}" for k, x in v["key"].items())

    def failing_rules(self) -> list[dict[str, Any]]:
        by_rule: dict[str, list[dict[str, Any]]] = {}
        for v in self.doc["violations"]:
            by_rule.setdefault(v["rule_id"], []).append(v)
        return [{"rule": r, "violations": by_rule[r["id"]], "rationale": r.get("rationale", "")}
                for r in self.doc["rules"] if r["id"] in by_rule]
