"""LOAD DATA: typing per the dictionary, rejection with file/row/column/reason, and the read-once invariants."""
from __future__ import annotations

import csv
import json
import shutil
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, write

from sfc_check.data.datasets import discover, open_reader
from sfc_check.data.rowreader import RowReader
from sfc_check.errors import DataError
from sfc_check.model import RejectedRow

TRADES_HEADER = "trade_id,client_id,instrument,trade_time,side,quantity,price,leverage,counterparty_client_id\n"


def read(path: Path, encoding: str | None = None) -> tuple[list, list[RejectedRow], RowReader]:
    files, _ = discover(path.parent)
    rejected: list[RejectedRow] = []
    reader = open_reader(files[path.stem], rejected, encoding)
    rows = list(reader)
    return rows, rejected, reader


def test_values_are_typed_per_the_dictionary(tmp_path) -> None:
    p = write(tmp_path / "perp_trades.csv", TRADES_HEADER +
              "T1,C1,btc-usd-perp,2026-06-01T10:00:00+08:00,BUY,\"1,234.50\",0.1,20,\n"
              "T2,C1,BTC-USD-PERP,2026-06-01T02:00:00,Sell,1,2,3,C2\n"
              "T3,C1,BTC-USD-PERP,2026-06-01T02:00:00Z,sell,1,2,3,\n")
    rows, rejected, reader = read(p)
    assert not rejected
    (n1, r1), (n2, r2), (n3, r3) = rows
    assert (n1, n2, n3) == (2, 3, 4)
    assert r1[2] == "BTC-USD-PERP" and r1[4] == "buy" and r1[5] == Decimal("1234.50") and r1[6] == Decimal("0.1")
    assert r1[3] == datetime(2026, 6, 1, 10, tzinfo=timezone(timedelta(hours=8)))
    assert r2[3] == datetime(2026, 6, 1, 2, tzinfo=timezone.utc)  # no offset means UTC
    assert r3[3] == r2[3]
    assert r1[8] is None and r2[8] == "C2"
    assert reader.stats.rows_read == 3 and reader.stats.rows_rejected == 0 and len(reader.stats.sha256) == 64


@pytest.mark.parametrize("text,value", [("true", True), ("Yes", True), ("y", True), ("1", True),
                                        ("FALSE", False), ("no", False), ("N", False), ("0", False)])
def test_booleans(tmp_path, text, value) -> None:
    p = write(tmp_path / "mm_api_keys.csv", "key_id,mm_id,ip_allowlist,mfa,created_on,status\n"
              f"K1,M1,{text},{text},2026-01-01,active\n")
    rows, rejected, _ = read(p)
    assert rows[0][1][2] is value and not rejected


def test_bad_values_reject_the_row_with_file_row_column_value_reason(tmp_path) -> None:
    p = write(tmp_path / "clients.csv",
              "client_id,client_type,investor_class,has_securities_margin_account,pi_assessed_on,pi_portfolio_hkd\n"
              "C1,individual,retail,Y,2026-01-01,100\n"
              "C2,individual,retail,Y,31/02/2026,100\n"
              "C3,individual,sophisticated,Y,,100\n"
              "C4,individual,retail,maybe,,100\n"
              "C5,individual,retail,Y,2026-02-30,100\n"
              "C6,individual,retail,Y,,1.2.3\n"
              "C7,individual,retail,Y,,NaN\n"
              ",individual,retail,Y,,\n")
    rows, rejected, reader = read(p)
    assert [n for n, _ in rows] == [2]
    got = {(r.row, r.column, r.value) for r in rejected}
    assert got == {(3, "pi_assessed_on", "31/02/2026"), (4, "investor_class", "sophisticated"),
                   (5, "has_securities_margin_account", "maybe"), (6, "pi_assessed_on", "2026-02-30"),
                   (7, "pi_portfolio_hkd", "1.2.3"), (8, "pi_portfolio_hkd", "NaN"), (9, "client_id", "")}
    assert all(r.path == "clients.csv" and r.reason for r in rejected)
    assert "YYYY-MM-DD" in next(r.reason for r in rejected if r.row == 3)
    assert reader.stats.rows_read == 8 == reader.stats.rows_evaluated + reader.stats.rows_rejected


