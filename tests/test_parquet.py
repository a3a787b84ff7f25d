"""Parquet in and out: a .parquet export is typed by the dictionary like a CSV's cells (its own column types
turned into the text DuckDB writes for them), every row evaluated or rejected with its position in the file;
--output findings.parquet holds one row per violation."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
from conftest import ROOT

SAMPLES = ROOT / "samples" / "exports"


def parquet_of(select: str, target: Path) -> Path:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"COPY ({select}) TO '{target}' (FORMAT parquet)")
    return target


def csv_as_parquet(source: Path, target: Path) -> Path:
    """A sample CSV as Parquet with every column text (as a data lake's raw layer holds it)."""
    return parquet_of(f"SELECT * FROM read_csv('{source}', all_varchar = true)", target)


def report(cli, folder: Path, out: Path, *args: str) -> dict:
    result = cli("audit", folder, "--as-of", "2026-06-30", "--output", out, "--quiet", *args)
    assert result.code in (0, 1), result.err
    return json.loads(out.read_text("utf-8"))


def test_a_folder_of_parquet_finds_what_its_csv_finds(cli, tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    for f in SAMPLES.iterdir():
        if f.suffix == ".csv":
            csv_as_parquet(f, folder / f"{f.stem}.parquet")
        else:
            shutil.copy(f, folder / f.name)
    from_csv = report(cli, SAMPLES, tmp_path / "csv.json")
    from_parquet = report(cli, folder, tmp_path / "pq.json")
    assert {i["format"] for i in from_parquet["inputs"]} == {"parquet", "json", "jsonl"}

    def seen(doc: dict) -> list:
        return [(v["rule_id"], v["key"], v["message"], v["evidence"]) for v in doc["violations"]]
    assert seen(from_parquet) == seen(from_csv) and len(seen(from_csv)) > 40
    assert [(r["id"], r["status"], r["checked"]) for r in from_parquet["rules"]] == \
        [(r["id"], r["status"], r["checked"]) for r in from_csv["rules"]]
    # a CSV's row is its line (the header is line 1); a Parquet record's row is its position, from 1
    converted = {f.stem for f in SAMPLES.glob("*.csv")}

    def rows(doc: dict) -> list:
        return [(v["rule_id"], v["key"], v.get("row")) for v in doc["violations"] if v["dataset"] in converted]
    assert rows(from_parquet) == [(r, k, n - 1 if n else n) for r, k, n in rows(from_csv)]


def test_native_parquet_types_are_typed_and_bad_rows_rejected_with_their_position(cli, tmp_path: Path) -> None:
    folder = tmp_path / "typed"
    folder.mkdir()
    parquet_of("""
        SELECT * FROM (VALUES
          ('W1', 'C1', 'BTC', CAST(0.5 AS DECIMAL(18, 4)), 'addr1', TIMESTAMPTZ '2026-06-10 02:00:00+00', 'completed',
           'mfa', TRUE, TIMESTAMP '2026-06-01 02:00:00', CAST(250000 AS DECIMAL(18, 2))),
          ('W2', 'C1', 'BTC', CAST(1 AS DECIMAL(18, 4)), 'addr2', TIMESTAMPTZ '2026-06-12 02:00:00+00', 'completed',
           'mfa', TRUE, TIMESTAMP '2026-06-12 01:00:00', CAST(250000 AS DECIMAL(18, 2))),
          ('W3', 'C2', 'ETH', CAST(2 AS DECIMAL(18, 4)), 'addr3', TIMESTAMPTZ '2026-06-12 02:00:00+00', 'teleported',
           'mfa', TRUE, NULL, CAST(10 AS DECIMAL(18, 2))),
          ('W2', 'C3', 'ETH', CAST(3 AS DECIMAL(18, 4)), 'addr4', TIMESTAMPTZ '2026-06-12 02:00:00+00', 'completed',
           'mfa', TRUE, NULL, CAST(10 AS DECIMAL(18, 2))),
          (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
        ) AS t(withdrawal_id, client_id, asset, amount, destination_address, requested_at, status, auth_method,
               auth_passed, address_whitelisted_at, amount_hkd)""", folder / "withdrawals.parquet")
    doc = report(cli, folder, tmp_path / "r.json")
    rejected = [(r["row"], r["column"], r["reason"]) for r in doc["rejected_rows"]]
    assert rejected[0][:2] == (3, "status") and rejected[0][2].startswith("not one of")
    assert rejected[1] == (4, "withdrawal_id", "duplicate key (first seen at row 2)")
    assert len(rejected) == 2
    (inputs,) = doc["inputs"]
    assert (inputs["format"], inputs["rows_read"], inputs["rows_rejected"]) == ("parquet", 4, 2)  # the null row is blank
    new_address = [v for v in doc["violations"] if v["rule_id"] == "WDR-NEWADDR-001"]
    assert [(v["key"], v["row"]) for v in new_address] == [({"withdrawal_id": "W2"}, 2)]
    # a timestamp without a zone is UTC (shown at the offset it was written with, as an ISO text's is)
    assert "2026-06-12T01:00:00+00:00 (3600 s before" in new_address[0]["message"]


def test_an_unreadable_parquet_file_stops_the_run_naming_it(cli, tmp_path: Path) -> None:
    (tmp_path / "clients.parquet").write_bytes(b"PAR1 this is not parquet")
    result = cli("audit", tmp_path, "--as-of", "2026-06-30")
    assert result.code == 2 and "clients.parquet" in result.err and "Traceback" not in result.err


def test_findings_parquet_has_one_row_per_violation(cli, tmp_path: Path) -> None:
    out = tmp_path / "findings.parquet"
    doc = report(cli, SAMPLES, tmp_path / "r.json", "--output", str(out))
    rows = duckdb.connect().execute(f"SELECT rule_id, severity, key, row, waived, baseline, as_of, evidence "
                                    f"FROM '{out}'").fetchall()
    assert len(rows) == len(doc["violations"])
    first = doc["violations"][0]
    assert rows[0][:5] == (first["rule_id"], first["severity"], json.dumps(first["key"], sort_keys=True),
                           first["row"], False)
    assert str(rows[0][6]) == "2026-06-30" and json.loads(rows[0][7]) == first["evidence"]
    assert not list(tmp_path.glob(".*"))  # no temporary left beside it
