"""Seeded generator of canonical-format export sets at any scale, with a realistic share of violations.

    python benchmarks/generate.py OUT_DIR [--clients 100000] [--trades 1000000] [--collateral 300000] [--seed 7]

About 1 % of trades are by retail clients, a few per mille break each other trade rule; audit with
--as-of 2026-06-30.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

AS_OF = date(2026, 6, 30)
HK = timezone(timedelta(hours=8))
INSTRUMENTS = [("BTC-USD-PERP", "BTC", "true", 8, 20, "2026-03-01"), ("ETH-USD-PERP", "ETH", "true", 8, 20, "2026-03-01"),
               ("SOL-USD-PERP", "SOL", "true", 8, 10, "2026-04-01"), ("XRP-USD-PERP", "XRP", "true", 24, 10, "2026-04-01"),
               ("DOGE-USD-PERP", "DOGE", "false", 48, 25, "")]


def day(d: date) -> str:
    return d.isoformat()


def generate(out: Path, clients: int, trades: int, collateral: int, seed: int) -> None:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    retail = set()
    with (out / "clients.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["client_id", "name", "client_type", "investor_class", "pi_category", "pi_portfolio_hkd",
                    "pi_assessed_on", "derivatives_knowledge_on", "has_securities_margin_account",
                    "credit_assessed_on", "credit_rating", "va_risk_disclosure_on", "mm_id", "status"])
        for i in range(1, clients + 1):
            is_retail = rng.random() < 0.01
            if is_retail:
                retail.add(i)
            pi = "" if is_retail else day(date(2026, 4, 30) - timedelta(days=rng.randint(0, 300 if rng.random() > 0.002 else 400)))
            know = day(date(2026, 4, 30) - timedelta(days=rng.randint(0, 500))) if rng.random() > 0.001 else ""
            w.writerow([f"C{i:07d}", f"Client {i}", "individual", "retail" if is_retail else "professional",
                        "" if is_retail else "individual", "" if is_retail else f"{rng.randint(8, 90)},000,000",
                        pi, know, "Y" if rng.random() > 0.05 else "N", day(AS_OF - timedelta(days=rng.randint(1, 300))),
                        rng.choice("AAABBBBBBBBBBBBBBBBC"), day(date(2026, 2, 15)), "MM01" if i in (11, 12) else "",
                        "active" if rng.random() > 0.001 else "suspended"])
    with (out / "perp_instruments.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["instrument", "reference_asset", "reference_retail_spot", "funding_interval_hours", "max_leverage",
                    "sfc_approved_on", "listed_on"])
        for row in INSTRUMENTS:
            w.writerow([*row, "2026-04-15"])
    names = [i[0] for i in INSTRUMENTS[:4]]
    start = datetime(2026, 5, 1, tzinfo=HK)
    with (out / "perp_trades.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["trade_id", "client_id", "instrument", "trade_time", "side", "quantity", "price", "leverage",
                    "counterparty_client_id"])
        for i in range(1, trades + 1):
            c = rng.randint(1, clients)
            t = start + timedelta(seconds=rng.randint(0, 60 * 86400))
            inst = rng.choice(names) if rng.random() > 0.0005 else "DOGE-USD-PERP"
            lev = rng.randint(1, 10) if rng.random() > 0.002 else 30
            cp = rng.randint(1, clients)
            if rng.random() < 0.0005:
                cp = c
            w.writerow([f"T{i:08d}", f"C{c:07d}", inst, t.isoformat(timespec="seconds"), rng.choice(("buy", "sell")),
                        rng.randint(1, 50), f"{rng.uniform(100, 100000):.2f}", lev, f"C{cp:07d}"])
    with (out / "collateral.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["position_id", "client_id", "asset", "asset_type", "quantity", "market_value_hkd", "haircut_pct",
                    "valued_on", "repledged"])
        for i in range(1, collateral + 1):
            kind = rng.choice(("security", "security", "virtual_asset", "cash"))
            asset = {"security": "0700.HK", "cash": "HKD",
                     "virtual_asset": rng.choice(("BTC", "ETH")) if rng.random() > 0.003 else "SOL"}[kind]
            kind = kind if rng.random() > 0.5 or kind != "virtual_asset" else "security"  # VA about 1 in 8
            haircut = {"security": 30, "cash": 0, "virtual_asset": 60 if rng.random() > 0.003 else 50}[kind]
            w.writerow([f"P{i:08d}", f"C{rng.randint(1, clients):07d}", asset, kind, rng.randint(1, 1000),
                        f"{rng.uniform(1000, 2000000):.2f}", haircut,
                        day(AS_OF - timedelta(days=0 if rng.random() > 0.002 else 3)), "N"])
    with (out / "va_financing_loans.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["loan_id", "client_id", "drawn_on", "outstanding_hkd", "status"])
        for i in range(1, clients // 10 + 1):
            w.writerow([f"L{i:07d}", f"C{rng.randint(1, clients):07d}", day(AS_OF - timedelta(days=rng.randint(1, 100))),
                        f"{rng.uniform(1000, 500000):.2f}", "open" if rng.random() > 0.2 else "closed"])
    mms = [{"mm_id": "MM01", "legal_name": "Group MM", "affiliated": True, "agreement_signed_on": "2026-03-01",
            "coi_policy_approved_on": "2026-03-01", "independence_reviewed_on": "2026-03-01",
            "separate_legal_entity": True, "info_barrier": True, "disclosed_on": "2026-03-01", "started_on": "2026-03-02"},
           {"mm_id": "MM02", "legal_name": "Other MM", "affiliated": False}]
    (out / "market_makers.json").write_text(json.dumps(mms), "utf-8")
    with (out / "staff_roles.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["role_id", "staff_id", "entity", "mm_id", "role", "started_on", "ended_on"])
        for i in range(1, 2001):
            entity = "affiliated_mm" if i % 10 == 0 else "platform"
            w.writerow([f"R{i:05d}", f"S{i:05d}", entity, "MM01" if entity == "affiliated_mm" else "", "staff",
                        "2025-01-01", ""])
        w.writerow(["R99999", "S00010", "platform", "", "engineer", "2025-01-01", ""])
    with (out / "access_log.jsonl").open("w", encoding="utf-8") as f:
        for i in range(1, 50001):
            f.write(json.dumps({"event_id": f"E{i:07d}", "staff_id": f"S{rng.randint(1, 2000):05d}",
                                "system": rng.choice(("mm_portal", "wiki", "client_orders" if rng.random() < 0.05 else "wiki")),
                                "accessed_at": (start + timedelta(seconds=rng.randint(0, 5000000))).isoformat()}) + "\n")
    with (out / "mm_api_keys.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["key_id", "mm_id", "ip_allowlist", "mfa", "created_on", "rotated_on", "status"])
        w.writerow(["K1", "MM01", "Y", "Y", "2026-03-01", "2026-06-01", "active"])
        w.writerow(["K2", "MM01", "N", "Y", "2026-03-01", "", "active"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path)
    p.add_argument("--clients", type=int, default=100_000)
    p.add_argument("--trades", type=int, default=1_000_000)
    p.add_argument("--collateral", type=int, default=300_000)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    generate(a.out, a.clients, a.trades, a.collateral, a.seed)


if __name__ == "__main__":
    main()