def test_missing_required_column_stops_with_the_file_and_column(tmp_path) -> None:
    p = write(tmp_path / "collateral.csv", "position_id,client_id,asset,quantity,market_value_hkd,haircut_pct,valued_on\n")
    with pytest.raises(DataError) as exc:
        read(p)
    assert exc.value.path == "collateral.csv" and "asset_type" in str(exc.value)


def test_absent_optional_columns_read_as_null_or_default(tmp_path) -> None:
    p = write(tmp_path / "collateral.csv", "position_id,client_id,asset,asset_type,quantity,market_value_hkd,"
              "haircut_pct,valued_on,extra_column\nP1,C1,btc,VIRTUAL_ASSET,1,2,60,2026-01-01,whatever\n")
    rows, rejected, _ = read(p)
    assert rows[0][1][3] == "virtual_asset" and rows[0][1][8] is False and not rejected


def test_header_is_matched_case_and_space_insensitively_with_a_bom_and_crlf(tmp_path) -> None:
    p = write(tmp_path / "mm_api_keys.csv", "\ufeff Key_ID ,MM_ID,ip_allowlist,mfa,created_on,status\r\n"
              "K1,M1,Y,Y,2026-01-01,active\r\n")
    rows, rejected, _ = read(p)
    assert rows[0][1][0] == "K1" and not rejected


def test_quoted_fields_with_commas_newlines_and_a_very_long_value(tmp_path) -> None:
    long_name = "x" * 200_000
    p = write(tmp_path / "clients.csv", "client_id,name,client_type,investor_class,has_securities_margin_account\n"
              f'C1,"Chan, Tai Man\nsecond line",individual,retail,Y\nC2,{long_name},individual,retail,N\n'
              "C3,Wong,individual,retail,Y\n")
    rows, rejected, _ = read(p)
    assert [n for n, _ in rows] == [2, 4, 5]  # the row number is the line the record starts on
    assert rows[0][1][1] == "Chan, Tai Man\nsecond line" and len(rows[1][1][1]) == 200_000 and not rejected


def test_duplicate_primary_key_rejects_the_later_rows(cli, tmp_path) -> None:
    write(tmp_path / "mm_api_keys.csv", "key_id,mm_id,ip_allowlist,mfa,created_on,status\n"
          "K1,M1,N,Y,2026-01-01,active\nK1,M2,N,Y,2026-01-01,active\nK2,M1,Y,Y,2026-01-01,active\n")
    write(tmp_path / "market_makers.json", '[{"mm_id": "M1", "legal_name": "x", "affiliated": true}, '
          '{"mm_id": "M2", "legal_name": "y", "affiliated": true}]')
    result = cli("audit", tmp_path, "--as-of", "2026-06-30", "--only", "AMM-KEY-001", "--format", "json")
    report = result.json()
    assert [(r["row"], r["column"], r["reason"]) for r in report["rejected_rows"]] == [
        (3, "key_id", "duplicate key (first seen at row 2)")]
    assert [(v["key"], v["evidence"]["mm_id"]) for v in report["violations"]] == [({"key_id": "K1"}, "M1")]


def test_ragged_rows_are_rejected_and_blank_lines_skipped(tmp_path) -> None:
    p = write(tmp_path / "mm_api_keys.csv", "key_id,mm_id,ip_allowlist,mfa,created_on,status\n"
              "K1,M1,Y,Y,2026-01-01,active,surplus\n\nK2,M1,Y\nK3,M1,Y,Y,2026-01-01,active\n,,,,,\n")
    rows, rejected, reader = read(p)
    assert [r[0] for _, r in rows] == ["K3"]
    assert [(r.row, "cells" in r.reason) for r in rejected] == [(2, True), (4, True)]
    assert reader.stats.rows_read == 3 and reader.stats.rows_blank == 2


