"""Differential test: on random data, the compiled single-pass engine finds exactly what a simple
reference interpreter of the same rules finds (every rule of the bundled pack)."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_eval import Reference

from sfc_check.app.evaluation import InlineSource, RunSettings, evaluate
from sfc_check.data.dictionary import load_dictionary
from sfc_check.data.rowtyping import typed_records
from sfc_check.language.rulepack import load_rules
from sfc_check.model import RejectedRow

RULES = load_rules()
# rules reading rule pack v2 fields without a default are not evaluable where the column is absent: these
# records carry every field, so every rule runs
V2_FIELD_RULES: set[str] = set()
AS_OF = date(2026, 6, 30)
HK = ZoneInfo("Asia/Hong_Kong")

ids = st.sampled_from(["C1", "C2", "C3", "C4", "C9"])
mms = st.sampled_from(["MM1", "MM2", "MM9", None])
# dates cluster on the rules' boundaries (0, 1, 90, 365 days) so that off-by-one errors show
OFFSETS = [-366, -365, -91, -90, -2, -1, 0, 1]
day = st.sampled_from(OFFSETS).map(lambda d: (AS_OF + timedelta(days=d)).isoformat())
opt_day = st.one_of(st.none(), day)
flag = st.sampled_from(["true", "false", None])
money = st.sampled_from(["0", "1", "100", "400000", "1000000", "59.99", "60", "0.5"])
opt_amount = st.sampled_from(["0", "100", "400000", None])
stamp = st.tuples(st.sampled_from(OFFSETS), st.sampled_from([0, 15, 16, 23]), st.sampled_from(["+08:00", "Z"])).map(
    lambda t: f"{(AS_OF + timedelta(days=t[0])).isoformat()}T{t[1]:02d}:30:00{t[2]}")


def records(strategy: st.SearchStrategy, key: str, prefix: str, max_size: int = 8) -> st.SearchStrategy:
    return st.lists(strategy, min_size=1, max_size=max_size).map(
        lambda rs: [{**r, key: f"{prefix}{i}"} for i, r in enumerate(rs)])


DATA = st.fixed_dictionaries({
    "clients": st.lists(st.fixed_dictionaries({
        "client_type": st.just("individual"), "investor_class": st.sampled_from(["retail", "professional"]),
        "pi_assessed_on": opt_day, "derivatives_knowledge_on": opt_day,
        "has_securities_margin_account": st.sampled_from(["true", "false"]), "credit_assessed_on": opt_day,
        "credit_rating": st.sampled_from(["A", "B", "C", "D", None]), "va_risk_disclosure_on": opt_day,
        "mm_id": mms, "status": st.sampled_from(["active", "suspended", "closed", None]),
        "securities_margin_outstanding_hkd": opt_amount, "sob_risk_explained_at": st.one_of(st.none(), stamp),
        "sob_elected_at": st.one_of(st.none(), stamp)}), max_size=4).map(
        lambda rs: [{**r, "client_id": f"C{i + 1}"} for i, r in enumerate(rs)]),
    "va_financing_loans": records(st.fixed_dictionaries({
        "client_id": ids, "drawn_on": day, "outstanding_hkd": money, "status": st.sampled_from(["open", "closed"])}),
        "loan_id", "L"),
    "collateral": records(st.fixed_dictionaries({
        "client_id": ids, "asset": st.sampled_from(["BTC", "eth", "SOL", "0700.HK", "HKD"]),
        "asset_type": st.sampled_from(["virtual_asset", "security", "cash"]), "quantity": st.just("1"),
        "market_value_hkd": money, "haircut_pct": st.sampled_from(["0", "30", "59.99", "60", "100"]),
        "valued_on": day, "repledged": flag, "da_sector": flag,
        "frr_haircut_pct": st.sampled_from(["100", "99.99", None])}), "position_id", "P"),
    "perp_instruments": st.lists(st.fixed_dictionaries({
        "reference_asset": st.just("BTC"), "reference_retail_spot": st.sampled_from(["true", "false"]),
        "funding_interval_hours": st.sampled_from(["8", "24", "24.5"]), "max_leverage": st.sampled_from(["10", "20", "21"]),
        "sfc_approved_on": opt_day}), max_size=2).map(
        lambda rs: [{**r, "instrument": ["BTC-PERP", "ETH-PERP"][i]} for i, r in enumerate(rs)]),
    "perp_trades": records(st.fixed_dictionaries({
        "client_id": ids, "instrument": st.sampled_from(["btc-perp", "ETH-PERP", "XRP-PERP"]), "trade_time": stamp,
        "side": st.just("buy"), "quantity": st.just("1"), "price": st.just("1"),
        "leverage": st.sampled_from(["1", "10", "20", "25"]), "counterparty_client_id": st.one_of(st.none(), ids)}),
        "trade_id", "T"),
    "market_makers": st.lists(st.fixed_dictionaries({
        "legal_name": st.just("x"), "affiliated": st.sampled_from(["true", "false"]), "agreement_signed_on": opt_day,
        "coi_policy_approved_on": opt_day, "independence_reviewed_on": opt_day, "separate_legal_entity": flag,
        "info_barrier": flag, "disclosed_on": opt_day, "started_on": opt_day,
        "status": st.sampled_from(["active", "inactive", None]), "preferential_treatment": flag,
        "preferential_disclosed_on": opt_day, "sfc_notified_on": opt_day, "independent_report_on": opt_day,
        "notice_signer_role": st.sampled_from(["mic_omo", "other", None]), "declaration_given": flag,
        "suspension_undertaking_given": flag, "coi_officer_role": st.sampled_from(["ro", "mic", "none", None])}),
        max_size=2).map(
        lambda rs: [{**r, "mm_id": f"MM{i + 1}"} for i, r in enumerate(rs)]),
    "staff_roles": records(st.fixed_dictionaries({
        "staff_id": st.sampled_from(["S1", "S2"]), "entity": st.sampled_from(["platform", "affiliated_mm", "platform", "other"]),
        "mm_id": mms, "role": st.just("x"), "started_on": day, "ended_on": opt_day}), "role_id", "R"),
    "access_log": records(st.fixed_dictionaries({
        "staff_id": st.sampled_from(["S1", "S2", "S3"]),
        "system": st.sampled_from(["client_orders", "Surveillance", "wiki"]), "accessed_at": stamp}), "event_id", "E"),
    "mm_api_keys": records(st.fixed_dictionaries({
        "mm_id": mms.filter(lambda m: m is not None), "ip_allowlist": st.sampled_from(["true", "false"]),
        "mfa": st.sampled_from(["true", "false"]), "created_on": day, "rotated_on": opt_day,
        "status": st.sampled_from(["active", "revoked"])}), "key_id", "K"),
    # rule pack v2
    "margin_calls": records(st.fixed_dictionaries({
        "client_id": ids, "issued_on": day, "due_on": day, "settled_on": opt_day}), "call_id", "M"),
    "broker_orders": records(st.fixed_dictionaries({
        "client_id": ids, "venue": st.sampled_from(["local", "shared_order_book"]), "placed_at": stamp}),
        "order_id", "B"),
    "orders": records(st.fixed_dictionaries({
        "account_id": ids, "mm_id": mms, "instrument": st.sampled_from(["BTC", "eth"]),
        "side": st.sampled_from(["buy", "sell"]), "limit_price": st.sampled_from(["100", "101"]), "placed_at": stamp,
        "closed_at": st.one_of(st.none(), stamp)}), "order_id", "O"),
    "fills": records(st.fixed_dictionaries({
        "order_id": st.sampled_from(["O0", "O1", "O2", "O9"]), "filled_at": stamp,
        "price": st.sampled_from(["100", "101"]), "quantity": st.just("1"), "afmm_flag": flag}), "fill_id", "F"),
    "withdrawals": records(st.fixed_dictionaries({
        "client_id": ids, "asset": st.just("btc"), "amount": st.just("1"), "destination_address": st.just("x"),
        "requested_at": stamp, "status": st.sampled_from(["requested", "submitted", "completed", "rejected"]),
        "auth_method": st.sampled_from(["mfa", "password", "none", None]), "auth_passed": flag,
        "address_whitelisted_at": st.one_of(st.none(), stamp),
        "amount_hkd": st.sampled_from(["50000", "100000", "100000.01", None])}), "withdrawal_id", "W"),
})


def sources_of(data: dict) -> tuple[dict, dict]:
    dictionary = load_dictionary()
    rejected: list[RejectedRow] = []
    sources, plain = {}, {}
    for name, recs in data.items():
        rows, stats = typed_records(dictionary[name], recs, name, rejected)
        sources[name] = InlineSource(rows, stats)
        plain[name] = [dict(zip([f.name for f in dictionary[name].fields], row)) for _, row in rows]
    assert not rejected
    return sources, plain


@pytest.mark.property
@settings(max_examples=examples(12, 300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=DATA)
def test_engine_matches_the_reference_interpreter(data) -> None:
    sources, plain = sources_of(data)
    result = evaluate(RULES, sources, RunSettings(as_of=AS_OF, tz=HK), [])
    engine = {(v.rule_id, tuple(str(x) for x in v.key.values())) for v in result.violations}
    reference = Reference(plain, AS_OF, HK)
    # the reference judges the rules the engine could run (a rule pack v2 dataset or column absent: not run)
    ran = {o.rule_id for o in result.outcomes if o.status.value in ("pass", "fail")}
    judged_nothing = {o.rule_id for o in result.outcomes if o.status.value == "not_evaluable"
                      and (o.reason or "").startswith("checked no record")}
    assert ran | judged_nothing >= {r.id for r in RULES if set(r.datasets()) <= set(data)
                                    and r.id not in V2_FIELD_RULES}
    # a rule that judged no record found none in its own dataset (it never stands in for a pass)
    assert all(not sources[r.dataset].stats.rows_evaluated for r in RULES if r.id in judged_nothing)
    expected = {(r.id, key) for r in RULES if r.id in ran for key in reference.run(r)}
    assert engine == expected


def test_a_bad_number_in_an_unread_column_still_rejects_the_row(tmp_path, cli) -> None:
    """An unread column is checked, not skipped: a cell that is not a number is reported with its row."""
    import shutil

    from conftest import SAMPLES
    shutil.copytree(SAMPLES / "clean", tmp_path / "d")
    trades = tmp_path / "d" / "perp_trades.csv"
    lines = trades.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("price")] = "12O.5"  # letter O: a typo no rule reads, but still not a number
    lines[1] = ",".join(cells)
    trades.write_text("\n".join(lines) + "\n")
    doc = cli("audit", tmp_path / "d", "--as-of", "2026-06-30", "--format", "json").json()
    assert [(r["dataset"], r["row"], r["column"]) for r in doc["rejected_rows"]] == [("perp_trades", 2, "price")]


def _trades_file(path, rows: int, crlf: bool, bad_rows=(), repeat: tuple[int, int] | None = None) -> None:
    """A quote-free perpetual-trades export: some trades by a retail client (violations), some bad cells."""
    clients = ["C001", "C002", "C005", "C008"]
    lines = ["trade_id,client_id,instrument,trade_time,side,quantity,price,leverage,counterparty_client_id"]
    for i in range(rows):
        trade_id = f"T{repeat[0]:06d}" if repeat and i == repeat[1] else f"T{i:06d}"
        leverage = "x5" if i in bad_rows else str(1 + i % 30)
        lines.append(f"{trade_id},{clients[i % 4]},{'BTC-USD-PERP' if i % 3 else 'ETH-USD-PERP'},"
                     f"2026-06-{1 + i % 28:02d}T{i % 24:02d}:15:00+08:00,buy,1,100.5,{leverage},{clients[(i + 1) % 4]}")
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode() + (b"\r\n" if crlf else b"\n"))

