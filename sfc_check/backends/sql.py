"""RulePlan → one SQL query per rule, built as sqlglot trees (never pasted strings), dialect-neutral where the
dialects differ only in spelling.

A rule's query returns one row per record (or group) that is not a pass: its verdict code, file, row and key,
plus the values its message and evidence show. The counts come from the same query's totals.

Exactness (docs/engine.md): numbers are DECIMAL(38, 10) on load; sums keep that scale; products add scales;
a division inside arithmetic is truncated at 10 decimal places; a comparison whose side is a division is
decided exactly, by cross-multiplication. A DECIMAL overflow stops the run with a clear error.
Conditions are built null-free (a comparison with a null is false, as the rule language says), so NOT and
CASE mean what the rule says under SQL's three-valued logic.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlglot import exp

from ..data.values import PLACES
from ..language.expr import (
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
    refs,
)
from ..language.plan import Aggregate, RulePlan

SCALE = PLACES            # decimal places numbers are loaded with (values.py refuses finer ones)
NUMBER = exp.DataType.build(f"DECIMAL(38, {SCALE})")
MAX_MATCH_INPUT = 10_000

PASS, VIOLATION, NOT_APPLICABLE, MISSING = 0, 1, 2, 3  # verdict codes; MISSING + i: lookup i found nothing
ROW_ALIAS = "r"
GROUPS_ALIAS = "g"


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(table: str, name: str) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table))


def table_name(dataset: str) -> str:
    return f"ds_{dataset}"


def exponent_column(name: str) -> str:
    """The decimal exponent of a number as its cell wrote it (`1.50` → -2): evidence shows the input's digits."""
    return f"{name}__e"


def constant(value: Any) -> exp.Expr:
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, Decimal):
        # the narrowest type that holds it: a comparison with a DECIMAL(38, 10) column then widens without loss
        # in every engine (Spark widens DECIMAL(38, 10) against DECIMAL(38, 0) by dropping the places)
        places = min(max(0, -int(value.as_tuple().exponent)), 37) if value.is_finite() else 0
        whole = max(1, value.adjusted() + 1) if value.is_finite() and value else 1
        text = format(value, "f")
        return exp.cast(exp.Literal.string(text), exp.DataType.build(f"DECIMAL({min(38, whole + places)}, {places})"))
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    return exp.Literal.string(str(value))


def _false_if_null(e: exp.Expr) -> exp.Expr:
    return exp.func("COALESCE", e, exp.false())


@dataclass(frozen=True)
class Shown:
    """A value a violation shows: its name and type, the SQL for it and for its exponent or offset."""

    name: str
    type: str
    sql: exp.Expr
    companion: exp.Expr | None = None


