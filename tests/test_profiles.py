"""Profiles: every mapping feature, encodings, Excel, `profile check`, `init`, and the sample firm layouts
giving exactly the canonical samples' findings."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SAMPLES, pairs, write
from hypothesis import given, settings
from hypothesis import strategies as st

from sfc_check.data.profilereader import profile_sources
from sfc_check.data.profiles import load_profile
from sfc_check.model import RejectedRow

FIRM = SAMPLES / "firm-exports"
PROFILES = SAMPLES / "profiles"


def canonical_pairs(cli, prefixes: tuple[str, ...]) -> set[tuple[str, str]]:
    report = cli("audit", SAMPLES / "exports", "--as-of", "2026-06-30", "--format", "json").json()
    return {p for p in pairs(report) if p[0].startswith(prefixes)}


# found in samples/exports through columns the firm layouts (written before rule pack v2) do not carry: C012's
# securities margin balance
V2_DATA_PAIRS = {("FIN-MC-001", "C012")}


@pytest.mark.parametrize("folder,profile,prefixes", [
    ("broker-big5", "broker-backoffice-big5.yaml", ("FIN-",)),
    ("platform-xlsx", "platform-xlsx.yaml", ("PERP-", "AMM-")),
])
def test_firm_layouts_give_exactly_the_canonical_findings(cli, folder, profile, prefixes) -> None:
    result = cli("audit", FIRM / folder, "--profile", PROFILES / profile, "--as-of", "2026-06-30", "--format", "json")
    report = result.json()
    assert result.code == 1 and report["rejected_rows"] == []
    ran = {r["id"] for r in report["rules"] if r["status"] in ("pass", "fail")}  # (a layout may lack v2 data)
    assert pairs(report) == {p for p in canonical_pairs(cli, prefixes) if p[0] in ran} - V2_DATA_PAIRS
    assert report["run"]["profile"]["name"] and len(report["run"]["profile"]["sha256"]) == 64
    assert report["manifest"]["profile"] == report["run"]["profile"]


def test_binance_layout_synthesises_keys_and_reports_leverage_not_evaluable(cli) -> None:
    report = cli("audit", FIRM / "binance-usdm", "--profile", PROFILES / "binance-usdm.yaml", "--as-of", "2026-06-30",
                 "--format", "json").json()
    rules = {r["id"]: r for r in report["rules"]}
    assert rules["PERP-LEV-001"]["status"] == "not_evaluable" and "leverage" in rules["PERP-LEV-001"]["reason"]
    assert rules["PERP-ACCESS-001"]["status"] == "pass" and rules["PERP-ACCESS-001"]["checked"] == 4
    assert {k for r, k in pairs(report) if r == "PERP-PROD-001"} == {"binance_usdm_trades_C001:3",
                                                                    "binance_usdm_trades_C001:4"}
    trades = next(i for i in report["inputs"] if i["dataset"] == "perp_trades")
    assert "trade_id synthesised from file name and row number" in trades["notes"]
    assert trades["rows_read"] == 4 and trades["rows_rejected"] == 0


def read_with(tmp_path, profile_text: str, files: dict[str, bytes]):
    data = tmp_path / "data"
    for name, content in files.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_bytes(content)
    profile = load_profile(write(tmp_path / "p.yaml", profile_text))
    rejected: list[RejectedRow] = []
    readers = profile_sources(profile, data, rejected, None)
    return {name: list(reader) for name, reader in readers.items()}, rejected, readers


KEYS = "key_id,mm_id,ip_allowlist,mfa,created_on,rotated_on,status"


def test_alternatives_position_constant_map_and_glob_concatenation(tmp_path) -> None:
    profile = """profile: t
datasets:
  mm_api_keys:
    file: "keys_*.csv"
    fields:
      key_id: {columns: [Key Ref, Key]}
      mm_id: {position: 3}
      ip_allowlist: {column: Flag, map: {Y: true, N: false}}
      mfa: {constant: true}
      created_on: {column: Created, format: ["%d/%m/%Y", "%Y%m%d"]}
      status: {constant: active}
