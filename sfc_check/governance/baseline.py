"""Baselines: compare with a previous JSON report so a nightly run highlights only what is new."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..data.jsonstream import json_records
from ..data.textfiles import open_text
from ..errors import DataError
from ..findings import remark
from ..model import RuleOutcome, RuleStatus, Violation
from .waivers import violation_identity


@dataclass
class BaselineOutcome:
    path: str
    previous_as_of: str | None
    missing: bool = False
    resolved: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count_resolved(self) -> int:
        return len(self.resolved)


@dataclass
class Baseline:
    """What a previous report says about its violations: by identity, only what a resolved entry shows."""

    previous_as_of: str | None
    before: dict[Any, dict[str, Any]]
    missing: bool = False   # no previous report yet (the first night): every violation is new


def load_baseline(path: Path) -> Baseline:
    """Read a previous JSON report's violations one at a time (a nightly report can hold hundreds of
    thousands): each keeps its identity, message and severity, not its evidence."""
    display = str(path)
    kept: dict[str, Any] = {"run": None}
    before: dict[Any, dict[str, Any]] = {}
    try:
        text, _, _ = open_text(path, None)
        with text:
            for index, v in json_records(text, display, ("violations",), kept,
                                     "an sfc-check JSON report (an object with a 'violations' list)"):
                entry = _entry(v)
                if entry is None:
                    raise DataError(f"violation {index} is not an sfc-check violation: expected an object with a "
                                    "text 'rule_id' and a 'key' object of field values", display)
                before[violation_identity(entry["rule_id"], entry["key"])] = entry
    except FileNotFoundError:
        raise DataError("baseline report not found", display) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read baseline report: {exc}", display) from None
    run = kept["run"] if isinstance(kept["run"], dict) else {}
    return Baseline(previous_as_of=_text(run.get("as_of")), before=before)


def _entry(v: Any) -> dict[str, Any] | None:
    """What a resolved violation shows, or None for something no sfc-check report writes (a key value that is
    a list, say). Key values other than null become text, as identities compare them."""
    if not (isinstance(v, dict) and isinstance(v.get("rule_id"), str) and isinstance(v.get("key"), dict)):
        return None
    if not all(x is None or isinstance(x, (str, int, Decimal)) for x in v["key"].values()):
        return None
    return {"rule_id": v["rule_id"],
            "key": {k: x if x is None or isinstance(x, str) else str(x) for k, x in v["key"].items()},
            "message": _text(v.get("message")), "severity": _text(v.get("severity"))}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def compare(violations: Sequence[Violation], outcomes: list[RuleOutcome], baseline: Baseline,
            path: str) -> tuple[Sequence[Violation], BaselineOutcome]:
    """Mark each violation new or persisting; list previous ones gone from rules that ran this time."""
    before = baseline.before
    still = {i for v in violations if (i := violation_identity(v.rule_id, v.key)) in before}

    def mark(v: Violation) -> Violation:
        persisting = violation_identity(v.rule_id, v.key) in still
        return v._replace(baseline="persisting" if persisting else "new")

    ran = {o.rule_id for o in outcomes if o.status in (RuleStatus.PASS, RuleStatus.FAIL)}
    outcome = BaselineOutcome(path=path, previous_as_of=baseline.previous_as_of, missing=baseline.missing)
    for ident, v in before.items():
        if ident not in still and v["rule_id"] in ran:
            outcome.resolved.append(dict(v))
    outcome.resolved.sort(key=lambda r: (r["rule_id"], json.dumps(r["key"], sort_keys=True)))
    return remark(violations, mark), outcome
