"""Per-key totals of a group rule, held by column: each group is a number (its index) and each aggregate an array
of cells, so 100k client groups cost a dict entry and a few array cells each instead of a list and two
104-byte Decimals (the collateral pass, with a group per client, was the run's memory peak)."""
from __future__ import annotations

import operator
from array import array
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

BOUND = 2 ** 63  # an int64 cell holds -BOUND < n < BOUND
MOST_PLACES = 100  # decimal places a fixed-point cell may count; a value finer still goes to a Decimal
_QUANTA = [Decimal(1).scaleb(-p) for p in range(MOST_PLACES + 1)]  # 1, 0.1, 0.01, …: same_quantum tests
_TENS = [10 ** p for p in range(MOST_PLACES + 1)]
_SHIFTS = [Decimal(1).scaleb(p) for p in range(MOST_PLACES + 1)]  # 1E+p: v·1E+p keeps v's digits, exponent + p


def _zeros(n: int) -> array[int]:
    return array("q", bytes(8 * n))


class Count:
    """How many rows a group has (that meet the aggregate's where)."""

    zero = 0

    def __init__(self) -> None:
        self.cells = array("q")

    def clear(self) -> None:
        self.cells = array("q")

    def grow(self, n: int) -> None:
        self.cells.extend(_zeros(n))

    def add(self, g: int, value: Any) -> None:
        self.cells[g] += 1

    def add_many(self, groups: Iterable[int], values: Iterable[Any] | None) -> None:
        cells = self.cells
        for g in groups:
            cells[g] += 1

    def values(self, groups: list[int]) -> list[Any]:
        return list(map(self.cells.__getitem__, groups))


class Extreme:
    """The least (or greatest) non-null value a group has seen."""

    zero = None

    def __init__(self, kind: str) -> None:
        self.cells: list[Any] = []
        self.better = operator.lt if kind == "min" else operator.gt

    def clear(self) -> None:
        self.cells = []

    def grow(self, n: int) -> None:
        self.cells.extend([None] * n)

    def add(self, g: int, value: Any) -> None:
        if value is not None:
            current = self.cells[g]
            if current is None or self.better(value, current):
                self.cells[g] = value

    def add_many(self, groups: Iterable[int], values: Iterable[Any] | None) -> None:
        assert values is not None
        for g, value in zip(groups, values):
            self.add(g, value)

    def values(self, groups: list[int]) -> list[Any]:
        return list(map(self.cells.__getitem__, groups))


class Sum:
    """`Decimal(0) + v1 + v2 + …` exactly as Decimal arithmetic gives it, value and exponent (so its text) alike.

    While a group's sum fits in 18 digits it is held as a whole number of units of its last decimal place (an
    int64 cell) and that number of places (a byte): every step is then exact, as the Decimal sum is, and its
    exponent is the least exponent seen, as the Decimal sum's is. A group whose sum outgrows the cell, or that
    meets a value that is not a plain number, keeps a Decimal from then on (its places are -1), so the result is
    Decimal's own in every case."""

    zero = Decimal(0)

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.cells = array("q")
        self.places = array("b")
        self.decimals: dict[int, Any] = {}
        self.usual = 0  # the places values lately had: a new group's first value is tried against them

    def grow(self, n: int) -> None:
        self.cells.extend(_zeros(n))
        self.places.frombytes(bytes(n))

    def value(self, g: int) -> Any:
        p = self.places[g]
        return self.decimals[g] if p < 0 else Decimal(self.cells[g]) * _QUANTA[p]  # exact: the cell's digits

    def values(self, groups: list[int]) -> list[Any]:
        if self.decimals:
            return list(map(self.value, groups))
        cells, places, quanta, number = self.cells, self.places, _QUANTA, Decimal
        return [number(cells[g]) * quanta[places[g]] for g in groups]

    def add(self, g: int, value: Any) -> None:
        if value is None:
            return
        p = self.places[g]
        if p >= 0:
            fixed = _fixed_point_sum(self.cells[g], p, value)
            if fixed is not None:
                self.cells[g], self.places[g] = fixed
                self.usual = fixed[1]
                return
            self.decimals[g] = self.value(g)
            self.places[g] = -1
        self.decimals[g] += value

    def add_many(self, groups: Iterable[int], values: Iterable[Any] | None) -> None:
        """The common cases inline: a Decimal with as many places as the sum already has, or (a group's first
        value, say) with the places values lately had; the rest by `add`."""
        assert values is not None
        cells, places, quanta, shifts, decimal = self.cells, self.places, _QUANTA, _SHIFTS, Decimal
        for g, value in zip(groups, values):
            if value is None:
                continue
            p = places[g]
            if p >= 0 and type(value) is decimal:
                if value.same_quantum(quanta[p]):
                    total = cells[g] + int(value * shifts[p])  # the value's digits: it has p places
                    if -BOUND < total < BOUND:
                        cells[g] = total
                        continue
                elif p < (usual := self.usual) and value.same_quantum(quanta[usual]):
                    total = cells[g] * _TENS[usual - p] + int(value * shifts[usual])
                    if -BOUND < total < BOUND:
                        cells[g] = total
                        places[g] = usual
                        continue
            self.add(g, value)


def _fixed_point_sum(cell: int, places: int, value: Any) -> tuple[int, int] | None:
    """cell·10^-places + value as (cell, places), or None when that form cannot hold it exactly."""
    if type(value) is int:
        units = value * _TENS[places]
    elif type(value) is Decimal:
        if not value.is_finite():
            return None
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        if exponent < -places:  # finer than the sum so far: the sum takes the value's places
            if -exponent > MOST_PLACES:
                return None
            cell *= _TENS[-exponent - places]
            places = -exponent
        units = int(value * _SHIFTS[places])  # whole: the value has at most `places` places
    else:
        return None
    total = cell + units
    return (total, places) if -BOUND < total < BOUND else None


class Totals:
    """One dataset's aggregates of a group rule: key → group number, and one column per aggregate."""

    def __init__(self, kinds: Sequence[str]) -> None:
        self.index: dict[Any, int] = {}
        self.size = self.room = 0  # groups made; groups the columns have cells for
        self.columns = [Count() if k == "count" else Sum() if k == "sum" else Extreme(k) for k in kinds]

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, key: Any) -> bool:
        return key in self.index

    def group(self, key: Any) -> int:
        """The key's group number, a new group if the key is new."""
        g = self.index.get(key)
        if g is None:
            g = self.index[key] = self.size
            self.size += 1
            if g == self.room:  # cells are added a block at a time, not a call per column per group
                more = max(1024, self.room // 8)
                for column in self.columns:
                    column.grow(more)
                self.room += more
        return g

    def take_many(self, keys: list[Any]) -> list[list[Any]]:
        """Per aggregate, the values of these keys' groups (the kind's zero for a key without one); the keys
        are let go."""
        pop = self.index.pop
        groups = [pop(key, -1) for key in keys]
        if -1 not in groups:
            return [column.values(groups) for column in self.columns]
        present = [g for g in groups if g >= 0]
        out = []
        for column in self.columns:
            found = iter(column.values(present))
            out.append([next(found) if g >= 0 else column.zero for g in groups])
        return out

    def clear(self) -> None:
        """Let every group go (the feeders keep the same table and columns)."""
        self.index.clear()
        self.size = self.room = 0
        for column in self.columns:
            column.clear()
