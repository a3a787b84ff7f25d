"""Rule file → RulePlan: names resolved against the data dictionary, types checked, constants brought to their
subject's form, evidence order fixed. Every error is a CompileError with the path inside the rule file."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..data.dictionary import DatasetSpec, load_dictionary
from ..data.values import BadValue, parse_date, parse_decimal
from ..errors import did_you_mean
from .expr import (
    Arith,
    Coalesce,
    Compare,
    Cond,
    Const,
    DaysBetween,
    Exists,
    IsNull,
    Logic,
    Matches,
    Member,
    Not,
    Ref,
    RelatedAggregate,
    Same,
    SecondsBetween,
    ToDate,
    Value,
)
from .messages import format_value
from .plan import Aggregate, Group, KeySource, Lookup, Message, Related, RulePlan

MAX_REGEX_LENGTH = 200
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "is_null", "not_null", "is", "is_not",
               "matches")
SUBJECTS = ("field", "value")
VALUE_OPERATORS = ("field", "param", "as_of", "date", "days_between", "seconds_between", "related", "coalesce", "add",
                   "sub", "mul", "div")
_FAMILY = {"decimal": "number", "integer": "number", "string": "text", "enum": "text", "date": "date",
           "datetime": "datetime", "bool": "bool"}
_PARAM_TYPE = {"decimal": "decimal", "integer": "integer", "list": "list", "string": "string", "date": "date",
               "bool": "bool"}

Where = tuple[Any, ...]


class CompileError(Exception):
    """A rule that cannot be compiled; `where` is the path inside the rule document."""

    def __init__(self, message: str, where: Where = ()) -> None:
        super().__init__(message)
        self.where = where


@dataclass
class Scope:
    """Names a part of a rule may read, and what it has read (its evidence, in first-use order)."""

    names: dict[str, Ref]
    params: dict[str, Any]
    param_types: dict[str, str]
    as_of: date
    lets: dict[str, Value] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)
    reads: set[tuple[str, str]] = field(default_factory=set)
    datasets: dict[str, str] = field(default_factory=dict)  # Ref source → dataset, for `reads`
    extra: bool = False  # whether `extra.COLUMN` names a column the dictionary lacks

    def name(self, name: str, where: Where) -> Ref:
        found = self.names.get(name)
        if found is None and self.extra and name.startswith("extra.") and len(name) > 6:
            found = self.names[name] = Ref("extra", name[6:], "string")
        if found is None:
            raise CompileError(f"unknown field {name!r}{did_you_mean(name, self.names)}", where)
        if name not in self.used:
            self.used.append(name)
        dataset = self.datasets.get(found.source)
        if dataset is not None:
            self.reads.add((dataset, found.field))
        return found

    def param(self, name: str, where: Where) -> Const:
        if name not in self.params:
            raise CompileError(f"parameter {name!r} is used but not declared under parameters"
                               f"{did_you_mean(name, self.params)}", where)
        value = self.params[name]
        kind = self.param_types.get(name, "any")
        return Const(tuple(value) if isinstance(value, list) else value, kind, param=name)


def dataset_spec(name: Any, where: Where) -> DatasetSpec:
    dictionary = load_dictionary()
    if not isinstance(name, str) or name not in dictionary:
        raise CompileError(f"unknown dataset {name!r}{did_you_mean(str(name), dictionary)}", where)
    return dictionary[name]


def field_refs(spec: DatasetSpec, source: str, prefix: str = "") -> dict[str, Ref]:
    return {prefix + f.name: Ref(source, f.name, f.type, f.values, f.case) for f in spec.fields}


# --- values --------------------------------------------------------------------------------------------------

def literal(v: Any, where: Where = ()) -> Const:
    if isinstance(v, bool):
        return Const(v, "bool")
    if v is None:
        return Const(None, "any")
    if isinstance(v, str):
        return Const(v, "string")
    if isinstance(v, (int, float)):
        return Const(Decimal(repr(v)) if isinstance(v, float) else Decimal(v), "decimal")
    raise CompileError(f"unsupported literal {v!r}", where)


def value(spec: Any, scope: Scope, where: Where) -> Value:
    """A literal, or a one-key mapping naming a value operator."""
    if isinstance(spec, dict):
        ops = [k for k in spec if k in VALUE_OPERATORS]
        if len(ops) != 1 or len(spec) != 1:
            raise CompileError(f"a value must be a literal or one of {sorted(VALUE_OPERATORS)}; got keys "
                               f"{sorted(spec)}", where)
        op = ops[0]
        return _operator(op, spec[op], scope, where + (op,))
    if isinstance(spec, list):
        return Const(tuple(literal(v, where).value for v in spec), "list")
    return literal(spec, where)


def _operator(op: str, arg: Any, scope: Scope, where: Where) -> Value:
    if op == "field":
        if not isinstance(arg, str):
            raise CompileError("field: expects a field name", where)
        return scope.name(arg, where)
    if op == "param":
        if not isinstance(arg, str):
            raise CompileError("param: expects a parameter name", where)
        return scope.param(arg, where)
    if op == "as_of":
        return Const(scope.as_of, "date")
    if op == "date":
        return as_date(value(arg, scope, where), where)
    if op == "days_between":
        a, b = _pair(arg, where, op)
        start = as_date(value(a, scope, where + (0,)), where + (0,))
        end = as_date(value(b, scope, where + (1,)), where + (1,))
        return DaysBetween(start, end)
    if op == "seconds_between":
        a, b = _pair(arg, where, op)
        start, end = value(a, scope, where + (0,)), value(b, scope, where + (1,))
        for t, i in ((start, 0), (end, 1)):
            if t.type not in ("datetime", "any"):
                raise CompileError(f"seconds_between: expects date-times, got a {t.type}", where + (i,))
        return SecondsBetween(start, end)
    if op == "related":
        return _related(arg, scope, where)
    if op == "coalesce":
        if not isinstance(arg, list) or not arg:
            raise CompileError("coalesce: expects a list of values", where)
        parts = tuple(value(v, scope, where + (i,)) for i, v in enumerate(arg))
        kinds = {p.type for p in parts}
        return Coalesce(parts, kinds.pop() if len(kinds) == 1 else "any")
    a, b = _pair(arg, where, op)
    left, right = value(a, scope, where + (0,)), value(b, scope, where + (1,))
    for t, i in ((left, 0), (right, 1)):
        if t.type not in ("decimal", "integer", "any"):
            raise CompileError(f"{op}: expects numbers, got a {t.type}", where + (i,))
    return Arith(op, left, right)


def _pair(arg: Any, where: Where, op: str) -> tuple[Any, Any]:
    if not isinstance(arg, list) or len(arg) != 2:
        raise CompileError(f"{op}: expects a list of two values", where)
    return arg[0], arg[1]


def as_date(t: Value, where: Where) -> Value:
    """A date from a date, a date-time (in the audit time zone) or a date literal."""
    if t.type == "date":
        return t
    if t.type in ("datetime", "any") and not isinstance(t, Const):
        return ToDate(t)
    if isinstance(t, Const) and isinstance(t.value, str):
        try:
            return Const(parse_date(t.value), "date")
        except BadValue as exc:
            raise CompileError(f"{t.value!r}: {exc}", where) from None
    raise CompileError(f"expected a date or date-time, got a {t.type}", where)


# --- conditions ----------------------------------------------------------------------------------------------

def condition(spec: Any, scope: Scope, where: Where, exists_ok: bool = True) -> Cond:
    if not isinstance(spec, dict):
        raise CompileError("a condition must be a mapping (all, any, not, exists, or field/value with an "
                           "operator)", where)
    if "all" in spec or "any" in spec:
        op = "all" if "all" in spec else "any"
        items = spec[op]
        if len(spec) != 1 or not isinstance(items, list) or not items:
            raise CompileError(f"{op}: expects a non-empty list of conditions and nothing beside it", where)
        parts = tuple(condition(c, scope, where + (op, i), exists_ok) for i, c in enumerate(items))
        return parts[0] if len(parts) == 1 else Logic("and" if op == "all" else "or", parts)
    if "not" in spec:
        if len(spec) != 1:
            raise CompileError("not: stands alone in its mapping", where)
        return Not(condition(spec["not"], scope, where + ("not",), exists_ok))
    if "exists" in spec:
        if not exists_ok:
            raise CompileError("exists: is not available here", where)
        return _exists(spec["exists"], scope, where + ("exists",))
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
    key, op = subjects[0], ops[0]
    subject = (scope.name(spec["field"], where + ("field",)) if key == "field" and isinstance(spec["field"], str)
               else value(spec[key], scope, where + (key,)))
    return _comparison(op, subject, spec[op], scope, where + (op,))


def _comparison(op: str, subject: Value, arg: Any, scope: Scope, where: Where) -> Cond:
    if op in ("is_null", "not_null"):
        if arg is not True:
            raise CompileError("is_null / not_null take the value true", where)
        return IsNull(op == "not_null", subject)
    if op == "matches":
        if not isinstance(arg, str):
            raise CompileError("matches: expects a regular expression string", where)
        if len(arg) > MAX_REGEX_LENGTH:
            raise CompileError(f"matches: pattern longer than {MAX_REGEX_LENGTH} characters", where)
        problem = regex_problem(arg)
        if problem:
            raise CompileError(f"matches: {problem}", where)
        return Matches(subject, arg)
    other = normalised(subject, value(arg, scope, where), where)
    if op in ("in", "not_in"):
        if not isinstance(other, Const):
            raise CompileError(f"{op}: expects a list or a list parameter", where)
        return Member(op == "not_in", subject, other)
    if op in ("is", "is_not"):
        return Same(op == "is_not", subject, other)
    left, right = subject, other
    if subject.type == "datetime" and other.type == "date":
        left = ToDate(subject)
    a, b = _FAMILY.get(left.type), _FAMILY.get(right.type)
    if a and b and a != b:
        raise CompileError(f"{op}: cannot compare a {left.type} with a {right.type}", where)
    if isinstance(right, Const) and right.value is None:
        raise CompileError(f"{op}: compares with null; use is_null / not_null", where)
    ranked = op in ("lt", "le", "gt", "ge") and subject.type == "enum"
    return Compare(op, left, right, getattr(subject, "enum_values", ()) if ranked else ())


def normalised(subject: Value, other: Value, where: Where) -> Value:
    """Bring a constant to the subject's form: case for enums and symbols, dates and numbers from text."""
    if not isinstance(other, Const):
        if subject.type == "date" and other.type == "datetime":
            return as_date(other, where)
        return other
    v = other.value
    if subject.type == "date" and isinstance(v, str):
        return as_date(other, where)
    if subject.type in ("decimal", "integer") and isinstance(v, str):
        try:
            return Const(parse_decimal(v), "decimal", other.param)
        except BadValue:
            raise CompileError(f"{v!r} is not a number", where) from None
    case = "lower" if subject.type == "enum" else getattr(subject, "case", None)
    enum_values: tuple[str, ...] = getattr(subject, "enum_values", ())

    def norm(x: Any) -> Any:
        if isinstance(x, str) and case == "lower":
            return x.lower()
        if isinstance(x, str) and case == "upper":
            return x.upper()
        return x
    items = v if isinstance(v, tuple) else (v,)
    items = tuple(norm(x) for x in items)
    if subject.type == "enum":
        bad = [x for x in items if isinstance(x, str) and x not in enum_values]
        if bad:
            raise CompileError(f"{bad[0]!r} is not one of {', '.join(enum_values)}", where)
    return Const(items if isinstance(v, tuple) else items[0], other.type, other.param)