class RuleSql:
    """Compiles one plan; `tables` maps a dataset to the table its typed rows are in."""

    def __init__(self, plan: RulePlan, timezone: str, tables: dict[str, str] | None = None) -> None:
        self.plan = plan
        self.timezone = timezone
        self.tables = tables or {}
        self.lets = dict(plan.lets)
        self.sources: dict[str, str] = {"row": ROW_ALIAS, **{lk.alias: lk.alias for lk in plan.lookups}}
        self.aggregate_types = {a.name: a for a in (plan.group.aggregates if plan.group else ())}

    def table(self, dataset: str) -> exp.Table:
        return exp.Table(this=ident(self.tables.get(dataset, table_name(dataset))))

    # --- values ------------------------------------------------------------------------------------------
    def ref(self, r: Ref, suffix: str = "") -> exp.Expr:
        if r.source == "let":
            raise AssertionError("lets are inlined")
        if r.source == "extra":  # (a JSONPath node: each dialect spells the key its own way)
            path = exp.JSONPath(expressions=[exp.JSONPathRoot(), exp.JSONPathKey(this=r.field)])
            return exp.JSONExtractScalar(this=col(ROW_ALIAS, "__extra"), expression=path)
        if r.source == "agg":
            return col(GROUPS_ALIAS, r.field + suffix)
        if r.source.startswith("related:"):
            return col(GROUPS_ALIAS, f"{r.source[8:]}.{r.field}{suffix}")
        return col(self.sources.get(r.source, r.source), r.field + suffix)

    def value(self, node: Value) -> exp.Expr:
        if isinstance(node, Ref):
            if node.source == "let":
                return exp.paren(self.value(self.lets[node.field]))
            return self.ref(node)
        if isinstance(node, Const):
            if isinstance(node.value, tuple):
                raise AssertionError("a list is only a membership's right side")
            return constant(node.value)
        if isinstance(node, ToDate):
            arg = node.arg
            if isinstance(arg, Ref) and arg.type == "datetime" and arg.source not in ("let", "agg") \
                    and not arg.source.startswith("related:") and arg.source != "extra":
                return self.ref(arg, "__d")
            inner = self.value(arg)
            if arg.type == "date":
                return inner
            return exp.cast(exp.AtTimeZone(this=inner, zone=exp.Literal.string(self.timezone)),
                            exp.DataType.build("DATE"))
        if isinstance(node, DaysBetween):
            return exp.DateDiff(this=self.value(node.end), expression=self.value(node.start), unit=exp.var("DAY"))
        if isinstance(node, SecondsBetween):
            # (UnixMicros is EPOCH_US in DuckDB and UNIX_MICROS in Spark: the tree stays dialect-neutral)
            micros = exp.Sub(this=exp.UnixMicros(this=self.value(node.end)),
                             expression=exp.UnixMicros(this=self.value(node.start)))
            return exp.paren(exp.Mul(this=exp.cast(exp.paren(micros), "DECIMAL(38, 0)"),
                                     expression=constant(Decimal("0.000001"))))
        if isinstance(node, RelatedAggregate):
            return exp.paren(self.related(node, self._related_value(node)))
        if isinstance(node, Coalesce):
            return exp.func("COALESCE", *[self.value(a) for a in node.args])
        if isinstance(node, Arith):
            a, b = self.value(node.left), self.value(node.right)
            if node.op == "div":
                return self.divide(a, b)
            cls = {"add": exp.Add, "sub": exp.Sub, "mul": exp.Mul}[node.op]
            return exp.paren(cls(this=a, expression=b))
        raise AssertionError(f"not a value: {node!r}")

    def divide(self, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        """a / b truncated at SCALE places, in exact integer arithmetic (SQL engines divide decimals in
        floating point); null when b is zero."""
        unit = exp.Literal.number(10 ** SCALE)

        def whole(e: exp.Expr) -> exp.Expr:
            scaled = exp.Mul(this=exp.cast(e, NUMBER), expression=unit)
            return exp.cast(scaled, exp.DataType.build("HUGEINT"))
        quotient = exp.IntDiv(this=exp.Mul(this=whole(a), expression=unit),
                              expression=exp.func("NULLIF", whole(b), exp.Literal.number(0)))
        return exp.paren(exp.Mul(this=exp.cast(quotient, exp.DataType.build("DECIMAL(38, 0)")),
                                 expression=constant(Decimal(1).scaleb(-SCALE))))

    def _has_places(self, r: Ref) -> bool:
        """Whether a decimal name carries its exponent (fields and sums do; a group's by-field does not)."""
        if r.source == "extra":
            return False
        if r.source == "agg":
            a = self.aggregate_types.get(r.field)
            return a is not None and _has_exponent(a)
        if r.source.startswith("related:"):
            assert self.plan.group is not None
            rel = next(x for x in self.plan.group.related if x.alias == r.source[8:])
            return any(a.name == r.field and _has_exponent(a) for a in rel.aggregates)
        return True

    def exponent(self, node: Value) -> exp.Expr:
        """The exponent Python's Decimal arithmetic gives `node` (so its text shows the same places)."""
        if isinstance(node, Ref):
            if node.source == "let":
                return self.exponent(self.lets[node.field])
            if node.type == "decimal" and self._has_places(node):
                return self.ref(node, "__e")
            return exp.Literal.number(0)
        if isinstance(node, Const):
            v = node.value
            return exp.Literal.number(int(v.as_tuple().exponent) if isinstance(v, Decimal) else 0)
        if isinstance(node, Arith):
            ea, eb = self.exponent(node.left), self.exponent(node.right)
            if node.op in ("add", "sub"):
                return exp.func("LEAST", ea, eb)
            if node.op == "mul":
                return exp.paren(exp.Add(this=ea, expression=eb))
            shortest = exp.Neg(this=exp.Length(this=exp.func(
                "RTRIM", exp.func("SPLIT_PART", exp.cast(self.value(node), exp.DataType.build("VARCHAR")),
                                  exp.Literal.string("."), exp.Literal.number(2)), exp.Literal.string("0"))))
            return exp.func("LEAST", exp.Sub(this=ea, expression=eb), shortest)
        if isinstance(node, Coalesce):
            return exp.func("COALESCE", *[exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(
                this=self.value(a), expression=exp.null())), true=self.exponent(a))]) for a in node.args])
        if isinstance(node, SecondsBetween):
            return exp.Literal.number(-6)
        if isinstance(node, RelatedAggregate) and node.value is not None and node.type == "decimal":
            inner = self._inner(node.alias)
            return exp.paren(self.related(node, places_of_extreme(node.kind, inner.exponent(node.value),
                                                                  inner.value(node.value))))
        return exp.Literal.number(0)

    # --- conditions --------------------------------------------------------------------------------------
    def cond(self, node: Cond) -> exp.Expr:
        if isinstance(node, Logic):
            parts = [self.cond(p) for p in node.parts]
            return exp.paren(exp.and_(*parts) if node.op == "and" else exp.or_(*parts))
        if isinstance(node, Not):
            return exp.Not(this=exp.paren(self.cond(node.part)))
        if isinstance(node, IsNull):
            test = exp.Is(this=self.value(node.subject), expression=exp.null())
            return exp.Not(this=test) if node.negate else test
        if isinstance(node, Same):
            same = exp.NullSafeEQ(this=self.value(node.left), expression=self.value(node.right))
            return exp.Not(this=exp.paren(same)) if node.negate else same
        if isinstance(node, Member):
            return self.member(node)
        if isinstance(node, Matches):
            text = exp.Substring(this=exp.cast(self.value(node.subject), exp.DataType.build("VARCHAR")),
                                 start=exp.Literal.number(1), length=exp.Literal.number(MAX_MATCH_INPUT))
            return _false_if_null(exp.RegexpLike(this=text, expression=exp.Literal.string(node.pattern)))
        if isinstance(node, Exists):
            return self.exists(node)
        assert isinstance(node, Compare)
        return self.compare(node)

    def member(self, node: Member) -> exp.Expr:
        subject = self.value(node.subject)
        items = node.items.value if isinstance(node.items, Const) else None
        members = list(items) if isinstance(items, tuple) else [items]
        members = [m for m in members if m is not None]
        if not members:
            return exp.Not(this=exp.Is(this=subject, expression=exp.null())) if node.negate else exp.false()
        test = exp.In(this=subject, expressions=[constant(m) for m in members])
        return _false_if_null(exp.Not(this=test) if node.negate else test)

    def compare(self, node: Compare) -> exp.Expr:
        cls = {"eq": exp.EQ, "ne": exp.NEQ, "lt": exp.LT, "le": exp.LTE, "gt": exp.GT, "ge": exp.GTE}[node.op]
        left, right = self._unlet(node.left), self._unlet(node.right)
        if node.ranks:
            return _false_if_null(cls(this=self.rank(left, node.ranks), expression=self.rank(right, node.ranks)))
        if _is_division(left) or _is_division(right):
            return self.compare_fractions(cls, left, right)
        return _false_if_null(cls(this=self.value(left), expression=self.value(right)))

    def _unlet(self, node: Value) -> Value:
        while isinstance(node, Ref) and node.source == "let":
            node = self.lets[node.field]
        return node

    def rank(self, node: Value, ranks: tuple[str, ...]) -> exp.Expr:
        if isinstance(node, Const):
            return exp.Literal.number(ranks.index(node.value)) if node.value in ranks else exp.null()
        return exp.Case(this=self.value(node), ifs=[exp.If(this=exp.Literal.string(v), true=exp.Literal.number(i))
                                                     for i, v in enumerate(ranks)])

    def compare_fractions(self, cls: type[exp.Expr], left: Value, right: Value) -> exp.Expr:
        """n1/d1 OP n2/d2 decided exactly: sign((n1·d2 − n2·d1)·sign(d1)·sign(d2)) OP 0; false when a d is 0."""
        (n1, d1), (n2, d2) = self.fraction(left), self.fraction(right)
        diff = exp.Sub(this=exp.paren(exp.Mul(this=n1, expression=d2)),
                       expression=exp.paren(exp.Mul(this=n2, expression=d1)))
        signed = exp.Mul(this=exp.paren(diff), expression=exp.Mul(this=exp.func("SIGN", d1),
                                                                    expression=exp.func("SIGN", d2)))
        nonzero = exp.and_(exp.NEQ(this=d1, expression=exp.Literal.number(0)),
                           exp.NEQ(this=d2, expression=exp.Literal.number(0)))
        return _false_if_null(exp.and_(nonzero, cls(this=exp.paren(signed), expression=exp.Literal.number(0))))

    def fraction(self, node: Value) -> tuple[exp.Expr, exp.Expr]:
        if _is_division(node):
            assert isinstance(node, Arith)
            return exp.paren(self.value(node.left)), exp.paren(self.value(node.right))
        return exp.paren(self.value(node)), exp.Literal.number(1)

    def _inner(self, alias: str) -> RuleSql:
        inner = RuleSql(self.plan, self.timezone, self.tables)
        inner.lets, inner.sources = self.lets, {**self.sources, alias: alias}
        return inner

    def _related_value(self, node: RelatedAggregate) -> exp.Expr:
        if node.kind == "count":
            return exp.Count(this=exp.Star())
        assert node.value is not None
        agg = exp.Min if node.kind == "min" else exp.Max
        return agg(this=self._inner(node.alias).value(node.value))

    def related(self, node: RelatedAggregate, aggregate: exp.Expr) -> exp.Select:
        """A scalar subquery over the joined records of another dataset."""
        inner = self._inner(node.alias)
        where: list[exp.Expr] = [exp.EQ(this=self.value(outer), expression=col(node.alias, field))
                                 for outer, field in node.on]
        if node.where is not None:
            where.append(inner.cond(node.where))
        return exp.select(aggregate, copy=False).from_(
            exp.alias_(self.table(node.dataset), node.alias, table=True), copy=False).where(exp.and_(*where),
                                                                                           copy=False)

    def exists(self, node: Exists) -> exp.Expr:
        inner = self._inner(node.alias)
        where: list[exp.Expr] = [exp.EQ(this=self.value(outer), expression=col(node.alias, field))
                                 for outer, field in node.on]
        if node.where is not None:
            where.append(inner.cond(node.where))
        query = exp.select(exp.Literal.number(1), copy=False).from_(
            exp.alias_(self.table(node.dataset), node.alias, table=True), copy=False).where(exp.and_(*where), copy=False)
        return exp.Exists(this=query)

    # --- whole queries -----------------------------------------------------------------------------------
    def shown(self) -> list[Shown]:
        """The values a violation's message and evidence need, lets resolved to what they read."""
        plan = self.plan
        wanted: list[Ref] = [*plan.evidence, *plan.message.names]
        for lk in plan.lookups:
            if lk.missing_message is not None:
                wanted += lk.missing_message.names
        out: dict[str, Shown] = {}
        todo = list(wanted)
        while todo:
            r = todo.pop(0)
            if r.name in out:
                continue
            if r.source == "let":
                node = self.lets[r.field]
                if _aggregates_related(node):  # computed by the engine: Python has only the record's own values
                    companion = self.exponent(node) if node.type == "decimal" else None
                    out[r.name] = Shown(r.name, node.type, self.value(node), companion)
                    continue
                todo.extend(refs(node))
                out[r.name] = Shown(r.name, "let", exp.null())
                continue
            companion = None
            if r.type == "decimal" and self._has_places(r):
                companion = self.ref(r, "__e")
            elif r.type == "datetime" and r.source not in ("agg", "extra") and not r.source.startswith("related:"):
                companion = self.ref(r, "__o")
            out[r.name] = Shown(r.name, r.type, self.ref(r), companion)
        return [s for s in out.values() if s.type != "let"]

    def verdict(self) -> exp.Expr:
        plan = self.plan
        ifs = []
        for i, lk in enumerate(plan.lookups):
            if lk.missing == "null":
                continue
            found = exp.Is(this=col(lk.alias, "__row"), expression=exp.null())
            code = MISSING + i if lk.missing == "violation" else NOT_APPLICABLE
            ifs.append(exp.If(this=found, true=exp.Literal.number(code)))
        if plan.applies is not None:
            ifs.append(exp.If(this=exp.Not(this=exp.paren(self.cond(plan.applies))),
                              true=exp.Literal.number(NOT_APPLICABLE)))
        ifs.append(exp.If(this=self.cond(plan.condition), true=exp.Literal.number(VIOLATION)))
        return exp.Case(ifs=ifs, default=exp.Literal.number(PASS))

    def judged(self) -> exp.Select:
        """Every record or group with its verdict (`__v`), where it is, its key and the values it shows."""
        plan = self.plan
        columns: list[exp.Expr] = [exp.alias_(self.verdict(), "__v", quoted=True)]
        if plan.kind == "group":
            columns += [exp.alias_(exp.Literal.string(""), "__path", quoted=True),
                        exp.alias_(exp.null(), "__row", quoted=True)]
            source: exp.Expr = self.groups().subquery(GROUPS_ALIAS, copy=False)
        else:
            columns += [exp.alias_(col(ROW_ALIAS, "__path"), "__path", quoted=True),
                        exp.alias_(col(ROW_ALIAS, "__row"), "__row", quoted=True)]
            source = exp.alias_(self.table(plan.dataset), ROW_ALIAS, table=True)
        key_source = GROUPS_ALIAS if plan.kind == "group" else ROW_ALIAS
        columns += [exp.alias_(col(key_source, k), f"__k{i}", quoted=True) for i, k in enumerate(plan.key_fields)]
        for i, s in enumerate(self.shown()):
            columns.append(exp.alias_(s.sql, f"__s{i}", quoted=True))
            if s.companion is not None:
                columns.append(exp.alias_(s.companion, f"__c{i}", quoted=True))
        query = exp.select(*columns, copy=False).from_(source, copy=False)
        for lk in plan.lookups:
            on = exp.and_(*[exp.EQ(this=col(ROW_ALIAS, local), expression=col(lk.alias, remote))
                            for local, remote in lk.on])
            query = query.join(exp.alias_(self.table(lk.dataset), lk.alias, table=True), on=on, join_type="LEFT",
                               copy=False)
        return query

    def groups(self) -> exp.Select:
        """One row per group: by-values, aggregates (with the exponents of sums), then each related block."""
        plan = self.plan
        assert plan.group is not None
        g = plan.group
        query = self._aggregated(plan.dataset, [(f, f) for f in g.by], g.where, g.aggregates, "")
        if g.also:
            return self._with_more_keys(query, g)
        out = exp.select(*[col("p", f) for f in g.by], *[col("p", n) for n in self._agg_columns(g.aggregates, "")], copy=False)
        out = out.from_(query.subquery("p", copy=False), copy=False)
        return self._related_blocks(out, g)

    def _with_more_keys(self, primary: exp.Select, g: Any) -> exp.Select:
        """Groups from the primary rows and from each `also` source: the union of their keys, the primary
        aggregates of a key without primary rows at zero (sums, counts) or null (min, max)."""
        keys: exp.Expr = exp.select(*[col("p0", f) for f in g.by], copy=False).from_(
            primary.subquery("p0", copy=False), copy=False)
        for source in g.also:
            rows = RuleSql(self.plan, self.timezone, self.tables)
            part = exp.select(*[exp.alias_(col(ROW_ALIAS, mine), by, quoted=True) for mine, by in source.on],
                              copy=False).from_(exp.alias_(self.table(source.dataset), ROW_ALIAS, table=True),
                                                copy=False)
            filters: list[exp.Expr] = [exp.Not(this=exp.Is(this=col(ROW_ALIAS, mine), expression=exp.null()))
                                       for mine, _ in source.on]
            if source.where is not None:
                filters.append(rows.cond(source.where))
            keys = exp.union(keys, part.where(exp.and_(*filters), copy=False), distinct=True)
        columns: list[exp.Expr] = [exp.alias_(col("k", f), f, quoted=True) for f in g.by]
        for a in g.aggregates:
            names = [a.name] + ([exponent_column(a.name)] if _has_exponent(a) else [])
            for n in names:
                v: exp.Expr = col("p", n)
                if a.kind in ("sum", "count"):
                    v = exp.func("COALESCE", v, exp.Literal.number(0))
                columns.append(exp.alias_(v, n, quoted=True))
        on = exp.and_(*[exp.EQ(this=col("k", f), expression=col("p", f)) for f in g.by])
        out = exp.select(*columns, copy=False).from_(exp.Subquery(this=keys, alias=exp.TableAlias(
            this=exp.to_identifier("k"))), copy=False).join(primary.subquery("p", copy=False), on=on,
                                                               join_type="LEFT", copy=False)
        return self._related_blocks(out, g, "k")

    def _related_blocks(self, out: exp.Select, g: Any, keys: str = "p") -> exp.Select:
        for rel in g.related:
            alias = "rel_" + rel.alias
            sub = self._aggregated(rel.dataset, list(rel.on), rel.where, rel.aggregates, "")
            on = exp.and_(*[exp.EQ(this=col(keys, f), expression=col(alias, f)) for f in g.by])
            out = out.join(sub.subquery(alias, copy=False), on=on, join_type="LEFT", copy=False)
            for a in rel.aggregates:
                names = [a.name] + ([exponent_column(a.name)] if _has_exponent(a) else [])
                for n in names:
                    v: exp.Expr = col(alias, n)
                    if a.kind in ("sum", "count"):
                        v = exp.func("COALESCE", v, exp.Literal.number(0))
                    out = out.select(exp.alias_(v, f"{rel.alias}.{n}", quoted=True), copy=False)
        return out

    @staticmethod
    def _agg_columns(aggs: tuple[Aggregate, ...], prefix: str) -> list[str]:
        names = []
        for a in aggs:
            names.append(prefix + a.name)
            if _has_exponent(a):
                names.append(prefix + exponent_column(a.name))
        return names

    def _aggregated(self, dataset: str, keys: list[tuple[str, str]], where: Cond | None,
                    aggs: tuple[Aggregate, ...], prefix: str) -> exp.Select:
        rows = RuleSql(self.plan, self.timezone, self.tables)
        columns: list[exp.Expr] = [exp.alias_(col(ROW_ALIAS, f), by, quoted=True) for f, by in keys]
        for a in aggs:
            taken = rows.cond(a.where) if a.where is not None else None

            def when(e: exp.Expr, taken: exp.Expr | None = taken) -> exp.Expr:
                return e if taken is None else exp.Case(ifs=[exp.If(this=taken, true=e)])
            if a.kind == "count":
                columns.append(exp.alias_(exp.Count(this=when(exp.Literal.number(1))), a.name, quoted=True))
                continue
            assert a.value is not None
            v = rows.value(a.value)
            if a.kind == "sum":
                total = exp.func("COALESCE", exp.Sum(this=when(v)), exp.Literal.number(0))
                present = exp.Not(this=exp.Is(this=v, expression=exp.null()))
                taken_e = present if taken is None else exp.and_(taken, present)
                least = exp.func("LEAST", exp.Literal.number(0), exp.func("COALESCE", exp.Min(this=exp.Case(
                    ifs=[exp.If(this=taken_e, true=rows.exponent(a.value))])), exp.Literal.number(0)))
                columns += [exp.alias_(total, a.name, quoted=True),
                            exp.alias_(least, exponent_column(a.name), quoted=True)]
            else:
                agg = exp.Min if a.kind == "min" else exp.Max
                columns.append(exp.alias_(agg(this=when(v)), a.name, quoted=True))
                if _has_exponent(a):  # the places of the value chosen
                    columns.append(exp.alias_(places_of_extreme(a.kind, when(rows.exponent(a.value)), when(v)),
                                              exponent_column(a.name), quoted=True))
        query = exp.select(*columns, copy=False).from_(exp.alias_(self.table(dataset), ROW_ALIAS, table=True), copy=False)
        filters: list[exp.Expr] = [exp.Not(this=exp.Is(this=col(ROW_ALIAS, f), expression=exp.null()))
                                   for f, _ in keys]
        if where is not None:
            filters.append(rows.cond(where))
        return query.where(exp.and_(*filters), copy=False).group_by(*[col(ROW_ALIAS, f) for f, _ in keys], copy=False)


