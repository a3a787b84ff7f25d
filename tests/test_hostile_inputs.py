"""Broken and hostile inputs: a clear message naming the file, exit 2 where the audit cannot run, nothing
dropped silently, never a traceback; plus property tests of the counting and determinism invariants."""
from __future__ import annotations

import json
import shutil
import string
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, examples, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfc_check.app import audit as audit_module

KEYS_HEADER = "key_id,mm_id,ip_allowlist,mfa,created_on,rotated_on,status\n"


def test_unreadable_file_is_exit_2_naming_it(cli, tmp_path, monkeypatch) -> None:
    write(tmp_path / "mm_api_keys.csv", KEYS_HEADER + "K1,M1,Y,Y,2026-01-01,,active\n")
    real_open = Path.open

    def denied(self, *args, **kwargs):
        if self.name == "mm_api_keys.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)
    monkeypatch.setattr(Path, "open", denied)
    result = cli("audit", tmp_path)
    assert result.code == 2 and "mm_api_keys.csv" in result.err and "permission denied" in result.err.lower()


def test_file_in_another_encoding_suggests_encoding(cli, tmp_path) -> None:
    write(tmp_path / "clients.csv", "client_id,name,client_type,investor_class,has_securities_margin_account\n"
          "C1,陳大文,individual,retail,Y\n", encoding="big5")
    result = cli("audit", tmp_path)
    assert result.code == 2 and "clients.csv" in result.err and "--encoding" in result.err
    assert "big5hkscs" in result.err and "Traceback" not in result.err
    ok = cli("audit", tmp_path, "--encoding", "big5hkscs", "--format", "json")
    # read, though no rule reads clients alone: nothing judged is exit 2, never a pass
    assert ok.code == 2 and ok.json()["inputs"][0]["rows_read"] == 1 and ok.json()["summary"]["decided_by"]


def test_broken_json_file_is_exit_2_with_line(cli, tmp_path) -> None:
    write(tmp_path / "market_makers.json", '[{"mm_id": "M1",\n "legal_name": ]')
    result = cli("audit", tmp_path)
    assert result.code == 2 and "market_makers.json:2" in result.err and "invalid JSON" in result.err


def test_unexpected_errors_become_a_short_message_and_debug_shows_the_traceback(cli, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")
    monkeypatch.setattr("sfc_check.app.audit.run_audit", boom)
    result = cli("audit", SAMPLES / "clean")
    assert result.code == 2 and "internal error" in result.err and "kaboom" in result.err
    assert "Traceback" not in result.err
    with pytest.raises(RuntimeError):
        cli("--debug", "audit", SAMPLES / "clean")


def test_no_eval_exec_or_unsafe_yaml_in_the_product() -> None:
    source = "\n".join(p.read_text("utf-8") for p in Path(audit_module.__file__).parents[1].rglob("*.py"))
    for forbidden in ("eval(", "exec(", "yaml.load(", "yaml.unsafe_load", "pickle", "urllib", "socket",
                      "requests"):
        assert forbidden not in source, forbidden


cell = st.text(alphabet=string.ascii_letters + string.digits + " ,\"'\n\r-=+@.:/\u00e9\u9673", max_size=12)


@pytest.mark.property
@settings(max_examples=examples(12, 60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=9), max_size=12))
def test_every_row_is_evaluated_or_rejected_and_no_exception_escapes(cli, tmp_path_factory, rows) -> None:
    """Fuzzed CSV bodies under a valid header: exit 0/1, counts add up, a rejection for every bad row."""
    import csv
    import io
    folder = tmp_path_factory.mktemp("fuzz")
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    write(folder / "mm_api_keys.csv", KEYS_HEADER + buf.getvalue())
    write(folder / "market_makers.csv", "mm_id,legal_name,affiliated\n" + buf.getvalue())
    result = cli("audit", folder, "--as-of", "2026-06-30", "--format", "json")
    report = result.json()
    judged = sum(1 for r in report["rules"] if r["status"] in ("pass", "fail"))
    assert result.code in ((0, 1) if judged else (2,)), result.err
    for i in report["inputs"]:
        rejected = [r for r in report["rejected_rows"] if r["path"] == i["path"]]
        assert i["rows_read"] == i["rows_evaluated"] + i["rows_rejected"] == i["rows_evaluated"] + len(rejected)
    assert all(r["reason"] for r in report["rejected_rows"])


