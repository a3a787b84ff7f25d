"""The operators rules compose (values and conditions), each compiled once into a closure over row positions.

A compiled expression is `fn(ctx) -> value` where `ctx` is a list of rows: slot 0 the record being checked,
further slots the records its lookups found (None when missing). Nulls propagate: arithmetic on null is null,
and a comparison with a null operand is false, so rules spell out null checks (`is_null`, `is_not: true`).
"""
from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from .values import BadValue, parse_date, parse_decimal

Fn = Callable[[list[Any]], Any]
MAX_REGEX_LENGTH = 200
MAX_MATCH_INPUT = 10_000


class CompileError(Exception):
    """A rule that cannot be compiled; `where` is the path inside the rule document."""

    def __init__(self, message: str, where: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.where = where


@dataclass(frozen=True)
class Typed:
    """A compiled expression with what is known of its type (drives date and enum coercions)."""

    fn: Fn
    type: str = "any"              # string, decimal, integer, bool, date, datetime, enum, list, any
    enum_values: tuple[str, ...] = ()
    case: str | None = None
    constant: bool = False
    ref: tuple[int, int] | None = None   # (slot, position) when the value is a plain field read


@dataclass
class Name:
    """A name a rule may read: a field of the record, of a looked-up record, a let value or an aggregate."""

    typed: Typed
    dataset: str | None = None   # the canonical dataset the field belongs to (for "unavailable" fields)
    field: str | None = None


@dataclass
class Scope:
    """Names visible to expressions, plus the parameters; records which names a rule reads (its evidence)."""

    names: dict[str, Name]
    params: dict[str, Any]
    param_types: dict[str, str]
    as_of: date
    tz: tzinfo
    used: list[str] = field(default_factory=list)
    used_params: list[str] = field(default_factory=list)
    reads: set[tuple[str, str]] = field(default_factory=set)
    memo: Callable[[Any, Fn], Fn] | None = None  # shares a per-row value across rules of one pass
    extra_index: int | None = None  # where the record keeps columns the dictionary does not know

    def name(self, name: str, where: tuple[Any, ...]) -> Typed:
        found = self.names.get(name)
        if found is None and name.startswith("extra.") and self.extra_index is not None and len(name) > 6:
            found = self.names[name] = Name(_extra_column(self.extra_index, name[6:]))
        if found is None:
            raise CompileError(f"unknown field {name!r}{_suggest(name, self.names)}", where)
        if name not in self.used:
            self.used.append(name)
        if found.dataset and found.field:
            self.reads.add((found.dataset, found.field))
        return found.typed

    def param(self, name: str, where: tuple[Any, ...]) -> Typed:
        if name not in self.params:
            raise CompileError(f"parameter {name!r} is used but not declared under parameters"
                               f"{_suggest(name, self.params)}", where)
        if name not in self.used_params:
            self.used_params.append(name)
        value = self.params[name]
        kind = self.param_types.get(name, "any")
        return Typed(lambda ctx, v=value: v, kind, constant=True)


def _extra_column(index: int, column: str) -> Typed:
    """`{field: extra.COLUMN}`: a column of the export that the dictionary does not define, read as text."""
    def get(ctx: list[Any]) -> Any:
        extras = ctx[0][index]
        return extras.get(column) if extras else None
    return Typed(get, "string")


def _suggest(name: str, known: Any) -> str:
    import difflib
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------

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
        return Typed(lambda ctx, v=items: v, "list", constant=True)
    value = _literal(spec)
    kind = ("bool" if isinstance(value, bool) else "decimal" if isinstance(value, Decimal)
            else "string" if isinstance(value, str) else "any")
    return Typed(lambda ctx, v=value: v, kind, constant=True)


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
        if scope.memo is not None and t.ref is not None and t.ref[0] == 0:
            return Typed(scope.memo(("date", t.ref[1]), to_date), "date")
        return Typed(to_date, "date")
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
        return Typed(any_date, "date")
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
    a = as_date(compile_value(a_spec, scope, where + (0,)), scope, where + (0,)).fn
    b = as_date(compile_value(b_spec, scope, where + (1,)), scope, where + (1,)).fn

    def days(ctx: list[Any]) -> int | None:
        x, y = a(ctx), b(ctx)
        if x is None or y is None:
            return None
        return (y - x).days
    return Typed(days, "integer")


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
    return Typed(first, kinds.pop() if len(kinds) == 1 else "any")


def _arith(name: str, fn2: Callable[[Any, Any], Any]) -> Callable[[Any, Scope, tuple[Any, ...]], Typed]:
    def op(arg: Any, scope: Scope, where: tuple[Any, ...]) -> Typed:
        a_spec, b_spec = _pair(arg, where, name)
        a = compile_value(a_spec, scope, where + (0,))
        b = compile_value(b_spec, scope, where + (1,))
        for t, i in ((a, 0), (b, 1)):
            if t.type not in ("decimal", "integer", "any"):
                raise CompileError(f"{name}: expects numbers, got a {t.type}", where + (i,))
        af, bf = a.fn, b.fn

        def compute(ctx: list[Any]) -> Any:
            x, y = af(ctx), bf(ctx)
            if x is None or y is None:
                return None
            try:
                return fn2(x, y)
            except (ZeroDivisionError, DivisionByZero, InvalidOperation):
                return None
        return Typed(compute, "decimal")
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


# ---------------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------------

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "is_null", "not_null", "is", "is_not",
               "matches")
