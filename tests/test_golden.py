"""The engine gives exactly the reports the engine before it gave (golden files of commit aed18e3, written by
tests/golden/make_inputs.py's sets; re-recorded after rule pack v2 changed citations and AMM-DISC-001, every other
difference reviewed as none): violations with rule, key, file, row, message and evidence, rejected rows
with file, row, column and reason, per-rule status and counts, per-input counts and hashes."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
SETS = json.loads((GOLDEN / "sets.json").read_text("utf-8"))

# Differences kept on purpose, each with its reason (docs/engine.md lists them):
# none for these sets.


@pytest.mark.parametrize("name", sorted(SETS))
def test_the_report_is_the_golden_one(name: str, cli, tmp_path: Path) -> None:
    spec = SETS[name]
    out = tmp_path / "report.json"
    args = [str(ROOT / a) if a.startswith("samples/") else a for a in spec["args"]]
    result = cli("audit", ROOT / spec["data"], "--as-of", "2026-06-30", "--output", out, "--quiet", *args)
    assert result.code in (0, 1), result.err
    got = json.loads(out.read_text("utf-8"))
    expected = json.loads((GOLDEN / f"{name}.expected.json").read_text("utf-8"))
    for part in ("inputs", "rules", "violations", "rejected_rows", "summary", "ignored_files"):
        assert got[part] == expected[part], part
    # a missing value reads "not recorded", a list as words: never Python's or JSON's spelling
    shown = [v["message"] for v in got["violations"]] + [r.get("reason", "") for r in got["rules"]]
    assert not [m for m in shown if re.search(r"\bnull\b|\bNone\b|\['", m)]
