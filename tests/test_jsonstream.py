"""A .json export read record by record gives what json.loads gives, and fails where it fails, at the same place."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfc_check.data import jsonstream
from sfc_check.data.jsonstream import json_records
from sfc_check.errors import DataError

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=8),
                    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(lambda d: float(d)))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4),
                                                                                              inner, max_size=3),
                      max_leaves=6)
RECORDS = st.lists(st.dictionaries(st.sampled_from(["trade_id", "client_id", "qty", "x", "\u9673"]), VALUES,
                                   max_size=4), max_size=6)


def expected(doc: str) -> list[Any] | str:
    """What the whole-document reading gives: the records, or 'error'."""
    try:
        data = json.loads(doc, parse_float=Decimal)
    except json.JSONDecodeError:
        return "error"
    if isinstance(data, dict) and isinstance(data.get("records", data.get("data")), list):
        data = data.get("records", data.get("data"))
    return data if isinstance(data, list) else "error"


def streamed(doc: str) -> list[Any] | str:
    try:
        return [value for _, value in json_records(io.StringIO(doc), "t.json")]
    except DataError:
        return "error"


def render(records: list[Any], indent: int | None, wrapper: str | None) -> str:
    data: Any = records if wrapper is None else {"exported_at": "2026-06-30", wrapper: records, "count": 1}
    return json.dumps(data, indent=indent, ensure_ascii=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=RECORDS, indent=st.sampled_from([None, 0, 2]), wrapper=st.sampled_from([None, "records", "data"]),
       piece=st.integers(1, 9), cut=st.integers(0, 400), junk=st.sampled_from(["", "x", ",", "]", "}", "\"", "1",
                                                                                "{", "[", " ", "\n"]))
def test_records_and_errors_match_the_whole_document_reading(records, indent, wrapper, piece, cut, junk) -> None:
    """Read through windows of 1 to 9 characters (values cut anywhere), valid and broken documents alike:
    the same records in the same order, or an error at the same line and column as json.loads reports."""
    doc = render(records, indent, wrapper)
    broken = doc[:cut] + junk + doc[cut:] if junk else doc[:cut] if cut < len(doc) else doc
    old = jsonstream.PIECE
    jsonstream.PIECE = piece
    try:
        for text in (doc, broken):
            assert streamed(text) == expected(text), text
            try:
                json.loads(text)
            except json.JSONDecodeError as exc:
                with pytest.raises(DataError) as err:
                    list(json_records(io.StringIO(text), "t.json"))
                if str(err.value.args[0]).startswith("invalid JSON"):
                    assert (err.value.line, err.value.column) == (exc.lineno, exc.colno), (text, err.value, exc)
    finally:
        jsonstream.PIECE = old


def test_numbers_stay_exact_and_records_are_numbered_from_1() -> None:
    got = list(json_records(io.StringIO('{"meta": {"n": [1, 2]}, "records": [{"q": 0.1}, {"q": 1e400}]}'), "t"))
    assert got == [(1, {"q": Decimal("0.1")}), (2, {"q": Decimal("1e400")})]


@pytest.mark.parametrize("doc,message", [
    ("", "empty file"), ("  \n", "empty file"), ("5", "expected a JSON array"), ('{"meta": 1}', "expected a JSON array"),
    ('{"records": {"a": 1}}', "expected a JSON array"), ('{"data": [], "records": []}', "more than one array"),
    ("[{}]\n[{}]", "invalid JSON: Extra data")])
def test_wrong_shapes_are_named(doc: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        list(json_records(io.StringIO(doc), "t.json"))


@pytest.mark.slow
def test_a_large_json_export_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """60,000 trades (17 MB of JSON, 120,000 violations) audited in a child process: parsing the whole
    document (and keeping every violation in memory) peaked at 240 MB here; streaming, about 110 MB."""
    lines = ",\n".join(json.dumps({"trade_id": f"T{i:07d}", "client_id": "C1", "instrument": "BTC-USD-PERP",
                                   "trade_time": "2026-03-01T10:00:00+08:00", "side": "buy", "quantity": "1.5",
                                   "price": "90000.25", "leverage": "5", "note": "x" * 80}) for i in range(60000))
    write(tmp_path / "perp_trades.json", "[\n" + lines + "\n]\n")
    write(tmp_path / "clients.csv", "client_id,name,client_type,investor_class,has_securities_margin_account\n"
          "C1,A,individual,professional,N\n")
    # VmHWM is this process's own peak (ru_maxrss would also count the forked pytest process before exec)
    probe = ("import runpy, sys; sys.argv = ['sfc-check', 'audit', sys.argv[1], '--as-of', '2026-06-30', "
             "'--format', 'json', '--output', sys.argv[2], '--quiet']\n"
             "try:\n    runpy.run_module('sfc_check.cli.commands', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print([line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path), str(tmp_path / "r.json")],
                         capture_output=True, text=True, check=True)
    assert "error" not in out.stderr
    peak_mb = int(out.stdout.split()[-1]) / 1024
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert report["inputs"][1]["rows_read"] == 60000 and report["summary"]["rows_rejected"] == 0
    assert peak_mb < 300, peak_mb  # the engine issue's bound for a run (DuckDB itself takes about 60 MB)
