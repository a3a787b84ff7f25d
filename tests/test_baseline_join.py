"""The baseline join runs in an embedded database: it must mark and resolve exactly as a dictionary keyed by
identity does (the oracle below), for any key values, duplicate entries and rules that did not run, and keep
doing so when it spills past its memory cap."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfc_check.findings import FindingLog
from sfc_check.governance import identities
from sfc_check.governance.baseline import compare, load_baseline
from sfc_check.model import RuleOutcome, RuleStatus, Severity, Violation

RULES = ["R-1", "R-2", "RÉ-3", "R-4"]
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from("\ud800é\x00\"\\"),
               max_size=4)
VALUE = st.one_of(TEXT, st.none(), st.integers(-3, 3), st.decimals(-5, 5, places=2))
KEY = st.dictionaries(st.sampled_from(["client_id", "trade_id", "ключ"]), VALUE, min_size=1, max_size=2)


def violation(rule_id: str, key: dict[str, Any]) -> Violation:
    return Violation(rule_id, Severity.HIGH, "trades", tuple(key), tuple(key.values()), "t.csv", 2, "m", (), (), "c")


def identity(rule_id: str, key: dict[str, Any]) -> tuple[str, frozenset]:
    """The oracle's own identity: rule id and key values as text."""
    return rule_id, frozenset((k, str(v)) for k, v in key.items())


def oracle(violations: list[Violation], before: list[dict[str, Any]], ran: set[str]) -> tuple[list[str], list]:
    """What a dictionary keyed by identity says: the last entry of an identity wins; resolved sorted by rule
    id then key."""
    latest = {identity(e["rule_id"], e["key"]): e for e in before}
    states = ["persisting" if identity(v.rule_id, v.key) in latest else "new" for v in violations]
    now = {identity(v.rule_id, v.key) for v in violations}
    resolved = [e for i, e in latest.items() if i not in now and e["rule_id"] in ran]
    resolved.sort(key=lambda r: (r["rule_id"], json.dumps(r["key"], sort_keys=True)))
    return states, resolved


def report(tmp_path: Path, before: list[dict[str, Any]]) -> Path:
    path = tmp_path / "before.json"
    path.write_text(json.dumps({"run": {"as_of": "2026-06-29"}, "violations": before}), "utf-8")
    return path


def judged(tmp_path: Path, violations: list[Violation], before: list[dict[str, Any]],
           ran: set[str], threads: int | None = None) -> tuple[list[str | None], list]:
    log = FindingLog()
    for v in violations:
        log.append(v)
    outcomes = [RuleOutcome(r, RuleStatus.FAIL if r in ran else RuleStatus.SKIPPED) for r in RULES]
    marked, outcome = compare(log, outcomes, load_baseline(report(tmp_path, before), threads), "before.json")
    return [v.baseline for v in marked], list(outcome.resolved)


@pytest.mark.property
@settings(max_examples=examples(40, 300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(now=st.lists(st.tuples(st.sampled_from(RULES), KEY), max_size=12),
       kept=st.lists(st.tuples(st.sampled_from(RULES), KEY, st.sampled_from(["m1", "m2", None])), max_size=12),
       ran=st.sets(st.sampled_from(RULES)))
def test_the_join_marks_and_resolves_as_a_dictionary_does(tmp_path, now, kept, ran) -> None:
    violations = [violation(r, k) for r, k in now]
    # a baseline keeps key values as text (numbers written by hand become text) or null
    before = [{"rule_id": r, "key": {f: x if x is None else str(x) for f, x in k.items()}, "message": m,
               "severity": "high"} for r, k, m in kept]
    before += [{"rule_id": v.rule_id, "key": {f: None if x is None else str(x) for f, x in v.key.items()},
                "message": "again", "severity": "high"} for v in violations[::3]]
    states, resolved = judged(tmp_path, violations, before, ran)
    assert (states, resolved) == oracle(violations, before, ran)


@pytest.mark.slow
def test_the_join_gives_the_same_answer_past_its_memory_cap(tmp_path, monkeypatch) -> None:
    """150,000 previous entries (19 MB of entries) against 100,000 violations with a 64 MB cap on two threads:
    the answer holds."""
    monkeypatch.setattr(identities, "MEMORY_CAP", "64MB")
    violations = [violation("R-1", {"trade_id": f"T{i:07d}", "leg": Decimal(i % 7)}) for i in range(0, 200_000, 2)]
    before = [{"rule_id": "R-1", "key": {"trade_id": f"T{i:07d}", "leg": str(i % 7)}, "message": "m",
               "severity": "high"} for i in range(0, 150_000)]
    states, resolved = judged(tmp_path, violations, before, {"R-1"}, threads=2)
    assert states.count("persisting") == 75_000 and states[-1] == "new"
    assert len(resolved) == 75_000 and resolved[0]["key"] == {"leg": "0", "trade_id": "T0000007"}
    assert (states, resolved) == oracle(violations, before, {"R-1"})


def test_a_baseline_that_breaks_midway_leaves_no_spill_folder(tmp_path, monkeypatch) -> None:
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    path = tmp_path / "before.json"
    path.write_text(json.dumps({"violations": [{"rule_id": "R", "key": {"k": "1"}}, {"rule_id": 5}]}), "utf-8")
    from sfc_check.errors import DataError
    with pytest.raises(DataError, match="violation 2 is not an sfc-check violation"):
        load_baseline(path)
    assert not list(tmp_path.glob("sfc-check-baseline-*"))


def test_a_tmpdir_that_cannot_be_written_is_exit_2_saying_so(cli, tmp_path, monkeypatch) -> None:
    import tempfile

    def refused(**_: Any) -> str:
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(tempfile, "mkdtemp", refused)
    before = report(tmp_path, [{"rule_id": "R-1", "key": {"k": "1"}}])
    result = cli("audit", SAMPLES / "exports", "--as-of", "2026-06-30", "--baseline", before)
    assert result.code == 2 and "cannot make a folder for the baseline comparison (Permission denied)" in result.err
    assert "Traceback" not in result.err
