"""Values of the tree computed in Python over one record's names, with Python's exact decimals.

Backends decide which records break a rule; this module words the few that do (a `let` shown in a message is
computed here exactly as the rule says). Conditions are never judged here: only the engine judges.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from .expr import (
    Arith,
    Coalesce,
    Const,
    DaysBetween,
    Ref,
    RelatedAggregate,
    SecondsBetween,
    ToDate,
    Value,
)
from .messages import format_value
from .plan import Message

Names = Mapping[str, Any]

_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: Decimal(x) / Decimal(y),
}


def to_date(v: Any, tz: tzinfo) -> date | None:
    if isinstance(v, datetime):
        return v.astimezone(tz).date()
    return v if isinstance(v, date) else None


def value_of(node: Value, names: Names, tz: tzinfo) -> Any:
    """The value of `node` where `names` gives every Ref's value by its name."""
    if isinstance(node, Ref):
        return names.get(node.name)
    if isinstance(node, Const):
        return list(node.value) if isinstance(node.value, tuple) else node.value
    if isinstance(node, ToDate):
        return to_date(value_of(node.arg, names, tz), tz)
    if isinstance(node, DaysBetween):
        a, b = value_of(node.start, names, tz), value_of(node.end, names, tz)
        return (b - a).days if a is not None and b is not None else None
    if isinstance(node, SecondsBetween):
        a, b = value_of(node.start, names, tz), value_of(node.end, names, tz)
        if not isinstance(a, datetime) or not isinstance(b, datetime):
            return None
        delta = b - a
        return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)
    if isinstance(node, RelatedAggregate):
        raise LookupError("a related aggregate is computed by the engine, not from one record")
    if isinstance(node, Coalesce):
        for part in node.args:
            v = value_of(part, names, tz)
            if v is not None:
                return v
        return None
    if isinstance(node, Arith):
        x, y = value_of(node.left, names, tz), value_of(node.right, names, tz)
        if x is None or y is None:
            return None
        try:
            return _ARITH[node.op](x, y)
        except (ZeroDivisionError, DivisionByZero, InvalidOperation):
            return None
    raise TypeError(f"not a value: {node!r}")


def with_lets(names: dict[str, Any], lets: Iterable[tuple[str, Value]], tz: tzinfo) -> dict[str, Any]:
    """`names` plus each let's value, in order (a let may read an earlier one); a let the engine already gave
    (one that aggregates related records) is kept."""
    for name, node in lets:
        if name not in names:
            names[name] = value_of(node, names, tz)
    return names


def render(message: Message, names: Names) -> str:
    out = [message.texts[0]]
    for ref, text in zip(message.names, message.texts[1:]):
        out.append(format_value(names.get(ref.name)))
        out.append(text)
    return "".join(out)