def test_header_only_is_zero_rows_and_empty_file_is_an_error(tmp_path) -> None:
    p = write(tmp_path / "mm_api_keys.csv", "key_id,mm_id,ip_allowlist,mfa,created_on,status\n")
    rows, rejected, reader = read(p)
    assert rows == [] and reader.stats.rows_read == 0
    q = write(tmp_path / "a" / "clients.csv", "")
    with pytest.raises(DataError, match="empty file"):
        read(q)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_a_json_record_naming_a_field_twice_is_rejected_not_read_as_its_last_value(tmp_path, fmt) -> None:
    """`json` keeps the last of two equal keys silently: the record is rejected instead, naming the field.
    Keys that differ only in case or spaces name the same field too (header names are matched that way)."""
    records = ['{"event_id": "E1", "staff_id": "S1", "system": "x", "accessed_at": "2026-01-01T00:00:00Z"}',
               '{"event_id": "E2", "staff_id": "S1", "system": "x", "staff_id": "S9", '
               '"accessed_at": "2026-01-01T00:00:00Z"}',
               '{"event_id": "E3", "Staff_ID ": "S9", "system": "x", "staff_id": "S1", '
               '"accessed_at": "2026-01-01T00:00:00Z"}',
               '{"event_id": "E4", "staff_id": "S1", "system": "x", "accessed_at": "2026-01-01T00:00:00Z", '
               '"note": {"a": 1, "a": 2}, "Comment": "x", "comment ": "y", "tag": 1, "tag": 2}']
    text = "\n".join(records) + "\n" if fmt == "jsonl" else "[\n" + ",\n".join(records) + "\n]"
    rows, rejected, reader = read(write(tmp_path / f"access_log.{fmt}", text))
    first = 1  # JSON Lines: the line; a JSON array: the record's place in it
    # E4 repeats keys too, but none that names a field (nor does the nested object): it is read
    assert [(n, r[0]) for n, r in rows] == [(first, "E1"), (first + 3, "E4")]
    assert [(r.row, r.column, r.reason) for r in rejected] == [
        (first + 1, "staff_id", "key 'staff_id' appears twice in the record"),
        (first + 2, "staff_id", "keys 'Staff_ID ' and 'staff_id' name the same field")]
    assert reader.stats.rows_read == 4 and reader.stats.rows_rejected == 2


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_records_with_canonical_keys_are_read_as_they_stand_and_still_checked(tmp_path, fmt) -> None:
    """Most records name every key exactly as the dictionary does, and are read without renaming their keys;
    they still need every required field, and an optional one left out reads as null."""
    records = ['{"event_id": "E1", "staff_id": "S1", "system": "x", "accessed_at": "2026-01-01T00:00:00Z", '
               '"action": "read"}',
               '{"event_id": "E2", "system": "x", "accessed_at": "2026-01-01T00:00:00Z"}',
               '{"event_id": "E3", "staff_id": "S2", "system": "y", "accessed_at": "2026-01-01T08:00:00+08:00"}',
               '{"event_id": "E4", "staff_id": "S3", "System": "z", "accessed_at": "2026-01-01T00:00:00Z", '
               '"ticket": "T-9"}']
    text = "\n".join(records) + "\n" if fmt == "jsonl" else "[\n" + ",\n".join(records) + "\n]"
    rows, rejected, reader = read(write(tmp_path / f"access_log.{fmt}", text))
    assert [(n, r[0], r[1], r[2], r[4], r[-1]) for n, r in rows] == [
        (1, "E1", "S1", "x", "read", None), (3, "E3", "S2", "y", None, None),
        (4, "E4", "S3", "z", None, {"ticket": "T-9"})]
    assert [(r.row, r.column, r.reason) for r in rejected] == [
        (2, "staff_id", "required field is missing from the record")]
    assert reader.stats.rows_read == 4 and reader.stats.rows_rejected == 1


