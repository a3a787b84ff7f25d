"""Rebuild samples/firm-exports/ from the canonical samples/exports, in firm layouts the profiles describe.

    python samples/make_firm_exports.py

broker-big5/    a broker back office: Big5-HKSCS CSVs, Chinese/English headers, dd/mm/yyyy dates, Y/N flags,
                codes for enums, "HKD 1,234.00" amounts, "60%" haircuts
platform-xlsx/  a platform's Excel workbook: one sheet per table, own column names, Excel date cells, naive
                Hong Kong times, ids as text
binance-usdm/   a Binance USD-M futures trade history (no trade id, no account id, no leverage) plus a canonical
                clients.csv and perp_instruments.csv
"""
from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook

HERE = Path(__file__).parent
SRC = HERE / "exports"
OUT = HERE / "firm-exports"
HK = ZoneInfo("Asia/Hong_Kong")


def rows(name: str) -> list[dict[str, str]]:
    if (SRC / f"{name}.csv").exists():
        with (SRC / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    if (SRC / f"{name}.json").exists():
        return [{k: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in r.items()}
                for r in json.loads((SRC / f"{name}.json").read_text("utf-8"))]
    return [json.loads(line) for line in (SRC / f"{name}.jsonl").read_text("utf-8").splitlines() if line.strip()]


def dmy(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def write_csv(path: Path, header: list[str], body: list[list[str]], encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(body)


def broker() -> None:
    out = OUT / "broker-big5"
    ctype = {"individual": "IND", "corporation": "CORP", "trust": "TRUST", "partnership": "PTNR", "institution": "INST"}
    write_csv(out / "CLIENT_MASTER.csv",
              ["客戶編號 Client No", "姓名 Name", "類別 Type", "投資者 Investor", "PI 評估日 PI Date", "衍生工具知識 Deriv Date",
               "孖展戶口 Margin A/C", "信貸審查 Credit Review", "評級 Grade", "VA 風險披露 VA RD Date", "做市商 MM", "狀態 Status"],
              [[c["client_id"], c["name"], ctype[c["client_type"]], "PI" if c["investor_class"] == "professional" else "Retail",
                dmy(c["pi_assessed_on"]), dmy(c["derivatives_knowledge_on"]), c["has_securities_margin_account"],
                dmy(c["credit_assessed_on"]), c["credit_rating"], dmy(c["va_risk_disclosure_on"]), c["mm_id"] or "-",
                {"active": "A", "suspended": "S", "closed": "C", "": ""}[c["status"]]] for c in rows("clients")],
              "big5hkscs")
    write_csv(out / "VA_LOANS.csv", ["Loan Ref", "Client No", "Drawdown Date", "O/S Amount", "Status"],
              [[r["loan_id"], r["client_id"], dmy(r["drawn_on"]), f"HKD {float(r['outstanding_hkd'].replace(',', '')):,.2f}",
                "O" if r["status"] == "open" else "C"] for r in rows("va_financing_loans")], "big5hkscs")
    cls = {"security": "SEC", "virtual_asset": "VA", "cash": "CASH"}
    write_csv(out / "COLLATERAL.csv", ["Pos ID", "Client No", "Code", "Class", "Qty", "MV (HKD)", "Haircut", "Val Date",
                                       "Repledged"],
              [[r["position_id"], r["client_id"], r["asset"], cls[r["asset_type"]], r["quantity"],
                f"{float(r['market_value_hkd']):,.2f}", f"{r['haircut_pct']}%", dmy(r["valued_on"]), r["repledged"] or "N"]
               for r in rows("collateral")], "big5hkscs")


def platform() -> None:
    book = Workbook()
    book.remove(book.active)

    def sheet(title: str, header: list[str], body: list[list[object]]) -> None:
        ws = book.create_sheet(title)
        ws.append(["Exported from PlatformOps 4.2 — confidential"])  # a banner row above the header
        ws.append(header)
        for r in body:
            ws.append(r)

    def d(iso: str) -> object:
        return datetime.fromisoformat(iso) if iso else None

    def hk_local(iso: str) -> datetime:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(HK).replace(tzinfo=None)

    sheet("Clients", ["UID", "Name", "Entity Type", "Investor Type", "PI Date", "Derivatives Assessed", "Margin",
                      "MM Code", "Account Status"],
          [[c["client_id"], c["name"], c["client_type"].title(), "Prof" if c["investor_class"] == "professional" else "Retail",
            d(c["pi_assessed_on"]), d(c["derivatives_knowledge_on"]), c["has_securities_margin_account"] == "Y",
            c["mm_id"] or None, c["status"].upper() or None] for c in rows("clients")])
    sheet("Contracts", ["Contract", "Underlying", "Spot Listed (Retail)", "Funding Interval (h)", "Max Lev",
                        "SFC Approval", "Go-live"],
          [[r["instrument"], r["reference_asset"], r["reference_retail_spot"] == "true", int(r["funding_interval_hours"]),
            int(r["max_leverage"]), d(r["sfc_approved_on"]), d(r["listed_on"])] for r in rows("perp_instruments")])
    sheet("Trades", ["Deal No", "UID", "Contract", "Trade Time (HKT)", "B/S", "Qty", "Price", "Leverage", "Contra UID"],
          [[r["trade_id"], r["client_id"], r["instrument"], hk_local(r["trade_time"]), r["side"][0].upper(),
            float(r["quantity"]), float(r["price"]), float(r["leverage"]), r["counterparty_client_id"] or None]
           for r in rows("perp_trades")])
    sheet("MarketMakers", ["MM Code", "Legal Name", "Group Company", "MM Agreement", "COI Policy Approved",
                           "Independence Review", "Separate Entity", "Info Barrier", "Disclosed", "Start", "State"],
          [[r["mm_id"], r["legal_name"], r["affiliated"] in ("true", "Y"), d(r.get("agreement_signed_on", "")),
            d(r.get("coi_policy_approved_on", "")), d(r.get("independence_reviewed_on", "")),
            (r.get("separate_legal_entity", "") in ("true", "Y")) if r.get("separate_legal_entity") else None,
            (r.get("info_barrier", "") in ("true", "Y")) if r.get("info_barrier") else None,
            d(r.get("disclosed_on", "")), d(r.get("started_on", "")), (r.get("status") or "").upper() or None]
           for r in rows("market_makers")])
    sheet("Staff", ["Role ID", "Staff ID", "Company", "MM Code", "Role", "From", "To"],
          [[r["role_id"], r["staff_id"], {"platform": "PLATFORM", "affiliated_mm": "AFMM", "other": "OTHER"}[r["entity"]],
            r["mm_id"] or None, r["role"], d(r["started_on"]), d(r["ended_on"])] for r in rows("staff_roles")])
    sheet("AccessLog", ["Event", "Staff ID", "System", "Time (HKT)", "Action"],
          [[r["event_id"], r["staff_id"], r["system"], hk_local(r["accessed_at"]), r["action"]] for r in rows("access_log")])
    sheet("ApiKeys", ["Key", "MM Code", "IP Allowlist", "MFA", "Created", "Rotated", "State"],
          [[r["key_id"], r["mm_id"], r["ip_allowlist"] == "Y", r["mfa"] == "Y", d(r["created_on"]), d(r["rotated_on"]),
            r["status"].upper()] for r in rows("mm_api_keys")])
    (OUT / "platform-xlsx").mkdir(parents=True, exist_ok=True)
    book.save(OUT / "platform-xlsx" / "platform_export.xlsx")


def binance() -> None:
    out = OUT / "binance-usdm"
    sym = {"BTC-USD-PERP": "BTCUSDT", "ETH-USD-PERP": "ETHUSDT", "SOL-USD-PERP": "SOLUSDT", "DOGE-USD-PERP": "DOGEUSDT",
           "XRP-USD-PERP": "XRPUSDT"}
    trades = [r for r in rows("perp_trades") if r["client_id"] == "C001"]
    body = []
    for r in sorted(trades, key=lambda r: r["trade_time"], reverse=True):  # exports are newest first
        t = datetime.fromisoformat(r["trade_time"].replace("Z", "+00:00")).astimezone(ZoneInfo("UTC"))
        q, p = float(r["quantity"]), float(r["price"])
        body.append([t.strftime("%Y-%m-%d %H:%M:%S"), sym[r["instrument"].upper()], r["side"].upper(), r["price"],
                     r["quantity"], f"{q * p:.2f}", "0.1", "0"])
    write_csv(out / "binance_usdm_trades_C001.csv",
              ["Date(UTC)", "Symbol", "Side", "Price", "Quantity", "Amount", "Fee", "Realized Profit"], body, "utf-8")
    for name in ("clients.csv", "perp_instruments.csv"):
        (out / name).write_bytes((SRC / name).read_bytes())


if __name__ == "__main__":
    broker()
    platform()
    binance()