SUBJECTS = ("field", "value")

Cond = Callable[[list[Any]], bool]


def compile_condition(spec: Any, scope: Scope, where: tuple[Any, ...],
                      exists_hook: Callable[[Any, Scope, tuple[Any, ...]], Cond] | None = None) -> Cond:
    """Compile a condition: all / any / not / exists, or a subject (`field:` or `value:`) with one comparison."""
    if not isinstance(spec, dict):
        raise CompileError("a condition must be a mapping (all, any, not, exists, or field/value with an "
                           "operator)", where)
    if "all" in spec or "any" in spec:
        op = "all" if "all" in spec else "any"
        items = spec[op]
        if len(spec) != 1 or not isinstance(items, list) or not items:
            raise CompileError(f"{op}: expects a non-empty list of conditions and nothing beside it", where)
        parts = tuple(compile_condition(c, scope, where + (op, i), exists_hook) for i, c in enumerate(items))
        return _conjunction(parts) if op == "all" else _disjunction(parts)
    if "not" in spec:
        if len(spec) != 1:
            raise CompileError("not: stands alone in its mapping", where)
        inner = compile_condition(spec["not"], scope, where + ("not",), exists_hook)
        return lambda ctx: not inner(ctx)
    if "exists" in spec:
        if exists_hook is None:
            raise CompileError("exists: is not available here", where)
        return exists_hook(spec["exists"], scope, where + ("exists",))
    subjects = [k for k in SUBJECTS if k in spec]
    ops = [k for k in spec if k in COMPARISONS]
    unknown = [k for k in spec if k not in SUBJECTS and k not in COMPARISONS]
    if unknown:
        raise CompileError(f"unknown operator {unknown[0]!r}"
                           f"{_suggest(unknown[0], COMPARISONS + SUBJECTS + ('all', 'any', 'not', 'exists'))}",
                           where)
    if len(subjects) != 1 or len(ops) != 1:
        raise CompileError("a comparison needs exactly one subject (field: or value:) and one operator "
                           f"({', '.join(COMPARISONS)})", where)
    subject_key, op = subjects[0], ops[0]
    subject = (scope.name(spec["field"], where + ("field",)) if subject_key == "field"
               and isinstance(spec["field"], str) else compile_value(spec[subject_key], scope, where + (subject_key,)))
    return COMPARATORS[op](subject, spec[op], scope, where + (op,))