def regex_problem(pattern: str) -> str | None:
    """Why a pattern is refused. The engine matches with RE2 (DuckDB's regexp_matches: linear time, whatever
    the pattern), but a rule must mean the same on every engine and some (Spark's Java regex) backtrack, so
    shapes that backtrack exponentially are refused, and so are constructs RE2 lacks (backreferences,
    lookaround, atomic groups) and patterns that do not compile."""
    if re.search(r"\\[1-9]|\(\?<?[=!]|\(\?>|(?<!\\)[*+?}]\+", pattern):
        return ("backreferences, lookaround, atomic groups and possessive quantifiers are not supported "
                "(the engine matches with RE2)")
    try:
        parsed = _sre_parse(pattern)
    except re.error as exc:
        return f"the regular expression does not compile: {exc}"
    if _backtracks(parsed, inside_repeat=False):
        return ("a repeated group that itself repeats or alternates, like (a+)+ or (a|a)*, can take "
                "exponential time on a backtracking engine; rewrite it")
    return None


def _sre_parse(pattern: str) -> Any:
    try:
        from re import _parser as sre  # type: ignore[attr-defined]  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse as sre
    return sre.parse(pattern)


_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


def _backtracks(items: Any, inside_repeat: bool) -> bool:
    """A repeat (upper bound > 1) inside a repeat, or an alternation inside one: the catastrophic shapes."""
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            low, high, body = arg
            unbounded = int(high) > 1 and int(high) != int(low)  # (a fixed count like {3} cannot backtrack)
            if inside_repeat and unbounded:
                return True
            if _backtracks(body, inside_repeat or unbounded):
                return True
        elif name == "SUBPATTERN":
            if _backtracks(arg[-1], inside_repeat):
                return True
        elif name == "BRANCH":
            if inside_repeat and len(arg[1]) > 1:
                return True
            if any(_backtracks(branch, inside_repeat) for branch in arg[1]):
                return True
    return False