@pytest.mark.property
@settings(max_examples=examples(12, 40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(cli, tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("bytes")
    (folder / "collateral.csv").write_bytes(data)
    (folder / "access_log.jsonl").write_bytes(data)
    result = cli("audit", folder, "--as-of", "2026-06-30", "--quiet")
    assert result.code in (0, 1, 2) and "Traceback" not in result.err and "internal error" not in result.err
    if result.code == 2:
        assert "collateral.csv" in result.err or "access_log.jsonl" in result.err


@pytest.mark.property
@settings(max_examples=examples(4, 25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(haircuts=st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=1, max_size=20),
       assets=st.lists(st.sampled_from(["BTC", "eth", "SOL", "0700.HK", "HKD"]), min_size=20, max_size=20))
def test_same_input_gives_byte_identical_violations(cli, tmp_path_factory, haircuts, assets) -> None:
    folder = tmp_path_factory.mktemp("det")
    lines = [f"P{i},C{i % 3},{assets[i]},{'virtual_asset' if assets[i] in ('BTC', 'eth', 'SOL') else 'security'},"
             f"1,{100 + i},{h},2026-06-30\n" for i, h in enumerate(haircuts)]
    write(folder / "collateral.csv", "position_id,client_id,asset,asset_type,quantity,market_value_hkd,haircut_pct,"
          "valued_on\n" + "".join(lines))
    first = cli("audit", folder, "--as-of", "2026-06-30", "--format", "json").json()
    second = cli("audit", folder, "--as-of", "2026-06-30", "--format", "json").json()
    assert json.dumps(first["violations"]) == json.dumps(second["violations"])
    expected = {f"P{i}" for i, h in enumerate(haircuts) if assets[i] in ("BTC", "eth", "SOL") and h < 60}
    assert {v["key"]["position_id"] for v in first["violations"] if v["rule_id"] == "FIN-COLL-002"} == expected


CELLS = st.sampled_from([
    "", " ", "0", "1", "-1.50", "+2", "1.", "1,234.50", "NaN", "Infinity", "1e3", "12O", "60%", "100", "100.01",
    "2026-06-30", "2026-02-30", "20260630", "2026-W01-1", " 2026-06-30", "2026-06-30T10:00:00+08:00",
    "2026-06-30T10:00:00", "2026-06-30 10:00:00Z", "true", "FALSE", "Y", "n", "maybe", "buy", "SELL", "Retail",
    "x\ny", "C0001", " C0001 ", "中文", "20,000,000", "-1,000.5", "1,000.", "12,34", "1,0000", ",123", " 1,000",
    # the ends of the ranges read (values.in_range, values.datetime_in_range)
    "1e99900000", "1e-31", "1000000000000000000", "9999-12-31T23:00:00+00:00", "9999-12-30T00:00:00Z",
    "0001-01-01T12:00:00+00:00", "9999-12-31"])


NUMBER_CELLS = st.sampled_from(["0", "12", "-1.50", "1.", "20,000,000", "-1,000.5", "1,234", "999,999.99", "",
                                  "12,34", "1,0000", ",123", "1,000.", " 1,000", "1,,000", "1e3", "NaN",
                                  # the edges of values.in_range: 10^18 and 10^-30, in plain digits and exponents
                                  "999999999999999999", "1000000000000000000", "-999,999,999,999,999,999",
                                  "1,000,000,000,000,000,000", "1e99900000", "1.5E-05", "1e-30", "1e-31", "0E-40",
                                  "0.000000000000000000000000000001", "0.0000000000000000000000000000001"])


DATETIME_CELLS = st.sampled_from(["2026-06-30T10:00:00+08:00", "2026-06-30T02:00:00Z", "2026-06-30T10:00:00",
                                    # the edges of values.datetime_in_range, with and without an offset
                                    "9999-12-30T00:00:00Z", "9999-12-30T00:00:01Z", "9999-12-31T23:00:00+00:00",
                                    "9999-12-31T08:00:00+08:00", "0001-01-02T00:00:00Z", "0001-01-01T23:59:59Z",
                                    "0001-01-02T07:00:00+08:00", "9999-12-31T00:00:00"])


JSON_CELLS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), CELLS,
                       st.decimals(allow_nan=False, allow_infinity=False, places=3),
                       st.sampled_from([Decimal("1E+2"), Decimal("1.50"), Decimal("-0"), Decimal("2.0"),
                                        Decimal("1"), Decimal("0"), Decimal("1e400")]),
                       st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.sampled_from("ab"), st.integers(0, 3)))


TRADE_CELLS = {  # per column of perp_trades.csv: (good values, values typing refuses or leaves empty)
    "trade_id": (["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", " T9 "], [""]),
    "client_id": (["C1", "C2", "C3"], [""]),
    "instrument": (["BTC-USD-PERP", "eth-usd-perp"], [""]),
    "trade_time": (["2026-03-01T10:00:00+08:00", "2026-03-01T16:30:00Z"], ["2026-02-30T10:00:00Z", "", "yesterday"]),
    "side": (["buy", "SELL"], ["hold", ""]),
    "quantity": (["1", "1,234.50"], ["1.5.1", "", "NaN"]),
    "price": (["90000", "0.01"], ["12O", ""]),
    "leverage": (["5", "20"], ["x5", "", "-1"]),
}


def _cell(good: list[Any], bad: list[Any]) -> st.SearchStrategy[Any]:
    """Mostly good (14 in 15): a batch then holds good rows to type in bulk and a few bad ones."""
    return st.tuples(st.integers(0, 14), st.sampled_from(good), st.sampled_from(bad)).map(
        lambda t: t[2] if t[0] == 0 else t[1])


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_number_out_of_range_is_a_rejected_row_not_an_overflow(cli, tmp_path, fmt) -> None:
    """Decimal() takes `1e99900000`; a sum over it overflowed the decimal context mid-audit (an internal error,
    exit 2, no report). Such a cell is now a rejected row naming its column, and the audit goes on; so is a
    date-time that would leave the calendar in the audit's time zone."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLES / "exports", data)
    lines = (data / "collateral.csv").read_text("utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("market_value_hkd")] = "11e99900000"
    lines[1] = ",".join(cells)
    if fmt == "csv":
        (data / "collateral.csv").write_text("\n".join(lines) + "\n", "utf-8")
    else:
        (data / "collateral.csv").unlink()
        records = [dict(zip(header, line.split(","))) for line in lines[1:]]
        text = "".join(json.dumps(r) + "\n" for r in records)  # the big one as a JSON number, not text
        (data / "collateral.jsonl").write_text(text.replace('"11e99900000"', "11e99900000", 1), "utf-8")
    out = tmp_path / "r.json"
    result = cli("audit", data, "--as-of", "2026-06-30", "--output", out)
    assert result.code == 1, result.err
    report = json.loads(out.read_text("utf-8"))
    [rejected] = report["rejected_rows"]
    assert (rejected["row"], rejected["column"]) == (2 if fmt == "csv" else 1, "market_value_hkd")
    assert "out of range" in rejected["reason"]
    collateral = next(i for i in report["inputs"] if i["dataset"] == "collateral")
    assert collateral["rows_rejected"] == 1 and collateral["rows_read"] == len(lines) - 1


def test_a_date_time_at_the_end_of_the_calendar_is_a_rejected_row(cli, tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(SAMPLES / "exports", data)
    trades = (data / "perp_trades.csv").read_text("utf-8").splitlines()
    header = trades[0].split(",")
    cells = trades[1].split(",")
    cells[header.index("trade_time")] = "9999-12-31T23:00:00Z"  # year 10000 in Hong Kong
    trades[1] = ",".join(cells)
    (data / "perp_trades.csv").write_text("\n".join(trades) + "\n", "utf-8")
    result = cli("audit", data, "--as-of", "2026-06-30", "--format", "json")
    assert result.code == 1, result.err
    [rejected] = result.json()["rejected_rows"]
    assert (rejected["path"], rejected["row"], rejected["column"]) == ("perp_trades.csv", 2, "trade_time")
    assert "out of range" in rejected["reason"]


_CELL = st.sampled_from(["", " ", "T1", "C1", "x2", "5", "1,234.5", "1,23", "NaN", "1e99", "2026-03-01",
                         "2026-02-30", "2026-03-01T10:00:00+08:00", "2026-03-01T10:00", "buy", "SELL", "hold",
                         "BTC-USD-PERP", "0.0000001", "-3"])