"""
    rows, rejected, readers = read_with(tmp_path, profile, {
        "keys_0601.csv": "Key,Unit,Unit,Flag,Created\nK1,x,MM1,Y,01/06/2026\n".encode(),
        "keys_0602.csv": "Key Ref,Unit,Unit,Flag,Created\nK2,x,MM2,n,20260602\n".encode()})
    got = [r for _, r in rows["mm_api_keys"]]
    assert [(r[0], r[1], r[2], r[3], r[4].isoformat(), r[6]) for r in got] == [
        ("K1", "MM1", True, True, "2026-06-01", "active"), ("K2", "MM2", False, True, "2026-06-02", "active")]
    stats = readers["mm_api_keys"].stats
    assert [f["path"] for f in stats.files] == ["keys_0601.csv", "keys_0602.csv"] and not rejected
    import hashlib
    assert [f["sha256"] for f in stats.files] == [
        hashlib.sha256((tmp_path / "data" / n).read_bytes()).hexdigest() for n in ("keys_0601.csv", "keys_0602.csv")]


def test_number_handling_percent_scale_currency_parentheses_and_exponent(tmp_path) -> None:
    profile = """profile: t
datasets:
  collateral:
    file: "pos.csv"
    fields:
      position_id: Id
      client_id: Client
      asset: {column: Code, pad: {width: 5}, strip: [" (HK)"]}
      asset_type: {constant: security}
      quantity: Qty
      market_value_hkd: {column: MV, number: {strip: ["$", "HKD"], thousands: ",", parentheses_negative: true}}
      haircut_pct: {column: HC, number: {percent: true, scale: 1}}
      valued_on: {column: Date, format: "%m/%d/%Y %I:%M:%S %p"}
"""
    body = ("Id,Client,Code,Qty,MV,HC,Date\n"
            'P1,C1,700 (HK),-3.605E-05,"$1,234.50",60%,06/30/2026 11:59:00 PM\n'
            'P2,C1,5,1,(HKD 10),0.6,06/30/2026 12:00:00 AM\n'
            'P3,C1,5,1,-$10,abc,06/30/2026 12:00:00 AM\n')
    rows, rejected, _ = read_with(tmp_path, profile, {"pos.csv": body.encode()})
    got = {r[0]: r for _, r in rows["collateral"]}
    assert got["P1"][2] == "00700" and got["P1"][4] == Decimal("-0.00003605") and got["P1"][5] == Decimal("1234.50")
    assert got["P1"][6] == Decimal("60") and got["P1"][7].isoformat() == "2026-06-30"
    assert got["P2"][5] == Decimal("-10") and got["P2"][6] == Decimal("0.6")
    assert [(r.row, r.column, r.value) for r in rejected] == [(4, "haircut_pct", "abc")]


def test_where_filter_fill_down_nulls_header_row_and_naive_zone(tmp_path) -> None:
    profile = """profile: t
timezone: Asia/Hong_Kong
datasets:
  access_log:
    file: "log.csv"
    header_row: 2
    where: {column: Kind, equals: D}
    fields:
      event_id: Id
      staff_id: {column: Staff, fill_down: true}
      system: System
      accessed_at: {column: Time, format: "%Y/%m/%d %H:%M:%S"}
      action: Action
"""
    body = ("Report generated 2026-06-30\nKind,Id,Staff,System,Time,Action\nD,E1,S1,client_orders,2026/06/01 00:30:00,null\n"
            "D,E2,,wiki,2026/06/01 08:00:00,read\nT,,,,,Subtotal 2\n")
    rows, rejected, readers = read_with(tmp_path, profile, {"log.csv": body.encode()})
    got = [r for _, r in rows["access_log"]]
    assert [(r[0], r[1], r[4]) for r in got] == [("E1", "S1", None), ("E2", "S1", "read")]
    assert got[0][3] == datetime.fromisoformat("2026-06-01T00:30:00+08:00")
    assert readers["access_log"].stats.rows_filtered == 1 and readers["access_log"].stats.rows_read == 2


def test_bom_big5_and_gb18030_encodings(tmp_path) -> None:
    profile = """profile: t
