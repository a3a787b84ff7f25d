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
from conftest import SAMPLES, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfc_check import audit as audit_module

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
    assert ok.code in (0, 1) and ok.json()["inputs"][0]["rows_read"] == 1


def test_broken_json_file_is_exit_2_with_line(cli, tmp_path) -> None:
    write(tmp_path / "market_makers.json", '[{"mm_id": "M1",\n "legal_name": ]')
    result = cli("audit", tmp_path)
    assert result.code == 2 and "market_makers.json:2" in result.err and "invalid JSON" in result.err


def test_unexpected_errors_become_a_short_message_and_debug_shows_the_traceback(cli, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")
    monkeypatch.setattr("sfc_check.cli.run_audit", boom)
    result = cli("audit", SAMPLES / "clean")
    assert result.code == 2 and "internal error" in result.err and "kaboom" in result.err
    assert "Traceback" not in result.err
    with pytest.raises(RuntimeError):
        cli("--debug", "audit", SAMPLES / "clean")


def test_no_eval_exec_or_unsafe_yaml_in_the_product() -> None:
    source = "\n".join(p.read_text("utf-8") for p in (Path(audit_module.__file__).parent).rglob("*.py"))
    for forbidden in ("eval(", "exec(", "yaml.load(", "yaml.unsafe_load", "pickle", "urllib", "socket",
                      "requests"):
        assert forbidden not in source, forbidden


cell = st.text(alphabet=string.ascii_letters + string.digits + " ,\"'\n\r-=+@.:/\u00e9\u9673", max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
    assert result.code in (0, 1), result.err
    report = result.json()
    for i in report["inputs"]:
        rejected = [r for r in report["rejected_rows"] if r["path"] == i["path"]]
        assert i["rows_read"] == i["rows_evaluated"] + i["rows_rejected"] == i["rows_evaluated"] + len(rejected)
    assert all(r["reason"] for r in report["rejected_rows"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(cli, tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("bytes")
    (folder / "collateral.csv").write_bytes(data)
    (folder / "access_log.jsonl").write_bytes(data)
    result = cli("audit", folder, "--as-of", "2026-06-30", "--quiet")
    assert result.code in (0, 1, 2) and "Traceback" not in result.err and "internal error" not in result.err
    if result.code == 2:
        assert "collateral.csv" in result.err or "access_log.jsonl" in result.err


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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


@settings(max_examples=400, deadline=None)
@given(columns=st.lists(st.lists(CELLS, min_size=1, max_size=12), min_size=1, max_size=4), data=st.data())
def test_column_typing_equals_cell_typing(columns, data) -> None:
    """The bulk column converters (and the per-column caches they keep between batches) give exactly the
    per-cell converter's values, or hand the batch to the row path when some cell is bad for it."""
    from sfc_check.columns import NeedsRowPath, column_checker, column_converter
    from sfc_check.dictionary import load_dictionary
    from sfc_check.values import BadValue, text_converter_for

    fields = [f for spec in load_dictionary().values() for f in spec.fields]
    field = data.draw(st.sampled_from(fields))
    bulk, checker, cell = column_converter(field), column_checker(field), text_converter_for(field)
    for col in columns:  # several batches through the same converters
        try:
            expected = [cell(t) for t in col]
        except BadValue:
            expected = None
        for convert in (bulk, checker):
            try:
                got = convert(col)
            except NeedsRowPath:
                got = "row path"
            if expected is None:
                assert got == "row path", (field, col, got)
            elif convert is checker and got is None:
                continue  # checked, not typed: only allowed when every cell is good
            else:
                assert got == expected, (field, col)


NUMBER_CELLS = st.sampled_from(["0", "12", "-1.50", "1.", "20,000,000", "-1,000.5", "1,234", "999,999.99", "",
                                  "12,34", "1,0000", ",123", "1,000.", " 1,000", "1,,000", "1e3", "NaN",
                                  # the edges of values.in_range: 10^18 and 10^-30, in plain digits and exponents
                                  "999999999999999999", "1000000000000000000", "-999,999,999,999,999,999",
                                  "1,000,000,000,000,000,000", "1e99900000", "1.5E-05", "1e-30", "1e-31", "0E-40",
                                  "0.000000000000000000000000000001", "0.0000000000000000000000000000001"])


@settings(max_examples=300, deadline=None)
@given(column=st.lists(NUMBER_CELLS, min_size=1, max_size=8),
       field_name=st.sampled_from(["collateral.market_value_hkd", "clients.pi_portfolio_hkd"]))
def test_decimal_columns_with_thousands_separators_type_in_bulk_as_cell_by_cell(column, field_name) -> None:
    """Firms' exports write `20,000,000`: the bulk converter and the checker of unread columns accept exactly the
    separators the per-cell parser accepts, and give its values; so too for numbers at the edges of the range
    read (values.in_range)."""
    from sfc_check.columns import NeedsRowPath, column_checker, column_converter
    from sfc_check.dictionary import load_dictionary
    from sfc_check.values import BadValue, text_converter_for

    dataset, name = field_name.split(".")
    field = load_dictionary()[dataset].by_name[name]
    cell = text_converter_for(field)
    try:
        expected: Any = [cell(t) for t in column]
        if field.required and None in expected:
            expected = "row path"
    except BadValue:
        expected = "row path"
    for convert in (column_converter(field), column_checker(field)):
        try:
            got = convert(column)
        except NeedsRowPath:
            got = "row path"
        if got is None:  # the checker vouched for the column: only allowed when every cell is good
            assert expected != "row path", column
        elif expected == "row path":
            assert got == "row path" or (field.required and None in got), column
        else:
            assert got == expected, column
    assert column_converter(field)(["20,000,000", "1,234.5", "7"]) == [Decimal(20000000), Decimal("1234.5"), 7]


DATETIME_CELLS = st.sampled_from(["2026-06-30T10:00:00+08:00", "2026-06-30T02:00:00Z", "2026-06-30T10:00:00",
                                    # the edges of values.datetime_in_range, with and without an offset
                                    "9999-12-30T00:00:00Z", "9999-12-30T00:00:01Z", "9999-12-31T23:00:00+00:00",
                                    "9999-12-31T08:00:00+08:00", "0001-01-02T00:00:00Z", "0001-01-01T23:59:59Z",
                                    "0001-01-02T07:00:00+08:00", "9999-12-31T00:00:00"])


@settings(max_examples=200, deadline=None)
@given(column=st.lists(DATETIME_CELLS, min_size=1, max_size=6),
       field_name=st.sampled_from(["perp_trades.trade_time", "access_log.accessed_at"]))
def test_date_time_columns_at_the_ends_of_the_calendar_type_in_bulk_as_cell_by_cell(column, field_name) -> None:
    """A date-time within a day of the calendar's ends would overflow when turned into a day in Hong Kong: the
    bulk converter refuses exactly the cells the per-cell parser refuses (the batch goes to the row path)."""
    from sfc_check.columns import NeedsRowPath, column_converter
    from sfc_check.dictionary import load_dictionary
    from sfc_check.values import BadValue, text_converter_for

    dataset, name = field_name.split(".")
    field = load_dictionary()[dataset].by_name[name]
    cell = text_converter_for(field)
    try:
        expected: Any = [cell(t) for t in column]
    except BadValue:
        expected = "row path"
    try:
        got: Any = column_converter(field)(column)
    except NeedsRowPath:
        got = "row path"
    assert got == expected, column


JSON_CELLS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), CELLS,
                       st.decimals(allow_nan=False, allow_infinity=False, places=3),
                       st.sampled_from([Decimal("1E+2"), Decimal("1.50"), Decimal("-0"), Decimal("2.0"),
                                        Decimal("1"), Decimal("0"), Decimal("1e400")]),
                       st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.sampled_from("ab"), st.integers(0, 3)))


@settings(max_examples=400, deadline=None)
@given(column=st.lists(JSON_CELLS, min_size=1, max_size=12), data=st.data())
def test_json_scalars_as_text_type_like_the_scalars_themselves(column, data) -> None:
    """JSON records share the CSV column typing by turning numbers, booleans and nulls into text: whatever the
    column typing accepts equals, value for value (type and digits alike), what converter_for makes of the
    JSON values themselves; a column it cannot take goes to the record path."""
    from sfc_check.columns import NeedsRowPath, column_converter
    from sfc_check.dictionary import load_dictionary
    from sfc_check.rowtyping import cell_text
    from sfc_check.values import converter_for

    field = data.draw(st.sampled_from([f for spec in load_dictionary().values() for f in spec.fields]))
    try:
        got = column_converter(field)([cell_text(c) for c in column])
    except NeedsRowPath:
        return
    expected = [converter_for(field)(c) for c in column]  # must not raise: the bulk path accepted every cell
    assert [(type(v), str(v)) for v in got] == [(type(v), str(v)) for v in expected], (field, column)
    assert got == expected


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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_cell([st.fixed_dictionaries({k: _cell(*v) for k, v in TRADE_CELLS.items()})],
                           [st.sampled_from(["", ",,,,,,,", "T1,C1", "T1,C1,BTC-USD-PERP,x,buy,1,1,1,extra"])]
                           ).flatmap(lambda s: s), min_size=5, max_size=40),
       batch=st.sampled_from([3, 7, 2048]), fmt=st.sampled_from(["csv", "jsonl"]))
