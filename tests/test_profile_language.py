"""Profile language for a platform's own exports: JSON envelopes and nested fields, Unix time, a date and a
time in two columns, several row filters, UTF-16 without `encoding:` (fixtures written here, in the shapes
exchanges' APIs and back offices export)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES, write

AS_OF = ("--as-of", "2026-06-30")

PROFILE = """\
profile: Platform API exports (fixture)
timezone: Asia/Hong_Kong
datasets:
  perp_trades:
    file: "api_trades_*.json"
    records: result
    fields:
      trade_id: id
      client_id: account.owner.client
      instrument: {column: contract, map: {BTCUSDT: BTC-USD-PERP, ETHUSDT: ETH-USD-PERP}}
      trade_time: {column: ts, format: epoch_ms}
      side: {column: dir, map: {B: buy, S: sell}}
      quantity: qty
      price: px
      leverage: lev
  withdrawals:
    file: "wd.csv"
    where:
      all:
        - {column: Desk, equals: VA}
        - any:
            - {column: Kind, equals: WD}
            - {column: Kind, equals: WITHDRAW}
    fields:
      withdrawal_id: Ref
      client_id: Client
      asset: Coin
      amount: Qty
      destination_address: To
      requested_at: {join: [Req Date, Req Time], format: "%d/%m/%Y %H:%M"}
      status: {column: State, map: {C: completed, R: requested}}
      auth_method: {column: Auth, map: {2FA: mfa, PWD: password}}
      auth_passed: {column: OK, map: {Y: true, N: false}}
"""


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(SAMPLES / "exports", data)
    (data / "perp_trades.csv").unlink()
    # 2026-06-01T10:00:00+08:00 is 1780279200000 ms; one trade at leverage 25 (> BTC max 20)
    trades = [{"id": f"X{n}", "account": {"owner": {"client": "C001"}}, "contract": "BTCUSDT",
               "ts": 1780279200000 + n * 60_000, "dir": "B", "qty": "1", "px": "105000", "lev": lev}
              for n, lev in enumerate([10, 25, 20])]
    (data / "api_trades_20260601.json").write_text(json.dumps({"code": 0, "result": trades}), "utf-8")
    rows = ("Desk,Kind,Ref,Client,Coin,Qty,To,Req Date,Req Time,State,Auth,OK\n"
            "VA,WD,W1,C001,BTC,0.1,bc1q1,01/06/2026,09:30,C,2FA,Y\n"
            "VA,WITHDRAW,W2,C002,ETH,1,0xB2,02/06/2026,10:45,C,PWD,Y\n"    # password only: WDR-AUTH-001
            "EQ,WD,W3,C003,BTC,1,bc1q3,02/06/2026,11:00,C,PWD,Y\n"        # another desk: filtered out
            "VA,DEPOSIT,W4,C004,BTC,1,bc1q4,02/06/2026,11:00,C,PWD,Y\n")  # another kind: filtered out
    (data / "withdrawals.csv").unlink()
    (data / "wd.csv").write_bytes(rows.encode("utf-16"))                # UTF-16 with its BOM, no encoding: key
    return data


def test_a_platform_layout_is_read_as_written(cli, tmp_path, platform) -> None:
    profile = write(tmp_path / "p.yaml", PROFILE)
    doc = cli("audit", platform, "--profile", profile, *AS_OF, "-f", "json").json()
    inputs = {i["dataset"]: i for i in doc["inputs"]}
    assert inputs["perp_trades"]["rows_read"] == 3 and inputs["perp_trades"]["rows_rejected"] == 0
    assert inputs["withdrawals"]["rows_read"] == 2 and inputs["withdrawals"]["rows_filtered"] == 2
    found = {(v["rule_id"], tuple(v["key"].values())) for v in doc["violations"]
             if v["rule_id"] in ("PERP-LEV-001", "WDR-AUTH-001")}
    assert found == {("PERP-LEV-001", ("X1",)), ("WDR-AUTH-001", ("W2",))}
    assert not [r for r in doc["rejected_rows"] if r["dataset"] in ("perp_trades", "withdrawals")]


def test_epoch_seconds_and_a_wrong_unit(cli, tmp_path, platform) -> None:
    text = PROFILE.replace("format: epoch_ms", "format: epoch_s")
    doc = cli("audit", platform, "--profile", write(tmp_path / "p.yaml", text), *AS_OF, "-f", "json").json()
    reasons = {r["reason"] for r in doc["rejected_rows"] if r["dataset"] == "perp_trades"}
    assert len([r for r in doc["rejected_rows"] if r["dataset"] == "perp_trades"]) == 3
    assert any("1990–2100" in r or "Unix time" in r for r in reasons), reasons


def test_a_missing_join_column_is_named(cli, tmp_path, platform) -> None:
    text = PROFILE.replace("join: [Req Date, Req Time]", "join: [Req Date, Req Clock]")
    result = cli("audit", platform, "--profile", write(tmp_path / "p.yaml", text), *AS_OF, "-q")
    assert result.code == 2 and "requested_at (column Req Date + Req Clock)" in result.err


def test_an_unknown_key_inside_a_field_mapping_gets_did_you_mean(cli, tmp_path, platform) -> None:
    text = PROFILE.replace("status: {column: State,", "status: {colum: State,")
    result = cli("audit", platform, "--profile", write(tmp_path / "p.yaml", text), *AS_OF, "-q")
    assert result.code == 2 and "unknown key 'colum'" in result.err and "did you mean 'column'?" in result.err
    assert "p.yaml:31" in result.err
