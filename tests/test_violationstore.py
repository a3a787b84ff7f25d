"""Violations spilled to disk come back exactly, in report order, and every report is the same as in memory."""
from __future__ import annotations

import re
import tempfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from sfc_check import sortedruns
from sfc_check.model import Severity, Violation
from sfc_check.violationstore import ViolationStore, tally

AS_OF = ("--as-of", "2026-06-30")


def violation(rule: str = "R-1", row: int | None = 1, key: object = "K1", evidence: tuple = (),
              severity: Severity = Severity.HIGH, message: str = "m") -> Violation:
    return Violation(rule, severity, "perp_trades", ("trade_id",), (key,), "t.csv", row, message,
                     tuple(f"e{i}" for i in range(len(evidence))), evidence, "cite")


def test_values_keep_their_type_digits_and_offset_through_the_disk(monkeypatch) -> None:
    monkeypatch.setattr(sortedruns, "SPILL_AT", 2)
    awkward = (Decimal("1.50"), Decimal("1E+2"), Decimal("-0.000"), date(2026, 2, 11),
               datetime(2026, 3, 1, 16, 30, tzinfo=ZoneInfo("Asia/Hong_Kong")),
               datetime(2026, 3, 1, 16, 30, tzinfo=timezone(timedelta(hours=-5))), datetime(2026, 3, 1, 9, 0),
               ("BTC", Decimal("0.5")), ["ETH", 2], None, True, 7, 2.5, "\u9673 \x00 \"q\"", {"a": Decimal("3")})
    store = ViolationStore()
    originals = [violation(row=i, evidence=awkward, key=Decimal("10.0")) for i in range(5)]
    store.extend(originals)
    assert store.spilled == 2  # two runs on disk, one violation still in memory
    back = list(store)
    assert back == originals
    for got, want in zip(back[0].evidence_values, awkward):
        assert type(got) is type(want) and str(got) == str(want)
    assert back[0].key_values == (Decimal("10.0"),) and str(back[0].key_values[0]) == "10.0"


@settings(max_examples=60, deadline=None)
@given(items=st.lists(st.tuples(st.sampled_from(list(Severity)), st.sampled_from(["A-1", "B-2", "C-3"]),
                                st.one_of(st.none(), st.integers(1, 30)), st.sampled_from(["K1", "K2", "K3"]),
                                st.integers(0, 9)), max_size=60),
       spill_at=st.integers(1, 8))
def test_store_reads_back_in_the_order_a_stable_sort_gives(items, spill_at) -> None:
    """Runs merged from disk equal one stable sort of everything (ties keep the order they were added)."""
    old = sortedruns.SPILL_AT
    sortedruns.SPILL_AT = spill_at
    try:
        store = ViolationStore()
        added = [violation(rule, row, key, severity=sev, message=f"m{n}") for sev, rule, row, key, n in items]
        for v in added:
            store.append(v)
        assert len(store) == len(added)
        assert list(store) == sorted(added, key=Violation.sort_key)
        assert list(store) == list(store)  # read twice, same answer
        assert store[:3] == sorted(added, key=Violation.sort_key)[:3]
        if added:
            assert store[-1] == sorted(added, key=Violation.sort_key)[-1]
        assert store.per_rule == {r: sum(1 for v in added if v.rule_id == r) for r in {v.rule_id for v in added}}
        assert tally(store) == tally(list(store))  # counted on arrival == counted by reading back
    finally:
        sortedruns.SPILL_AT = old


def test_marks_apply_when_read_and_the_store_itself_is_unchanged(monkeypatch) -> None:
    monkeypatch.setattr(sortedruns, "SPILL_AT", 2)
    store = ViolationStore()
    store.extend(violation(row=i) for i in range(5))
    marked = store.marked(lambda v: violation(row=v.row, message="marked"))
    assert [v.message for v in marked] == ["marked"] * 5 and len(marked) == 5
    assert [v.message for v in store] == ["m"] * 5
    with pytest.raises(IndexError):
        store[5]


def _without_clock(report: dict) -> dict:
    for section in (report["run"], report["manifest"]):
        section.pop("started_at"), section.pop("finished_at")
    return report


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "junit"])
def test_every_report_is_the_same_when_violations_spill(cli, tmp_path, monkeypatch, fmt) -> None:
    """The planted sample findings with waivers and a baseline: spilled every 3 violations vs kept in memory."""
    baseline = tmp_path / "before.json"
    cli("audit", SAMPLES / "exports", *AS_OF, "--only", "FIN-COLL-002", "--only", "PERP-ACCESS-001",
        "--output", baseline, "--quiet")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule_id: PERP-ACCESS-001\n    key: {trade_id: T002}\n    reason: agreed\n"
                       "    approved_by: Head of Compliance\n    approved_on: \"2026-06-01\"\n"
                       "    expires_on: \"2026-12-31\"\n", "utf-8")
    args = ("audit", SAMPLES / "exports", *AS_OF, "--waivers", waivers, "--baseline", baseline, "--format", fmt)
    in_memory = cli(*args)
    monkeypatch.setattr(sortedruns, "SPILL_AT", 3)
    spilled = cli(*args)
    assert spilled.code == in_memory.code == 1
    if fmt == "json":
        a, b = _without_clock(in_memory.json()), _without_clock(spilled.json())
        assert a == b and a["summary"]["violations"] == 38 and a["summary"]["waived"] == 1
        assert 0 < a["summary"]["new"] < 38
    else:
        clock = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|time=\"[^\"]*\"|timestamp=\"[^\"]*\"")
        assert clock.sub("<clock>", spilled.out) == clock.sub("<clock>", in_memory.out)
        assert "PERP-ACCESS-001" in in_memory.out and len(in_memory.out) > 1000


def test_console_shows_the_first_violations_of_each_rule_and_counts_the_rest(cli, monkeypatch) -> None:
    """With violations read back from disk and one shown per rule: the rule's total, its first violation in
    report order, and how many more there are."""
    from sfc_check import console

    monkeypatch.setattr(sortedruns, "SPILL_AT", 2)
    monkeypatch.setattr(console, "VIOLATIONS_SHOWN_PER_RULE", 1)
    out = cli("audit", SAMPLES / "exports", *AS_OF, "--format", "table").out
    section = out[out.index("PERP-ACCESS-001 (critical)"):]
    assert "2 violation(s)" in section.splitlines()[0]
    assert "trade T002: client C002 is retail" in section and "… and 1 more" in section
    assert "trade T005" not in section.split("… and 1 more")[0]


def test_spill_file_is_anonymous(monkeypatch, tmp_path: Path) -> None:
    """Nothing is left on disk: the temporary file has no name from the moment it is made."""
    monkeypatch.setattr(sortedruns, "SPILL_AT", 1)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    store = ViolationStore()
    store.extend(violation(row=i) for i in range(3))
    assert store.spilled == 3 and list(tmp_path.iterdir()) == []
    assert [v.row for v in store] == [0, 1, 2]


def test_no_room_for_scratch_files_is_a_clear_error(cli, monkeypatch, tmp_path: Path) -> None:
    """A run that must keep violations on disk, with TMPDIR pointing nowhere: exit 2, saying what to do."""
    monkeypatch.setattr(sortedruns, "SPILL_AT", 2)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    result = cli("audit", SAMPLES / "exports", *AS_OF, "--quiet")
    assert result.code == 2 and "scratch file for violations" in result.err and "TMPDIR" in result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
