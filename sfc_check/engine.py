"""EVALUATE: plan one pass per dataset, shared by every rule that reads it; count, collect violations.

Datasets that other rules look up (clients, instruments, market makers, staff roles) pass first and are kept as
keyed tables; everything else streams once, in batches of rows judged column by column (passplan.py, batch.py).
Group rules accumulate during the passes and are judged as soon as their datasets are read. With --jobs, a large
CSV whose rules keep nothing but violations is judged in byte-range parts by forked workers, and any doubt sends
it back to one pass.
"""
from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any, Protocol

from .compileenv import CompileEnv, TableRef
from .compiler import CompiledRule, compile_rule
from .dictionary import load_dictionary
from .errors import RuleFileError
from .model import AuditResult, InputStats, RejectedRow, RuleOutcome, RuleStatus
from .passplan import PassPlan, RuleCounter, violation
from .rowtyping import BATCH, in_batches
from .rulepack import Rule
from .scope import CompileError
from .violationstore import Sink, ViolationStore


class Source(Protocol):
    """Rows of one dataset: (row number, typed row); `stats` fills as rows are read."""

    stats: InputStats

    def __iter__(self) -> Iterator[tuple[int, tuple[Any, ...]]]: ...


@dataclass
class InlineSource:
    """Already-typed rows held in memory (rule examples, product definitions)."""

    rows: list[tuple[int, tuple[Any, ...]]]
    stats: InputStats

    def __iter__(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        return iter(self.rows)


@dataclass
class RunSettings:
    """What fixes the meaning of a run besides the data: date, zone, parameters, unavailable fields."""

    as_of: date
    tz: tzinfo
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    unavailable: dict[str, set[str]] = field(default_factory=dict)  # dataset → fields the export lacks
    jobs: int = 1  # processes a large file may be judged in (parts), when it can be cut safely


def _pass_order(datasets: Iterable[str], rules: list[CompiledRule], tables: Iterable[TableRef] = ()) -> list[str]:
    """Lookup targets before the datasets that look them up; where no lookup forbids it, a group rule's own
    dataset before its related datasets, so that these keep totals only for keys that have a group. Among the
    datasets free to go next, one that brings a filled lookup table nearer to being let go (a dataset that looks
    rows up in it, or one such a dataset waits for) goes first, so that a large table (100k clients) is not held
    through an unrelated pass with state of its own (100k clients' collateral totals); otherwise by name."""
    deps: dict[str, set[str]] = {d: set() for d in datasets}
    for cr in rules:
        for d in cr.rule.datasets():
            if d != cr.dataset and d in deps and cr.kind == "record":
                deps[cr.dataset].add(d)

    def reaches(a: str, b: str) -> bool:
        """Whether a must come after b already."""
        todo, seen = [a], set()
        while todo:
            d = todo.pop()
            if d == b:
                return True
            if d not in seen:
                seen.add(d)
                todo.extend(deps[d])
        return False
    for cr in rules:
        if cr.kind == "group" and cr.dataset in deps:
            for f in cr.feeders:
                if f.dataset != cr.dataset and f.dataset in deps and not reaches(cr.dataset, f.dataset):
                    deps[f.dataset].add(cr.dataset)
    order: list[str] = []
    visiting: set[str] = set()

    def visit(d: str) -> None:
        if d in order:
            return
        if d in visiting:
            raise RuleFileError(f"rules make datasets look each other up in a cycle through {d!r}")
        visiting.add(d)
        for dep in sorted(deps[d]):
            visit(dep)
        visiting.discard(d)
        order.append(d)
    for d in sorted(deps):
        visit(d)  # refuses a cycle; the order itself is chosen below
    done: list[str] = []
    tables = list(tables)
    while len(done) < len(deps):
        ready = [d for d in sorted(deps) if d not in done and deps[d] <= set(done)]
        live = [t for t in tables if t.dataset in done and not t.readers <= set(done)]
        wanted = {r for t in live for r in t.readers if r in deps and r not in done}
        todo = list(wanted)
        while todo:  # and what they wait for
            for dep in deps[todo.pop()]:
                if dep not in done and dep not in wanted:
                    wanted.add(dep)
                    todo.append(dep)
        done.append(next((d for d in ready if d in wanted), ready[0]))
    return done


def evaluate(rules: list[Rule], sources: dict[str, Source], settings: RunSettings,
             rejected: Sequence[RejectedRow], progress: Any = None) -> AuditResult:
    """Evaluate `rules` over `sources`; every source is read exactly once, in dependency order."""
    outcomes: dict[str, RuleOutcome] = {}
    env = CompileEnv(as_of=settings.as_of, tz=settings.tz, overrides=settings.overrides)
    compiled: list[CompiledRule] = []
    for rule in rules:
        if not rule.in_force(settings.as_of):
            end = rule.effective_to.isoformat() if rule.effective_to else "open"
            outcomes[rule.id] = RuleOutcome(rule.id, RuleStatus.NOT_IN_FORCE,
                                            reason=f"in force {rule.effective_from.isoformat()} to {end}; "
                                                   f"as-of is {settings.as_of.isoformat()}")
            continue
        absent = [d for d in rule.datasets() if d not in sources]
        if absent:
            outcomes[rule.id] = RuleOutcome(rule.id, RuleStatus.SKIPPED,
                                            reason=f"dataset {', '.join(absent)} not found")
            continue
        if settings.unavailable:
            probe = compile_rule(rule, CompileEnv(as_of=settings.as_of, tz=settings.tz,
                                                  overrides=settings.overrides))
            lacking = sorted(f"{d}.{f}" for d, f in probe.reads if f in settings.unavailable.get(d, ()))
            if lacking:
                outcomes[rule.id] = RuleOutcome(rule.id, RuleStatus.NOT_EVALUABLE,
                                                reason=f"the export does not carry {', '.join(lacking)}")
                continue
        try:
            compiled.append(compile_rule(rule, env))
        except CompileError as exc:
            raise RuleFileError(str(exc), rule.path, rule.yaml.line_of(list(exc.where))) from None

    for table in env.tables.values():  # every rule is compiled: the tables know which fields are read
        table.narrow()
    counters = {cr.rule.id: RuleCounter() for cr in compiled}
    dictionary = load_dictionary()
    for name, source in sources.items():  # readers may leave the fields no rule touches untyped
        if hasattr(source, "project"):
            source.project({f for cr in compiled for d, f in cr.fields if d == name} | set(dictionary[name].key))
    violations = ViolationStore()
    displays = {name: src.stats.path for name, src in sources.items()}
    # Rows, lookup tables and group sums hold no reference cycles, so the cyclic garbage collector only costs
    # time here (it rescans every live table row again and again); reference counting still frees everything.
    paused = gc.isenabled()
    gc.disable()
    pending = [cr for cr in compiled if cr.kind == "group"]
    read: set[str] = set()
    try:
        for dataset in _pass_order(sources, compiled, env.tables.values()):
            _run_pass(dataset, sources[dataset], env, compiled, counters, violations, progress, settings.jobs)
            read.add(dataset)
            for table in env.tables.values():  # a lookup table every reader of which is read is let go
                if table.dataset in read and table.readers <= read:
                    table.table.clear()
            for cr in pending:
                if cr.dataset == dataset and cr.group is not None:
                    cr.group.primary_complete()
            # a group rule whose datasets are all read is judged now and its totals freed before the next pass
            for cr in [cr for cr in pending if {f.dataset for f in cr.feeders} <= read]:
                _judge_groups(cr, counters[cr.rule.id], violations, displays.get(cr.dataset))
                pending.remove(cr)
    finally:
        if paused:
            gc.enable()
    for cr in pending:
        _judge_groups(cr, counters[cr.rule.id], violations, displays.get(cr.dataset))

    for cr in compiled:
        c = counters[cr.rule.id]
        n = violations.per_rule.get(cr.rule.id, 0)
        outcomes[cr.rule.id] = RuleOutcome(cr.rule.id, RuleStatus.FAIL if n else RuleStatus.PASS,
                                           checked=c.checked, not_applicable=c.not_applicable, violations=n)
    violations.sort()
    return AuditResult(outcomes=[outcomes[r.id] for r in rules], violations=violations,
                       inputs=[sources[d].stats for d in sorted(sources)], rejected=rejected,
                       parameters={cr.rule.id: cr.parameters for cr in compiled})


def _run_pass(dataset: str, source: Source, env: CompileEnv, compiled: list[CompiledRule],
              counters: dict[str, RuleCounter], violations: Sink, progress: Any, jobs: int = 1) -> None:
    """Read the dataset once, a batch of rows at a time: fill lookup tables, judge rules, feed group rules."""
    step = PassPlan(dataset, env, compiled, counters)
    tick = progress.start(dataset, source.stats.path) if progress else None
    rows_seen = None
    if jobs > 1 and step.separable and hasattr(source, "byte_ranges"):
        from . import parts  # imported here: forking and NumPy only for --jobs
        if parts.file_size(source) >= parts.SPLIT_MIN_BYTES:
            rows_seen = parts.run_in_parts(step, source, jobs, violations)
        if rows_seen is not None and tick is not None:
            tick(rows_seen)
    if rows_seen is None:
        batches = source.batches() if hasattr(source, "batches") else _batches(source)
        rows_seen = step.consume(batches, violations, tick)
    for counter in step.counters:
        counter.checked += rows_seen - counter.not_applicable
    if progress:
        progress.finish(dataset)


def _batches(source: Source) -> Iterator[tuple[str, list[int], list[tuple[Any, ...]]]]:
    """Sources without their own batches (rows held in memory): consecutive rows, BATCH at a time."""
    return in_batches(iter(source), lambda: getattr(source, "current_path", source.stats.path), BATCH)


def _judge_groups(cr: CompiledRule, counter: RuleCounter, violations: Sink, path: str | None) -> None:
    assert cr.group is not None
    ctx: list[Any] = [None]
    for group_row in cr.group.take_rows():
        ctx[0] = group_row
        if cr.applies is not None and not cr.applies(ctx):
            counter.not_applicable += 1
            continue
        counter.checked += 1
        if cr.condition(ctx):
            violations.append(violation(cr, ctx, None, path, cr.message(ctx),
                                         tuple(fn(ctx) for _, fn in cr.evidence)))
