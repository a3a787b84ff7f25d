"""Violations as a run finds them, already in report order: kept in memory while few, then appended to an
anonymous scratch file as JSON batches and read back in the same order (nothing sorts here: the engine returns
each rule's violations sorted, and rules are judged in report order)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from itertools import count
from typing import Any, overload

from .model import Severity, Violation
from .scratch import append, scratch_file

IN_MEMORY = 4096  # violations held before they go to disk, a batch at a time

Mark = Callable[[int, Violation], Violation]  # a violation by its position in the run


class FindingLog(Sequence[Violation]):
    """An append-only sequence of violations; iterate it (indexing reads from the start)."""

    def __init__(self) -> None:
        self._pending: list[Violation] = []
        self._offsets: list[tuple[int, int]] = []  # (offset, length) of each batch on disk
        self._file: Any = None
        self._count = 0
        self.per_rule: dict[str, int] = {}
        self.per_severity: dict[Severity, int] = {}

    def append(self, v: Violation) -> None:
        self._pending.append(v)
        self._count += 1
        self.per_rule[v.rule_id] = self.per_rule.get(v.rule_id, 0) + 1
        self.per_severity[v.severity] = self.per_severity.get(v.severity, 0) + 1
        if len(self._pending) >= IN_MEMORY:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = scratch_file("violations")
        data = json.dumps([_packed(v) for v in self._pending], ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8", "surrogatepass")
        self._offsets.append((append(self._file, data, "violations"), len(data)))
        self._pending = []

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Violation]:
        for offset, length in self._offsets:
            self._file.seek(offset)
            for fields in json.loads(self._file.read(length).decode("utf-8", "surrogatepass")):
                yield _unpacked(fields)
        yield from list(self._pending)

    @overload
    def __getitem__(self, i: int) -> Violation: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Violation]: ...

    def __getitem__(self, i: int | slice) -> Violation | Sequence[Violation]:
        if isinstance(i, slice):
            return list(self)[i]
        if i < 0:
            i += self._count
        for n, v in enumerate(self):
            if n == i:
                return v
        raise IndexError(i)

    def marked(self, mark: Mark) -> MarkedFindings:
        return MarkedFindings(self, (mark,))


class MarkedFindings(Sequence[Violation]):
    """A log's violations, each passed through the marks (waiver, baseline) as it is read."""

    def __init__(self, log: FindingLog, marks: tuple[Mark, ...]) -> None:
        self._log, self._marks = log, marks

    def __len__(self) -> int:
        return len(self._log)

    def __iter__(self) -> Iterator[Violation]:
        out: Iterator[Violation] = iter(self._log)
        for mark in self._marks:
            out = map(mark, count(), out)
        return out

    @overload
    def __getitem__(self, i: int) -> Violation: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Violation]: ...

    def __getitem__(self, i: int | slice) -> Violation | Sequence[Violation]:
        items = list(self)
        return items[i]

    def marked(self, mark: Mark) -> MarkedFindings:
        return MarkedFindings(self._log, self._marks + (mark,))


class Tally:
    """What the summary and the exit code need, counted once: unwaived violations by severity (all of them,
    and those not persisting from a baseline), waived ones and new ones."""

    def __init__(self, unwaived: dict[Severity, int], unwaived_not_persisting: dict[Severity, int], waived: int,
                 new: int) -> None:
        self.unwaived, self.unwaived_not_persisting = unwaived, unwaived_not_persisting
        self.waived, self.new = waived, new


def tally(violations: Sequence[Violation]) -> Tally:
    """Counted as they arrived for an unmarked log (no read back from disk); otherwise in one pass."""
    if isinstance(violations, FindingLog):  # nothing is waived or compared with a baseline yet
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


def remark(violations: Sequence[Violation], mark: Mark) -> Sequence[Violation]:
    """Violations passed through `mark`: lazily for a log, as a new list otherwise."""
    if isinstance(violations, (FindingLog, MarkedFindings)):
        return violations.marked(mark)
    return [mark(n, v) for n, v in enumerate(violations)]


# --- a violation as JSON, restored exactly (type, digits, exponent, offset) -----------------------------------
_TAG = "\u0000sfc"  # marks a tagged value: no data value is a list starting with it
_PLAIN = (str, int, bool, float, type(None))
_SEVERITIES = {s.value: s for s in Severity}


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
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind in (tuple, list):
        return [_TAG, kind.__name__, [_tagged(x) for x in value]]
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
    raise TypeError(f"cannot keep a {kind.__name__} in a violation on disk")


def _untagged(value: list[Any]) -> Any:
    _, kind, body = value
    if kind in ("tuple", "list"):
        items = [_untagged(x) if type(x) is list else x for x in body]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: _untagged(x) if type(x) is list else x for k, x in body}
    if kind == "decimal":
        return Decimal(body)
    if kind == "datetime":
        return datetime.fromisoformat(body)
    return date.fromisoformat(body)
