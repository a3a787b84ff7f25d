"""What a violation says: its message, rendered from the rule's `{name}` template, and its evidence fields."""
from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from .scope import CompileError, Fn, Scope

_FOUR_PLACES = Decimal("0.0001")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def message_fn(template: str, scope: Scope) -> Callable[[list[Any]], str]:
    """Render `{name}` placeholders (fields, lookups, lets, parameters) with readable values: one str.format
    per message, parameters worded once, here (a rule may fire on every row of a large export)."""
    pattern: list[str] = []
    fns: list[Fn] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        pattern.append(_literal(template[pos:m.start()]))
        name = m.group(1)
        if name in scope.names:
            found = scope.names[name]
            fns.append(found.read().fn)
            if found.dataset and found.field:
                scope.shown.add((found.dataset, found.field))
            pattern.append("{}")
        elif name in scope.params:
            pattern.append(_literal(format_value(scope.params[name])))
        else:
            raise CompileError(f"message: unknown placeholder {{{name}}}", ("message",))
        pos = m.end()
    pattern.append(_literal(template[pos:]))
    fill = "".join(pattern).format
    return lambda ctx: fill(*[format_value(fn(ctx)) for fn in fns])


def _literal(text: str) -> str:
    """Text that str.format gives back as it is."""
    return text.replace("{", "{{").replace("}", "}}")


def format_value(v: Any) -> str:
    """A value as a compliance officer reads it: exact decimals without noise, ISO dates, 'null'."""
    if v.__class__ is str:
        return v
    if v.__class__ is int:
        return str(v)  # (not through hasattr below: a failed hasattr builds an AttributeError)
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        # at most 4 places; a value with fewer only gains zeros, which go below
        try:
            q = v.quantize(_FOUR_PLACES)
        except InvalidOperation:  # more digits than the context holds: shown as it is
            q = v
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