def test_a_batch_with_bad_rows_types_its_good_rows_in_bulk_with_the_same_outcome(tmp_path_factory, rows, batch,
                                                                                  fmt) -> None:
    """Bad cells, blank lines, short and long rows (as JSON Lines: non-objects, missing keys, broken JSON,
    numbers as JSON numbers) and repeated keys, in batches cut anywhere: typing the good rows of a batch in bulk
    and the bad ones one by one gives exactly what typing every row one by one gives (rows, their order and
    numbers, rejections with column and reason, and the counts)."""
    from unittest.mock import patch

    from sfc_check import csvreader, recordreader
    from sfc_check.columns import BatchTyper, NeedsRowPath
    from sfc_check.datasets import discover, open_reader

    folder = tmp_path_factory.mktemp("bad")
    if fmt == "csv":
        lines = [",".join(TRADE_CELLS)] + [r if isinstance(r, str) else ",".join(
            f'"{r[k]}"' if "," in r[k] else r[k] for k in TRADE_CELLS) for r in rows]
    else:
        odd = {"": "", ",,,,,,,": "[1, 2]", "T1,C1": '{"trade_id": "T1", "client_id": "C1"}'}
        lines = [odd.get(r, '{"trade_id": "T1", ') if isinstance(r, str) else json.dumps(
            {k: (json.loads(v) if k == "leverage" and v.isdigit() else v) for k, v in r.items()}) for r in rows]
    write(folder / f"perp_trades.{fmt}", "\n".join(lines) + "\n")

    def read() -> tuple[list, list, tuple[int, int, int]]:
        rejected: list = []
        reader = open_reader(discover(folder)[0]["perp_trades"], rejected)
        out = list(reader)  # (the report sorts rejections by row, so their list order is not compared)
        return out, sorted(rejected, key=lambda r: r.row), (reader.stats.rows_read, reader.stats.rows_rejected,
                                                             reader.stats.rows_blank)

    def never_in_bulk(self, rows):  # the reference: every batch with a problem typed row by row
        raise NeedsRowPath()

    with patch.object(csvreader, "BATCH", batch), patch.object(recordreader, "BATCH", batch):
        partly = read()
        with patch.object(BatchTyper, "__call__", never_in_bulk):
            one_by_one = read()
    assert partly == one_by_one
    assert partly[2][0] == len(partly[0]) + partly[2][1]  # rows read = rows kept + rows rejected


