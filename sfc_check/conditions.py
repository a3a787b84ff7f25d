"""The conditions rules compose (logic, comparisons, membership, null tests, regex, exists), each compiled once
into a closure over row positions; comparisons with a null operand are false, so rules spell out null checks
(`is_null`, `is_not: true`)."""
from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from .batch import CONSTANT_TESTS, PAIR_TESTS, BatchFn, all_of, any_of, batch_of, negation, with_batch
from .expressions import CompileError, Scope, Typed, _suggest, as_date, compile_value, constant
from .values import BadValue, parse_decimal

MAX_REGEX_LENGTH = 200
MAX_MATCH_INPUT = 10_000

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
        columns = [batch_of(p) for p in parts]
        combined = _conjunction(parts) if op == "all" else _disjunction(parts)
        if len(parts) > 1 and all(c is not None for c in columns):
            combined = with_batch(combined, (all_of if op == "all" else any_of)(columns))  # type: ignore[arg-type]
        return combined
    if "not" in spec:
        if len(spec) != 1:
            raise CompileError("not: stands alone in its mapping", where)
        inner = compile_condition(spec["not"], scope, where + ("not",), exists_hook)
        inner_column = batch_of(inner)
        return with_batch(lambda ctx: not inner(ctx), negation(inner_column) if inner_column else None)
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
    return Typed(constant(value), other.type, constant=True)


def _comparison(name: str, test: Callable[[Any, Any], bool]) -> Callable[..., Cond]:
    def build(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        other = _normalise_constant(subject, compile_value(arg, scope, where), where, scope)
        left, right = (as_date(subject, scope, where), other) if subject.type == "datetime" and \
            other.type == "date" else (subject, other)
        _check_comparable(name, left, right, where)
        lf, rf = left.fn, right.fn
        ranked = name in ("lt", "le", "gt", "ge") and subject.type == "enum"
        lc, rc = left.column(), right.column()
        if right.constant and left.ref is not None and not ranked:
            const = rf([])
            if const is None:
                raise CompileError(f"{name}: compares with null; use is_null / not_null", where)
            return with_batch(_fused_compare(left.ref, _OPS[name], const), _against_constant(name, lc, const))
        if left.ref is not None and right.ref is not None and not ranked:
            return with_batch(_fused_fields(left.ref, right.ref, _OPS[name]), _against_column(name, lc, rc))
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
        lc, rc = subject.column(), other.column()
        if other.constant:
            members = frozenset(rf([]) if isinstance(rf([]), list) else [rf([])])
            column = None
            if lc is not None:
                column = ((lambda b: [x is not None and x not in members for x in lc(b)]) if negate
                          else (lambda b: [x is not None and x in members for x in lc(b)]))
            if subject.ref is not None and subject.ref[0] == 0:
                pos = subject.ref[1]
                if negate:
                    return with_batch(lambda ctx: (x := ctx[0][pos]) is not None and x not in members, column)
                return with_batch(lambda ctx: (x := ctx[0][pos]) is not None and x in members, column)
            if negate:
                return with_batch(lambda ctx: (x := lf(ctx)) is not None and x not in members, column)
            return with_batch(lambda ctx: (x := lf(ctx)) is not None and x in members, column)

        def dyn(ctx: list[Any]) -> bool:
            x, ys = lf(ctx), rf(ctx)
            if x is None or ys is None:
                return False
            return (x not in ys) if negate else (x in ys)

        def dyn_column(b: Any) -> list[Any]:
            assert lc is not None and rc is not None
            return [x is not None and ys is not None and ((x not in ys) if negate else (x in ys))
                    for x, ys in zip(lc(b), rc(b))]
        return with_batch(dyn, dyn_column if lc and rc else None)
    build.__doc__ = "`in` / `not_in` — membership in a list; a null subject is in no list and outside none."
    return build


def _is_null(negate: bool) -> Callable[..., Cond]:
    def build(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        if arg is not True:
            raise CompileError("is_null / not_null take the value true", where)
        fn, col = subject.fn, subject.column()
        column = None
        if col is not None:
            column = ((lambda b: [x is not None for x in col(b)]) if negate
                      else (lambda b: [x is None for x in col(b)]))
        if subject.ref is not None:
            slot, pos = subject.ref
            if negate:
                return with_batch(lambda ctx: (r := ctx[slot]) is not None and r[pos] is not None, column)
            return with_batch(lambda ctx: (r := ctx[slot]) is None or r[pos] is None, column)
        if negate:
            return with_batch(lambda ctx: fn(ctx) is not None, column)
        return with_batch(lambda ctx: fn(ctx) is None, column)
    build.__doc__ = "`is_null: true` / `not_null: true` — whether the value is empty."
    return build


def _is(negate: bool) -> Callable[..., Cond]:
    def build(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        other = _normalise_constant(subject, compile_value(arg, scope, where), where, scope)
        lf, rf = subject.fn, other.fn
        lc, rc = subject.column(), other.column()
        column = None
        if lc is not None and rc is not None:
            column = ((lambda b: [x != y for x, y in zip(lc(b), rc(b))]) if negate
                      else (lambda b: [x == y for x, y in zip(lc(b), rc(b))]))
        if other.constant and subject.ref is not None:
            (slot, pos), const = subject.ref, rf([])
            if negate:
                return with_batch(lambda ctx: (None if (r := ctx[slot]) is None else r[pos]) != const, column)
            return with_batch(lambda ctx: (None if (r := ctx[slot]) is None else r[pos]) == const, column)
        if negate:
            return with_batch(lambda ctx: lf(ctx) != rf(ctx), column)
        return with_batch(lambda ctx: lf(ctx) == rf(ctx), column)
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
    col = subject.column()

    def search_column(b: Any) -> list[Any]:
        assert col is not None
        return [v is not None and rx.search(str(v)[:MAX_MATCH_INPUT]) is not None for v in col(b)]
    return with_batch(search, search_column if col is not None else None)


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
