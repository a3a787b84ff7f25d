"""Column-at-a-time forms of compiled values and conditions, used by the record passes.

Each value or condition the compiler builds for one row (`fn(ctx)`) may also carry a batch form
(`batch(b) -> list`, one entry per row of a `Batch`): a comparison becomes one list comprehension over a column
instead of a few Python calls per row. A rule whose every part has a batch form is judged a batch at a time;
any other rule (one using `exists:`) keeps the per-row closures. Both forms of each part are written side by
side, with the same null rules, and tests/test_differential.py holds the two to the same reference.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from itertools import compress
from operator import itemgetter, not_
from typing import Any

from .columns import column_of

BatchFn = Callable[["Batch"], list[Any]]


class Batch:
    """A run of consecutive rows of one dataset, the records its lookups found, and per-batch shared values."""

    __slots__ = ("rows", "n", "found", "positions", "_cache")

    def __init__(self, rows: list[tuple[Any, ...]], found: dict[int, list[Any]],
                 positions: dict[int, list[int]] | None = None) -> None:
        self.rows = rows
        self.n = len(rows)
        self.found = found            # lookup slot → the looked-up record (or None) per row
        self.positions = positions or {}  # lookup slot → each field's place in its table's kept records
        self._cache: dict[Hashable, list[Any]] = {}

    def column(self, slot: int, pos: int) -> list[Any]:
        """Field `pos` of the record (slot 0) or of a looked-up record (None where the lookup found nothing)."""
        key = (slot, pos)
        col = self._cache.get(key)
        if col is None:
            if slot == 0:  # rows typed a column at a time keep their columns: no second pass over the rows
                col = column_of(self.rows, pos)
            else:
                found = self.found[slot]
                place = self.positions.get(slot)
                if place is not None:
                    pos = place[pos]
                try:  # every lookup found its record: the usual case, at C speed
                    col = list(map(itemgetter(pos), found))
                except TypeError:
                    col = [r[pos] if r is not None else None for r in found]
            self._cache[key] = col
        return col

    def keys(self, positions: tuple[int, ...]) -> list[Any]:
        """Each row's key for a lookup or a table: the field itself for one position, a tuple for several."""
        if len(positions) == 1:
            return self.column(0, positions[0])
        return list(map(itemgetter(*positions), self.rows))

    def subset(self, indices: list[int]) -> Batch:
        """The rows at `indices` (in order) as a batch of their own, with what this one found and computed: a
        feeder that takes few of the rows computes its values for those alone."""
        sub = Batch([self.rows[i] for i in indices], {slot: [col[i] for i in indices]
                                                      for slot, col in self.found.items()}, self.positions)
        sub._cache = {key: [col[i] for i in indices] for key, col in self._cache.items()}
        return sub

    def shared(self, key: Hashable, compute: BatchFn) -> list[Any]:
        """A value computed once per batch for every rule that asks by the same key (lets, dates of times)."""
        col = self._cache.get(key)
        if col is None:
            col = self._cache[key] = compute(self)
        return col


def with_batch(fn: Any, batch: BatchFn | None) -> Any:
    """Attach the batch form to a per-row closure (conditions are plain closures, so it rides along)."""
    if batch is not None:
        fn.batch = batch
    return fn


def batch_of(fn: Any) -> BatchFn | None:
    return getattr(fn, "batch", None)


def field_column(slot: int, pos: int) -> BatchFn:
    return lambda b: b.column(slot, pos)


def constant_column(value: Any) -> BatchFn:
    return lambda b: [value] * b.n


def shared(key: Hashable, compute: BatchFn) -> BatchFn:
    return lambda b: b.shared(key, compute)


def mapped(col: BatchFn, fn: Callable[[Any], Any]) -> BatchFn:
    """fn applied to each non-null value; nulls stay null."""
    return lambda b: [fn(v) if v is not None else None for v in col(b)]


# comparisons with a non-null constant: null on the left is false, as in the per-row closures
CONSTANT_TESTS: dict[str, Callable[[list[Any], Any], list[Any]]] = {
    "eq": lambda col, c: [x == c for x in col],
    "ne": lambda col, c: [x is not None and x != c for x in col],
    "lt": lambda col, c: [x is not None and x < c for x in col],
    "le": lambda col, c: [x is not None and x <= c for x in col],
    "gt": lambda col, c: [x is not None and x > c for x in col],
    "ge": lambda col, c: [x is not None and x >= c for x in col],
}

PAIR_TESTS: dict[str, Callable[[list[Any], list[Any]], list[Any]]] = {
    "eq": lambda a, b: [x is not None and y is not None and x == y for x, y in zip(a, b)],
    "ne": lambda a, b: [x is not None and y is not None and x != y for x, y in zip(a, b)],
    "lt": lambda a, b: [x is not None and y is not None and x < y for x, y in zip(a, b)],
    "le": lambda a, b: [x is not None and y is not None and x <= y for x, y in zip(a, b)],
    "gt": lambda a, b: [x is not None and y is not None and x > y for x, y in zip(a, b)],
    "ge": lambda a, b: [x is not None and y is not None and x >= y for x, y in zip(a, b)],
}


def _folded(parts: list[BatchFn], pair: Callable[[list[Any], list[Any]], list[Any]]) -> BatchFn:
    def fold(b: Batch) -> list[Any]:
        acc = parts[0](b)
        for p in parts[1:]:
            acc = pair(acc, p(b))
        return acc
    return fold


def all_of(parts: list[BatchFn]) -> BatchFn:
    return _folded(parts, lambda a, b: [x and y for x, y in zip(a, b)])


def any_of(parts: list[BatchFn]) -> BatchFn:
    return _folded(parts, lambda a, b: [x or y for x, y in zip(a, b)])


def negation(inner: BatchFn) -> BatchFn:
    return lambda b: list(map(not_, inner(b)))


class BatchVerdict:
    """Which rows of a batch violate a rule, which fail a required lookup, how many are not applicable."""

    __slots__ = ("violations", "missing", "not_applicable")

    def __init__(self, violations: list[int], missing: list[tuple[int, Any]], not_applicable: int) -> None:
        self.violations, self.missing, self.not_applicable = violations, missing, not_applicable


def batch_verdict(missing: list[Any], applies: BatchFn | None, condition: BatchFn
                  ) -> Callable[[Batch], BatchVerdict]:
    """The batch form of compiler._verdict: missing lookups first (in order), then scope, then the condition."""
    def verdict(b: Batch) -> BatchVerdict:
        n = b.n
        alive: list[Any] | None = None      # rows still to judge; None means all of them
        misses: list[tuple[int, Any]] = []
        not_applicable = 0
        for m in missing:
            found = b.found[m.slot]
            absent = ([r is None for r in found] if alive is None
                      else [a and r is None for a, r in zip(alive, found)])
            hits = list(compress(range(n), absent))
            if hits:
                if m.violation:
                    misses.extend((i, m) for i in hits)
                else:
                    not_applicable += len(hits)
                alive = [not x for x in absent] if alive is None else [a and not x for a, x in zip(alive, absent)]
        if applies is not None:
            scope = applies(b)
            if alive is not None:
                scope = [a and s for a, s in zip(alive, scope)]
                not_applicable += sum(map(bool, alive)) - sum(map(bool, scope))
            else:
                not_applicable += n - sum(map(bool, scope))
            alive = scope
        result = condition(b)
        if alive is not None:
            result = [a and r for a, r in zip(alive, result)]
        return BatchVerdict(list(compress(range(n), result)), misses, not_applicable)
    return verdict