datasets:
  staff_roles:
    file: "staff.csv"
    encoding: {enc}
    fields:
      role_id: 編號
      staff_id: 員工
      entity: {{column: 公司, map: {{平台: platform, 做市商: affiliated_mm}}}}
      role: 職位
      started_on: 開始
"""
    text = "編號,員工,公司,職位,開始\nR1,S1,平台,工程師,2026-01-01\n"
    for enc in ("big5hkscs", "gb18030", "utf-8-sig"):
        rows, rejected, _ = read_with(tmp_path / enc, profile.format(enc=enc), {"staff.csv": text.encode(enc)})
        assert [(r[0], r[2], r[4]) for _, r in rows["staff_roles"]] == [("R1", "platform", "工程師")], enc


def test_undecodable_profiled_file_names_offset_and_candidates(cli, tmp_path) -> None:
    write(tmp_path / "data" / "staff.csv", "編號,員工\nR1,陳\n", encoding="big5hkscs")
    path = write(tmp_path / "p.yaml", "profile: t\ndatasets:\n  staff_roles:\n    file: staff.csv\n"
                 "    fields: {role_id: 編號, staff_id: 員工, entity: {constant: platform}, role: {constant: x},"
                 " started_on: {constant: '2026-01-01'}}\n")
    result = cli("audit", tmp_path / "data", "--profile", path)
    assert result.code == 2 and "staff.csv" in result.err and "byte offset 0" in result.err
    assert "big5hkscs" in result.err


def test_excel_dates_ids_as_text_and_sheet_choice(tmp_path) -> None:
    from openpyxl import Workbook
    book = Workbook()
    book.active.title = "Other"
    ws = book.create_sheet("Keys")
    ws.append(["Key", "MM", "IP", "MFA", "Created", "State"])
    ws.append([12345678901234, 7, True, False, datetime(2026, 3, 1, 9, 30), "ACTIVE"])
    ws.append([None, "  ", None, None, None, None])  # a blank row: counted apart, not a record
    book.save(tmp_path / "x.xlsx")
    profile = """profile: t
datasets:
  mm_api_keys:
    file: "*.xlsx"
    sheet: Keys
    fields: {key_id: Key, mm_id: MM, ip_allowlist: IP, mfa: MFA, created_on: Created,
             status: {column: State, map: {ACTIVE: active}}}
