"""Comparisons (eq, ne, lt, le, gt, ge) compiled once per rule: a constant brought to the subject's form (enum
case, exact decimals, dates), a check that the two sides can be compared at all, and, for a plain field against
a constant or another field, one fused closure per row and one list comprehension per batch. A null operand
makes a comparison false."""
from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .batch import CONSTANT_TESTS, PAIR_TESTS, BatchFn, with_batch
from .expressions import as_date, compile_value
from .scope import CompileError, Scope, Typed, constant
from .values import BadValue, parse_decimal

Cond = Callable[[list[Any]], bool]


def normalised_constant(subject: Typed, other: Typed, where: tuple[Any, ...], scope: Scope) -> Typed:
    """Bring a constant to the subject's form: case for enums and symbols, dates parsed from text."""
    if not other.constant:
        if subject.type == "date" and other.type == "datetime":
            return as_date(other, scope, where)
        return other
    value = other.fn([])
    if subject.type in ("date",) and isinstance(value, str):
        return as_date(other, scope, where)
    if subject.type in ("decimal", "integer") and isinstance(value, str):
        try:  # a quoted number keeps its exact decimal digits ("0.3", not the float 0.3)
            number = parse_decimal(value)
        except BadValue:
            raise CompileError(f"{value!r} is not a number", where) from None
        return Typed(lambda ctx: number, "decimal", constant=True)
    case = "lower" if subject.type == "enum" else subject.case

    def norm(v: Any) -> Any:
        if isinstance(v, str) and case == "lower":
            return v.lower()
        if isinstance(v, str) and case == "upper":
            return v.upper()
        return v
    if isinstance(value, list):
        value = [norm(v) for v in value]
        if subject.type == "enum":
            bad = [v for v in value if isinstance(v, str) and v not in subject.enum_values]
            if bad:
                raise CompileError(f"{bad[0]!r} is not one of {', '.join(subject.enum_values)}", where)
    else:
        value = norm(value)
        if subject.type == "enum" and isinstance(value, str) and value not in subject.enum_values:
            raise CompileError(f"{value!r} is not one of {', '.join(subject.enum_values)}", where)
    return Typed(constant(value), other.type, constant=True)


def comparison(name: str, test: Callable[[Any, Any], bool]) -> Callable[..., Cond]:
    def build(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        other = normalised_constant(subject, compile_value(arg, scope, where), where, scope)
        left, right = (as_date(subject, scope, where), other) if subject.type == "datetime" and \
            other.type == "date" else (subject, other)
        _check_comparable(name, left, right, where)
        lf, rf = left.fn, right.fn
        ranked = name in ("lt", "le", "gt", "ge") and subject.type == "enum"
        lc, rc = left.column(), right.column()
        if right.constant and left.own_field is not None and not ranked:
            const = rf([])
            if const is None:
                raise CompileError(f"{name}: compares with null; use is_null / not_null", where)
            return with_batch(_fused_compare(left.own_field, _OPS[name], const), _against_constant(name, lc, const))
        if left.own_field is not None and right.own_field is not None and not ranked:
            return with_batch(_fused_fields(left.own_field, right.own_field, _OPS[name]),
                              _against_column(name, lc, rc))
        if name in ("lt", "le", "gt", "ge") and subject.type == "enum":
            rank = {v: i for i, v in enumerate(subject.enum_values)}
            base_l, base_r = lf, rf
            lf = lambda ctx: rank.get(base_l(ctx))  # noqa: E731 - ranks make "worse than" a comparison
            rf = lambda ctx: rank.get(base_r(ctx))  # noqa: E731
            if lc is not None and rc is not None:
                base_lc, base_rc = lc, rc
                lc = lambda b: list(map(rank.get, base_lc(b)))  # noqa: E731
                rc = lambda b: list(map(rank.get, base_rc(b)))  # noqa: E731
        if right.constant:
            const = rf([])
            if const is None:
                raise CompileError(f"{name}: compares with null; use is_null / not_null", where)

            def cmp_const(ctx: list[Any]) -> bool:
                x = lf(ctx)
                return x is not None and test(x, const)
            return with_batch(cmp_const, _against_constant(name, lc, const))

        def cmp(ctx: list[Any]) -> bool:
            x, y = lf(ctx), rf(ctx)
            return x is not None and y is not None and test(x, y)
        return with_batch(cmp, _against_column(name, lc, rc))
    build.__doc__ = f"`{name}` — true when both sides are non-null and the comparison holds."
    return build


_OPS = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
        "ge": operator.ge}


def _against_constant(name: str, column: BatchFn | None, const: Any) -> BatchFn | None:
    """The batch form of `column <name> constant` (None when the column has no batch form)."""
    if column is None:
        return None
    test = CONSTANT_TESTS[name]
    return lambda b: test(column(b), const)


def _against_column(name: str, left: BatchFn | None, right: BatchFn | None) -> BatchFn | None:
    """The batch form of `left <name> right`, row by row (None unless both sides have a batch form)."""
    if left is None or right is None:
        return None
    test = PAIR_TESTS[name]
    return lambda b: test(left(b), right(b))


def _fused_compare(pos: int, test: Callable[[Any, Any], bool], const: Any) -> Cond:
    """A field of the record read and compared with a constant in one closure: the per-row hot path."""
    def main_field(ctx: list[Any]) -> bool:
        x = ctx[0][pos]
        return x is not None and test(x, const)
    return main_field


def _fused_fields(pa: int, pb: int, test: Callable[[Any, Any], bool]) -> Cond:
    """Two fields of the record read and compared in one closure."""
    def fields(ctx: list[Any]) -> bool:
        row = ctx[0]
        x, y = row[pa], row[pb]
        return x is not None and y is not None and test(x, y)
    return fields


_FAMILY = {"decimal": "number", "integer": "number", "string": "text", "enum": "text", "date": "date",
           "datetime": "datetime", "bool": "bool"}


def _check_comparable(name: str, left: Typed, right: Typed, where: tuple[Any, ...]) -> None:
    """Refuse at compile time what would fail or mislead per row (a date compared with a number…)."""
    a, b = _FAMILY.get(left.type), _FAMILY.get(right.type)
    if a and b and a != b:
        raise CompileError(f"{name}: cannot compare a {left.type} with a {right.type}", where)