def _exists(spec: Any, scope: Scope, where: Where) -> Exists:
    target, alias, outer, inner = _joined(spec, scope, where, "exists")
    cond = condition(spec["where"], inner, where + ("where",)) if "where" in spec else None
    # the inner record changes per candidate: its values are not evidence of the outer record
    scope.used[:] = [u for u in scope.used if not u.startswith(alias + ".")]
    return Exists(target.name, alias, outer, cond)


def _joined(spec: Any, scope: Scope, where: Where, what: str) -> tuple[Any, str, tuple[tuple[Value, str], ...], Scope]:
    """The target, alias, join pairs and inner scope of an `exists` or a `related` aggregate."""
    if not isinstance(spec, dict):
        raise CompileError(f"{what}: expects a mapping with dataset, as, on and where", where)
    target = dataset_spec(spec.get("dataset"), where + ("dataset",))
    alias = spec.get("as")
    on = spec.get("on")
    if not isinstance(alias, str) or not isinstance(on, dict) or not on:
        raise CompileError(f"{what}: needs as: (a name) and on: (outer field: inner field)", where)
    for f in on.values():
        if f not in target.by_name:
            raise CompileError(f"{what}: {target.name} has no field {f!r}", where + ("on",))
    outer = tuple((scope.name(local, where + ("on",)), remote) for local, remote in on.items())
    inner = Scope({**scope.names, **field_refs(target, alias, alias + ".")}, scope.params, scope.param_types,
                  scope.as_of, scope.lets, scope.used, scope.reads, {**scope.datasets, alias: target.name})
    for f in on.values():
        scope.reads.add((target.name, f))
    return target, alias, outer, inner


