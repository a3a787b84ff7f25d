"""The audit use case: request in, result out — rules loaded, datasets found, one evaluation, exit code decided."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import __version__
from ..backends.duckdb_backend import Settings as EngineSettings
from ..data.datasets import discover, open_reader
from ..data.dictionary import load_dictionary
from ..data.profilereader import profile_sources
from ..data.profiles import Profile, load_profile
from ..errors import DataError, UsageError, did_you_mean
from ..findings import tally
from ..governance.baseline import BaselineOutcome, compare, load_baseline
from ..governance.policy import Policy, load_policy
from ..governance.waivers import WaiverOutcome, apply_waivers, load_waivers
from ..language.rulepack import Rule, load_rules, pack_fingerprint, refuse_secondary, select_rules
from ..model import DEFAULT_TZ, AuditResult, FailOn
from ..rejectedrows import rejected_store
from .evaluation import RunSettings, Source, evaluate


@dataclass(frozen=True)
class AuditRequest:
    """Everything the user asked for, as one value (the CLI builds it; tests can too)."""

    data_dir: Path
    rules_dir: Path | None = None
    as_of: date | None = None
    timezone: str = DEFAULT_TZ
    fail_on: FailOn = FailOn.HIGH
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    encoding: str | None = None
    require: tuple[str, ...] = ()
    policy: Path | None = None
    waivers: Path | None = None
    baseline: Path | None = None
    fail_on_new: bool = False
    profile: Path | None = None
    require_primary: bool = False   # refuse rules whose citation rests on secondary sources only
    threads: int | None = None      # DuckDB threads (None: every core)
    memory_limit: str | None = None  # DuckDB memory cap, e.g. "2GB" (None: DuckDB's default)


@dataclass
class AuditRun:
    """An audit's result plus what is needed to prove what was checked (the report's run section)."""

    request: AuditRequest
    rules: list[Rule]
    result: AuditResult
    as_of: date
    started_at: datetime
    finished_at: datetime
    rules_location: str
    fingerprint: str
    exit_code: int
    policy: Policy | None = None
    waivers: WaiverOutcome | None = None
    baseline: BaselineOutcome | None = None
    profile: Profile | None = None


def resolve_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {name!r} (use an IANA name such as Asia/Hong_Kong)") from None


def exit_code_for(result: AuditResult, fail_on: FailOn, only_new: bool = False) -> int:
    """1 when an unwaived violation (a new one, with --fail-on-new) is at or above the threshold, else 0."""
    counts = result.tally or tally(result.violations)
    by_severity = counts.unwaived_not_persisting if only_new else counts.unwaived
    return 1 if any(n and fail_on.counts(severity) for severity, n in by_severity.items()) else 0


def run_audit(request: AuditRequest, progress: Any = None) -> AuditRun:
    started = datetime.now(timezone.utc)
    tz = resolve_zone(request.timezone)
    as_of = request.as_of or datetime.now(tz).date()
    known = load_dictionary()
    for name in request.require:
        if name not in known:
            raise UsageError(f"--require: unknown dataset {name!r}{did_you_mean(name, known)}")
    pack = load_rules(request.rules_dir, scope=None)
    all_rules = [r for r in pack if r.scope == "audit"]
    rules = select_rules(all_rules, list(request.only), list(request.skip))
    if request.require_primary:
        refuse_secondary(rules)
    policy = load_policy(request.policy, all_rules, as_of) if request.policy else None
    waivers = load_waivers(request.waivers) if request.waivers else None
    previous = load_baseline(request.baseline) if request.baseline else None
    profile = load_profile(request.profile) if request.profile else None
    files, ignored = discover(request.data_dir)
    rejected = rejected_store()
    sources: dict[str, Source] = {}
    if profile:
        sources.update(profile_sources(profile, request.data_dir, rejected, request.encoding))
        used = {f for reader in sources.values() for f in reader.files}  # type: ignore[attr-defined]
        files = {n: f for n, f in files.items() if n not in profile.datasets and f.path not in used}
        ignored = [name for name in ignored if request.data_dir / name not in used]
    sources.update({name: open_reader(f, rejected, request.encoding) for name, f in files.items()})
    for name in (*request.require, *(profile.require if profile else ())):
        if name not in sources:
            where = (f"the profile's file pattern {profile.datasets[name]['file']!r}" if profile and
                     name in profile.datasets else f"{name}.csv/.json/.jsonl/.xlsx")
            raise DataError(f"required dataset {name!r} not found (looked for {where})", str(request.data_dir))
    settings = RunSettings(as_of=as_of, tz=tz, overrides=policy.overrides if policy else {},
                           unavailable=profile.unavailable() if profile else {},
                           engine=EngineSettings(threads=request.threads, memory_limit=request.memory_limit))
    result = evaluate(rules, sources, settings, rejected, progress)
    result.ignored_files = ignored
    waiver_outcome = baseline_outcome = None
    if waivers is not None:
        result.violations, waiver_outcome = apply_waivers(result.violations, waivers[0], as_of,
                                                          str(request.waivers), waivers[1])
        waived: dict[str, int] = {}
        if waiver_outcome.applied:  # only then is a violation marked (and every one read to count them)
            for v in result.violations:
                if v.waived:
                    waived[v.rule_id] = waived.get(v.rule_id, 0) + 1
        for o in result.outcomes:
            o.waived = waived.get(o.rule_id, 0)
    if previous is not None:
        result.violations, baseline_outcome = compare(result.violations, result.outcomes, previous,
                                                      str(request.baseline))
    result.tally = tally(result.violations)
    return AuditRun(request=request, rules=rules, result=result, as_of=as_of, started_at=started,
                    finished_at=datetime.now(timezone.utc),
                    rules_location=str(request.rules_dir) if request.rules_dir else "bundled",
                    fingerprint=pack_fingerprint(pack),
                    exit_code=exit_code_for(result, request.fail_on, request.fail_on_new and previous is not None),
                    policy=policy, waivers=waiver_outcome, baseline=baseline_outcome, profile=profile)


__all__ = ["AuditRequest", "AuditRun", "run_audit", "exit_code_for", "__version__"]
