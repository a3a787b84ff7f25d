"""The bundled audit rules written by hand as DuckDB SQL: the yardstick `run.py` holds sfc-check to.

    python benchmarks/reference.py DATA_DIR [--as-of 2026-06-30]     # prints {rule id: violations} as JSON

What a careful analyst would write for the benchmark's files: each file read once into a typed table (exact
DECIMAL, dates, date-times, enums lower-cased, Y/N flags), then one counting query per rule. It types only
what the rules need and rejects nothing: the comparison is generous to the hand-written side.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import duckdb

LOAD = {
    "clients": """CREATE TABLE clients AS SELECT client_id, lower(investor_class) AS investor_class,
        TRY_CAST(pi_assessed_on AS DATE) AS pi_assessed_on,
        TRY_CAST(derivatives_knowledge_on AS DATE) AS derivatives_knowledge_on,
        lower(has_securities_margin_account) IN ('y', 'yes', 'true', '1', 't') AS margin,
        TRY_CAST(credit_assessed_on AS DATE) AS credit_assessed_on, lower(credit_rating) AS credit_rating,
        TRY_CAST(va_risk_disclosure_on AS DATE) AS va_risk_disclosure_on, NULLIF(mm_id, '') AS mm_id,
        COALESCE(NULLIF(lower(status), ''), 'active') AS status
        FROM read_csv('{d}/clients.csv', all_varchar = true)""",
    "perp_instruments": """CREATE TABLE perp_instruments AS SELECT upper(instrument) AS instrument,
        lower(reference_retail_spot) IN ('y', 'yes', 'true', '1', 't') AS retail_spot,
        CAST(funding_interval_hours AS DECIMAL(38, 10)) AS funding_interval_hours,
        CAST(max_leverage AS DECIMAL(38, 10)) AS max_leverage, TRY_CAST(sfc_approved_on AS DATE) AS sfc_approved_on
        FROM read_csv('{d}/perp_instruments.csv', all_varchar = true)""",
    "perp_trades": """CREATE TABLE perp_trades AS SELECT trade_id, client_id, upper(instrument) AS instrument,
        CAST(timezone('Asia/Hong_Kong', CAST(trade_time AS TIMESTAMPTZ)) AS DATE) AS trade_date,
        CAST(leverage AS DECIMAL(38, 10)) AS leverage, NULLIF(counterparty_client_id, '') AS counterparty
        FROM read_csv('{d}/perp_trades.csv', all_varchar = true)""",
    "collateral": """CREATE TABLE collateral AS SELECT position_id, client_id, upper(asset) AS asset,
        lower(asset_type) AS asset_type, CAST(market_value_hkd AS DECIMAL(38, 10)) AS market_value,
        CAST(haircut_pct AS DECIMAL(38, 10)) AS haircut_pct, CAST(valued_on AS DATE) AS valued_on,
        lower(repledged) IN ('y', 'yes', 'true', '1', 't') AS repledged
        FROM read_csv('{d}/collateral.csv', all_varchar = true)""",
    "va_financing_loans": """CREATE TABLE loans AS SELECT loan_id, client_id, CAST(drawn_on AS DATE) AS drawn_on,
        CAST(outstanding_hkd AS DECIMAL(38, 10)) AS outstanding, lower(status) AS status
        FROM read_csv('{d}/va_financing_loans.csv', all_varchar = true)""",
    "market_makers": """CREATE TABLE mms AS SELECT mm_id, affiliated, TRY_CAST(agreement_signed_on AS DATE) AS agr,
        TRY_CAST(coi_policy_approved_on AS DATE) AS coi, TRY_CAST(independence_reviewed_on AS DATE) AS reviewed,
        separate_legal_entity, info_barrier, TRY_CAST(disclosed_on AS DATE) AS disclosed,
        TRY_CAST(started_on AS DATE) AS started, 'active' AS status
        FROM read_json('{d}/market_makers.json', columns = {{mm_id: 'VARCHAR', affiliated: 'BOOLEAN',
        agreement_signed_on: 'VARCHAR', coi_policy_approved_on: 'VARCHAR', independence_reviewed_on: 'VARCHAR',
        separate_legal_entity: 'BOOLEAN', info_barrier: 'BOOLEAN', disclosed_on: 'VARCHAR', started_on: 'VARCHAR'}})""",
    "staff_roles": """CREATE TABLE roles AS SELECT staff_id, lower(entity) AS entity,
        CAST(started_on AS DATE) AS started_on, TRY_CAST(ended_on AS DATE) AS ended_on
        FROM read_csv('{d}/staff_roles.csv', all_varchar = true)""",
    "access_log": """CREATE TABLE access AS SELECT event_id, staff_id, lower(system) AS system,
        CAST(timezone('Asia/Hong_Kong', CAST(accessed_at AS TIMESTAMPTZ)) AS DATE) AS access_date
        FROM read_json('{d}/access_log.jsonl', format = 'newline_delimited', columns = {{event_id: 'VARCHAR',
        staff_id: 'VARCHAR', system: 'VARCHAR', accessed_at: 'VARCHAR'}})""",
    "mm_api_keys": """CREATE TABLE keys AS SELECT key_id, mm_id, lower(ip_allowlist) IN ('y', 'yes', 'true', '1', 't') AS ip,
        lower(mfa) IN ('y', 'yes', 'true', '1', 't') AS mfa, CAST(created_on AS DATE) AS created_on,
        TRY_CAST(rotated_on AS DATE) AS rotated_on, lower(status) AS status
        FROM read_csv('{d}/mm_api_keys.csv', all_varchar = true)""",
}

ACTIVE_AFFILIATED = "affiliated IS TRUE AND status = 'active'"
AFFILIATED_KEY = ("FROM keys k JOIN mms m USING (mm_id) WHERE k.status = 'active' AND m.affiliated IS TRUE "
                  "AND m.status = 'active'")

RULES = {
    "AMM-ACCESS-001": """SELECT count(*) FROM access a WHERE system IN ('client_orders', 'client_data', 'surveillance',
        'matching_engine_admin') AND EXISTS (SELECT 1 FROM roles r WHERE r.staff_id = a.staff_id
        AND r.entity = 'affiliated_mm' AND r.started_on <= a.access_date
        AND (r.ended_on IS NULL OR r.ended_on >= a.access_date))""",
    "AMM-AGR-001": f"SELECT count(*) FROM mms WHERE {ACTIVE_AFFILIATED} AND (agr IS NULL OR agr > started)",
    "AMM-COI-001": f"SELECT count(*) FROM mms WHERE {ACTIVE_AFFILIATED} AND (coi IS NULL OR coi > started)",
    "AMM-DISC-001": f"SELECT count(*) FROM mms WHERE {ACTIVE_AFFILIATED} AND (disclosed IS NULL OR disclosed > started)",
    "AMM-IND-001": f"""SELECT count(*) FROM mms WHERE {ACTIVE_AFFILIATED}
        AND (separate_legal_entity IS NOT TRUE OR info_barrier IS NOT TRUE)""",
    "AMM-IND-002": f"""SELECT count(*) FROM mms WHERE {ACTIVE_AFFILIATED}
        AND (reviewed IS NULL OR DATE '{{as_of}}' - reviewed > 365)""",
    "AMM-KEY-001": f"SELECT count(*) {AFFILIATED_KEY} AND (ip IS NOT TRUE OR mfa IS NOT TRUE)",
    "AMM-KEY-002": f"SELECT count(*) {AFFILIATED_KEY} AND DATE '{{as_of}}' - COALESCE(rotated_on, created_on) > 90",
    "AMM-STAFF-001": """SELECT count(*) FROM (SELECT staff_id FROM roles WHERE started_on <= DATE '{as_of}'
        AND (ended_on IS NULL OR ended_on >= DATE '{as_of}') GROUP BY staff_id
        HAVING count(*) FILTER (entity = 'platform') > 0 AND count(*) FILTER (entity = 'affiliated_mm') > 0)""",
    "AMM-TRADE-001": """SELECT count(*) FROM perp_trades t LEFT JOIN clients c USING (client_id)
        LEFT JOIN clients cp ON cp.client_id = t.counterparty
        WHERE t.counterparty = t.client_id OR c.mm_id = cp.mm_id""",
    "PERP-ACCESS-001": """SELECT count(*) FROM perp_trades t LEFT JOIN clients c USING (client_id)
        WHERE c.client_id IS NULL OR c.investor_class <> 'professional'""",
    "PERP-ACCESS-002": """SELECT count(*) FROM perp_trades t JOIN clients c USING (client_id)
        WHERE c.investor_class = 'professional' AND (c.pi_assessed_on IS NULL
        OR t.trade_date - c.pi_assessed_on < 0 OR t.trade_date - c.pi_assessed_on > 365)""",
    "PERP-ACCT-001": """SELECT count(*) FROM perp_trades t JOIN clients c USING (client_id)
        WHERE c.status IN ('suspended', 'closed')""",
    "PERP-KNOW-001": """SELECT count(*) FROM perp_trades t JOIN clients c USING (client_id)
        WHERE c.derivatives_knowledge_on IS NULL OR c.derivatives_knowledge_on > t.trade_date""",
    "PERP-LEV-001": """SELECT count(*) FROM perp_trades t JOIN perp_instruments p USING (instrument)
        WHERE t.leverage > p.max_leverage""",
    "PERP-PROD-001": """SELECT count(*) FROM perp_trades t LEFT JOIN perp_instruments p USING (instrument)
        WHERE p.instrument IS NULL OR p.sfc_approved_on IS NULL OR p.sfc_approved_on > t.trade_date""",
    "PERP-PROD-002": "SELECT count(*) FROM perp_instruments WHERE retail_spot IS NOT TRUE",
    "PERP-PROD-003": "SELECT count(*) FROM perp_instruments WHERE funding_interval_hours > 24",
    "PERP-PROD-004": "SELECT count(*) FROM perp_instruments WHERE max_leverage > 20",
    "FIN-COLL-001": "SELECT count(*) FROM collateral WHERE asset_type = 'virtual_asset' AND asset NOT IN ('BTC', 'ETH')",
    "FIN-COLL-002": "SELECT count(*) FROM collateral WHERE asset_type = 'virtual_asset' AND haircut_pct < 60",
    "FIN-COLL-003": """SELECT count(*) FROM (SELECT sum(market_value) FILTER (asset_type = 'virtual_asset') AS va,
        sum(market_value) AS total FROM collateral GROUP BY client_id
        HAVING count(*) FILTER (asset_type = 'virtual_asset') > 0) WHERE va > 0.5 * total""",
    "FIN-COLL-004": "SELECT count(*) FROM collateral WHERE asset_type = 'virtual_asset' AND repledged",
    "FIN-COVER-001": """SELECT count(*) FROM (SELECT client_id, sum(outstanding) AS o FROM loans WHERE status = 'open'
        GROUP BY client_id) l LEFT JOIN (SELECT client_id, sum(market_value * (100 - haircut_pct)) / 100 AS lv
        FROM collateral GROUP BY client_id) c USING (client_id) WHERE l.o > COALESCE(c.lv, 0)""",
    "FIN-CREDIT-001": """SELECT count(*) FROM loans l JOIN clients c USING (client_id)
        WHERE c.credit_assessed_on IS NULL OR l.drawn_on - c.credit_assessed_on < 0
        OR l.drawn_on - c.credit_assessed_on > 365""",
    "FIN-CREDIT-002": """SELECT count(*) FROM loans l JOIN clients c USING (client_id)
        WHERE c.credit_rating IS NULL OR c.credit_rating > 'b'""",
    "FIN-DISC-001": """SELECT count(*) FROM loans l JOIN clients c USING (client_id)
        WHERE c.va_risk_disclosure_on IS NULL OR c.va_risk_disclosure_on > l.drawn_on""",
    "FIN-ELIG-001": """SELECT count(*) FROM loans l LEFT JOIN clients c USING (client_id)
        WHERE c.client_id IS NULL OR c.margin IS NOT TRUE""",
    "FIN-MC-001": """SELECT count(*) FROM (SELECT client_id, sum(outstanding) AS o FROM loans WHERE status = 'open'
        GROUP BY client_id) l LEFT JOIN (SELECT client_id, sum(market_value) AS mv FROM collateral
        GROUP BY client_id) c USING (client_id) WHERE l.o > COALESCE(c.mv, 0)""",
    "FIN-VAL-001": "SELECT count(*) FROM collateral WHERE DATE '{as_of}' - valued_on > 1",
}


def run(data_dir: str, as_of: str) -> dict[str, int]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for sql in LOAD.values():
        con.execute(sql.format(d=data_dir))
    counts = {}
    for rule_id, sql in RULES.items():
        row = con.execute(sql.format(as_of=as_of)).fetchone()
        counts[rule_id] = int(row[0]) if row else 0
    return counts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data_dir")
    p.add_argument("--as-of", default="2026-06-30")
    args = p.parse_args()
    started = time.perf_counter()
    counts = run(args.data_dir, args.as_of)
    json.dump({"counts": counts, "seconds": round(time.perf_counter() - started, 3)}, sys.stdout)


if __name__ == "__main__":
    main()
