"""The bundled pack against the catalog: random export sets full of boundary values (the day a limit is reached
and the day after, evenings in UTC that are the next day in Hong Kong, nulls, mixed case, closed loans, missing
clients and instruments), written as CSV, JSON Lines or JSON, must give exactly the violations that the
catalog's table, written out independently in catalog_oracle.py, says they hold."""
from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from catalog_oracle import Records, catalog_violations
from conftest import pairs

from sfc_check.data.dictionary import load_dictionary

AS_OF = date(2026, 6, 30)
DAYS = ["", "2025-06-29", "2025-06-30", "2025-07-01", "2026-02-10", "2026-02-11", "2026-03-01", "2026-03-31",
        "2026-04-01", "2026-06-28", "2026-06-29", "2026-06-30", "2026-07-01"]
FLAGS = ["", "Y", "n", "TRUE", "false", "1", "0", "yes", "No"]
TIMES = ["2026-03-01T10:00:00+08:00", "2026-03-01T16:30:00Z", "2026-03-01T15:59:59Z", "2026-03-01T16:00:00Z",
         "2026-02-28T23:59:59+08:00", "2026-06-30T23:00:00+08:00", "2026-06-30T16:00:00", "2026-03-01T00:00:00-05:00"]
CLIENTS = [f"C{i}" for i in range(12)]  # the last two are missing from clients
MAKERS = ["MM1", "MM2", "MM3"]
STAFF = ["S1", "S2", "S3", "S4"]
INSTRUMENTS = ["BTC-USD-PERP", "ETH-USD-PERP", "DOGE-USD-PERP"]


def export_set(rng: random.Random) -> Records:
    """Records of every dataset, as text cells, drawn from values that sit on the rules' edges."""
    pick = rng.choice

    def rows(n: int, make: Callable[[int], dict[str, str]]) -> list[dict[str, str]]:
        return [make(i) for i in range(n)]
    return {
        "clients": [dict(client_id=c, client_type=pick(["individual", "Corporation"]),
                         investor_class=pick(["retail", "Professional", "PROFESSIONAL", "professional"]),
                         pi_assessed_on=pick(DAYS), derivatives_knowledge_on=pick(DAYS),
                         has_securities_margin_account=pick(["Y", "N", "true", "0"]), credit_assessed_on=pick(DAYS),
                         credit_rating=pick(["", "A", "b", "C", "d"]), va_risk_disclosure_on=pick(DAYS),
                         mm_id=pick(["", "", "MM1", "MM2"]), status=pick(["", "active", "Suspended", "closed"]))
                    for c in CLIENTS[:-2]],
        "va_financing_loans": rows(rng.randint(0, 15), lambda i: dict(
            loan_id=f"L{i}", client_id=pick(CLIENTS),
            drawn_on=pick(["2025-06-30", "2025-07-01", "2026-02-15", "2026-03-01", "2026-06-30"]),
            outstanding_hkd=pick(["0", "100", "1,000", "250.50", "1000000"]), status=pick(["open", "Open", "closed"]))),
        "collateral": rows(rng.randint(0, 25), lambda i: dict(
            position_id=f"P{i}", client_id=pick(CLIENTS), asset=pick(["BTC", "eth", "SOL", "0700.HK", "HKD"]),
            asset_type=pick(["virtual_asset", "Virtual_Asset", "security", "cash"]), quantity="1",
            market_value_hkd=pick(["0", "100", "500", "1,000", "999.99"]),
            haircut_pct=pick(["0", "59.99", "60", "60.0", "75", "100"]),
            valued_on=pick(["2026-06-28", "2026-06-29", "2026-06-30", "2026-07-01"]), repledged=pick(FLAGS),
            frr_haircut_pct=pick(["", "99.99", "100", "100.0"]))),
        "perp_instruments": [dict(instrument=pick([i, i.lower()]), reference_asset="X",
                                  reference_retail_spot=pick(["Y", "N", "true", "0"]),
                                  funding_interval_hours=pick(["8", "24", "24.01", "48"]),
                                  max_leverage=pick(["5", "10", "20", "20.5", "50"]),
                                  sfc_approved_on=pick(["", "2026-03-01", "2026-03-02", "2026-06-30"]))
                             for i in rng.sample(INSTRUMENTS, rng.randint(0, 3))],
        "perp_trades": rows(rng.randint(0, 30), lambda i: dict(
            trade_id=f"T{i}", client_id=pick(CLIENTS), instrument=pick(INSTRUMENTS + ["btc-usd-perp"]),
            trade_time=pick(TIMES), side=pick(["buy", "SELL"]), quantity="1", price="100",
            leverage=pick(["1", "5", "10", "10.01", "20", "21"]), counterparty_client_id=pick(["", ""] + CLIENTS))),
        "market_makers": [dict(mm_id=m, legal_name="X", affiliated=pick(["Y", "N", "true"]),
                               agreement_signed_on=pick(DAYS), coi_policy_approved_on=pick(DAYS),
                               independence_reviewed_on=pick(DAYS), separate_legal_entity=pick(FLAGS),
                               info_barrier=pick(FLAGS), disclosed_on=pick(DAYS), started_on=pick(DAYS),
                               status=pick(["", "active", "Inactive"]), preferential_treatment=pick(FLAGS),
                               preferential_disclosed_on=pick(DAYS), sfc_notified_on=pick(DAYS),
                               independent_report_on=pick(DAYS), notice_signer_role=pick(["", "mic_omo", "MIC_OMO",
                                                                                         "other"]),
                               declaration_given=pick(FLAGS), suspension_undertaking_given=pick(FLAGS),
                               coi_officer_role=pick(["", "ro", "MIC", "none"])) for m in MAKERS],
        "staff_roles": rows(rng.randint(0, 8), lambda i: dict(
            role_id=f"R{i}", staff_id=pick(STAFF), entity=pick(["platform", "affiliated_mm", "Affiliated_MM", "other"]),
            mm_id=pick(["", "MM1"]), role="trader", started_on=pick(["2025-01-01", "2026-03-01", "2026-06-30",
                                                                      "2026-07-01"]),
            ended_on=pick(["", "", "2026-02-28", "2026-03-01", "2026-06-29", "2026-06-30"]))),
        "access_log": rows(rng.randint(0, 15), lambda i: dict(
            event_id=f"E{i}", staff_id=pick(STAFF), accessed_at=pick(TIMES), action="read",
            system=pick(["client_orders", "client_data", "surveillance", "matching_engine_admin", "email"]))),
        "mm_api_keys": rows(rng.randint(0, 6), lambda i: dict(
            key_id=f"K{i}", mm_id=pick(MAKERS + ["MM9"]), ip_allowlist=pick(["Y", "N"]), mfa=pick(["Y", "N"]),
            created_on=pick(["2026-01-01", "2026-04-01", "2026-04-02"]),
            rotated_on=pick(["", "2026-03-31", "2026-04-01", "2026-04-02"]), status=pick(["active", "Revoked"]))),
    }


