"""The audit use case: request in, result out — rules loaded, datasets found, one evaluation, exit code decided."""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import __version__
from ..backends.base import Settings as EngineSettings
from ..backends.base import SparkSettings
from ..data.datasets import FORMATS, discover, open_reader
from ..data.dictionary import load_dictionary
from ..data.profilereader import profile_sources
from ..data.profiles import Profile, load_profile
from ..data.rowreader import InputFile
from ..errors import DataError, UsageError, did_you_mean
from ..findings import tally
from ..governance.baseline import Baseline, BaselineOutcome, compare, load_baseline
from ..governance.policy import Policy, load_policy
from ..governance.waivers import WaiverOutcome, apply_waivers, load_waivers
from ..language.rulepack import Rule, load_rules, pack_fingerprint, refuse_secondary, select_rules
from ..model import DEFAULT_TZ, AuditResult, FailOn, RuleStatus, Severity
from ..rejectedrows import rejected_store
from .evaluation import RunSettings, Source, evaluate


@dataclass(frozen=True)
class AuditRequest:
    """Everything the user asked for, as one value (the CLI builds it; tests can too)."""

    data_dir: Path
    data_uri: str | None = None     # a folder given as a URI Spark reads (s3a://…, hdfs://…)
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
    require_all: bool = False       # every dataset a selected rule in force reads must be present
    fail_on_rejected: bool = False  # any rejected row makes the exit code 1
    max_rejected: str | None = None  # "N" rows or "P%" of rows read: more makes the exit code 1
    baseline_optional: bool = False  # a baseline file not there yet is the first night, said without a warning
    threads: int | None = None      # DuckDB threads (None: every core)
    memory_limit: str | None = None  # DuckDB memory cap, e.g. "2GB" (None: DuckDB's default)
    engine: str = "duckdb"          # where rules are judged: duckdb or spark
    spark_master: str = "local[*]"
    spark_remote: str | None = None
    spark_staging: str | None = None


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
    decided_by: list[str] = field(default_factory=list)  # what made the exit code 1 (empty when 0)
    warnings: list[str] = field(default_factory=list)    # what the reader must know besides the counts


def resolve_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {name!r} (use an IANA name such as Asia/Hong_Kong)") from None


def failing_severities(result: AuditResult, fail_on: FailOn, only_new: bool = False) -> list[str]:
    """Each severity whose unwaived (new, with --fail-on-new) violations fail the run, e.g. 'new critical 1'."""
    counts = result.tally or tally(result.violations)
    by_severity = counts.unwaived_not_persisting if only_new else counts.unwaived
    return [f"{'new ' if only_new else ''}{severity.value} {by_severity[severity]:,}"
            for severity in Severity if by_severity.get(severity) and fail_on.counts(severity)]


def parse_max_rejected(text: str) -> tuple[Decimal, bool]:
    """`--max-rejected 100` (rows) or `0.5%` (of rows read) → (limit, is_percent)."""
    body, percent = (text[:-1], True) if text.strip().endswith("%") else (text, False)
    try:
        limit = Decimal(body.strip())
    except ArithmeticError:
        limit = Decimal(-1)
    if not limit.is_finite() or limit < 0 or (not percent and limit != limit.to_integral_value()) or \
            (percent and limit > 100):
        raise UsageError(f"--max-rejected {text!r}: give a whole number of rows (e.g. 100) or a percentage of the "
                         "rows read (e.g. 0.5%)")
    return limit, percent


def rejected_verdict(request: AuditRequest, rows_read: int, rows_rejected: int) -> str | None:
    """Why the rejected rows fail the run, or None."""
    if request.fail_on_rejected and rows_rejected:
        return f"rejected rows {rows_rejected:,} (--fail-on-rejected)"
    if request.max_rejected is not None:
        limit, percent = parse_max_rejected(request.max_rejected)
        if percent and rows_rejected * 100 > limit * rows_read:
            return f"rejected rows {rows_rejected:,} of {rows_read:,} > {request.max_rejected.strip()}"
        if not percent and rows_rejected > limit:
            return f"rejected rows {rows_rejected:,} > {limit:,} (--max-rejected)"
    return None


