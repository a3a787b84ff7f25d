"""Baselines: compare with a previous JSON report so a nightly run highlights only what is new."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..data.jsonstream import json_records
from ..data.textfiles import open_text
from ..errors import DataError
from ..findings import remark
from ..model import RuleOutcome, RuleStatus, Violation
from .identities import IdentityJoin, identity_text

REPORT = "an sfc-check JSON report (an object with a 'violations' list)"


@dataclass
class BaselineOutcome:
    path: str
    previous_as_of: str | None
    missing: bool = False
    resolved: Sequence[dict[str, Any]] = field(default_factory=list)  # on disk once many (SortedRuns)

    @property
    def count_resolved(self) -> int:
        return len(self.resolved)


@dataclass
class Baseline:
    """What a previous report says about its violations, by identity: only what a resolved entry shows, held
    in an embedded database (`IdentityJoin`) rather than in memory. None on the first night (no report yet)."""

    previous_as_of: str | None
    identities: IdentityJoin | None
    missing: bool = False   # no previous report yet (the first night): every violation is new


def load_baseline(path: Path, threads: int | None = None) -> Baseline:
    """Read a previous JSON report's violations one at a time (a nightly report can hold millions): each keeps
    its identity, message and severity, not its evidence."""
    kept: dict[str, Any] = {"run": None}
    identities = IdentityJoin(threads)
    try:
        _read_entries(path, kept, identities)
    except BaseException:
        identities.close()
        raise
    run = kept["run"] if isinstance(kept["run"], dict) else {}
    return Baseline(previous_as_of=_text(run.get("as_of")), identities=identities)


def _read_entries(path: Path, kept: dict[str, Any], identities: IdentityJoin) -> None:
    display = str(path)
    try:
        text, _, _ = open_text(path, None)
        with text:
            identities.add_previous(_entries(json_records(text, display, ("violations",), kept, REPORT), display),
                                    display)
    except FileNotFoundError:
        raise DataError("baseline report not found", display) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read baseline report: {exc}", display) from None


def _entries(records: Iterator[tuple[int, Any]], display: str) -> Iterator[dict[str, Any]]:
    for index, v in records:
        entry = _entry(v)
        if entry is None:
            raise DataError(f"violation {index} is not an sfc-check violation: expected an object with a "
                            "text 'rule_id' and a 'key' object of field values", display)
        yield entry


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
    """Mark each violation new or persisting; list previous ones gone from rules that ran this time. The join
    runs in the baseline's database; what comes back is a bit per violation and the resolved entries."""
    ran = {o.rule_id for o in outcomes if o.status in (RuleStatus.PASS, RuleStatus.FAIL)}
    outcome = BaselineOutcome(path=path, previous_as_of=baseline.previous_as_of, missing=baseline.missing)
    persisting = bytearray((len(violations) + 7) // 8)
    if baseline.identities is not None:
        try:
            persisting = baseline.identities.persisting(
                (identity_text(v.rule_id, v.key) for v in violations), len(violations), path)
            outcome.resolved = baseline.identities.resolved(ran, path)
        finally:
            baseline.identities.close()

    def mark(n: int, v: Violation) -> Violation:
        return v._replace(baseline="persisting" if persisting[n >> 3] >> (n & 7) & 1 else "new")

    return remark(violations, mark), outcome
