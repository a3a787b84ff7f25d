"""The engine types a canonical CSV itself (SQL); the Python readers type what it cannot read (other encodings,
records spanning lines, profiles). Both must give the same rows, values, rejections and reasons: a property
test over cells that real exports hold, good and bad, holds them together."""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import examples, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfc_check.app.evaluation import _load
from sfc_check.backends.duckdb_backend import DuckDBBackend
from sfc_check.backends.sql import table_name
from sfc_check.data.datasets import discover, open_reader
from sfc_check.data.dictionary import load_dictionary
from sfc_check.model import RejectedRow

NUMBERS = ["1", "1.50", "-0.5", " 2 ", "1,234.50", "12,345,678.9", "1,23", "abc", "", "NaN", "-Infinity", "1e3",
           "1E-2", ".5", "5.", "+7", "2_5", "\uff11\uff12", "0.00000000001", "0.00000000010", "99999999999999999999",
           "1e18", "-0", "00012.3400", "1.2.3", "--1", "60", "100", "100.01", "-1"]
DATES = ["2026-03-01", "2026-02-30", "2026-3-1", "20260301", "", " 2026-03-01 ", "0000-01-01",
         "\uff12\uff10\uff12\uff16-01-01", "2026-13-01", "x"]
STAMPS = ["2026-03-01T10:00:00+08:00", "2026-03-01 10:00:00", "2026-03-01T10:00Z", "2026-03-01",
          "2026-03-01T10:00:00.5+0800", "2026-03-01T10:00:00,123456-05:00", "2026-03-01T10+08", "not a time", "",
          "2026-03-01T10:00:00+08", "9999-12-31T23:00:00Z", "0001-01-01T00:00:00+01:00", "2026-03-01T25:00:00Z",
          "2026-03-01T10:00:00+08:00:00", "2026-03-01t10:00:00z", "2026-03-01T24:00:00+08:00", "2026-03-01 24:00"]
KINDS = ["virtual_asset", "VIRTUAL_ASSET", " Security ", "cash", "crypto", ""]
FLAGS = ["Y", "n", "TRUE", "0", "maybe", "", " yes "]
TEXTS = ["x", " spaced ", "", "a,b", 'say "hi"', "\u00a0nbsp\u00a0", "btc", "\tTab"]
IDS = ["P1", "P2", "P3", " P1", ""]

COLLATERAL = ["position_id", "client_id", "asset", "asset_type", "quantity", "market_value_hkd", "haircut_pct",
              "valued_on", "repledged", "desk"]
TRADES = ["trade_id", "client_id", "instrument", "trade_time", "side", "quantity", "price", "leverage"]


def _row(columns: list[str]) -> st.SearchStrategy[list[str]]:
    pick = {"position_id": IDS, "trade_id": IDS, "client_id": TEXTS, "asset": TEXTS, "instrument": TEXTS,
            "desk": TEXTS, "asset_type": KINDS, "side": ["buy", "SELL", "hold", ""], "quantity": NUMBERS,
            "market_value_hkd": NUMBERS, "haircut_pct": NUMBERS, "price": NUMBERS, "leverage": NUMBERS,
            "valued_on": DATES, "repledged": FLAGS, "trade_time": STAMPS}
    return st.tuples(*[st.sampled_from(pick[c]) for c in columns]).map(list)


def _shape(columns: list[str]) -> st.SearchStrategy[list[str] | None]:
    """A row of the header's width, mostly; sometimes ragged, blank or nothing but separators."""
    return st.one_of(_row(columns), _row(columns), _row(columns),
                     _row(columns).map(lambda r: r[:-2]), _row(columns).map(lambda r: r + ["extra"]),
                     st.just([""] * len(columns)), st.just(None))


def _csv(columns: list[str], rows: list[list[str] | None]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        if row is None:
            out.write("\n")
        else:
            writer.writerow(row)
    return out.getvalue()


class PythonOnly:
    """A reader the engine may not read itself: its rows come through the Python typing."""

    def __init__(self, reader: Any) -> None:
        self.reader, self.stats = reader, reader.stats

    def batches(self) -> Any:
        return self.reader.batches()


def load(folder: Path, dataset: str, native: bool) -> tuple[list[tuple[Any, ...]], list[RejectedRow], Any]:
    rejected: list[RejectedRow] = []
    reader = open_reader(discover(folder)[0][dataset], rejected)
    source = reader if native else PythonOnly(reader)
    backend = DuckDBBackend("Asia/Hong_Kong")
    try:
        spec = load_dictionary()[dataset]
        _load(backend, spec, source, rejected, None)
        columns = ["__path", "__row", "__extra"] + [c for f in spec.fields for c in
                                                    [f.name] + {"decimal": [f.name + "__e"],
                                                                "datetime": [f.name + "__o", f.name + "__d"]}
                                                    .get(f.type, [])]
        rows = backend.con.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} '
                                   f'FROM "{table_name(dataset)}" ORDER BY "__row"').fetchall()
    finally:
        backend.close()
    stats = (reader.stats.rows_read, reader.stats.rows_rejected, reader.stats.rows_blank, reader.stats.sha256)
    return rows, rejected, stats


