"""Baselines: compare with a previous JSON report so a nightly run highlights only what is new."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DataError
from .model import RuleOutcome, RuleStatus, Violation
from .violationstore import remark
from .waivers import violation_identity


@dataclass
class BaselineOutcome:
    path: str
    previous_as_of: str | None
    resolved: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count_resolved(self) -> int:
        return len(self.resolved)


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise DataError("baseline report not found", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read baseline report: {exc}", str(path)) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"baseline is not a JSON report: {exc.msg}", str(path), exc.lineno, exc.colno) from None
    if not isinstance(data, dict) or not isinstance(data.get("violations"), list):
        raise DataError("baseline is not an sfc-check JSON report (no 'violations' list)", str(path))
    return data


def compare(violations: Sequence[Violation], outcomes: list[RuleOutcome], previous: dict[str, Any],
            path: str) -> tuple[Sequence[Violation], BaselineOutcome]:
    """Mark each violation new or persisting; list previous ones gone from rules that ran this time."""
    before = {}
    for v in previous["violations"]:
        if isinstance(v, dict) and isinstance(v.get("key"), dict) and "rule_id" in v:
            before[violation_identity(v["rule_id"], v["key"])] = v
    still = {i for v in violations if (i := violation_identity(v.rule_id, v.key)) in before}

    def mark(v: Violation) -> Violation:
        persisting = violation_identity(v.rule_id, v.key) in still
        return dataclasses.replace(v, baseline="persisting" if persisting else "new")

    ran = {o.rule_id for o in outcomes if o.status in (RuleStatus.PASS, RuleStatus.FAIL)}
    outcome = BaselineOutcome(path=path, previous_as_of=(previous.get("run") or {}).get("as_of"))
    for ident, v in before.items():
        if ident not in still and v["rule_id"] in ran:
            outcome.resolved.append({"rule_id": v["rule_id"], "key": v["key"], "message": v.get("message"),
                                     "severity": v.get("severity")})
    outcome.resolved.sort(key=lambda r: (r["rule_id"], json.dumps(r["key"], sort_keys=True)))
    return remark(violations, mark), outcome