def places_of_extreme(kind: str, exponent: exp.Expr, value: exp.Expr) -> exp.Expr:
    """The exponent of the least (kind min) or greatest value, the same on every engine: among equal values
    (`1.5` and `1.50`) the one written with the most places, not whichever row an engine meets first."""
    most_places = exponent if kind == "min" else exp.Neg(this=exp.paren(exponent.copy()))
    key = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()),
                                  exp.PropertyEQ(this=exp.to_identifier("e"), expression=most_places)])
    present = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=value.copy(), expression=exp.null())), true=key)])
    return exp.func("ARG_MIN" if kind == "min" else "ARG_MAX", exponent, present)


def _aggregates_related(node: Any) -> bool:
    """Whether a value tree holds a Related aggregate anywhere."""
    if isinstance(node, RelatedAggregate):
        return True
    if isinstance(node, tuple):
        return any(_aggregates_related(x) for x in node)
    if hasattr(node, "__dataclass_fields__"):
        return any(_aggregates_related(getattr(node, f)) for f in node.__dataclass_fields__)
    return False


def _has_exponent(a: Aggregate) -> bool:
    """Whether the aggregate's value is a decimal whose places evidence shows (a sum, a decimal min or max)."""
    return a.kind == "sum" or (a.kind in ("min", "max") and a.type == "decimal")