@pytest.mark.parametrize("name", ["perp_trades.csv", "perp_trades.jsonl"])
def test_reading_bad_rows_leaves_no_reference_cycles(tmp_path, name) -> None:
    """The engine turns the cyclic garbage collector off during its passes, so anything that makes a cycle per
    row leaks: a kept exception (its traceback holds the frame that holds it) once cost 17 KB per bad row."""
    import gc

    from sfc_check.datasets import discover, open_reader

    rows = [f"T{i},C1,BTC-USD-PERP,2026-03-01T10:00:00+08:00,buy,1,90000,{'x' if i % 10 == 0 else 5}"
            for i in range(3000)] + ["T1,C1,BTC-USD-PERP,2026-03-01T10:00:00+08:00,buy,1,90000,5", "T2,C1", ""]
    header = "trade_id,client_id,instrument,trade_time,side,quantity,price,leverage"
    if name.endswith(".csv"):
        write(tmp_path / name, header + "\n" + "\n".join(rows) + "\n")
    else:
        write(tmp_path / name, "".join(json.dumps(dict(zip(header.split(","), r.split(",")))) + "\n"
                                       for r in rows if r) + "not json\n")
    list(open_reader(discover(tmp_path)[0]["perp_trades"], []))  # first use loads caches (dictionary, zones)
    rejected: list = []
    gc.collect()
    gc.disable()
    try:
        kept = list(open_reader(discover(tmp_path)[0]["perp_trades"], rejected))
        cycles = gc.collect()
    finally:
        gc.enable()
    assert len(kept) == 2700 and len(rejected) >= 301
    assert cycles == 0


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


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL, min_size=9, max_size=9), st.booleans())
def test_a_suspect_row_walked_once_gets_the_answer_of_the_two_pass_typer(cells, text) -> None:
    """The CSV and JSON readers walk rows their column typing refused once, stopping at the first bad cell;
    the usual typer converts the whole row and, when it fails, walks it again to name the cell. Both must
    give the same typed row, or the same column, value and reason (the first bad cell in field order, and
    only when no cell is bad, the first required field left empty, as written out here), for CSV text and through the general
    converters JSON values take (`text` False); also when told to look first at a field all earlier ones of
    which convert, as a batch whose column typing failed there tells it."""
    from sfc_check.dictionary import load_dictionary
    from sfc_check.rowtyping import RowProblem, row_typer
    spec = load_dictionary()["perp_trades"]
    positions = {f.name: i for i, f in enumerate(spec.fields)}
    from sfc_check.values import BadValue, converter_for, text_converter_for

    def answer(typer, **start) -> tuple:
        try:
            return ("row", typer(list(cells), **start))
        except RowProblem as exc:
            return ("problem", exc.column, exc.value, exc.reason)
    usual, walk = (row_typer(spec, positions, text=text, suspect=suspect) for suspect in (False, True))
    expected = answer(usual)
    assert answer(walk) == expected
    # the rule itself, written out here: the first cell a converter refuses, else the first empty required one
    values, problem = [], None
    for field, cell in zip(spec.fields, cells):
        try:
            values.append((text_converter_for if text else converter_for)(field)(cell))
        except BadValue as exc:
            problem = ("problem", field.name, cell, str(exc))
            break
    if problem is None:
        empty = [(f.name, c) for f, c, v in zip(spec.fields, cells, values) if f.required and v is None]
        problem = ("problem", *empty[0], "required value is empty") if empty else None
    if problem is not None:
        assert expected == problem
    # a batch tells the walk where to look first: a field every earlier one of which converts
    for start, field in enumerate(spec.fields):
        assert answer(walk, start=start) == expected, start
        try:
            (text_converter_for if text else converter_for)(field)(cells[start])
        except BadValue:
            break  # later fields are never given as a start for this row
