"""Group rules: feeders that add each dataset's rows into per-key accumulators during the shared passes, and
the per-group check compiled over the aggregates (sums, counts, min/max, related datasets' totals)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from .batch import Batch, BatchFn, batch_of
from .compileenv import CompileEnv
from .compiler import CompiledRule, add_lets, dataset_spec, field_names
from .conditions import Cond, compile_condition
from .dictionary import DatasetSpec
from .expressions import compile_value
from .messages import evidence_fns, message_fn
from .rulepack import Rule
from .scope import CompileError, Fn, Name, Scope, Typed, record_field
from .totals import Totals

TAKE_AT_ONCE = 4096  # groups turned into rows together when judged


@dataclass
class GroupFeeder:
    """Adds one dataset's rows into a group rule's accumulators during that dataset's pass."""

    dataset: str
    feed: Callable[[list[Any]], None]
    feed_batch: Callable[[Batch], None] | None = None  # the same, a batch of rows at a time


@dataclass
class GroupState:
    """Totals of a group rule: the primary groups and each related dataset's per-key totals."""

    by: tuple[str, ...]
    primary: Totals
    related: list[Totals] = field(default_factory=list)
    primary_read: bool = False  # once it is, related rows of keys without a group are not kept

    def primary_complete(self) -> None:
        self.primary_read = True

    def release(self) -> None:
        """The groups are judged: free the totals (the feeders' closures hold the same tables)."""
        self.primary.clear()
        for table in self.related:
            table.clear()

    def wanted(self, key: Any) -> bool:
        """Whether a related row of this key can still matter."""
        return not self.primary_read or key in self.primary

    def take_rows(self) -> Iterator[tuple[Any, ...]]:
        """One tuple per group, in key order: by-values, primary aggregates, then each related block (zeros when
        absent). The groups are taken TAKE_AT_ONCE at a time, their keys let go as they are, so judging 100k
        groups never holds a tuple for each; the state is empty afterwards."""
        single = len(self.by) == 1  # one-field groups are keyed by the value itself, not a 1-tuple
        keys = list(self.primary.index)
        if single and all(type(k) is str for k in keys):
            keys.sort()  # text keys: their own order is the order of their text, without a key function
        else:
            keys.sort(key=lambda k: str(k) if single else tuple(str(x) for x in k))
        for start in range(0, len(keys), TAKE_AT_ONCE):
            chunk = keys[start:start + TAKE_AT_ONCE]
            columns = self.primary.take_many(chunk)
            for table in self.related:
                columns += table.take_many(chunk)
            heads = [(key,) for key in chunk] if single else chunk
            for head, values in zip(heads, zip(*columns)):
                yield head + values
        self.release()


Aggregate = tuple[str, Fn | None, Cond | None, BatchFn | None]  # kind, value, where, the value's column


def _aggregates(aggs: dict[str, Any], scope: Scope, where: tuple[Any, ...]
                ) -> tuple[list[Aggregate], list[tuple[str, Typed]]]:
    plan: list[Aggregate] = []
    typed: list[tuple[str, Typed]] = []
    for name, agg in aggs.items():
        kind = next(k for k in ("sum", "count", "min", "max") if k in agg)
        cond = compile_condition(agg["where"], scope, where + (name, "where")) if "where" in agg else None
        if kind == "count":
            plan.append(("count", None, cond, None))
            typed.append((name, Typed(lambda ctx: None, "integer")))
            continue
        value = compile_value(agg[kind], scope, where + (name, kind))
        if kind == "sum" and value.type not in ("decimal", "integer", "any"):
            raise CompileError(f"sum: expects numbers, got a {value.type}", where + (name, kind))
        plan.append((kind, value.fn, cond, value.column()))
        typed.append((name, Typed(lambda ctx: None, "decimal" if kind == "sum" else value.type)))
    return plan, typed


def _feeder(plan: list[Aggregate], where: Cond | None, key_fns: list[Fn], totals: Totals,
            related_to: GroupState | None = None) -> Callable[[list[Any]], None]:
    """One closure per dataset row: filter, find the group (a scalar key for one field), update aggregates."""
    steps = [(column, fn, cond) for column, (_, fn, cond, _) in zip(totals.columns, plan)]
    single = key_fns[0] if len(key_fns) == 1 else None
    index = totals.index

    def feed(ctx: list[Any]) -> None:
        if where is not None and not where(ctx):
            return
        if single is not None:
            key = single(ctx)
            if key is None:
                return
        else:
            key = tuple(f(ctx) for f in key_fns)
            if None in key:
                return
        g = index.get(key)
        if g is None:
            if related_to is not None and not related_to.wanted(key):
                return
            g = totals.group(key)
        for column, fn, cond in steps:
            if cond is None or cond(ctx):
                column.add(g, None if fn is None else fn(ctx))
    return feed