def input_warnings(result: AuditResult) -> list[str]:
    """A dataset whose every row was rejected is said in words: its rules judged nothing."""
    out = []
    for i in result.inputs:
        if i.rows_read and i.rows_rejected == i.rows_read:
            out.append(f"every row of {i.path} ({i.rows_read:,}) was rejected: the rules reading {i.dataset} "
                       "judged nothing (see rejected rows for the reason)")
    return out


def required_datasets(request: AuditRequest, rules: list[Rule], profile: Profile | None, as_of: date
                      ) -> list[str]:
    """--require, the profile's `require:` and, with --require-all, every dataset a selected rule in force reads."""
    names = list(request.require) + list(profile.require if profile else ())
    if request.require_all:
        names += [d for r in rules if r.in_force(as_of) for d in r.datasets()]
    return list(dict.fromkeys(names))


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
    warnings: list[str] = []
    previous = _baseline(request, warnings)
    profile = load_profile(request.profile) if request.profile else None
    rejected = rejected_store()
    sources: dict[str, Source] = {}
    files: dict[str, InputFile] = {}
    ignored: list[str] = []
    if request.data_uri is not None:
        # other formats are fetched to this machine and read as from a folder; removed when the run ends
        fetched = tempfile.TemporaryDirectory(prefix="sfc-check-fetched-")
        parquet, files = _remote_sources(request, profile, rejected, ignored, Path(fetched.name))
        sources.update(parquet)
    else:
        files, ignored = discover(request.data_dir)
    if profile:
        sources.update(profile_sources(profile, request.data_dir, rejected, request.encoding))
        used = {f for reader in sources.values() for f in reader.files}  # type: ignore[attr-defined]
        files = {n: f for n, f in files.items() if n not in profile.datasets and f.path not in used}
        ignored = [name for name in ignored if request.data_dir / name not in used]
    sources.update({name: open_reader(f, rejected, request.encoding) for name, f in files.items()})
    if request.max_rejected is not None:
        parse_max_rejected(request.max_rejected)
    if not sources:
        raise DataError(_nothing_found(ignored, profile is not None), request.data_uri or str(request.data_dir))
    for name in required_datasets(request, rules, profile, as_of):
        if name not in sources:
            where = (f"the profile's file pattern {profile.datasets[name]['file']!r}" if profile and
                     name in profile.datasets else f"{name}.csv/.json/.jsonl/.xlsx")
            raise DataError(f"required dataset {name!r} not found (looked for {where})", str(request.data_dir))
    settings = RunSettings(as_of=as_of, tz=tz, overrides=policy.overrides if policy else {},
                           unavailable=profile.unavailable() if profile else {},
                           engine=EngineSettings(threads=request.threads, memory_limit=request.memory_limit),
                           spark=_spark_settings(request) if request.engine == "spark" else None)
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
    decided_by = failing_severities(result, request.fail_on, request.fail_on_new and previous is not None)
    rejected_reason = rejected_verdict(request, sum(i.rows_read for i in result.inputs),
                                       sum(i.rows_rejected for i in result.inputs))
    if rejected_reason:
        decided_by.append(rejected_reason)
    warnings += input_warnings(result)
    exit_code = 1 if decided_by else 0
    if not any(o.status in (RuleStatus.PASS, RuleStatus.FAIL) for o in result.outcomes):
        exit_code, decided_by = 2, [_nothing_checked(result)]
    return AuditRun(request=request, rules=rules, result=result, as_of=as_of, started_at=started,
                    finished_at=datetime.now(timezone.utc),
                    rules_location=str(request.rules_dir) if request.rules_dir else "bundled",
                    fingerprint=pack_fingerprint(pack), exit_code=exit_code,
                    policy=policy, waivers=waiver_outcome, baseline=baseline_outcome, profile=profile,
                    decided_by=decided_by, warnings=warnings)


