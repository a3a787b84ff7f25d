"""Violations kept in report order, in sorted runs on disk once there are many (see sortedruns.py), counted
as they arrive; waivers and baselines mark them while they are read (`marked`), never as a copy. Values JSON
has no type for (decimals, dates, times, tuples) are tagged so they come back from disk as they went out.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import IO, Any

from .model import Severity, Violation
from .sortedruns import ReadInOrder, Runs, SortedRuns

Mark = Callable[[Violation], Violation]


class ViolationStore(SortedRuns[Violation]):
    """Violations in report order (`Violation.sort_key`, ties in the order they were added), wherever they
    are kept, with the counts the summary needs taken as they arrive."""

    def __init__(self, file: IO[bytes] | None = None) -> None:
        super().__init__(Violation.sort_key, _packed, _unpacked, "violations", file)
        self.per_rule: dict[str, int] = {}  # violations per rule id, counted as they arrive
        self.per_severity: dict[Severity, int] = {}

    def append(self, v: Violation) -> None:
        self.per_rule[v.rule_id] = self.per_rule.get(v.rule_id, 0) + 1
        self.per_severity[v.severity] = self.per_severity.get(v.severity, 0) + 1
        super().append(v)

    def marked(self, mark: Mark) -> MarkedViolations:
        """The same violations, each passed through `mark` when read (nothing is copied now)."""
        return MarkedViolations(self, (mark,))

    def adopt_store(self, file: IO[bytes], runs: Runs, per_rule: dict[str, int],
                    per_severity: dict[Severity, int]) -> None:
        """Take the violations another process's store left in `file` (its to_disk runs), with its counts."""
        self.adopt(file, runs, sum(per_rule.values()))
        for rule_id, n in per_rule.items():
            self.per_rule[rule_id] = self.per_rule.get(rule_id, 0) + n
        for severity, n in per_severity.items():
            self.per_severity[severity] = self.per_severity.get(severity, 0) + n


_SEVERITIES = {s.value: s for s in Severity}  # Severity(text) goes through Enum's Python-level call
_TAG = "\u0000"  # heads every list in a packed value: [_TAG, kind, body] (a list value is tagged "list")
_PLAIN = (str, int, bool, float, type(None))


def _packed(v: Violation) -> list[Any]:
    return [v.rule_id, v.severity.value, v.dataset, v.key_fields, _values(v.key_values), v.path, v.row, v.message,
            v.evidence_fields, _values(v.evidence_values), v.citation, v.waived, v.waiver, v.baseline]


def _unpacked(f: list[Any]) -> Violation:
    return Violation(f[0], _SEVERITIES[f[1]], f[2], tuple(f[3]), _restored(f[4]), f[5], f[6], f[7], tuple(f[8]),
                     _restored(f[9]), f[10], f[11], f[12], f[13])


def _values(values: tuple[Any, ...]) -> list[Any]:
    return [x if type(x) in _PLAIN else _tagged(x) for x in values]


def _restored(values: list[Any]) -> tuple[Any, ...]:
    return tuple(x if type(x) is not list else _untagged(x) for x in values)


def _tagged(value: Any) -> Any:
    """A value JSON can carry and `_untagged` restores exactly (type, digits, exponent, offset)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple:
        return [_TAG, "tuple", [_tagged(x) for x in value]]
    if kind is list:
        return [_TAG, "list", [_tagged(x) for x in value]]
    if kind is dict:
        return [_TAG, "dict", [[k, _tagged(x)] for k, x in value.items()]]
    if isinstance(value, Decimal):
        return [_TAG, "decimal", str(value)]
    if isinstance(value, datetime):
        return [_TAG, "datetime", value.isoformat()]
    if isinstance(value, date):
        return [_TAG, "date", value.isoformat()]
    if isinstance(value, Enum):
        return _tagged(value.value)
    raise TypeError(f"cannot keep a {kind.__name__} in a spilled violation")


def _untagged(value: list[Any]) -> Any:
    _, kind, body = value
    if kind == "tuple":
        return tuple(_untagged(x) if type(x) is list else x for x in body)
    if kind == "list":
        return [_untagged(x) if type(x) is list else x for x in body]
    if kind == "dict":
        return {k: _untagged(x) if type(x) is list else x for k, x in body}
    if kind == "decimal":
        return Decimal(body)
    if kind == "datetime":
        return datetime.fromisoformat(body)
    return date.fromisoformat(body)


class MarkedViolations(ReadInOrder[Violation]):
    """A store's violations, each passed through the marks (waiver, baseline) as it is read."""

    def __init__(self, store: ViolationStore, marks: tuple[Mark, ...]) -> None:
        self._store, self._marks = store, marks

    def __len__(self) -> int:
        return len(self._store)

    def __iter__(self) -> Iterator[Violation]:
        out: Iterator[Violation] = iter(self._store)
        for mark in self._marks:
            out = map(mark, out)
        return out

    def marked(self, mark: Mark) -> MarkedViolations:
        return MarkedViolations(self._store, self._marks + (mark,))


@dataclass(frozen=True)
class Tally:
    """What the summary and the exit code need, counted once: unwaived violations by severity (all of them,
    and those not persisting from a baseline), waived ones and new ones."""

    unwaived: dict[Severity, int]
    unwaived_not_persisting: dict[Severity, int]
    waived: int
    new: int


def tally(violations: Sequence[Violation]) -> Tally:
    """Counted as they arrived for an unmarked store (no read back from disk); otherwise in one pass."""
    if isinstance(violations, ViolationStore):  # nothing is waived or compared with a baseline yet
        return Tally(dict(violations.per_severity), dict(violations.per_severity), 0, 0)
    unwaived: dict[Severity, int] = {}
    fresh: dict[Severity, int] = {}
    waived = new = 0
    for v in violations:
        if v.waived:
            waived += 1
        else:
            unwaived[v.severity] = unwaived.get(v.severity, 0) + 1
            if v.baseline != "persisting":
                fresh[v.severity] = fresh.get(v.severity, 0) + 1
        new += v.baseline == "new"
    return Tally(unwaived, fresh, waived, new)


Sink = list[Violation] | ViolationStore  # where the engine's passes put what they find (a worker: a list)


def remark(violations: Sequence[Violation], mark: Mark) -> Sequence[Violation]:
    """Violations passed through `mark`: lazily for a store, as a new list otherwise."""
    if isinstance(violations, (ViolationStore, MarkedViolations)):
        return violations.marked(mark)
    return [mark(v) for v in violations]