def test_json_array_and_jsonl_with_a_broken_record(tmp_path) -> None:
    p = write(tmp_path / "market_makers.json", '[{"mm_id": "M1", "legal_name": "A", "affiliated": true, '
              '"started_on": "2026-01-01"}, {"mm_id": "M2", "legal_name": "B"}, 7]')
    rows, rejected, _ = read(p)
    assert [r[0] for _, r in rows] == ["M1"] and rows[0][1][2] is True
    assert [(r.row, r.column) for r in rejected] == [(2, "affiliated"), (3, None)]
    q = write(tmp_path / "b" / "access_log.jsonl",
              '{"event_id": "E1", "staff_id": "S1", "system": "X", "accessed_at": "2026-01-01T00:00:00Z"}\n'
              '{"event_id": "E2", "staff_id": \n\n'
              '{"event_id": "E3", "staff_id": "S1", "system": "x", "accessed_at": "2026-01-01T00:00:00Z"}\n')
    rows, rejected, reader = read(q)
    assert [(n, r[0], r[2]) for n, r in rows] == [(1, "E1", "x"), (3, "E3", "x")]  # record index: blanks uncounted
    assert rejected[0].row == 2 and "invalid JSON" in rejected[0].reason
    assert reader.stats.rows_read == 3 and reader.stats.rows_blank == 1
    q.write_text("\n\n" + q.read_text())  # two blank lines first: the bad record's line no longer equals its index
    rows, rejected, _ = read(q)
    assert [n for n, _ in rows] == [1, 3] and rejected[0].row == 2
    assert rejected[0].reason.endswith("at line 4, column 32")


def test_json_numbers_stay_exact(tmp_path) -> None:
    p = write(tmp_path / "va_financing_loans.json", '[{"loan_id": 1, "client_id": "C1", "drawn_on": "2026-01-01", '
              '"outstanding_hkd": 0.1, "status": "OPEN"}]')
    rows, rejected, _ = read(p)
    assert rows[0][1][0] == "1" and rows[0][1][3] == Decimal("0.1") and rows[0][1][4] == "open"


def test_undecodable_file_names_the_offset_and_suggests_encodings(tmp_path) -> None:
    p = write(tmp_path / "clients.csv", "client_id,name,client_type,investor_class,has_securities_margin_account\n"
              "C1,陳大文,individual,retail,Y\n", encoding="big5")
    with pytest.raises(DataError) as exc:
        read(p)
    msg = str(exc.value)
    assert exc.value.path == "clients.csv" and "byte offset 75" in msg and "big5hkscs" in msg and "--encoding" in msg
    rows, rejected, _ = read(p, encoding="big5hkscs")
    assert rows[0][1][1] == "陳大文"


def test_discover_maps_file_stems_and_lists_ignored_files(tmp_path) -> None:
    write(tmp_path / "clients.csv", "x\n")
    write(tmp_path / "notes.txt", "x\n")
    write(tmp_path / "Perp_Trades.JSONL", "")
    files, ignored = discover(tmp_path)
    assert set(files) == {"clients", "perp_trades"} and ignored == ["notes.txt"]
    write(tmp_path / "clients.json", "[]")
    with pytest.raises(DataError, match="two files hold dataset 'clients'"):
        discover(tmp_path)
    with pytest.raises(DataError, match="not found"):
        discover(tmp_path / "nope")


def test_every_known_format_has_its_reader(tmp_path) -> None:
    """Each extension discover() accepts opens with the reader of its format, and that reader reads it."""
    from openpyxl import Workbook

    from sfc_check.data.csvreader import CsvReader
    from sfc_check.data.datasets import FORMATS
    from sfc_check.data.parquetfile import ParquetSource
    from sfc_check.data.recordreader import RecordReader
    from sfc_check.data.sheets import SheetReader

    expected = {"csv": CsvReader, "json": RecordReader, "jsonl": RecordReader, "xlsx": SheetReader,
                "parquet": ParquetSource}
    assert set(FORMATS.values()) == set(expected)
    record = {"event_id": "E1", "staff_id": "S1", "system": "x", "accessed_at": "2026-01-01T00:00:00Z"}
    for ext, fmt in FORMATS.items():
        folder = tmp_path / ext.strip(".")
        folder.mkdir()
        path = folder / f"access_log{ext}"
        if fmt == "csv":
            write(path, ",".join(record) + "\n" + ",".join(record.values()) + "\n")
        elif fmt == "json":
            write(path, json.dumps([record]))
        elif fmt == "jsonl":
            write(path, json.dumps(record) + "\n")
        elif fmt == "parquet":
            import duckdb
            columns = ", ".join(f"'{v}' AS {k}" for k, v in record.items())
            duckdb.connect().execute(f"COPY (SELECT {columns}) TO '{path}' (FORMAT parquet)")
        else:
            book = Workbook()
            book.active.append(list(record))
            book.active.append(list(record.values()))
            book.save(path)
        reader = open_reader(discover(folder)[0]["access_log"], [])
        assert type(reader) is expected[fmt]
        if fmt == "parquet":  # (the engine reads it: tests/test_parquet.py)
            assert reader.native_parquet == path
        else:
            assert [row[0] for _, row in reader] == ["E1"]