def _remote_sources(request: AuditRequest, profile: Profile | None, rejected: Any, ignored: list[str],
                    fetched: Path) -> tuple[dict[str, Source], dict[str, InputFile]]:
    """The exports in a folder given as a URI, listed (and hashed) by Spark: Parquet ones read there, the others
    (CSV, JSON, Excel) fetched through Spark into `fetched` and read as from a folder on this machine."""
    assert request.data_uri is not None
    if request.engine != "spark":
        raise UsageError("a data folder given as a URI is read by Spark: add --engine spark", request.data_uri)
    if profile is not None:
        raise UsageError("a profile maps files of this machine; a URI folder holds canonical exports",
                         request.data_uri)
    from ..backends.spark_backend import fetch_exports, list_exports
    from ..data.parquetfile import ParquetSource
    known = load_dictionary()
    sources: dict[str, Source] = {}
    elsewhere: list[tuple[str, str]] = []
    for name, uri, size, sha256 in list_exports(request.data_uri, _spark_settings(request)):
        fmt, spec = FORMATS.get(Path(name).suffix.lower()), known.get(Path(name).stem.lower())
        if fmt is None or spec is None:
            ignored.append(name)
        elif fmt != "parquet":
            elsewhere.append((name, uri))
        else:
            source = ParquetSource(InputFile(spec, Path(name), name, "parquet"), rejected, uri=uri, size=size)
            source.stats.sha256 = sha256
            sources[spec.name] = source
    fetch_exports(elsewhere, fetched, _spark_settings(request))
    files, _ = discover(fetched)
    for name, f in files.items():
        if name in sources:
            raise DataError(f"two files hold dataset {name!r}: {sources[name].stats.path} and {f.display}; "
                            "keep one", request.data_uri)
    return sources, files


def _spark_settings(request: AuditRequest) -> SparkSettings:
    return SparkSettings(request.spark_master, request.spark_remote, request.spark_staging)


def _baseline(request: AuditRequest, warnings: list[str]) -> Baseline | None:
    """The previous report; on the first night (no file yet) an empty one, so every violation is new."""
    if request.baseline is None:
        return None
    if not request.baseline.exists() and not request.baseline.is_symlink():
        if not request.baseline_optional:
            warnings.append(f"baseline {request.baseline} does not exist yet: every violation counts as new "
                            "(first run; --baseline-optional says so without this warning)")
        return Baseline(previous_as_of=None, identities=None, missing=True)
    return load_baseline(request.baseline, request.threads)


def _nothing_checked(result: AuditResult) -> str:
    """An audit in which no rule judged a record says so and exits 2: it must never read as a pass."""
    counts: dict[str, int] = {}
    for o in result.outcomes:
        counts[o.status.value] = counts.get(o.status.value, 0) + 1
    said = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(counts.items())) or "no rule selected"
    return f"no selected rule could judge a record: {said}"


def _nothing_found(ignored: list[str], profiled: bool) -> str:
    """Exit 2 when no export was found: an audit of nothing must never pass."""
    text = "no export file of a known dataset found, so nothing could be checked"
    if ignored:
        names = ", ".join(ignored[:5]) + (f" and {len(ignored) - 5} more" if len(ignored) > 5 else "")
        text += f"; files present but not recognised: {names}"
        hint = did_you_mean(re.sub(r"[\W_]*\d[\d\W_]*$", "", Path(ignored[0]).stem.lower()), load_dictionary())
        text += f"{hint}. Files are named by dataset (clients.csv, perp_trades.jsonl, …)"
        text += "" if profiled else "; a firm's own names and layouts need a profile (sfc-check init)"
    return text


__all__ = ["AuditRequest", "AuditRun", "run_audit", "failing_severities", "__version__"]
