"""The expression tree rules compile to: values and conditions as frozen nodes, each carrying its type.

Types: string, decimal, integer, bool, date, datetime, enum, list, any. Nodes know nothing of rows or SQL;
backends/sql.py turns a tree into SQL and language/evaluate.py computes a value tree in Python (messages and
evidence of violations, and the reference interpreter the tests hold the SQL backend to).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class Ref:
    """A name a rule reads. `source` says where it lives: "row" (the record), a lookup alias, an exists alias,
    "let", "agg" (a group's by-field or aggregate), "related:ALIAS" or "extra" (a column the dictionary lacks)."""

    source: str
    field: str
    type: str
    enum_values: tuple[str, ...] = ()
    case: str | None = None

    @property
    def name(self) -> str:
        """The name as rules and messages spell it."""
        if self.source in ("row", "let", "agg"):
            return self.field
        if self.source == "extra":
            return "extra." + self.field
        return f"{self.source.split(':', 1)[-1]}.{self.field}"


@dataclass(frozen=True)
class Const:
    """A literal or a parameter's value: Decimal, str, bool, date, a tuple (a list), or None."""

    value: Any
    type: str
    param: str | None = None  # the parameter it came from


@dataclass(frozen=True)
class ToDate:
    """The calendar date of a date-time in the audit time zone (a date passes through)."""

    arg: Value
    type: str = "date"


@dataclass(frozen=True)
class DaysBetween:
    """Whole days from date `start` to date `end` (end − start)."""

    start: Value
    end: Value
    type: str = "integer"


@dataclass(frozen=True)
class SecondsBetween:
    """Exact seconds from instant `start` to instant `end` (end − start), as a decimal with 6 places."""

    start: Value
    end: Value
    type: str = "decimal"


@dataclass(frozen=True)
class RelatedAggregate:
    """An aggregate over the records of `dataset` (named `alias` in `where` and `value`) joined on `on` (outer
    value, inner field): `count` of those meeting `where`, or the `min` / `max` of `value` among them."""

    kind: str
    dataset: str
    alias: str
    on: tuple[tuple[Value, str], ...]
    where: Cond | None
    value: Value | None
    type: str = "integer"


@dataclass(frozen=True)
class Coalesce:
    """The first non-null of `args`."""

    args: tuple[Value, ...]
    type: str = "any"


@dataclass(frozen=True)
class Arith:
    """Exact decimal arithmetic (add, sub, mul, div); null when an operand is null or on division by zero."""

    op: str
    left: Value
    right: Value
    type: str = "decimal"


Value = Union[Ref, Const, ToDate, DaysBetween, SecondsBetween, RelatedAggregate, Coalesce, Arith]


@dataclass(frozen=True)
class Logic:
    """`all` (op "and") or `any` (op "or") of conditions."""

    op: str
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    part: Cond


@dataclass(frozen=True)
class Compare:
    """eq ne lt le gt ge: false when either side is null. `ranks` orders an enum for lt/le/gt/ge."""

    op: str
    left: Value
    right: Value
    ranks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Member:
    """`in` / `not_in` a constant list or a list-valued value; a null subject is in no list and outside none."""

    negate: bool
    subject: Value
    items: Value


@dataclass(frozen=True)
class IsNull:
    negate: bool
    subject: Value


@dataclass(frozen=True)
class Same:
    """`is` / `is_not`: null-safe equality."""

    negate: bool
    left: Value
    right: Value


@dataclass(frozen=True)
class Matches:
    """A regular-expression search (RE2 syntax: linear time) over the value as text."""

    subject: Value
    pattern: str


@dataclass(frozen=True)
class Exists:
    """Some record of `dataset` (named `alias` inside `where`) joined on `on` (outer value, inner field)."""

    dataset: str
    alias: str
    on: tuple[tuple[Value, str], ...]
    where: Cond | None


Cond = Union[Logic, Not, Compare, Member, IsNull, Same, Matches, Exists]


def refs(node: Any) -> list[Ref]:
    """Every Ref in a tree, in the order met (outer records only: an Exists' inner alias is its own)."""
    out: list[Ref] = []

    def walk(n: Any) -> None:
        if isinstance(n, Ref):
            out.append(n)
        elif isinstance(n, (Exists, RelatedAggregate)):
            for value, _ in n.on:
                walk(value)
            inner = [n.where] + ([n.value] if isinstance(n, RelatedAggregate) and n.value is not None else [])
            for part in inner:
                if part is not None:
                    out.extend(r for r in refs(part) if r.source != n.alias)
        elif isinstance(n, tuple):
            for x in n:
                walk(x)
        elif hasattr(n, "__dataclass_fields__"):
            for name in n.__dataclass_fields__:
                walk(getattr(n, name))
    walk(node)
    return out
