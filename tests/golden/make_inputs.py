"""Write the golden input sets that are generated rather than copied (run once; the files are committed).

    python tests/golden/make_inputs.py

`edge-csv`: canonical CSVs with what real exports get wrong: bad cells of every type, empty required cells,
duplicate keys, ragged rows, blank lines and rows of separators, quoted cells with commas, quotes and line
breaks, a BOM, CRLF line ends, thousands separators, odd spaces, date-times in several ISO shapes.
`edge-jsonl`: JSON Lines with broken lines, nested values and repeated keys.
The expected reports beside them were written by the engine of commit aed18e3 (before DuckDB).
"""
from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).parent


def edge_csv(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(20)
    clients = ["client_id,name,client_type,investor_class,pi_category,pi_portfolio_hkd,pi_assessed_on,"
               "derivatives_knowledge_on,has_securities_margin_account,credit_assessed_on,credit_rating,"
               "va_risk_disclosure_on,mm_id,status,desk"]
    for i in range(1, 41):
        cls = "professional" if i % 3 else "retail"
        clients.append(f'C{i:03d},"Client, {i}",individual,{cls.upper() if i % 7 == 0 else cls},individual,'
                       f'"{rnd.randint(1, 90) * 1000000:,}",2026-0{1 + i % 5}-1{i % 9},2025-12-01,'
                       f'{"Y" if i % 4 else "n"},2026-03-0{1 + i % 8},{"abcd"[i % 4]},2026-02-15,,'
                       f'{"active" if i % 11 else "suspended"},desk {i % 3}')
    clients += ["C042,Odd,individual,retail,,,,,maybe,,,,,active,",
                "C043,Dup,individual,retail,,,,,Y,,,,,active,",
                "C043,Dup again,individual,professional,,,,,Y,,,,,active,",
                "", ",,,,,,,,,,,,,,",
                "C044,Short,individual",
                "C045,Bad date,individual,professional,individual,1000000,2026-02-30,,Y,,,,,active,",
                "C046,,individual,,individual,,,,Y,,,,,active,",
                "C047,Spaces\u00a0,\tindividual ,professional, institutional ,2,000,2026-01-01,,Y,,,,,active,"]
    (out / "clients.csv").write_bytes(("\ufeff" + "\r\n".join(clients) + "\r\n").encode("utf-8"))
    trades = ["trade_id,client_id,instrument,trade_time,side,quantity,price,leverage,counterparty_client_id"]
    shapes = ["2026-05-{d:02d}T10:00:00+08:00", "2026-05-{d:02d}T23:30:00Z", "2026-05-{d:02d} 09:15:00",
              "2026-05-{d:02d}T16:30:00.125+00:00", "2026-05-{d:02d}", "2026-05-{d:02d}T01:00:00-0500"]
    for i in range(1, 121):
        when = shapes[i % len(shapes)].format(d=1 + i % 28)
        trades.append(f"T{i:04d},C{1 + i % 45:03d},{['btc-usd-perp', 'ETH-USD-PERP', 'DOGE-USD-PERP'][i % 3]},"
                      f"{when},{'BUY' if i % 2 else 'sell'},{rnd.randint(1, 9)}.{rnd.randint(0, 99):02d},"
                      f"{rnd.randint(1000, 99999)}.5,{[5, 10, 20, 25, '10.01'][i % 5]},"
                      f"{'C%03d' % (1 + (i * 7) % 45) if i % 4 else ''}")
    trades += ["T0121,C001,BTC-USD-PERP,not a time,buy,1,1,1,", "T0122,C001,BTC-USD-PERP,2026-05-01T10:00:00+08:00,"
               "hold,1,1,1,", "T0123,C001,BTC-USD-PERP,2026-05-01T10:00:00+08:00,buy,1e3,1,NaN,",
               "T0124,C001,BTC-USD-PERP,2026-05-01T10:00:00+08:00,buy,1,\"1,23\",2,",
               "T0125,C001,BTC-USD-PERP,2026-05-01T10:00:00+08:00,buy,1,2,2,extra,cells",
               "T0001,C001,BTC-USD-PERP,2026-05-01T10:00:00+08:00,buy,1,2,2,",
               "T0126,C002,ETH-USD-PERP,2026-05-02T10:00:00+08:00,sell,0.0000000001,2,3,"]
    (out / "perp_trades.csv").write_text("\n".join(trades) + "\n", encoding="utf-8")
    (out / "perp_instruments.csv").write_text(
        "instrument,reference_asset,reference_retail_spot,funding_interval_hours,max_leverage,sfc_approved_on,"
        "listed_on\nBTC-USD-PERP,btc,true,8,20,2026-03-01,2026-03-02\nETH-USD-PERP,ETH,yes,8,10,2026-03-01,"
        "2026-03-02\nDOGE-USD-PERP,DOGE,N,48,25,,2026-04-01\n", encoding="utf-8")
    loans = ["loan_id,client_id,drawn_on,outstanding_hkd,status"]
    for i in range(1, 31):
        loans.append(f"L{i:03d},C{1 + (i * 3) % 44:03d},2026-0{1 + i % 6}-1{i % 9},"
                     f"{rnd.randint(1, 900) * 1000}.{rnd.randint(0, 9)}0,{'open' if i % 5 else 'CLOSED'}")
    loans += ["L031,C001,2026-04-01,-5,open", "L032,C002,2026-04-01,,open", "L033,C003,2026-04-01,1,2,3,4,open"]
    (out / "va_financing_loans.csv").write_text("\n".join(loans) + "\n", encoding="utf-8")
    collateral = ["position_id,client_id,asset,asset_type,quantity,market_value_hkd,haircut_pct,valued_on,repledged"]
    for i in range(1, 61):
        asset, kind = [("btc", "virtual_asset"), ("ETH", "virtual_asset"), ("SOL", "virtual_asset"),
                       ("0700.HK", "security"), ("HKD", "cash")][i % 5]
        collateral.append(f"P{i:03d},C{1 + (i * 5) % 44:03d},{asset},{kind},{i},{rnd.randint(1, 500) * 1000}.25,"
                          f"{[60, 59.99, 65, 0, 30][i % 5]},2026-06-{1 + i % 29:02d},{['', 'Y', 'no'][i % 3]}")
    collateral += ["P061,C001,BTC,virtual_asset,1,100,101,2026-06-29,", "P062,C001,BTC,virtual_asset,1,100,-1,"
                   "2026-06-29,", "P063,C001,BTC,crypto,1,100,60,2026-06-29,"]
    (out / "collateral.csv").write_text("\n".join(collateral) + "\n", encoding="utf-8")


def edge_jsonl(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(1, 31):
        lines.append(json.dumps({"event_id": f"E{i:03d}", "staff_id": f"S{1 + i % 6:03d}",
                                 "system": ["client_orders", "mm_portal", "Surveillance"][i % 3],
                                 "accessed_at": f"2026-06-{1 + i % 28:02d}T{i % 24:02d}:30:00+08:00",
                                 "action": "read"}))
    lines += ['{"event_id": "E031", "staff_id": "S001", "system": "client_data", "accessed_at": "2026-06-01T10:00Z"',
              '[1, 2, 3]', '', '{"event_id": "E032", "staff_id": {"id": "S001"}, "system": "x", '
              '"accessed_at": "2026-06-01T10:00:00Z"}',
              '{"event_id": "E033", "staff_id": "S001", "Staff_ID ": "S002", "system": "x", '
              '"accessed_at": "2026-06-01T10:00:00Z"}',
              '{"event_id": "E001", "staff_id": "S001", "system": "client_orders", "accessed_at": "2026-06-01T10:00:00Z"}',
              '{"event_id": "E034", "staff_id": "S002", "system": "client_orders", "accessed_at": "2026-06-01 10:00"}']
    (out / "access_log.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    roles = ["role_id,staff_id,entity,mm_id,role,started_on,ended_on"]
    for i in range(1, 7):
        roles.append(f"R{i:02d},S{i:03d},{['platform', 'affiliated_mm'][i % 2]},MM01,Trader,2026-01-01,"
                     f"{'2026-06-15' if i == 3 else ''}")
    roles += ['R07,S007,platform,,"Desk ""A""\nsupport",2026-01-01,', "R08,S008,platform,,ops,2026-13-01,",
              "R01,S009,platform,,ops,2026-01-01,"]
    (out / "staff_roles.csv").write_text("\n".join(roles) + "\n", encoding="utf-8")


if __name__ == "__main__":
    edge_csv(HERE / "edge-csv")
    edge_jsonl(HERE / "edge-jsonl")