def _is_division(node: Value) -> bool:
    return isinstance(node, Arith) and node.op == "div"


class VerdictQueries:
    """A rule's two queries over its judged records: the counts (records, not applicable, failing), and the
    failing records in report order (file, row, key) with the values they show."""

    def __init__(self, plan: RulePlan, timezone: str, tables: dict[str, str], group_path: str | None) -> None:
        sql = RuleSql(plan, timezone, tables)
        judged = sql.judged()
        if plan.kind == "group":
            judged.expressions[1] = exp.alias_(exp.Literal.string(group_path or ""), "__path", quoted=True)
        self.shown = sql.shown()
        base = judged.subquery("j", copy=False)
        v = exp.column("__v", "j", quoted=True)
        self.counts = exp.select(
            exp.Count(this=exp.Star()),
            exp.Count(this=exp.Case(ifs=[exp.If(this=exp.EQ(this=v, expression=exp.Literal.number(NOT_APPLICABLE)),
                                                true=exp.Literal.number(1))])),
            exp.Count(this=exp.Case(ifs=[exp.If(this=_failing(v), true=exp.Literal.number(1))])),
            copy=False).from_(base, copy=False)
        order = [exp.Ordered(this=exp.column("__path", "j", quoted=True)),
                 exp.Ordered(this=exp.column("__row", "j", quoted=True), nulls_first=True)]
        order += [exp.Ordered(this=exp.cast(exp.column(f"__k{i}", "j", quoted=True), "VARCHAR"))
                  for i in range(len(plan.key_fields))]
        self.failing = exp.select(exp.Star(), copy=False).from_(base.copy(), copy=False).where(
            _failing(v), copy=False).order_by(*order, copy=False)


def _failing(v: exp.Expr) -> exp.Expr:
    return exp.and_(exp.NEQ(this=v, expression=exp.Literal.number(PASS)),
                    exp.NEQ(this=v, expression=exp.Literal.number(NOT_APPLICABLE)))