@pytest.mark.property
@settings(max_examples=examples(12, 200), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), which=st.sampled_from(["collateral", "perp_trades"]))
def test_the_engine_and_the_python_reader_type_a_csv_alike(tmp_path_factory, data, which) -> None:
    columns = COLLATERAL if which == "collateral" else TRADES
    rows = data.draw(st.lists(_shape(columns), min_size=1, max_size=12))
    folder = tmp_path_factory.mktemp("typing")
    write(folder / f"{which}.csv", _csv(columns, rows))
    native = load(folder, which, native=True)
    python = load(folder, which, native=False)
    assert native[2] == python[2]
    assert sorted(native[1]) == sorted(python[1])  # (the report lists them sorted)
    assert [r[:2] + (json.loads(r[2]) if r[2] else None,) + r[3:] for r in native[0]] == \
        [r[:2] + (json.loads(r[2]) if r[2] else None,) + r[3:] for r in python[0]]


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize("cell,reason", [
    ("2_5", "not a number"), ("\uff12\uff15", "not a number"), ("\u0662\u0665", "not a number"),
    ("1,23", "not a number (misplaced thousands separator)"), ("NaN", "not a finite number"),
    ("0.00000000001", "more than 10 decimal places (sfc-check keeps 10)"),
    ("1e18", "number out of range (sfc-check reads numbers from 10^-30 up to 10^18 in size)")])
def test_only_ascii_numbers_within_the_engines_range_are_numbers(tmp_path, native, cell, reason) -> None:
    write(tmp_path / "perp_trades.csv", ",".join(TRADES) + "\n" +
          f"T1,C1,BTC-USD-PERP,2026-03-01T10:00:00+08:00,buy,1,1,\"{cell}\"\n")
    rows, rejected, _ = load(tmp_path, "perp_trades", native)
    assert rows == []
    assert [(r.row, r.column, r.value, r.reason) for r in rejected] == [(2, "leverage", cell, reason)]


def test_a_trade_time_keeps_its_offset_and_its_hong_kong_date(tmp_path) -> None:
    write(tmp_path / "perp_trades.csv", ",".join(TRADES) + "\n"
          "T1,C1,BTC-USD-PERP,2026-05-31T16:30:00Z,buy,1.50,1,2\nT2,C1,BTC-USD-PERP,2026-05-31T23:30:00-05:00,buy,1,1,2\n")
    rows, rejected, _ = load(tmp_path, "perp_trades", native=True)
    assert not rejected
    by_id = {r[3]: r for r in rows}
    names = ["__path", "__row", "__extra", "trade_id", "client_id", "instrument", "trade_time", "trade_time__o",
             "trade_time__d", "side", "quantity", "quantity__e"]
    t1, t2 = dict(zip(names, by_id["T1"])), dict(zip(names, by_id["T2"]))
    assert t1["trade_time__d"] == date(2026, 6, 1) and t1["trade_time__o"] == 0
    assert t2["trade_time__d"] == date(2026, 6, 1) and t2["trade_time__o"] == -5 * 3600
    assert t1["quantity__e"] == -2 and t1["trade_time"].astimezone(ZoneInfo("UTC")).hour == 16


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize("cell", ["20260601", "2026-06-01T10:00:00+08:00:00", "2026-06-01T10:00:00.1234567Z",
                                  "2026-W22-1", "2026-06-01T10"])
def test_date_times_are_read_in_the_documented_iso_shapes_only(tmp_path, native, cell) -> None:
    """Python's fromisoformat takes more shapes than exports write (a basic-format 20260601, a week date); the
    engines read the same documented shapes, so a file's meaning does not depend on which one reads it."""
    write(tmp_path / "perp_trades.csv", ",".join(TRADES) + "\n" + f"T1,C1,BTC-USD-PERP,{cell},buy,1,1,2\n")
    rows, rejected, _ = load(tmp_path, "perp_trades", native)
    if cell == "2026-06-01T10":  # an hour alone is ISO 8601 and is read
        assert not rejected and len(rows) == 1
    else:
        assert rows == [] and [(r.column, r.reason) for r in rejected] == [
            ("trade_time", "not an ISO 8601 date-time (e.g. 2026-03-01T09:30:00+08:00)")]


@pytest.mark.parametrize("cut", range(1, 9))
def test_the_byte_scan_sees_a_crlf_or_a_no_break_space_that_a_chunk_cuts_in_two(tmp_path, monkeypatch, cut) -> None:
    """A lone CR sends the file to the Python reader; a no-break space makes the engine trim as str.strip() does.
    Both are found wherever the file's chunks are cut, also through the middle of a CRLF or of U+00A0's bytes."""
    from sfc_check.backends import duckdb_csv
    monkeypatch.setattr(duckdb_csv, "SCAN_CHUNK", cut)
    crlf = write(tmp_path / "a.csv", "a,b\r\n1,2\r\n3,4\r\n")
    lone = write(tmp_path / "b.csv", "a,b\r\n1,2\r3,4\r\n")
    nbsp = write(tmp_path / "c.csv", "a,b\n1,\u00a02\n")
    assert duckdb_csv.scan(crlf).plain and not duckdb_csv.scan(crlf).odd_space
    assert not duckdb_csv.scan(lone).plain
    assert duckdb_csv.scan(nbsp).odd_space