def _related(spec: Any, scope: Scope, where: Where) -> RelatedAggregate:
    target, alias, outer, inner = _joined(spec, scope, where, "related")
    cond = condition(spec["where"], inner, where + ("where",)) if "where" in spec else None
    kinds = [k for k in ("count", "min", "max") if k in spec]
    if len(kinds) != 1:
        raise CompileError("related: give one of count, min or max", where)
    kind = kinds[0]
    node = None if kind == "count" else value(spec[kind], inner, where + (kind,))
    scope.used[:] = [u for u in scope.used if not u.startswith(alias + ".")]
    return RelatedAggregate(kind, target.name, alias, outer, cond, node, "integer" if node is None else node.type)


# --- messages ------------------------------------------------------------------------------------------------

def message(template: str, scope: Scope, where: Where) -> Message:
    texts: list[str] = []
    names: list[Ref] = []
    pending = ""
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        pending += template[pos:m.start()]
        name = m.group(1)
        if name in scope.names:
            texts.append(pending)
            names.append(scope.names[name])
            pending = ""
        elif name in scope.params:
            pending += format_value(scope.params[name])
        elif scope.extra and name.startswith("extra.") and len(name) > 6:
            texts.append(pending)
            names.append(scope.names.setdefault(name, Ref("extra", name[6:], "string")))
            pending = ""
        else:
            raise CompileError(f"message: unknown placeholder {{{name}}}", where)
        pos = m.end()
    texts.append(pending + template[pos:])
    return Message(tuple(texts), tuple(names))


