"""Values rules compute: fields, parameters, dates, day counts, coalesce and arithmetic (scope.py has the names).

A compiled value is `fn(ctx) -> value` where `ctx` is a list of rows: slot 0 the record being checked, further
slots the records its lookups found (None when missing). Nulls propagate: arithmetic on null is null.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from .batch import mapped, shared
from .scope import CompileError, Scope, Typed, constant
from .values import BadValue, parse_date


def compile_value(spec: Any, scope: Scope, where: tuple[Any, ...]) -> Typed:
    """Compile a value: a literal, or a one-key mapping naming a value operator."""
    if isinstance(spec, dict):
        ops = [k for k in spec if k in VALUE_OPERATORS]
        if len(ops) != 1 or len(spec) != 1:
            raise CompileError(f"a value must be a literal or one of {sorted(VALUE_OPERATORS)}; got keys "
                               f"{sorted(spec)}", where)
        op = ops[0]
        return VALUE_OPERATORS[op](spec[op], scope, where + (op,))
    if isinstance(spec, list):
        items = [_literal(v) for v in spec]
        return Typed(constant(items), "list", constant=True)
    value = _literal(spec)
    kind = ("bool" if isinstance(value, bool) else "decimal" if isinstance(value, Decimal)
            else "string" if isinstance(value, str) else "any")
    return Typed(constant(value), kind, constant=True)


def _literal(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    raise CompileError(f"unsupported literal {v!r}")


def _op_field(arg: Any, scope: Scope, where: tuple[Any, ...]) -> Typed:
    """`{field: name}` — a field of the record, `alias.field` of a looked-up record, or a let/aggregate name."""
    if not isinstance(arg, str):
        raise CompileError("field: expects a field name", where)
    return scope.name(arg, where)


def _op_param(arg: Any, scope: Scope, where: tuple[Any, ...]) -> Typed:
    """`{param: name}` — the value of a declared parameter (after policy overrides)."""
    if not isinstance(arg, str):
        raise CompileError("param: expects a parameter name", where)
    return scope.param(arg, where)


def _op_as_of(arg: Any, scope: Scope, where: tuple[Any, ...]) -> Typed:
    """`{as_of: true}` — the audit date."""
    d = scope.as_of
    return Typed(lambda ctx: d, "date", constant=True)


def as_date(t: Typed, scope: Scope, where: tuple[Any, ...]) -> Typed:
    """A date from a date, a datetime (taken in the audit time zone) or a date literal."""
    if t.type == "date":
        return t
    if t.type == "datetime":
        fn, tz = t.fn, scope.tz

        def to_date(ctx: list[Any]) -> date | None:
            v = fn(ctx)
            return v.astimezone(tz).date() if v is not None else None
        col = t.column()
        dates = mapped(col, lambda v: v.astimezone(tz).date()) if col is not None else None
        if scope.memo is not None and t.ref is not None and t.ref[0] == 0:
            key = ("date", t.ref[1])
            return Typed(scope.memo(key, to_date), "date", batch=shared(key, dates) if dates else None)
        return Typed(to_date, "date", batch=dates)
    if t.constant and t.type == "string":
        try:
            d = parse_date(t.fn([]))
        except BadValue as exc:
            raise CompileError(f"{t.fn([])!r}: {exc}", where) from None
        return Typed(lambda ctx: d, "date", constant=True)
    if t.type == "any":
        fn, tz = t.fn, scope.tz

        def any_date(ctx: list[Any]) -> date | None:
            v = fn(ctx)
            if isinstance(v, datetime):
                return v.astimezone(tz).date()
            return v if isinstance(v, date) else None
        col = t.column()

        def any_dates(b: Any) -> list[Any]:
            assert col is not None
            return [v.astimezone(tz).date() if isinstance(v, datetime) else v if isinstance(v, date) else None
                    for v in col(b)]
        return Typed(any_date, "date", batch=any_dates if col is not None else None)
    raise CompileError(f"expected a date or date-time, got a {t.type}", where)


def _op_date(arg: Any, scope: Scope, where: tuple[Any, ...]) -> Typed:
    """`{date: value}` — the calendar date of a date-time in the audit time zone."""
    return as_date(compile_value(arg, scope, where), scope, where)


def _pair(arg: Any, where: tuple[Any, ...], op: str) -> tuple[Any, Any]:
    if not isinstance(arg, list) or len(arg) != 2:
        raise CompileError(f"{op}: expects a list of two values", where)
    return arg[0], arg[1]


def _op_days_between(arg: Any, scope: Scope, where: tuple[Any, ...]) -> Typed:
    """`{days_between: [a, b]}` — whole days from date a to date b (b − a); date-times are taken as dates."""
    a_spec, b_spec = _pair(arg, where, "days_between")
    at = as_date(compile_value(a_spec, scope, where + (0,)), scope, where + (0,))
    bt = as_date(compile_value(b_spec, scope, where + (1,)), scope, where + (1,))
    a, b = at.fn, bt.fn

    def days(ctx: list[Any]) -> int | None:
        x, y = a(ctx), b(ctx)
        if x is None or y is None:
            return None
        return (y - x).days
    ac, bc = at.column(), bt.column()

    def days_column(batch: Any) -> list[Any]:
        assert ac is not None and bc is not None
        return [(y - x).days if x is not None and y is not None else None for x, y in zip(ac(batch), bc(batch))]
    return Typed(days, "integer", batch=days_column if ac and bc else None)


def _op_coalesce(arg: Any, scope: Scope, where: tuple[Any, ...]) -> Typed:
    """`{coalesce: [a, b, …]}` — the first value that is not null."""
    if not isinstance(arg, list) or not arg:
        raise CompileError("coalesce: expects a list of values", where)
    parts = [compile_value(v, scope, where + (i,)) for i, v in enumerate(arg)]
    fns = [p.fn for p in parts]

    def first(ctx: list[Any]) -> Any:
        for f in fns:
            v = f(ctx)
            if v is not None:
                return v
        return None
    kinds = {p.type for p in parts}
    cols = [p.column() for p in parts]

    def first_column(b: Any) -> list[Any]:
        acc = cols[0](b)  # type: ignore[misc]
        for c in cols[1:]:
            acc = [x if x is not None else y for x, y in zip(acc, c(b))]  # type: ignore[misc]
        return acc
    return Typed(first, kinds.pop() if len(kinds) == 1 else "any",
                 batch=first_column if all(c is not None for c in cols) else None)


def _arith(name: str, fn2: Callable[[Any, Any], Any]) -> Callable[[Any, Scope, tuple[Any, ...]], Typed]:
    def op(arg: Any, scope: Scope, where: tuple[Any, ...]) -> Typed:
        a_spec, b_spec = _pair(arg, where, name)
        a = compile_value(a_spec, scope, where + (0,))
        b = compile_value(b_spec, scope, where + (1,))
        for t, i in ((a, 0), (b, 1)):
            if t.type not in ("decimal", "integer", "any"):
                raise CompileError(f"{name}: expects numbers, got a {t.type}", where + (i,))
        af, bf = a.fn, b.fn

        def safe(x: Any, y: Any) -> Any:
            if x is None or y is None:
                return None
            try:
                return fn2(x, y)
            except (ZeroDivisionError, DivisionByZero, InvalidOperation):
                return None

        def compute(ctx: list[Any]) -> Any:
            return safe(af(ctx), bf(ctx))
        ac, bc = a.column(), b.column()

        def compute_column(batch: Any) -> list[Any]:
            assert ac is not None and bc is not None
            return list(map(safe, ac(batch), bc(batch)))
        return Typed(compute, "decimal", batch=compute_column if ac and bc else None)
    op.__doc__ = f"`{{{name}: [a, b]}}` — arithmetic on exact decimals; null if either is null (or b is 0 for div)."
    return op


VALUE_OPERATORS: dict[str, Callable[[Any, Scope, tuple[Any, ...]], Typed]] = {
    "field": _op_field,
    "param": _op_param,
    "as_of": _op_as_of,
    "date": _op_date,
    "days_between": _op_days_between,
    "coalesce": _op_coalesce,
    "add": _arith("add", lambda x, y: x + y),
    "sub": _arith("sub", lambda x, y: x - y),
    "mul": _arith("mul", lambda x, y: x * y),
    "div": _arith("div", lambda x, y: Decimal(x) / Decimal(y)),
}


