"""Violations held in sorted runs on disk once there are many, so a run's memory does not grow with them.

An export with a systemic breach can give hundreds of thousands of violations, each ~600 bytes as an object,
all kept until the report is written. The store keeps up to SPILL_AT of them in memory; past that it sorts
them and writes them, as JSON in small chunks, to a scratch file (see scratch.py). Reading merges the runs
back in report order, one chunk per run in memory at a time. Waivers and baselines mark violations while
they are read (`marked`), never as a copy. Values JSON has no type for (decimals, dates, times, tuples) are
tagged so they come back as they went out.
"""
from __future__ import annotations

import gc
import heapq
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from itertools import islice
from typing import IO, Any, overload

from .model import Severity, Violation
from .scratch import append, read_at, scratch_file

SPILL_AT = 1 << 15      # violations kept in memory before a sorted run goes to disk (~20 MB)
CHUNK = 256             # violations per chunk written: what one run holds in memory while being merged

Mark = Callable[[Violation], Violation]


class _ReadInOrder(Sequence[Violation]):
    """Positional reads by reading from the start: meant for the first few (the JSON writer's peek, a preview)."""

    @overload
    def __getitem__(self, i: int) -> Violation: ...

    @overload
    def __getitem__(self, i: slice) -> list[Violation]: ...

    def __getitem__(self, i: int | slice) -> Violation | list[Violation]:
        if isinstance(i, slice):
            if (i.start or 0) < 0 or (i.stop is not None and i.stop < 0) or (i.step or 1) < 1:
                return list(self)[i]
            return list(islice(self, i.start, i.stop, i.step))
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("violation index out of range")
        return next(islice(self, i, None))


class ViolationStore(_ReadInOrder):
    """Violations in report order (`Violation.sort_key`, ties in the order they were added), wherever they
    are kept. Appending after reading has started is allowed; the next read sees everything."""

    def __init__(self) -> None:
        self._recent: list[Violation] = []
        self._sorted = True
        self._runs: list[list[tuple[int, int]]] = []  # per run: (offset, length) of each chunk
        self._file: IO[bytes] | None = None
        self._size = 0
        self._count = 0
        self.per_rule: dict[str, int] = {}  # violations per rule id, counted as they arrive
        self.per_severity: dict[Severity, int] = {}

    def __len__(self) -> int:
        return self._count

    def append(self, v: Violation) -> None:
        self._recent.append(v)
        self._count += 1
        self.per_rule[v.rule_id] = self.per_rule.get(v.rule_id, 0) + 1
        self.per_severity[v.severity] = self.per_severity.get(v.severity, 0) + 1
        self._sorted = False
        if len(self._recent) >= SPILL_AT:
            self._spill()

    def extend(self, items: Iterable[Violation]) -> None:
        for v in items:
            self.append(v)

    def sort(self) -> None:
        """Kept for the list-like call sites: the store is always read in report order."""
        self._sort_recent()

    def marked(self, mark: Mark) -> MarkedViolations:
        """The same violations, each passed through `mark` when read (nothing is copied now)."""
        return MarkedViolations(self, (mark,))

    @property
    def spilled(self) -> int:
        """How many sorted runs went to disk (for tests and the benchmark notes)."""
        return len(self._runs)

    def __iter__(self) -> Iterator[Violation]:
        self._sort_recent()
        if self._runs:
            merged: Iterator[Violation] = heapq.merge(*(self._read_run(r) for r in self._runs), list(self._recent),
                                                      key=Violation.sort_key)
        else:
            merged = iter(list(self._recent))
        return merged

    def _sort_recent(self) -> None:
        if not self._sorted:
            self._recent.sort(key=Violation.sort_key)
            self._sorted = True

    def _spill(self) -> None:
        with _gc_paused():
            self._write_run()

    def _write_run(self) -> None:
        self._sort_recent()
        if self._file is None:
            self._file = scratch_file("violations")
        chunks = []
        for start in range(0, len(self._recent), CHUNK):
            data = json.dumps([_packed(v) for v in self._recent[start:start + CHUNK]],
                              ensure_ascii=False).encode("utf-8")
            append(self._file, data, "violations")
            chunks.append((self._size, len(data)))
            self._size += len(data)
        self._runs.append(chunks)
        self._recent = []

    def _read_run(self, chunks: list[tuple[int, int]]) -> Iterator[Violation]:
        assert self._file is not None
        for offset, length in chunks:
            with _gc_paused():
                chunk = [_unpacked(fields) for fields in json.loads(read_at(self._file, offset, length))]
            yield from chunk


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Violations hold no reference cycles; without the pause, each run of new objects that survive makes the
    cyclic collector rescan everything alive (json.loads of 90k violations: 0.9 s instead of 0.13 s)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


_TAG = "\u0000"  # heads every list in a packed value: [_TAG, kind, body] (a list value is tagged "list")
_PLAIN = (str, int, bool, float, type(None))


def _packed(v: Violation) -> list[Any]:
    return [v.rule_id, v.severity.value, v.dataset, v.key_fields, _values(v.key_values), v.path, v.row, v.message,
            v.evidence_fields, _values(v.evidence_values), v.citation, v.waived, v.waiver, v.baseline]


def _unpacked(f: list[Any]) -> Violation:
    return Violation(f[0], Severity(f[1]), f[2], tuple(f[3]), _restored(f[4]), f[5], f[6], f[7], tuple(f[8]),
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


class MarkedViolations(_ReadInOrder):
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