def _conjunction(parts: tuple[Cond, ...]) -> Cond:
    """`all` as nested closures: short-circuits like `and`, without a generator per row."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda ctx: a(ctx) and b(ctx)
    head, rest = parts[0], _conjunction(parts[1:])
    return lambda ctx: head(ctx) and rest(ctx)


def _disjunction(parts: tuple[Cond, ...]) -> Cond:
    """`any` as nested closures: short-circuits like `or`."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda ctx: a(ctx) or b(ctx)
    head, rest = parts[0], _disjunction(parts[1:])
    return lambda ctx: head(ctx) or rest(ctx)


def _normalise_constant(subject: Typed, other: Typed, where: tuple[Any, ...], scope: Scope) -> Typed:
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
    return Typed(lambda ctx, v=value: v, other.type, constant=True)


def _comparison(name: str, test: Callable[[Any, Any], bool]) -> Callable[..., Cond]:
    def build(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        other = _normalise_constant(subject, compile_value(arg, scope, where), where, scope)
        left, right = (as_date(subject, scope, where), other) if subject.type == "datetime" and \
            other.type == "date" else (subject, other)
        _check_comparable(name, left, right, where)
        lf, rf = left.fn, right.fn
        ranked = name in ("lt", "le", "gt", "ge") and subject.type == "enum"
        if right.constant and left.ref is not None and not ranked:
            const = rf([])
            if const is None:
                raise CompileError(f"{name}: compares with null; use is_null / not_null", where)
            return _fused_compare(left.ref, _OPS[name], const)
        if left.ref is not None and right.ref is not None and not ranked:
            return _fused_fields(left.ref, right.ref, _OPS[name])
        if name in ("lt", "le", "gt", "ge") and subject.type == "enum":
            rank = {v: i for i, v in enumerate(subject.enum_values)}
            base_l, base_r = lf, rf
            lf = lambda ctx: rank.get(base_l(ctx))  # noqa: E731 - ranks make "worse than" a comparison
            rf = lambda ctx: rank.get(base_r(ctx))  # noqa: E731
        if right.constant:
            const = rf([])
            if const is None:
                raise CompileError(f"{name}: compares with null; use is_null / not_null", where)

            def cmp_const(ctx: list[Any]) -> bool:
                x = lf(ctx)
                return x is not None and test(x, const)
            return cmp_const

        def cmp(ctx: list[Any]) -> bool:
            x, y = lf(ctx), rf(ctx)
            return x is not None and y is not None and test(x, y)
        return cmp
    build.__doc__ = f"`{name}` — true when both sides are non-null and the comparison holds."
    return build


_OPS = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
        "ge": operator.ge}


def _fused_compare(ref: tuple[int, int], test: Callable[[Any, Any], bool], const: Any) -> Cond:
    """A field read and a comparison with a constant in one closure: the per-row hot path."""
    slot, pos = ref
    if slot == 0:
        def main_field(ctx: list[Any]) -> bool:
            x = ctx[0][pos]
            return x is not None and test(x, const)
        return main_field

    def looked_up(ctx: list[Any]) -> bool:
        r = ctx[slot]
        if r is None:
            return False
        x = r[pos]
        return x is not None and test(x, const)
    return looked_up


def _fused_fields(a: tuple[int, int], b: tuple[int, int], test: Callable[[Any, Any], bool]) -> Cond:
    """Two field reads (of the record or looked-up records) and their comparison in one closure."""
    (sa, pa), (sb, pb) = a, b

    def fields(ctx: list[Any]) -> bool:
        ra, rb = ctx[sa], ctx[sb]
        if ra is None or rb is None:
            return False
        x, y = ra[pa], rb[pb]
        return x is not None and y is not None and test(x, y)
    return fields


_FAMILY = {"decimal": "number", "integer": "number", "string": "text", "enum": "text", "date": "date",
           "datetime": "datetime", "bool": "bool"}


def _check_comparable(name: str, left: Typed, right: Typed, where: tuple[Any, ...]) -> None:
    """Refuse at compile time what would fail or mislead per row (a date compared with a number…)."""
    a, b = _FAMILY.get(left.type), _FAMILY.get(right.type)
    if a and b and a != b:
        raise CompileError(f"{name}: cannot compare a {left.type} with a {right.type}", where)