def test_xlsx_input_keeps_ids_as_text_and_reads_date_cells(tmp_path) -> None:
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["key_id", "mm_id", "ip_allowlist", "mfa", "created_on", "status"])
    sheet.append([12345678901, "M1", True, "N", datetime(2026, 3, 1), "Active"])
    book.save(tmp_path / "mm_api_keys.xlsx")
    rows, rejected, _ = read(tmp_path / "mm_api_keys.xlsx")
    assert not rejected
    assert rows[0][1] == ("12345678901", "M1", True, False, date(2026, 3, 1), None, "active", None)


def test_unknown_columns_are_kept_for_custom_rules(cli, tmp_path) -> None:
    """A firm's custom rule reads a column the dictionary does not define: {field: extra.desk}."""
    write(tmp_path / "data" / "mm_api_keys.csv", "key_id,mm_id,ip_allowlist,mfa,created_on,status,Desk\n"
          "K1,M1,Y,Y,2026-01-01,active,Prop\nK2,M1,Y,Y,2026-01-01,active,Agency\nK3,M1,Y,Y,2026-01-01,active,\n")
    write(tmp_path / "data" / "access_log.jsonl", '{"event_id": "E1", "staff_id": "S1", "system": "x", '
          '"accessed_at": "2026-01-01T00:00:00Z", "ticket": 42}\n')
    rule = (tmp_path / "rules" / "X-DESK-001.yaml")
    rule.parent.mkdir()
    rule.write_text("""id: X-DESK-001
title: API keys issued to the proprietary desk
severity: low
citation: {document: firm policy, paragraph: n/a, basis: secondary}
checks: keys whose Desk column says Prop
rationale: the firm does not issue market-making keys to its proprietary desk
effective_from: "2026-01-01"
dataset: mm_api_keys
violation_when: {field: extra.Desk, eq: Prop}
message: "{key_id} belongs to desk {extra.Desk}"
examples:
  - {name: prop-fails, expect: violation, record: {key_id: K1, Desk: Prop}}
  - {name: agency-passes, expect: pass, record: {key_id: K2, Desk: Agency}}
""", "utf-8")
    assert cli("rules", "test", tmp_path / "rules").code == 0
    report = cli("audit", tmp_path / "data", "--rules", tmp_path / "rules", "--format", "json").json()
    assert [(v["key"], v["message"], v["evidence"]) for v in report["violations"]] == [
        ({"key_id": "K1"}, "K1 belongs to desk Prop", {"extra.Desk": "Prop"})]
    from sfc_check.data.datasets import discover, open_reader
    files, _ = discover(tmp_path / "data")
    (_, row), = list(open_reader(files["access_log"], []))
    assert row[-1] == {"ticket": "42"}


def test_an_empty_folder_is_exit_2_never_a_pass(cli, tmp_path) -> None:
    result = cli("audit", tmp_path, "--quiet")
    assert result.code == 2 and "no export file of a known dataset found" in result.err and not result.out


def test_a_misnamed_export_is_exit_2_naming_it_with_the_dataset_it_resembles(cli, tmp_path) -> None:
    (tmp_path / "Clients_20260630.csv").write_text("client_id\nC1\n")
    result = cli("audit", tmp_path, "--quiet")
    assert result.code == 2 and "Clients_20260630.csv" in result.err and "'clients'" in result.err


@pytest.mark.parametrize("kind", ["dangling", "folder", "fifo"])
def test_an_unreadable_export_is_exit_2_not_absent(cli, tmp_path, kind) -> None:
    """A dataset file that cannot be read stops the run; taken as absent, its rules would be skipped and pass."""
    import os
    shutil.copytree(SAMPLES / "exports", tmp_path / "d")
    target = tmp_path / "d" / "perp_trades.csv"
    target.unlink()
    if kind == "dangling":
        target.symlink_to(tmp_path / "gone.csv")
    elif kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    result = cli("audit", tmp_path / "d", "--as-of", "2026-06-30", "--quiet")
    assert result.code == 2 and "perp_trades.csv" in result.err and "cannot read this export" in result.err


