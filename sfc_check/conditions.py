"""The conditions rules compose (logic, comparisons (comparisons.py), membership, null tests, regex, exists),
each compiled once into a closure over row positions; comparisons with a null operand are false, so rules spell
out null checks (`is_null`, `is_not: true`)."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .batch import all_of, any_of, batch_of, negation, with_batch
from .comparisons import Cond, comparison, normalised_constant
from .errors import did_you_mean
from .expressions import compile_value
from .scope import CompileError, Scope, Typed

MAX_REGEX_LENGTH = 200
MAX_MATCH_INPUT = 10_000

# ---------------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------------

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "is_null", "not_null", "is", "is_not",
               "matches")
SUBJECTS = ("field", "value")


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
                           f"{did_you_mean(unknown[0], COMPARISONS + SUBJECTS + ('all', 'any', 'not', 'exists'))}",
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


def _membership(negate: bool) -> Callable[..., Cond]:
    def build(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        other = normalised_constant(subject, compile_value(arg, scope, where), where, scope)
        lf, rf = subject.fn, other.fn
        lc, rc = subject.column(), other.column()
        if other.constant:
            members = frozenset(rf([]) if isinstance(rf([]), list) else [rf([])])
            column = None
            if lc is not None:
                column = ((lambda b: [x is not None and x not in members for x in lc(b)]) if negate
                          else (lambda b: [x is not None and x in members for x in lc(b)]))
            if subject.own_field is not None:
                pos = subject.own_field
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
        if subject.own_field is not None:
            pos = subject.own_field
            if negate:
                return with_batch(lambda ctx: ctx[0][pos] is not None, column)
            return with_batch(lambda ctx: ctx[0][pos] is None, column)
        if negate:
            return with_batch(lambda ctx: fn(ctx) is not None, column)
        return with_batch(lambda ctx: fn(ctx) is None, column)
    build.__doc__ = "`is_null: true` / `not_null: true` — whether the value is empty."
    return build


def _is(negate: bool) -> Callable[..., Cond]:
    def build(subject: Typed, arg: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        other = normalised_constant(subject, compile_value(arg, scope, where), where, scope)
        lf, rf = subject.fn, other.fn
        lc, rc = subject.column(), other.column()
        column = None
        if lc is not None and rc is not None:
            column = ((lambda b: [x != y for x, y in zip(lc(b), rc(b))]) if negate
                      else (lambda b: [x == y for x, y in zip(lc(b), rc(b))]))
        if other.constant and subject.own_field is not None:
            pos, const = subject.own_field, rf([])
            if negate:
                return with_batch(lambda ctx: ctx[0][pos] != const, column)
            return with_batch(lambda ctx: ctx[0][pos] == const, column)
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
    "eq": comparison("eq", lambda x, y: x == y),
    "ne": comparison("ne", lambda x, y: x != y),
    "lt": comparison("lt", lambda x, y: x < y),
    "le": comparison("le", lambda x, y: x <= y),
    "gt": comparison("gt", lambda x, y: x > y),
    "ge": comparison("ge", lambda x, y: x >= y),
    "in": _membership(False),
    "not_in": _membership(True),
    "is_null": _is_null(False),
    "not_null": _is_null(True),
    "is": _is(False),
    "is_not": _is(True),
    "matches": _matches,
}