def _membership(negate: bool) -> Callable[..., Cond]:
    def build(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        other = _normalise_constant(subject, compile_value(arg, scope, where), where, scope)
        lf, rf = subject.fn, other.fn
        if other.constant:
            members = frozenset(rf([]) if isinstance(rf([]), list) else [rf([])])
            if subject.ref is not None and subject.ref[0] == 0:
                pos = subject.ref[1]
                if negate:
                    return lambda ctx: (x := ctx[0][pos]) is not None and x not in members
                return lambda ctx: (x := ctx[0][pos]) is not None and x in members
            if negate:
                return lambda ctx: (x := lf(ctx)) is not None and x not in members
            return lambda ctx: (x := lf(ctx)) is not None and x in members

        def dyn(ctx: list[Any]) -> bool:
            x, ys = lf(ctx), rf(ctx)
            if x is None or ys is None:
                return False
            return (x not in ys) if negate else (x in ys)
        return dyn
    build.__doc__ = "`in` / `not_in` — membership in a list; a null subject is in no list and outside none."
    return build


def _is_null(negate: bool) -> Callable[..., Cond]:
    def build(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        if arg is not True:
            raise CompileError("is_null / not_null take the value true", where)
        fn = subject.fn
        if subject.ref is not None:
            slot, pos = subject.ref
            if negate:
                return lambda ctx: (r := ctx[slot]) is not None and r[pos] is not None
            return lambda ctx: (r := ctx[slot]) is None or r[pos] is None
        if negate:
            return lambda ctx: fn(ctx) is not None
        return lambda ctx: fn(ctx) is None
    build.__doc__ = "`is_null: true` / `not_null: true` — whether the value is empty."
    return build


def _is(negate: bool) -> Callable[..., Cond]:
    def build(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        other = _normalise_constant(subject, compile_value(arg, scope, where), where, scope)
        lf, rf = subject.fn, other.fn
        if other.constant and subject.ref is not None:
            (slot, pos), const = subject.ref, rf([])
            if negate:
                return lambda ctx: (None if (r := ctx[slot]) is None else r[pos]) != const
            return lambda ctx: (None if (r := ctx[slot]) is None else r[pos]) == const
        if negate:
            return lambda ctx: lf(ctx) != rf(ctx)
        return lambda ctx: lf(ctx) == rf(ctx)
    build.__doc__ = ("`is` / `is_not` — null-safe equality: `is_not: true` holds for false and for null "
                     "(\"is not true\").")
    return build


def _matches(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
    """`matches: pattern` — a bounded regular expression search on text (pattern ≤ 200 characters)."""
    if not isinstance(arg, str):
        raise CompileError("matches: expects a regular expression string", where)
    if len(arg) > MAX_REGEX_LENGTH:
        raise CompileError(f"matches: pattern longer than {MAX_REGEX_LENGTH} characters", where)
    if re.search(r"\([^)]*[+*][^)]*\)[+*{]", arg):
        raise CompileError("matches: nested repetition like (a+)+ can take exponential time; rewrite it", where)
    try:
        rx = re.compile(arg)
    except re.error as exc:
        raise CompileError(f"matches: the regular expression does not compile: {exc}", where) from None
    fn = subject.fn

    def search(ctx: list[Any]) -> bool:
        v = fn(ctx)
        return v is not None and rx.search(str(v)[:MAX_MATCH_INPUT]) is not None
    return search


COMPARATORS: dict[str, Callable[..., Cond]] = {
    "eq": _comparison("eq", lambda x, y: x == y),
    "ne": _comparison("ne", lambda x, y: x != y),
    "lt": _comparison("lt", lambda x, y: x < y),
    "le": _comparison("le", lambda x, y: x <= y),
    "gt": _comparison("gt", lambda x, y: x > y),
    "ge": _comparison("ge", lambda x, y: x >= y),
    "in": _membership(False),
    "not_in": _membership(True),
    "is_null": _is_null(False),
    "not_null": _is_null(True),
    "is": _is(False),
    "is_not": _is(True),
    "matches": _matches,
}