"""
    rows, rejected, readers = read_with(tmp_path, profile, {"x.xlsx": (tmp_path / "x.xlsx").read_bytes()})
    (_, r), = rows["mm_api_keys"]
    assert readers["mm_api_keys"].stats.rows_blank == 1 and not rejected
    assert r[:5] == ("12345678901234", "7", True, False, datetime(2026, 3, 1).date()) and r[6] == "active"


@pytest.mark.parametrize("body,needle", [
    ("profile: t\ndatasets:\n  clients:\n    file: c.csv\n    fileds: {}\n", "did you mean 'fields'"),
    ("profile: t\ndatasets:\n  client:\n    file: c.csv\n    fields: {client_id: A}\n", "did you mean 'clients'"),
    ("profile: t\ndatasets:\n  clients:\n    file: c.csv\n    fields: {client_idd: A}\n", "did you mean 'client_id'"),
    ("profile: t\ndatasets:\n  clients:\n    file: c.csv\n    fields: {client_id: {column: A, constant: B}}\n",
     "exactly one of"),
    ("profile: t\ntimezone: Mars/Base\ndatasets:\n  clients:\n    file: c.csv\n    fields: {client_id: A}\n",
     "unknown time zone"),
])
def test_bad_profiles_exit_2_naming_the_problem(cli, tmp_path, body, needle) -> None:
    path = write(tmp_path / "p.yaml", body)
    result = cli("audit", SAMPLES / "clean", "--profile", path)
    assert result.code == 2 and needle in result.err and "p.yaml" in result.err, result.err


def test_missing_mapped_column_is_exit_2(cli, tmp_path) -> None:
    write(tmp_path / "data" / "k.csv", "Key\nK1\n")
    path = write(tmp_path / "p.yaml", "profile: t\ndatasets:\n  mm_api_keys:\n    file: k.csv\n"
                 "    fields: {key_id: Key, mm_id: MM Code}\n")
    result = cli("audit", tmp_path / "data", "--profile", path)
    assert result.code == 2 and "k.csv" in result.err and "MM Code" in result.err


def test_profile_check_shows_mapping_rows_and_problems(cli, tmp_path) -> None:
    ok = cli("profile", "check", FIRM / "broker-big5", "--profile", PROFILES / "broker-backoffice-big5.yaml")
    assert ok.code == 0 and "no problems found" in ok.out and "陳大文" in ok.out and "Drawdown Date" in ok.out
    data = tmp_path / "data"
    write(data / "VA_LOANS.csv", "Loan Ref,Client No,Drawdown Date,O/S Amount,Status\nL1,C1,31/02/2026,HKD 5,O\n"
          "L2,C1,2026-03-01,HKD 5,O\n", encoding="big5hkscs")
    bad = cli("profile", "check", data, "--profile", PROFILES / "broker-backoffice-big5.yaml")
    assert bad.code == 1
    assert "clients: no file matches" in bad.out
    assert "va_financing_loans.drawn_on: 2 row(s)" in bad.out and "31/02/2026" in bad.out


def test_init_writes_a_profile_that_maps_canonical_and_similar_headers(cli, tmp_path) -> None:
    data = tmp_path / "data"
    write(data / "trades_june.csv", "Trade No,Client No,Symbol,Trade Time,Side,Qty,Price,Leverage\n")
    write(data / "random.csv", "foo,bar\n")
    out = tmp_path / "profile.yaml"
    result = cli("init", data, "--output", out)
    assert result.code == 0
    text = out.read_text("utf-8")
    import yaml
    doc = yaml.safe_load(text)
    fields = doc["datasets"]["perp_trades"]["fields"]
    assert fields["trade_id"] == "Trade No" and fields["quantity"] == "Qty" and fields["instrument"] == "Symbol"
    assert "TODO: random.csv" in text and "TODO: no rows to read: give the date format" in text
    assert load_profile(out).name  # the starting profile is itself valid


def test_profile_and_canonical_files_mix(cli) -> None:
    report = cli("audit", FIRM / "binance-usdm", "--profile", PROFILES / "binance-usdm.yaml", "--as-of", "2026-06-30",
                 "--format", "json").json()
    assert {i["dataset"] for i in report["inputs"]} == {"clients", "perp_instruments", "perp_trades"}
    assert report["ignored_files"] == []
    assert json.dumps(report)  # serialisable


def test_init_reads_samples_to_propose_formats_numbers_and_code_maps(cli, tmp_path) -> None:
    out = tmp_path / "p.yaml"
    assert cli("init", FIRM / "broker-big5", "--output", out).code == 0   # (the encoding is detected)
    text = out.read_text("utf-8")
    import yaml
    fields = yaml.safe_load(text)["datasets"]
    assert fields["collateral"]["fields"]["valued_on"] == {"column": "Val Date", "format": "%d/%m/%Y"}
    assert fields["collateral"]["fields"]["haircut_pct"] == {"column": "Haircut", "number": {"percent": True}}
    assert fields["va_financing_loans"]["fields"]["outstanding_hkd"] == {"column": "O/S Amount",
                                                                         "number": {"strip": ["HKD"]}}
    assert fields["collateral"]["fields"]["asset_type"] == {"column": "Class", "map": {
        "CASH": "cash", "SEC": "security", "VA": "virtual_asset"}}   # codes mapped from every value seen
    assert 'TODO: ambiguous dates, choose one of format: "%d/%m/%Y" / "%m/%d/%Y"' in text
    # once the TODOs are answered the profile reads the files with no problem
    check = cli("profile", "check", FIRM / "broker-big5", "--profile", out)
    assert check.code == 0 and "no problems found" in check.out  # every code seen was mapped


def _access_profile(tmp_path: Path, fmt: str) -> Path:
    return write(tmp_path / "profile.yaml", f"""profile: access events as JSON
