"""Rejected rows kept on disk once there are many come back exactly, in report order, and every report lists
the same rows with the same reasons as when they were all kept in memory."""
from __future__ import annotations

import re
import shutil

import pytest
from conftest import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from sfc_check import rejectedrows, sortedruns
from sfc_check.app import audit
from sfc_check.model import RejectedRow

AS_OF = ("--as-of", "2026-06-30")


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["clients", "perp_trades", "collateral"]), st.integers(2, 12),
                               st.one_of(st.none(), st.sampled_from(["leverage", "client_id"])),
                               st.one_of(st.none(), st.text(max_size=5)), st.integers(0, 9)), max_size=50),
       spill_at=st.integers(1, 6))
def test_store_reads_back_what_one_stable_sort_by_dataset_and_row_gives(rows, spill_at) -> None:
    old = sortedruns.SPILL_AT
    sortedruns.SPILL_AT = spill_at
    try:
        store = rejectedrows.rejected_store()
        added = [RejectedRow(ds, f"{ds}.csv", row, col, value, f"reason {n}") for ds, row, col, value, n in rows]
        store.extend(added)
        want = sorted(added, key=lambda r: (r.dataset, r.row))
        assert len(store) == len(added) and list(store) == want
        assert store[:10] == want[:10] and list(store) == want  # a preview, then the whole list again
    finally:
        sortedruns.SPILL_AT = old


def _export_with_bad_rows(root) -> None:
    """The clean samples with 40 trades whose leverage is unreadable and two clients with a bad date."""
    shutil.copytree(SAMPLES / "clean", root)
    trades = root / "perp_trades.csv"
    lines = trades.read_text("utf-8").splitlines()
    header, first = lines[0], lines[1].split(",")
    at = header.split(",").index("leverage")
    for i in range(60):
        cells = list(first)
        cells[0] = f"TX{i:04d}"
        cells[at] = f"x{i}" if i % 3 else str(1 + i % 5)
        lines.append(",".join(cells))
    trades.write_text("\n".join(lines) + "\n", "utf-8")
    clients = root / "clients.csv"
    text = clients.read_text("utf-8").replace("2026-01-20", "2026-13-20", 1).replace("2025-03-02", "2 Mar 2025", 1)
    clients.write_text(text, "utf-8")


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "table"])
def test_every_report_lists_the_same_rejected_rows_when_they_spill(cli, tmp_path, monkeypatch, fmt) -> None:
    _export_with_bad_rows(tmp_path / "d")
    args = ("audit", tmp_path / "d", *AS_OF, "--format", fmt)
    in_memory = cli(*args)
    stores = []

    def spy() -> sortedruns.SortedRuns[RejectedRow]:
        stores.append(rejectedrows.rejected_store())
        return stores[-1]
    monkeypatch.setattr(audit, "rejected_store", spy)
    monkeypatch.setattr(sortedruns, "SPILL_AT", 3)
    spilled = cli(*args)
    assert stores and stores[0].spilled >= 10  # 42 rejected rows: they really went to disk, 3 at a time
    assert spilled.code == in_memory.code
    if fmt == "json":
        a, b = in_memory.json(), spilled.json()
        for doc in (a, b):
            for section in ("run", "manifest"):
                doc.pop(section)
        assert a == b
        rejected = a["rejected_rows"]
        assert len(rejected) == a["summary"]["rows_rejected"] == 42
        assert [(r["dataset"], r["column"]) for r in rejected[:2]] == [("clients", "derivatives_knowledge_on"),
                                                                       ("clients", "credit_assessed_on")]
        assert [r["row"] for r in rejected[2:]] == sorted(r["row"] for r in rejected[2:])
        assert {r["column"] for r in rejected[2:]} == {"leverage"} and rejected[2]["value"] == "x1"
    else:
        clock = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|\d\d:\d\d:\d\d")
        assert clock.sub("<clock>", spilled.out) == clock.sub("<clock>", in_memory.out)
        assert "x1" in in_memory.out or fmt == "csv"
