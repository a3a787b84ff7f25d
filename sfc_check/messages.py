"""What a violation says: its message, rendered from the rule's `{name}` template, and its evidence fields."""
from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .scope import CompileError, Fn, Scope, constant

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def message_fn(template: str, scope: Scope) -> Callable[[list[Any]], str]:
    """Render `{name}` placeholders (fields, lookups, lets, parameters) with readable values."""
    parts: list[Callable[[list[Any]], str]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        literal = template[pos:m.start()]
        parts.append(constant(literal))
        name = m.group(1)
        if name in scope.names:
            found = scope.names[name]
            fn = found.read().fn
            if found.dataset and found.field:
                scope.shown.add((found.dataset, found.field))
        elif name in scope.params:
            v = scope.params[name]
            fn = constant(v)
        else:
            raise CompileError(f"message: unknown placeholder {{{name}}}", ("message",))
        parts.append(_formatted(fn))
        pos = m.end()
    tail = template[pos:]
    parts.append(lambda ctx: tail)
    return lambda ctx: "".join(p(ctx) for p in parts)


def _formatted(fn: Fn) -> Callable[[list[Any]], str]:
    """A message placeholder: the value as `format_value` words it."""
    return lambda ctx: format_value(fn(ctx))


def format_value(v: Any) -> str:
    """A value as a compliance officer reads it: exact decimals without noise, ISO dates, 'null'."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        q = v.quantize(Decimal("0.0001")) if v.as_tuple().exponent < -4 else v  # type: ignore[operator]
        text = format(q, ",f" if abs(q) >= 10000 else "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(v, list):
        return ", ".join(format_value(x) for x in v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def evidence_fns(scope: Scope, extra_fields: list[tuple[str, ...]]) -> list[tuple[str, Fn]]:
    """What a violation shows beside its message: the given fields, then every name the rule used."""
    names = [f for group in extra_fields for f in group] + list(scope.used)
    out = []
    for n in dict.fromkeys(names):
        if n in scope.names:
            out.append((n, scope.names[n].read().fn))
    return out