@pytest.mark.parametrize("encoding", [None, "cp1252"])
def test_duplicates_are_found_near_and_far_apart(cli, tmp_path, encoding) -> None:
    """The engine rejects every later row of a key, with where the key was first seen; the same through the
    engine's own CSV reader (UTF-8) and through the Python reader (another encoding)."""
    lines = [f"K{i},M1,Y,Y,2026-01-01,active\n" for i in range(5000)]
    lines.insert(4500, "K17,M2,Y,Y,2026-01-01,active\n")   # repeats a key seen far before
    lines.insert(100, "K5,M3,Y,Y,2026-01-01,active\n")      # repeats a key seen just before
    write(tmp_path / "mm_api_keys.csv", "key_id,mm_id,ip_allowlist,mfa,created_on,status\n" + "".join(lines),
          encoding or "utf-8")
    out = tmp_path / "r.json"
    args = ["--encoding", encoding] if encoding else []
    result = cli("audit", tmp_path, "--as-of", "2026-06-30", "--output", out, "--quiet", *args)
    # (no rule reads mm_api_keys alone: nothing was judged, which is exit 2, yet the report is written)
    assert result.code == 2 and result.out.startswith("NOT CHECKED"), result.err
    report = json.loads(out.read_text("utf-8"))
    assert [(r["row"], r["value"], r["reason"]) for r in report["rejected_rows"]] == [
        (102, "K5", "duplicate key (first seen at row 7)"), (4503, "K17", "duplicate key (first seen at row 19)")]
    assert report["inputs"][0]["rows_read"] == 5002 and report["inputs"][0]["rows_rejected"] == 2


def _as_json_exports(source: Path, target: Path, style: str) -> None:
    """The sample exports with every CSV rewritten as JSON Lines (text cells) or as a JSON array in which empty
    cells are null (and, in collateral, whole numbers are JSON numbers); the trades get one broken record."""
    target.mkdir()
    for f in source.iterdir():
        if f.suffix != ".csv":
            (target / f.name).write_bytes(f.read_bytes())
            continue
        with f.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        broken = f.stem == "perp_trades"
        if style == "jsonl":
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            (target / f"{f.stem}.jsonl").write_text(text + ('{"not": "closed"\n' if broken else ""), "utf-8")
        else:
            numbers = f.stem == "collateral"
            records: list[Any] = [{k: (None if v == "" else int(v) if numbers and v.isdigit() else v)
                                   for k, v in r.items()} for r in rows]
            records += [{"note": "no id"}] if broken else []
            (target / f"{f.stem}.json").write_text(json.dumps({"records": records}, indent=1), "utf-8")


@pytest.mark.parametrize("style", ["jsonl", "json"])
def test_json_exports_give_the_csv_findings(cli, tmp_path, style) -> None:
    """The same records as CSV, JSON Lines or a JSON array: the same violations (rule, key, message, evidence)
    and counts, whether a file's records are typed a column at a time (text and nulls) or one by one (JSON
    numbers, a batch with a broken record); the broken trade record is rejected, never judged."""
    _as_json_exports(SAMPLES / "exports", tmp_path / "json", style)
    from_csv = cli("audit", SAMPLES / "exports", "--as-of", "2026-06-30", "--format", "json").json()
    from_json = cli("audit", tmp_path / "json", "--as-of", "2026-06-30", "--format", "json").json()

    def findings(report: dict[str, Any]) -> list[tuple[Any, ...]]:
        # (rows are numbered differently: CSV by line, JSON by record)
        return [(v["rule_id"], json.dumps(v["key"]), v["message"], json.dumps(v["evidence"]))
                for v in report["violations"]]

    assert findings(from_json) == findings(from_csv) and len(from_csv["violations"]) == 53
    assert [(r["id"], r["checked"], r["not_applicable"], r["violations"]) for r in from_json["rules"]] == \
        [(r["id"], r["checked"], r["not_applicable"], r["violations"]) for r in from_csv["rules"]]
    assert from_json["summary"]["rows_rejected"] == 1
    assert from_json["summary"]["rows_read"] == from_csv["summary"]["rows_read"] + 1

