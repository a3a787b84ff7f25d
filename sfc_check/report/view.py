"""Shared read-only helpers over the result document for the human-readable reports (HTML, Markdown)."""
from __future__ import annotations

from typing import Any

SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
STATUS_ORDER = {"fail": 0, "not_evaluable": 1, "pass": 2, "skipped": 3, "not_in_force": 4}
ROWS_PER_RULE = 200  # violations shown per rule in HTML; the rest are in the JSON/CSV report


class ReportView:
    """Groups violations by failing rule and words locations and keys the same way in every format."""

    def __init__(self, document: dict[str, Any], rows_per_rule: int | None = ROWS_PER_RULE) -> None:
        self.doc = document
        self.rows_per_rule = rows_per_rule
        self._sections: list[dict[str, Any]] | None = None

    @property
    def verdict(self) -> str:
        return {0: "PASS", 1: "FAIL"}.get(self.doc["summary"]["exit_code"], "NOT CHECKED")

    @staticmethod
    def where(v: dict[str, Any]) -> str:
        return f"{v.get('path') or v['dataset']}" + (f":{v['row']}" if v.get("row") else "")

    @staticmethod
    def key(v: dict[str, Any]) -> str:
        return ", ".join(f"{k}={x}" for k, x in v["key"].items())

    def rules_sorted(self) -> list[dict[str, Any]]:
        """Failing rules first, worst severity and most violations first; then not evaluable, passing, the rest."""
        return sorted(self.doc["rules"], key=lambda r: (STATUS_ORDER.get(r["status"], 9),
                                                        SEVERITY_RANK[r["severity"]], -r["violations"], r["id"]))

    def failing_rules(self) -> list[dict[str, Any]]:
        """Per rule with violations, in the order of rules_sorted: the first `rows_per_rule` violations and
        counts of all of them (new, persisting, waived) — one pass over the violations, however many."""
        if self._sections is not None:
            return self._sections
        found: dict[str, dict[str, Any]] = {}
        for v in self.doc["violations"]:
            s = found.setdefault(v["rule_id"], {"violations": [], "total": 0, "new": 0, "persisting": 0,
                                                "waived": 0})
            s["total"] += 1
            if self.rows_per_rule is None or len(s["violations"]) < self.rows_per_rule:
                s["violations"].append(v)
            if v.get("waived"):
                s["waived"] += 1
            if v.get("baseline") in ("new", "persisting"):
                s[v["baseline"]] += 1
        resolved: dict[str, int] = {}
        for r in (self.doc.get("baseline") or {}).get("resolved", []):
            resolved[r["rule_id"]] = resolved.get(r["rule_id"], 0) + 1
        self._sections = [{"rule": r, "rationale": r.get("rationale", ""), "resolved": resolved.get(r["id"], 0),
                           "hidden": found[r["id"]]["total"] - len(found[r["id"]]["violations"]),
                           **found[r["id"]]} for r in self.rules_sorted() if r["id"] in found]
        return self._sections

    def chart(self, width: int = 640, bar: int = 16) -> dict[str, Any]:
        """Geometry of an inline SVG bar chart of violations by rule (and new / persisting with a baseline)."""
        sections = self.failing_rules()
        most = max((s["total"] for s in sections), default=1) or 1
        label, scale = 130, (width - 130 - 60) / most
        rows = []
        for n, s in enumerate(sections):
            y = n * (bar + 4)
            new = s["new"] if self.doc.get("baseline") else 0
            rows.append({"id": s["rule"]["id"], "severity": s["rule"]["severity"], "y": y, "total": s["total"],
                         "x": label, "w": max(1.0, s["total"] * scale), "new_w": new * scale, "new": new,
                         "text_y": y + bar - 4})
        return {"width": width, "height": max(1, len(rows)) * (bar + 4), "bar": bar, "rows": rows, "label": label}