def _lets(doc: dict[str, Any], scope: Scope) -> tuple[tuple[str, Value], ...]:
    out = []
    for name, expr in (doc.get("let") or {}).items():
        if name in scope.names:
            raise CompileError(f"let {name!r} hides a field of the same name", ("let", name))
        v = value(expr, scope, ("let", name))
        scope.lets[name] = v
        scope.names[name] = Ref("let", name, v.type, getattr(v, "enum_values", ()), getattr(v, "case", None))
        out.append((name, v))
    return tuple(out)


def _evidence(scope: Scope, first: list[str]) -> tuple[Ref, ...]:
    return tuple(scope.names[n] for n in dict.fromkeys([*first, *scope.used]) if n in scope.names)


# --- rules ---------------------------------------------------------------------------------------------------

def build_plan(rule: Any, params: dict[str, Any], as_of: date) -> RulePlan:
    """The plan of one rule with its parameter values for this run; CompileError names the path in the file."""
    doc = rule.doc
    ptypes = {p.name: _PARAM_TYPE[p.type] for p in rule.parameters}
    spec = dataset_spec(rule.dataset, ("dataset",))
    if "group" in doc:
        return _group_plan(rule, doc, spec, params, ptypes, as_of)
    scope = Scope(field_refs(spec, "row"), params, ptypes, as_of,
                  datasets={"row": spec.name}, extra=True)
    lookups: list[tuple[str, DatasetSpec, tuple[tuple[str, str], ...], dict[str, Any]]] = []
    for alias, lk in (doc.get("lookups") or {}).items():
        target = dataset_spec(lk["dataset"], ("lookups", alias, "dataset"))
        local, remote = tuple(lk["on"].keys()), tuple(lk["on"].values())
        for f in local:
            if f not in spec.by_name:
                raise CompileError(f"lookup {alias}: {rule.dataset} has no field {f!r}", ("lookups", alias, "on"))
        if tuple(sorted(remote)) != tuple(sorted(target.key)):
            raise CompileError(f"lookup {alias}: must join on the key of {target.name} "
                               f"({', '.join(target.key)}); use exists: for a non-unique match",
                               ("lookups", alias, "on"))
        pairs = tuple((local[remote.index(k)], k) for k in target.key)
        scope.names.update(field_refs(target, alias, alias + "."))
        scope.datasets[alias] = target.name
        lookups.append((alias, target, pairs, lk))
    built = []
    for alias, target, pairs, lk in lookups:
        mode = lk.get("missing", "skip")
        text = None
        if mode == "violation":
            default = f"{alias} " + " ".join(f"{{{f}}}" for f, _ in pairs) + f" is missing from {target.name}"
            text = message(lk.get("missing_message") or default, scope, ("lookups", alias, "missing_message"))
        built.append(Lookup(alias, target.name, pairs, mode, text))
    lets = _lets(doc, scope)
    applies = condition(doc["applies_when"], scope, ("applies_when",)) if "applies_when" in doc else None
    cond = condition(doc["violation_when"], scope, ("violation_when",))
    msg = message(doc["message"], scope, ("message",))
    for k in rule.key:
        if k not in spec.by_name:
            raise CompileError(f"key field {k!r} is not a field of {rule.dataset}", ("key",))
    first = [f for lk in built if lk.missing != "null" for f, _ in lk.on]
    return RulePlan(rule.id, spec.name, "record", cond, msg, tuple(rule.key), _evidence(scope, first), lets,
                    applies, tuple(built), None, dict(params), frozenset(scope.reads))