def _batch_feeder(plan: list[Aggregate], where: Cond | None, key_columns: list[BatchFn | None], totals: Totals,
                  related_to: GroupState | None = None) -> Callable[[Batch], None] | None:
    """The feeder a batch at a time: rows in order, so every aggregate sees the same values in the same order
    as the per-row feeder. None when some part has no column form."""
    where_column = batch_of(where) if where is not None else None
    columns: list[tuple[BatchFn | None, BatchFn | None]] = []
    for kind, _, cond, column in plan:
        cond_column = batch_of(cond) if cond is not None else None
        if (kind != "count" and column is None) or (cond is not None and cond_column is None):
            return None
        columns.append((column, cond_column))
    if (where is not None and where_column is None) or any(k is None for k in key_columns):
        return None
    keyed: list[BatchFn] = [k for k in key_columns if k is not None]

    def key_column(b: Batch) -> list[Any]:
        return keyed[0](b) if len(keyed) == 1 else list(zip(*(k(b) for k in keyed)))

    def feed(b: Batch) -> None:
        if related_to is not None and related_to.primary_read:
            # related totals are kept only for keys that have a group: when few rows qualify (a collateral
            # file against the clients that have loans), the values are computed for those rows alone
            primary = related_to.primary.index
            wanted = [i for i, k in enumerate(key_column(b)) if k in primary]
            if not wanted:
                return
            if len(wanted) < b.n:
                b = b.subset(wanted)
        keys = key_column(b)
        take = [k is not None for k in keys] if len(keyed) == 1 else [None not in k for k in keys]
        if where_column is not None:
            take = [t and w for t, w in zip(take, where_column(b))]
        get, new = totals.index.get, totals.group
        groups = [new(key) if (g := get(key)) is None else g for key in compress(keys, take)]
        for target, (column, cond_column) in zip(totals.columns, columns):
            if cond_column is None:
                mine, chosen = take, groups
            else:
                mine = [t and c for t, c in zip(take, cond_column(b))]
                chosen = list(compress(groups, compress(mine, take)))
            target.add_many(chosen, None if column is None else compress(column(b), mine))
    return feed


def compile_group(rule: Rule, env: CompileEnv, params: dict[str, Any], ptypes: dict[str, str],
                   spec: DatasetSpec) -> CompiledRule:
    doc, g = rule.doc, rule.doc["group"]
    by = tuple(g["by"])
    for f in by:
        if f not in spec.by_name:
            raise CompileError(f"group by: {rule.dataset} has no field {f!r}", ("group", "by"))
    env.plan(rule.dataset)
    row_scope = Scope(field_names(spec, 0), params, ptypes, env.as_of, env.tz)
    where = compile_condition(g["where"], row_scope, ("group", "where")) if "where" in g else None
    agg_plan, agg_typed = _aggregates(g["aggregates"], row_scope, ("group", "aggregates"))
    state = GroupState(by=by, primary=Totals([kind for kind, *_ in agg_plan]))
    by_typed = [row_scope.name(f, ("group", "by")) for f in by]
    feeders = [GroupFeeder(rule.dataset, _feeder(agg_plan, where, [t.fn for t in by_typed], state.primary),
                           _batch_feeder(agg_plan, where, [t.column() for t in by_typed], state.primary))]
    reads = set(row_scope.reads)
    # the group row: by-values, primary aggregates, then each related block
    group_names: dict[str, Name] = {}
    layout: list[tuple[str, Typed]] = [(f, Typed(lambda ctx: None, spec.by_name[f].type,
                                                 spec.by_name[f].values, spec.by_name[f].case)) for f in by]
    layout += agg_typed
    for alias, rel in (g.get("related") or {}).items():
        rspec = dataset_spec(rel["dataset"], ("group", "related", alias, "dataset"))
        env.plan(rspec.name)
        rscope = Scope(field_names(rspec, 0), params, ptypes, env.as_of, env.tz)
        mapping = rel["on"]
        if sorted(mapping.values()) != sorted(by):
            raise CompileError(f"related {alias}: on must map a {rspec.name} field to each group field "
                               f"({', '.join(by)})", ("group", "related", alias, "on"))
        inverse = {v: k for k, v in mapping.items()}
        key_typed = [rscope.name(inverse[f], ("group", "related", alias, "on")) for f in by]
        rwhere = (compile_condition(rel["where"], rscope, ("group", "related", alias, "where"))
                  if "where" in rel else None)
        rplan, rtyped = _aggregates(rel["aggregates"], rscope, ("group", "related", alias, "aggregates"))
        table = Totals([kind for kind, *_ in rplan])
        state.related.append(table)
        feeders.append(GroupFeeder(
            rspec.name, _feeder(rplan, rwhere, [t.fn for t in key_typed], table, state),
            _batch_feeder(rplan, rwhere, [t.column() for t in key_typed], table, state)))
        layout += [(f"{alias}.{n}", t) for n, t in rtyped]
        reads |= rscope.reads
    for i, (name, t) in enumerate(layout):
        group_names[name] = Name(Typed(record_field(i), t.type, t.enum_values, t.case))
    scope = Scope(group_names, params, ptypes, env.as_of, env.tz)
    add_lets(doc, scope)
    applies = compile_condition(doc["applies_when"], scope, ("applies_when",)) if "applies_when" in doc else None
    condition = compile_condition(doc["violation_when"], scope, ("violation_when",))
    message = message_fn(doc["message"], scope)
    evidence = evidence_fns(scope, [by])
    return CompiledRule(rule=rule, kind="group", dataset=rule.dataset, applies=applies, condition=condition,
                        message=message, evidence=evidence, key_fields=by, key_positions=tuple(range(len(by))),
                        reads=reads | scope.reads, parameters=params, feeders=feeders, group=state,
                        fields=reads | scope.reads | scope.shown | {(rule.dataset, f) for f in by})