datasets:
  access_log:
    file: "events.{fmt}"
    fields:
      event_id: EventId
      staff_id: Who
      system: System
      accessed_at: When
""")


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_profiled_json_exports_stream_and_reject_what_is_not_a_record(cli, tmp_path, fmt) -> None:
    """A profile maps the keys of a JSON or JSON Lines export; a record that is not an object (or a line that is
    not JSON) is rejected with its reason, so every record is either judged or reported."""
    good = [{"EventId": f"E{i}", "Who": "S1", "System": "client_data", "When": "2026-06-01T10:00:00+08:00"}
            for i in range(3)]
    data = tmp_path / "data"
    if fmt == "jsonl":
        write(data / "events.jsonl", "\n".join(json.dumps(r) for r in good[:2]) + '\n[1, 2]\n{"EventId": \n\n'
              + json.dumps(good[2]) + "\n")
    else:
        write(data / "events.json", json.dumps({"exported": "today", "records": [good[0], "oops", good[1], good[2]]}))
    report = cli("audit", data, "--profile", _access_profile(tmp_path, fmt), "--as-of", "2026-06-30",
                 "--format", "json").json()
    access = next(i for i in report["inputs"] if i["dataset"] == "access_log")
    reasons = [r["reason"] for r in report["rejected_rows"]]
    if fmt == "jsonl":
        assert access["rows_read"] == 5 and access["rows_rejected"] == 2 and access.get("rows_blank") == 1
        assert reasons[0] == "not a JSON object (list)" and reasons[1].startswith("invalid JSON")
        assert [r["row"] for r in report["rejected_rows"]] == [3, 4]
    else:
        assert access["rows_read"] == 4 and access["rows_rejected"] == 1
        assert reasons == ["not a JSON object (str)"] and report["rejected_rows"][0]["row"] == 2
    assert access["rows_evaluated"] == 3 and len(access["sha256"]) == 64
    assert access["sha256"] == hashlib.sha256((data / f"events.{fmt}").read_bytes()).hexdigest()


def test_profiled_json_that_does_not_parse_names_file_and_line(cli, tmp_path) -> None:
    write(tmp_path / "data" / "events.json", '[\n  {"EventId": "E1"},\n  {"EventId": "E2",,}\n]\n')
    result = cli("audit", tmp_path / "data", "--profile", _access_profile(tmp_path, "json"), "--as-of", "2026-06-30")
    assert result.code == 2 and "events.json:3" in result.err and "invalid JSON" in result.err
    assert "Traceback" not in result.err


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]),
       st.lists(st.sampled_from(["0", "1", "2", "3", "5", "9", "00", "01", "12", "13", "29", "30", "31", "59",
                                 "60", "61", "2026", "0000", "9999", "02"]), min_size=6, max_size=6),
       st.sampled_from(["-", " ", "T", ":", "/"]))
def test_a_formatted_date_time_reads_as_strptime_reads_it(fmt, parts, sep) -> None:
    """The ISO shortcut for ISO-shaped formats gives strptime's value, and refuses what it refuses (a 13th
    month, a 60th second, digits that are not zero-padded take strptime itself)."""
    from sfc_check.data.profiles import parse_formatted
    y, mo, d, h, mi, s = parts
    text = f"{y}-{mo}{sep}{d}" + ("" if fmt == "%Y-%m-%d" else f"{fmt[8]}{h}:{mi}" + (":" + s if fmt.count(":") == 2 else ""))
    for candidate in (text, text.replace(sep, "-", 1)):
        try:
            expected: object = datetime.strptime(candidate, fmt)
        except ValueError:
            expected = ValueError
        try:
            got: object = parse_formatted(candidate, fmt)
        except ValueError:
            got = ValueError
        assert got == expected, candidate


def test_an_exchange_withdrawal_history_is_audited_through_its_profile(cli) -> None:
    """Rule pack v2 on a firm's own layout: local times, its own status and verification words, '-' for nothing.
    The password withdrawal, the unverified 2FA one and the large one to a one-hour-old address fail; the one to
    an address exactly 24 hours old and the failed request do not."""
    result = cli("audit", FIRM / "exchange-withdrawals", "--profile", PROFILES / "exchange-withdrawals.yaml",
                 "--as-of", "2026-06-30", "--format", "json")
    report = result.json()
    assert result.code == 1 and report["rejected_rows"] == []
    assert pairs(report) == {("WDR-AUTH-001", "WD-1002"), ("WDR-AUTH-001", "WD-1006"), ("WDR-NEWADDR-001", "WD-1003")}


def test_profile_check_puts_a_column_rejecting_every_row_first_and_lists_canonical_files(cli, tmp_path) -> None:
    text = (PROFILES / "broker-backoffice-big5.yaml").read_text("utf-8")
    broken = text.replace("map: {IND: individual, CORP: corporation, TRUST: trust, PTNR: partnership, "
                          "INST: institution}", "map: {XX: individual}")
    assert broken != text
    path = write(tmp_path / "p.yaml", broken)
    result = cli("profile", "check", FIRM / "broker-big5", "--profile", path)
    problems = result.out.split("problem(s):")[1].strip().splitlines()
    assert result.code == 1 and problems[0].startswith("- clients.client_type: 14 of 15 rows are rejected on this column")
    listed = cli("profile", "check", FIRM / "binance-usdm", "--profile", PROFILES / "binance-usdm.yaml")
    assert "Also read as canonical datasets: clients ← clients.csv, perp_instruments ← perp_instruments.csv" \
        in listed.out


def test_a_decode_error_under_a_profile_names_its_encoding_key(cli, tmp_path) -> None:
    text = (PROFILES / "broker-backoffice-big5.yaml").read_text("utf-8").replace("    encoding: big5hkscs\n", "")
    result = cli("audit", FIRM / "broker-big5", "--profile", write(tmp_path / "p.yaml", text), "-q")
    assert result.code == 2 and "set `encoding: big5hkscs` under datasets: clients: in the profile" in result.err


def test_profile_check_lists_every_bad_cell_of_a_row_not_only_the_first(cli, tmp_path) -> None:
    text = (PROFILES / "broker-backoffice-big5.yaml").read_text("utf-8")
    broken = text.replace("map: {IND: individual, CORP: corporation, TRUST: trust, PTNR: partnership, "
                          "INST: institution}", "map: {XX: individual}")
    broken = broken.replace("map: {PI: professional, Prof: professional, Retail: retail, RTL: retail}",
                            "map: {XX: retail}")
    assert broken.count("map: {XX:") == 2
    result = cli("profile", "check", FIRM / "broker-big5", "--profile", write(tmp_path / "p.yaml", broken))
    problems = result.out.split("problem(s):")[1]
    assert "clients.client_type: 14 row(s) not one of" in problems
    # the second bad cell of rows rejected on client_type (PI, Prof are no longer mapped), in row order
    assert "clients.investor_class: 8 row(s) not one of: retail, professional — e.g. CLIENT_MASTER.csv:2 'PI'" \
        in problems
    audit = cli("audit", FIRM / "broker-big5", "--profile", write(tmp_path / "p.yaml", broken), "--as-of",
                "2026-06-30", "-f", "json").json()
    clients = [r for r in audit["rejected_rows"] if r["dataset"] == "clients"]
    assert len(clients) == 15   # the audit still rejects each row once, with its first bad cell
