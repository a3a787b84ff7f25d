"""A file judged in parts: the key hashes of two parts are compared on disk, a slice at a time, and workers
hand back only where their results are, never the results themselves."""
from __future__ import annotations

import pickle
import shutil
import tempfile

import numpy as np
from conftest import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from test_differential import _trades_file

from sfc_check import parts, sortedruns

INT64 = st.integers(-(2**63), 2**63 - 1)


@settings(max_examples=200, deadline=None)
@given(a=st.sets(INT64, max_size=40), b=st.sets(INT64, max_size=40), at_once=st.integers(1, 7),
       shared=st.booleans())
def test_a_shared_hash_is_found_whatever_the_slices(a, b, at_once, shared) -> None:
    if shared and a:
        b = b | {max(a)} if len(b) % 2 else b | {min(a)}
    old = parts.KEYS_AT_ONCE
    parts.KEYS_AT_ONCE = at_once
    try:
        with tempfile.TemporaryFile() as f:
            f.write(b"header bytes")  # the hashes sit after other data, at an offset
            at_a = f.tell()
            f.write(np.array(sorted(a), np.int64).tobytes())
            at_b = f.tell()
            f.write(np.array(sorted(b), np.int64).tobytes())
            f.flush()
            assert parts._shared_key(f, at_a, len(a), f, at_b, len(b)) == bool(a & b)
            assert parts._shared_key(f, at_b, len(b), f, at_a, len(a)) == bool(a & b)
    finally:
        parts.KEYS_AT_ONCE = old


def test_workers_hand_back_places_and_counts_not_their_violations(tmp_path, cli, monkeypatch) -> None:
    shutil.copytree(SAMPLES / "clean", tmp_path / "d")
    _trades_file(tmp_path / "d" / "perp_trades.csv", 4000, False, bad_rows=(5, 3999))
    monkeypatch.setattr(parts, "SPLIT_MIN_BYTES", 100_000)  # the trades file (~300 KB) only
    handed: list[dict] = []
    real = parts._adopt
    monkeypatch.setattr(parts, "_adopt",
                        lambda sink, rejected, file, r: handed.append(r) or real(sink, rejected, file, r))
    doc = cli("audit", tmp_path / "d", "--as-of", "2026-06-30", "--format", "json", "--jobs", "2").json()
    assert len(handed) == 2 and sum(sum(r["per_rule"].values()) for r in handed) > 1000
    assert all(len(pickle.dumps(r)) < 4000 for r in handed)  # a few offsets and counts, whatever the findings
    assert [r["row"] for r in doc["rejected_rows"]] == [7, 4001]
    assert doc["summary"]["violations"] == sum(sum(r["per_rule"].values()) for r in handed) + sum(
        1 for v in doc["violations"] if v["dataset"] != "perp_trades")


def test_no_scratch_folder_for_the_parts_means_one_pass_not_an_error(tmp_path, cli, monkeypatch) -> None:
    shutil.copytree(SAMPLES / "clean", tmp_path / "d")
    _trades_file(tmp_path / "d" / "perp_trades.csv", 3000, False)
    monkeypatch.setattr(parts, "SPLIT_MIN_BYTES", 100_000)
    monkeypatch.setattr(sortedruns, "SPILL_AT", 1 << 13)  # the one pass keeps its 3,550 violations in memory
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    split = cli("audit", tmp_path / "d", "--as-of", "2026-06-30", "--format", "json", "--jobs", "2")
    assert split.code == 1 and split.err == ""
    single = cli("audit", tmp_path / "d", "--as-of", "2026-06-30", "--format", "json", "--jobs", "1")
    a, b = split.json(), single.json()
    for doc in (a, b):
        doc.pop("run"), doc.pop("manifest")
    assert a == b and a["summary"]["violations"] > 500