def write_exports(folder: Path, data: Records, rng: random.Random) -> None:
    """Each dataset in a format of its own: CSV, or JSON Lines / a JSON array leaving empty values out. A
    dataset with no records gets no file (its rules are skipped)."""
    for name, records in data.items():
        if not records:
            continue
        fmt = rng.choice(["csv", "csv", "jsonl", "json"])
        if fmt == "csv":
            with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=list(records[0]))
                writer.writeheader()
                writer.writerows(records)
            continue
        compact = [{k: v for k, v in r.items() if v != ""} for r in records]
        with open(folder / f"{name}.{fmt}", "w", encoding="utf-8") as f:
            if fmt == "jsonl":
                f.write("".join(json.dumps(r) + "\n" for r in compact))
            else:
                json.dump(compact, f)


@pytest.mark.parametrize("seed", range(40))
def test_the_pack_finds_what_the_catalog_describes(cli, tmp_path, seed) -> None:
    rng = random.Random(seed)
    data = export_set(rng)
    write_exports(tmp_path, data, rng)
    result = cli("audit", tmp_path, "--as-of", AS_OF.isoformat(), "--format", "json")
    assert result.code in (0, 1), result.err
    report = result.json()
    assert report["summary"]["rows_rejected"] == 0
    absent = {name for name, records in data.items() if not records} | (set(load_dictionary()) - set(data))
    skipped = {r["id"]: r["reason"] for r in report["rules"] if r["status"] == "skipped"}
    for reason in skipped.values():  # "dataset X not found": skipped only for a dataset that is absent
        assert set(reason.removeprefix("dataset ").removesuffix(" not found").split(", ")) <= absent, reason
    # a v2 field left out of every record of a JSON file is an absent column: its rules are not evaluable
    lacking = {f"{name}.{f}" for name, records in data.items() if records
               for f in records[0] if all(r.get(f, "") == "" for r in records)}
    not_evaluable = {r["id"]: r["reason"] for r in report["rules"] if r["status"] == "not_evaluable"}
    for reason in not_evaluable.values():
        assert set(reason.removeprefix("the export does not carry ").split(", ")) <= lacking, reason
    assert all(r["status"] in ("pass", "fail") for r in report["rules"]
               if r["id"] not in skipped and r["id"] not in not_evaluable)
    expected = {(rule, key) for rule, key in catalog_violations(data, AS_OF)
                if rule not in skipped and rule not in not_evaluable}
    assert pairs(report) == expected