def _aggregates(aggs: dict[str, Any], scope: Scope, where: Where) -> tuple[Aggregate, ...]:
    out = []
    for name, agg in aggs.items():
        kind = next(k for k in ("sum", "count", "min", "max") if k in agg)
        cond = condition(agg["where"], scope, where + (name, "where"), False) if "where" in agg else None
        if kind == "count":
            out.append(Aggregate(name, kind, None, cond, "integer"))
            continue
        v = value(agg[kind], scope, where + (name, kind))
        if kind == "sum" and v.type not in ("decimal", "integer", "any"):
            raise CompileError(f"sum: expects numbers, got a {v.type}", where + (name, kind))
        out.append(Aggregate(name, kind, v, cond, "decimal" if kind == "sum" else v.type))
    return tuple(out)


def _group_plan(rule: Any, doc: dict[str, Any], spec: DatasetSpec, params: dict[str, Any],
                ptypes: dict[str, str], as_of: date) -> RulePlan:
    g = doc["group"]
    by = tuple(g["by"])
    for f in by:
        if f not in spec.by_name:
            raise CompileError(f"group by: {rule.dataset} has no field {f!r}", ("group", "by"))
    rows = Scope(field_refs(spec, "row"), params, ptypes, as_of, datasets={"row": spec.name})
    where = condition(g["where"], rows, ("group", "where"), False) if "where" in g else None
    aggs = _aggregates(g["aggregates"], rows, ("group", "aggregates"))
    reads = set(rows.reads)
    names: dict[str, Ref] = {f: Ref("agg", f, spec.by_name[f].type, spec.by_name[f].values, spec.by_name[f].case)
                             for f in by}
    names.update({a.name: Ref("agg", a.name, a.type) for a in aggs})
    related = []
    for alias, rel in (g.get("related") or {}).items():
        rspec = dataset_spec(rel["dataset"], ("group", "related", alias, "dataset"))
        rscope = Scope(field_refs(rspec, "row"), params, ptypes, as_of, datasets={"row": rspec.name})
        mapping = rel["on"]
        if sorted(mapping.values()) != sorted(by):
            raise CompileError(f"related {alias}: on must map a {rspec.name} field to each group field "
                               f"({', '.join(by)})", ("group", "related", alias, "on"))
        inverse = {v: k for k, v in mapping.items()}
        for f in by:
            rscope.name(inverse[f], ("group", "related", alias, "on"))
        rwhere = (condition(rel["where"], rscope, ("group", "related", alias, "where"), False)
                  if "where" in rel else None)
        raggs = _aggregates(rel["aggregates"], rscope, ("group", "related", alias, "aggregates"))
        related.append(Related(alias, rspec.name, tuple((inverse[f], f) for f in by), rwhere, raggs))
        names.update({f"{alias}.{a.name}": Ref("related:" + alias, a.name, a.type) for a in raggs})
        reads |= rscope.reads
    also = []
    for i, source in enumerate(g.get("also") or []):
        where_in = ("group", "also", i)
        aspec = dataset_spec(source["dataset"], where_in + ("dataset",))
        ascope = Scope(field_refs(aspec, "row"), params, ptypes, as_of, datasets={"row": aspec.name})
        if sorted(source["on"].values()) != sorted(by):
            raise CompileError(f"also: on must map a {aspec.name} field to each group field ({', '.join(by)})",
                               where_in + ("on",))
        inverse = {v: k for k, v in source["on"].items()}
        for f in by:
            ascope.name(inverse[f], where_in + ("on",))
        awhere = condition(source["where"], ascope, where_in + ("where",), False) if "where" in source else None
        also.append(KeySource(aspec.name, tuple((inverse[f], f) for f in by), awhere))
        reads |= ascope.reads
    scope = Scope(names, params, ptypes, as_of)
    lets = _lets(doc, scope)
    applies = condition(doc["applies_when"], scope, ("applies_when",), False) if "applies_when" in doc else None
    cond = condition(doc["violation_when"], scope, ("violation_when",), False)
    msg = message(doc["message"], scope, ("message",))
    group = Group(by, where, aggs, tuple(related), tuple(also))
    return RulePlan(rule.id, spec.name, "group", cond, msg, by, _evidence(scope, list(by)), lets, applies, (),
                    group, dict(params), frozenset(reads))
