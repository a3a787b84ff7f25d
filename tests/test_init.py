"""`sfc-check init` on a firm folder it has never seen (fixtures written here, in back-office and exchange
shapes): every file read, each table placed by its headers and values, fields matched with a confidence, codes
mapped from every value, and a TODO wherever it guessed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from sfc_check.data.profiles import load_profile


def build_folder(root: Path) -> Path:
    data = root / "firm"
    data.mkdir()
    kyc = ("客戶資料 Client master report\n"
           "Report date;30/06/2026\n"
           "\n"
           "Client No;客戶名稱 Name;Type;PI Flag;PI Date;Margin A/C;Grade;Status\n"
           + "".join(f"K{n:03d};陳大文 {n};{t};{pi};{15 + n % 10:02d}/01/2026;{m};{g};{s}\n"
                     for n, (t, pi, m, g, s) in enumerate([("IND", "PI", "Y", "A", "A"), ("CORP", "R", "N", "B", "A"),
                                                            ("IND", "R", "Y", "C", "S"), ("TRUST", "PI", "N", "B", "A")]
                                                           * 5)))
    (data / "KYC_Master_20260630.TXT").write_bytes(kyc.encode("big5hkscs"))
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["ID", "Account", "Contract", "Exec Time", "Side", "Qty", "Px", "Lev"])
    for n in range(30):
        sheet.append([f"F{n:04d}", f"K{n % 20:03d}", "BTC-USD-PERP", f"2026-06-{1 + n % 28:02d} 10:00:00",
                      "BUY" if n % 2 else "SELL", 1 + n % 3, 105000 + n, 10 + n % 15])
    book.save(data / "export_3.xlsx")
    for day in ("20260629", "20260630"):
        rows = "".join(f"P{day[-2:]}{n:03d},K{n:03d},BTC,VA,{1 + n % 2},\"1,{n:03d},000.00\",60%,{day[-2:]}/06/2026,N,"
                       f"{n}\n" for n in range(12))
        (data / f"positions_{day}.csv").write_text(
            "Pos No,Client No,Code,Class,Qty,MV (HKD),Haircut,Val Date,Repledged,Amount\n" + rows, "utf-8")
    events = "".join(json.dumps({"EventId": f"E{n}", "Staff": {"Id": f"S{n % 3}"}, "System": "client_data",
                                 "When": f"2026-06-01T10:0{n}:00+08:00"}) + "\n" for n in range(5))
    (data / "access_events.json").write_text(events, "utf-8")
    (data / "notes.csv").write_text("foo,bar\n1,2\n", "utf-8")
    (data / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    return data


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> tuple[Path, str, dict]:
    root = tmp_path_factory.mktemp("init")
    data = build_folder(root)
    from sfc_check.app.profileinit import init_profile
    text = init_profile(data)
    path = root / "profile.yaml"
    path.write_text(text, "utf-8")
    return data, text, yaml.safe_load(text)["datasets"]


def test_every_file_is_read_and_none_stops_the_folder(profile) -> None:
    _, text, datasets = profile
    assert set(datasets) == {"clients", "perp_trades", "collateral", "access_log"}
    assert "# TODO: broken.xlsx: could not be read" in text
    assert "# TODO: notes.csv: which dataset is this?" in text


def test_a_big5_semicolon_txt_with_a_banner_is_read(profile) -> None:
    _, text, datasets = profile
    clients = datasets["clients"]
    assert clients["file"] == "KYC_Master_20260630.TXT" and clients["format"] == "csv"
    assert clients["encoding"] == "big5hkscs" and clients["delimiter"] == ";" and clients["header_row"] == 4
    fields = clients["fields"]
    assert fields["client_id"] == "Client No" and fields["name"] == "客戶名稱 Name"
    assert fields["client_type"] == {"column": "Type", "map": {"CORP": "corporation", "IND": "individual",
                                                                "TRUST": "trust"}}
    assert fields["investor_class"]["map"] == {"PI": "professional", "R": "retail"}
    assert fields["has_securities_margin_account"]["map"] == {"N": False, "Y": True}
    assert fields["pi_assessed_on"] == {"column": "PI Date", "format": "%d/%m/%Y"}
    assert fields["status"]["map"] == {"A": "active", "S": "suspended"}


def test_an_unnamed_workbook_of_fills_is_perp_trades_by_its_headers(profile) -> None:
    _, text, datasets = profile
    trades = datasets["perp_trades"]
    assert trades["file"] == "export_3.xlsx" and trades["sheet"] == "Sheet1"
    fields = trades["fields"]
    assert fields["trade_id"] == "ID" and fields["client_id"] == "Account" and fields["instrument"] == "Contract"
    assert fields["quantity"] == "Qty" and fields["price"] == "Px" and fields["leverage"] == "Lev"
    assert fields["side"]["map"] == {"BUY": "buy", "SELL": "sell"}


def test_daily_files_become_one_glob_and_a_repeating_number_is_not_the_key(profile) -> None:
    _, text, datasets = profile
    collateral = datasets["collateral"]
    assert collateral["file"] == "positions_*.csv"
    fields = collateral["fields"]
    assert fields["position_id"] == "Pos No" and fields["quantity"] == "Qty"
    assert fields["market_value_hkd"] == "MV (HKD)"   # (1,000,000.00: thousands separators are read as they are)
    assert fields["haircut_pct"] == {"column": "Haircut", "number": {"percent": True}}
    assert fields["asset_type"]["map"] == {"VA": "virtual_asset"}


def test_json_lines_in_a_json_file_and_nested_fields(profile) -> None:
    _, text, datasets = profile
    log = datasets["access_log"]
    assert log["format"] == "jsonl" and log["fields"]["staff_id"] == "Staff.Id"
    assert log["fields"]["event_id"] == "EventId" and log["fields"]["accessed_at"] == "When"


def test_every_guess_below_the_threshold_says_so(profile) -> None:
    """A line whose confidence is below SURE carries a TODO with its reason and confidence."""
    _, text, _ = profile
    for line in text.splitlines():
        if "confidence" in line:
            assert "# TODO:" in line and "(confidence 0." in line


def test_the_written_profile_is_valid_and_reads_the_folder(cli, profile, tmp_path) -> None:
    data, text, _ = profile
    path = tmp_path / "p.yaml"
    path.write_text(text, "utf-8")
    assert load_profile(path).name
    result = cli("profile", "check", data, "--profile", path)
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert cli("init", data, "-o", tmp_path / "again.yaml").code == 0


def test_two_columns_with_one_header_are_told_apart_by_position(tmp_path) -> None:
    from sfc_check.app.profileinit import init_profile
    data = tmp_path / "wd"
    data.mkdir()
    (data / "withdrawal_history.csv").write_text(
        "Withdraw ID,Client,Coin,Amount,Address,Request Time,Status,Amount\n"
        + "".join(f"W{n},C{n},BTC,0.{n + 1},bc1q{n},2026-06-0{n + 1}T10:00:00+08:00,completed,{(n + 1) * 5000}\n"
                  for n in range(5)), "utf-8")
    text = init_profile(data)
    line = next(x for x in text.splitlines() if x.strip().startswith("amount:"))
    assert "position: 4" in line and "TODO: two columns are headed 'Amount': position 4 chosen" in line
    fields = yaml.safe_load(text)["datasets"]["withdrawals"]["fields"]
    assert fields["withdrawal_id"] == "Withdraw ID" and fields["destination_address"] == "Address"


def test_a_date_and_a_time_in_two_columns_become_one_date_time(tmp_path) -> None:
    from sfc_check.app.profileinit import init_profile
    data = tmp_path / "wd"
    data.mkdir()
    (data / "withdrawals_june.csv").write_text(
        "Withdraw ID,Client,Coin,Amount,Address,Request Date,Request Time,Status\n"
        + "".join(f"W{n},C{n},BTC,0.{n + 1},bc1q{n},0{n + 1}/06/2026,1{n}:30:00,completed\n" for n in range(5)),
        "utf-8")
    text = init_profile(data)
    fields = yaml.safe_load(text)["datasets"]["withdrawals"]["fields"]
    assert fields["requested_at"] == {"join": ["Request Date", "Request Time"], "format": "%d/%m/%Y %H:%M:%S"}
    assert not [x for x in text.splitlines() if "columns not mapped" in x and "Request Time" in x]


def test_init_writes_no_invalid_profile_when_nothing_needs_a_mapping(cli, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("init", empty).code == 2
    canonical = tmp_path / "canonical"
    canonical.mkdir()
    (canonical / "clients.csv").write_text("client_id,client_type,investor_class,has_securities_margin_account\n"
                                           "C1,individual,retail,Y\n", "utf-8")
    result = cli("init", canonical, "-o", tmp_path / "p.yaml")
    assert result.code == 0 and "clients.csv: the canonical clients layout" in result.err
    assert not (tmp_path / "p.yaml").exists()
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    (unknown / "x.csv").write_text("foo,bar\n1,2\n", "utf-8")
    result = cli("init", unknown)
    assert result.code == 1 and "x.csv: which dataset is this?" in result.err and not result.out


def test_a_large_file_is_sampled_from_its_head_whatever_its_last_character(tmp_path) -> None:
    """init reads the head of a large export; a character or a JSON record cut by the end of that head is the
    sample's edge, not a wrong encoding or a broken file."""
    from sfc_check.app.samplefiles import SAMPLE_BYTES, sample_folder
    data = tmp_path / "big"
    data.mkdir()
    row = "C{n},陳大文,individual,retail,Y\n"
    lines = ["client_id,name,client_type,investor_class,has_securities_margin_account\n"]
    size = len(lines[0].encode())
    n = 0
    while size < SAMPLE_BYTES + 1000:
        lines.append(row.format(n=n))
        size += len(lines[-1].encode())
        n += 1
    (data / "Client_List.csv").write_text("".join(lines), "utf-8")
    records = [{"event_id": f"E{n}", "staff_id": "S1", "system": "x" * 5000,
                "accessed_at": "2026-06-01T10:00:00+08:00"} for n in range(1800)]
    (data / "events.json").write_text(json.dumps(records), "utf-8")
    samples = {s.path.name: s for s in sample_folder(data)}
    client = samples["Client_List.csv"]
    assert client.problem is None and client.encoding is None and not client.notes
    events = samples["events.json"]
    assert events.problem is None and 0 < len(events.rows) < 1800
