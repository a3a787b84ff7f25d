"""EVALUATE: rules planned, datasets loaded into the engine once, each rule judged there, violations worded.

Which rules run is decided here (not in force, a dataset absent, a field the export lacks); what a rule finds is
the backend's answer; how a violation reads (message, evidence) is computed from the plan for the failing
records only.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path
from typing import Any, Protocol

from ..backends.base import Backend, Settings, SparkSettings
from ..backends.duckdb_backend import DuckDBBackend, decode_shown, is_missing
from ..backends.sql import MISSING
from ..data.dictionary import DatasetSpec, load_dictionary
from ..data.rowtyping import shown_value
from ..errors import RuleFileError
from ..findings import FindingLog
from ..language.build import CompileError, build_plan
from ..language.evaluate import render, with_lets
from ..language.plan import RulePlan
from ..language.rulepack import Rule, parameter_values
from ..model import AuditResult, InputStats, RejectedRow, RuleOutcome, RuleStatus, Violation


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
    """What fixes the meaning of a run besides the data: date, zone, parameters, unavailable fields, engine."""

    as_of: date
    tz: tzinfo
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    unavailable: dict[str, set[str]] = field(default_factory=dict)  # dataset → fields the export lacks
    engine: Settings = field(default_factory=Settings)
    spark: SparkSettings | None = None  # judge on Spark (loading stays DuckDB's); None: DuckDB judges


def plan_rule(rule: Rule, settings: RunSettings) -> RulePlan:
    params = parameter_values(rule, settings.as_of, settings.overrides.get(rule.id))
    try:
        return build_plan(rule, params, settings.as_of)
    except CompileError as exc:
        raise RuleFileError(str(exc), rule.path, rule.yaml.line_of(list(exc.where))) from None


def evaluate(rules: list[Rule], sources: dict[str, Source], settings: RunSettings,
             rejected: Any, progress: Any = None) -> AuditResult:
    """Evaluate `rules` over `sources`: every source is loaded once, every runnable rule judged."""
    outcomes: dict[str, RuleOutcome] = {}
    plans: list[tuple[Rule, RulePlan]] = []
    for rule in rules:
        outcome = _not_run(rule, sources, settings)
        if outcome is not None:
            outcomes[rule.id] = outcome
            continue
        plan = plan_rule(rule, settings)
        lacking = sorted(f"{d}.{f}" for d, f in plan.reads if f in settings.unavailable.get(d, ()))
        if lacking:
            outcomes[rule.id] = RuleOutcome(rule.id, RuleStatus.NOT_EVALUABLE,
                                            reason=f"the export does not carry {', '.join(lacking)}")
            continue
        plans.append((rule, plan))
    zone = getattr(settings.tz, "key", None) or str(settings.tz)
    backend = make_backend(zone, settings)
    try:
        dictionary = load_dictionary()
        for name in sorted(sources):
            _load(backend, dictionary[name], sources[name], rejected, progress)
        plans = [(rule, plan) for rule, plan in plans if not _lacks_columns(rule, plan, sources, outcomes)]
        findings = FindingLog()
        displays = {name: src.stats.path for name, src in sources.items()}
        for rule, plan in sorted(plans, key=lambda rp: (rp[0].severity.rank, rp[0].id)):
            verdicts = backend.judge(plan, displays.get(plan.dataset))
            for row in verdicts.rows:
                findings.append(_violation(rule, plan, row, verdicts.shown, settings.tz))
            outcomes[rule.id] = RuleOutcome(rule.id, RuleStatus.FAIL if verdicts.failing else RuleStatus.PASS,
                                            checked=verdicts.checked, not_applicable=verdicts.not_applicable,
                                            violations=verdicts.failing,
                                            reason=_checked_nothing(rule, verdicts.checked, sources))
            if outcomes[rule.id].reason and not verdicts.failing:
                outcomes[rule.id].status = RuleStatus.NOT_EVALUABLE
    finally:
        backend.close()
    return AuditResult(outcomes=[outcomes[r.id] for r in rules], violations=findings,
                       inputs=[sources[d].stats for d in sorted(sources)], rejected=rejected,
                       parameters={rule.id: plan.parameters for rule, plan in plans})


def make_backend(zone: str, settings: RunSettings) -> Backend:
    if settings.spark is not None:
        from ..backends.spark_backend import SparkBackend
        return SparkBackend(zone, settings.engine, settings.spark)
    return DuckDBBackend(zone, settings.engine)


def _not_run(rule: Rule, sources: dict[str, Source], settings: RunSettings) -> RuleOutcome | None:
    if not rule.in_force(settings.as_of):
        end = rule.effective_to.isoformat() if rule.effective_to else "open"
        return RuleOutcome(rule.id, RuleStatus.NOT_IN_FORCE,
                           reason=f"in force {rule.effective_from.isoformat()} to {end}; "
                                  f"as-of is {settings.as_of.isoformat()}")
    absent = [d for d in rule.datasets() if d not in sources]
    if absent:
        return RuleOutcome(rule.id, RuleStatus.SKIPPED, reason=f"dataset {', '.join(absent)} not found")
    return None


def _checked_nothing(rule: Rule, checked: int, sources: dict[str, Source]) -> str | None:
    """Why a rule that judged no record cannot pass: its inputs' rows were all rejected, or there were none.
    (Records all out of the rule's scope are a pass: each was read and found not to concern the rule.)"""
    if checked:
        return None
    stats = [sources[d].stats for d in dict.fromkeys(rule.datasets()) if d in sources]
    rejected = [s for s in stats if s.rows_rejected]
    if rejected:
        said = "; ".join(f"{s.rows_rejected:,} of {s.rows_read:,} {s.dataset} row(s) rejected" for s in rejected)
        return f"checked no record: {said}"
    main = sources[rule.dataset].stats
    if not main.rows_evaluated:
        return f"checked no record: the {rule.dataset} export holds no records"
    return None


def _lacks_columns(rule: Rule, plan: RulePlan, sources: dict[str, Source], outcomes: dict[str, RuleOutcome]
                   ) -> bool:
    """A rule reading a field the dictionary marks `absent: not_evaluable` on a file without that column cannot
    judge: it is not evaluable (never passed, never failed)."""
    dictionary = load_dictionary()
    lacking = sorted(f"{d}.{f}" for d, f in plan.reads if d in sources and f in sources[d].stats.absent
                     and dictionary[d].by_name[f].absent == "not_evaluable")
    if lacking:
        outcomes[rule.id] = RuleOutcome(rule.id, RuleStatus.NOT_EVALUABLE,
                                        reason=f"the export does not carry {', '.join(lacking)}")
    return bool(lacking)


def _load(backend: Backend, spec: DatasetSpec, source: Source, rejected: Any, progress: Any) -> None:
    total = getattr(source, "total_bytes", None)
    tick = progress.start(spec.name, source.stats.path, total) if progress else None
    parquet = getattr(source, "native_parquet", None)
    if parquet is not None:
        backend.load_parquet(spec, parquet, source.stats, rejected)
        if progress:
            progress.finish(spec.name)
        return
    native = getattr(source, "native_csv", None)
    if native is not None and _large(native) and backend.load_csv(spec, native, source.stats, rejected):
        if progress:
            progress.finish(spec.name)
        return

    def rows() -> Iterator[tuple[str, int, tuple[Any, ...]]]:
        for path, rownos, batch in _batches(source):
            yield from ((path, rowno, row) for rowno, row in zip(rownos, batch))
            if tick is not None:
                tick(len(batch), getattr(source, "bytes_read", None))
    backend.load_rows(spec, rows())
    if not isinstance(source, InlineSource):  # (a rule example's records are taken as they are written)
        for path, rowno, key, first_path, first_row in backend.remove_duplicates(spec):
            where = f"row {first_row}" if first_path == path else f"{first_path} row {first_row}"
            source.stats.rows_rejected += 1
            for entry in source.stats.files:
                if entry.get("path") == path:
                    entry["rows_rejected"] += 1
            rejected.append(RejectedRow(spec.name, path, rowno, spec.key[0], shown_value(key),
                                        f"duplicate key (first seen at {where})"))
    if progress:
        progress.finish(spec.name)


# Below this size a CSV is typed by the Python reader: the engine's typing SQL costs about 0.1 s to plan
# whatever the file's size, which a small file does not repay (tests/test_engine_typing.py holds both typings
# to the same answers; SFC_CHECK_NATIVE_CSV_BYTES sets another threshold, 0 for every file).
NATIVE_CSV_BYTES = int(os.environ.get("SFC_CHECK_NATIVE_CSV_BYTES", 1 << 20))


def _large(path: Path) -> bool:
    try:
        return path.stat().st_size >= NATIVE_CSV_BYTES
    except OSError:
        return True  # (the reader names the problem)


def _batches(source: Source) -> Iterator[tuple[str, list[int], list[tuple[Any, ...]]]]:
    if hasattr(source, "batches"):
        yield from source.batches()
        return
    rownos: list[int] = []
    rows: list[tuple[Any, ...]] = []
    for rowno, row in source:
        rownos.append(rowno)
        rows.append(row)
        if len(rows) == 2048:
            yield getattr(source, "current_path", source.stats.path), rownos, rows
            rownos, rows = [], []
    if rows:
        yield getattr(source, "current_path", source.stats.path), rownos, rows


def _violation(rule: Rule, plan: RulePlan, row: tuple[Any, ...], shown: list[Any], tz: tzinfo) -> Violation:
    code, path, rowno = row[0], row[1], row[2]
    nkeys = len(plan.key_fields)
    keys = tuple(row[3:3 + nkeys])
    names = decode_shown(shown, row, 3 + nkeys)
    if is_missing(code):
        lookup = plan.lookups[code - MISSING]
        local = tuple(f for f, _ in lookup.on)
        message = render(lookup.missing_message, names) if lookup.missing_message else ""
        return Violation(rule.id, rule.severity, plan.dataset, plan.key_fields, keys, path or None, rowno,
                         message, local + (lookup.alias,), tuple(names.get(f) for f in local) + ("missing",),
                         rule.citation)
    with_lets(names, plan.lets, tz)
    return Violation(rule.id, rule.severity, plan.dataset, plan.key_fields, keys, path or None, rowno,
                     render(plan.message, names), tuple(r.name for r in plan.evidence),
                     tuple(names.get(r.name) for r in plan.evidence), rule.citation)


__all__ = ["evaluate", "RunSettings", "Source", "InlineSource", "plan_rule"]
