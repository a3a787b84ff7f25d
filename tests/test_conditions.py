"""One test per construct of the rule language, each asserting which records fire."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rulekit import keys, make_rule, run

from sfc_check.errors import RuleFileError

COLL = {"client_id": "C1", "asset": "BTC", "asset_type": "virtual_asset", "quantity": 1,
        "market_value_hkd": 100, "haircut_pct": 60, "valued_on": "2026-06-30"}


def pos(pid: str, **kw) -> dict:
    return {**COLL, "position_id": pid, **kw}


@pytest.mark.parametrize("op,expected", [
    ("lt", {"P1"}), ("le", {"P1", "P2"}), ("gt", {"P3"}), ("ge", {"P2", "P3"}), ("eq", {"P2"}), ("ne", {"P1", "P3"}),
])
def test_comparisons_against_a_parameter(tmp_path, op, expected) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral",
                                "parameters": {"limit": {"value": 60, "type": "decimal", "source": "policy",
                                                         "description": "x"}},
                                "violation_when": {"field": "haircut_pct", op: {"param": "limit"}}})
    result = run(rule, [pos("P1", haircut_pct="59.99"), pos("P2", haircut_pct=60), pos("P3", haircut_pct="60.01")])
    assert keys(result) == expected


def test_in_and_not_in_are_case_insensitive_for_symbols(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral", "violation_when": {"field": "asset", "not_in": ["btc", "Eth"]}})
    assert keys(run(rule, [pos("P1", asset="btc"), pos("P2", asset="ETH"), pos("P3", asset="SOL")])) == {"P3"}
    rule2 = make_rule(tmp_path, {"dataset": "collateral", "violation_when": {"field": "asset", "in": ["sol"]}}, "TEST-IN-002")
    assert keys(run(rule2, [pos("P1", asset="Sol"), pos("P2", asset="BTC")])) == {"P1"}


def test_null_checks_and_null_safe_is_not(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral", "violation_when": {"field": "repledged", "is_not": False}})
    # repledged defaults to false when empty, so only an explicit true fires
    assert keys(run(rule, [pos("P1", repledged="Y"), pos("P2", repledged="N"), pos("P3")])) == {"P1"}
    rule2 = make_rule(tmp_path, {"dataset": "market_makers",
                                 "violation_when": {"field": "info_barrier", "is_not": True}}, "TEST-NULL-002")
    mm = {"legal_name": "x", "affiliated": "true"}
    result = run(rule2, [{**mm, "mm_id": "M1", "info_barrier": "true"}, {**mm, "mm_id": "M2", "info_barrier": "false"},
                         {**mm, "mm_id": "M3"}])
    assert keys(result) == {"M2", "M3"}
    rule3 = make_rule(tmp_path, {"dataset": "market_makers",
                                 "violation_when": {"field": "disclosed_on", "is_null": True}}, "TEST-NULL-003")
    assert keys(run(rule3, [{**mm, "mm_id": "M1", "disclosed_on": "2026-01-01"}, {**mm, "mm_id": "M2"}])) == {"M2"}


def test_comparison_with_null_is_false_not_an_error(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "market_makers",
                                "violation_when": {"field": "disclosed_on", "gt": {"field": "started_on"}}})
    mm = {"legal_name": "x", "affiliated": "true"}
    result = run(rule, [{**mm, "mm_id": "M1", "disclosed_on": "2026-02-02", "started_on": "2026-02-01"},
                        {**mm, "mm_id": "M2", "started_on": "2026-02-01"}])
    assert keys(result) == {"M1"}


def test_all_any_not(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral", "violation_when": {"all": [
        {"field": "asset_type", "eq": "virtual_asset"},
        {"any": [{"field": "haircut_pct", "lt": 60}, {"not": {"field": "asset", "in": ["BTC", "ETH"]}}]}]}})
    result = run(rule, [pos("P1", haircut_pct=50), pos("P2", asset="SOL"), pos("P3"),
                        pos("P4", asset_type="security", haircut_pct=10)])
    assert keys(result) == {"P1", "P2"}


def test_days_between_two_fields_and_as_of(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral",
                                "let": {"age": {"days_between": [{"field": "valued_on"}, {"as_of": True}]}},
                                "violation_when": {"field": "age", "gt": 1}})
    result = run(rule, [pos("P1", valued_on="2026-06-29"), pos("P2", valued_on="2026-06-28")], as_of="2026-06-30")
    assert keys(result) == {"P2"}


def test_datetime_becomes_a_date_in_the_audit_time_zone(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "access_log",
                                "violation_when": {"value": {"date": {"field": "accessed_at"}}, "eq": "2026-06-01"}})
    events = [{"event_id": "E1", "staff_id": "S", "system": "x", "accessed_at": "2026-05-31T16:00:00Z"},
              {"event_id": "E2", "staff_id": "S", "system": "x", "accessed_at": "2026-05-31T15:59:59Z"},
              {"event_id": "E3", "staff_id": "S", "system": "x", "accessed_at": "2026-06-01T08:00:00"}]
    assert keys(run(rule, events)) == {"E1", "E3"}
    assert keys(run(rule, events, tz="UTC")) == {"E3"}


def test_coalesce_takes_the_first_non_null(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "mm_api_keys",
                                "let": {"last": {"coalesce": [{"field": "rotated_on"}, {"field": "created_on"}]}},
                                "violation_when": {"field": "last", "lt": "2026-06-01"}})
    k = {"mm_id": "M", "ip_allowlist": "Y", "mfa": "Y", "status": "active"}
    result = run(rule, [{**k, "key_id": "K1", "created_on": "2026-01-01", "rotated_on": "2026-06-01"},
                        {**k, "key_id": "K2", "created_on": "2026-01-01"}])
    assert keys(result) == {"K2"}


def test_arithmetic_is_exact_decimal(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral", "violation_when": {
        "value": {"mul": [{"field": "market_value_hkd"}, {"sub": [1, {"div": [{"field": "haircut_pct"}, 100]}]}]},
        "ne": "0.3"}})
    # 0.1 * 3 with binary floats is 0.30000000000000004; exact decimals give 0.3
    assert keys(run(rule, [pos("P1", market_value_hkd="0.3", haircut_pct=0),
                           pos("P2", market_value_hkd="1", haircut_pct=70)])) == set()


def test_lookup_missing_modes(tmp_path) -> None:
    loans = [{"loan_id": "L1", "client_id": "C1", "drawn_on": "2026-03-01", "outstanding_hkd": 1, "status": "open"},
             {"loan_id": "L2", "client_id": "C404", "drawn_on": "2026-03-01", "outstanding_hkd": 1, "status": "open"}]
    clients = {"clients": [{"client_id": "C1", "has_securities_margin_account": "N"}]}
    cond = {"field": "client.has_securities_margin_account", "is_not": True}
    results = {}
    for i, mode in enumerate(("violation", "skip", "null")):
        rule = make_rule(tmp_path, {"dataset": "va_financing_loans", "violation_when": cond, "lookups": {
            "client": {"dataset": "clients", "on": {"client_id": "client_id"}, "missing": mode}}}, f"TEST-LK-00{i}")
        results[mode] = run(rule, loans, clients)
    assert keys(results["violation"]) == {"L1", "L2"}
    assert "missing from clients" in [v for v in results["violation"].violations if v.key["loan_id"] == "L2"][0].message
    assert keys(results["skip"]) == {"L1"} and results["skip"].outcomes[0].not_applicable == 1
    assert keys(results["null"]) == {"L1", "L2"} and results["null"].outcomes[0].not_applicable == 0


def test_exists_on_a_non_unique_key_with_its_own_condition(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "access_log", "let": {"d": {"date": {"field": "accessed_at"}}},
                                "violation_when": {"exists": {
                                    "dataset": "staff_roles", "as": "role", "on": {"staff_id": "staff_id"},
                                    "where": {"all": [{"field": "role.entity", "eq": "affiliated_mm"},
                                                      {"field": "role.started_on", "le": {"field": "d"}}]}}}})
    roles = {"staff_roles": [
        {"role_id": "R1", "staff_id": "S1", "entity": "platform", "role": "x", "started_on": "2020-01-01"},
        {"role_id": "R2", "staff_id": "S1", "entity": "affiliated_mm", "role": "x", "started_on": "2026-06-01"},
        {"role_id": "R3", "staff_id": "S2", "entity": "platform", "role": "x", "started_on": "2020-01-01"}]}
    ev = [{"event_id": "E1", "staff_id": "S1", "system": "x", "accessed_at": "2026-06-01T09:00:00+08:00"},
          {"event_id": "E2", "staff_id": "S1", "system": "x", "accessed_at": "2026-05-31T09:00:00+08:00"},
          {"event_id": "E3", "staff_id": "S2", "system": "x", "accessed_at": "2026-06-01T09:00:00+08:00"},
          {"event_id": "E4", "staff_id": "S9", "system": "x", "accessed_at": "2026-06-01T09:00:00+08:00"}]
    assert keys(run(rule, ev, roles)) == {"E1"}


def test_group_sum_count_min_max_and_share(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral", "group": {"by": ["client_id"], "aggregates": {
        "n": {"count": True}, "va": {"sum": {"field": "market_value_hkd"}, "where": {"field": "asset_type", "eq": "virtual_asset"}},
        "total": {"sum": {"field": "market_value_hkd"}}, "lo": {"min": {"field": "haircut_pct"}},
        "hi": {"max": {"field": "haircut_pct"}}}},
        "let": {"share": {"div": [{"field": "va"}, {"field": "total"}]}},
        "violation_when": {"any": [{"field": "share", "gt": "0.5"}, {"field": "n", "ge": 3},
                                   {"value": {"sub": [{"field": "hi"}, {"field": "lo"}]}, "gt": 50}]}})
    rows = [pos("A1", client_id="A", market_value_hkd=60), pos("A2", client_id="A", asset_type="security", market_value_hkd=40),
            pos("B1", client_id="B", market_value_hkd=50), pos("B2", client_id="B", asset_type="cash", market_value_hkd=50),
            pos("C1", client_id="C", asset_type="cash"), pos("C2", client_id="C", asset_type="cash"), pos("C3", client_id="C", asset_type="cash"),
            pos("D1", client_id="D", haircut_pct=100, asset_type="security"), pos("D2", client_id="D", haircut_pct=0, asset_type="cash")]
    result = run(rule, rows)
    assert keys(result) == {"A", "C", "D"}
    assert result.outcomes[0].checked == 4


def test_cross_dataset_aggregate_treats_an_absent_group_as_zero(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "va_financing_loans", "group": {
        "by": ["client_id"], "where": {"field": "status", "eq": "open"},
        "aggregates": {"owed": {"sum": {"field": "outstanding_hkd"}}},
        "related": {"coll": {"dataset": "collateral", "on": {"client_id": "client_id"},
                             "aggregates": {"value": {"sum": {"field": "market_value_hkd"}}}}}},
        "violation_when": {"field": "owed", "gt": {"field": "coll.value"}}})
    loans = [{"loan_id": "L1", "client_id": "A", "drawn_on": "2026-01-01", "outstanding_hkd": 100, "status": "open"},
             {"loan_id": "L2", "client_id": "B", "drawn_on": "2026-01-01", "outstanding_hkd": 100, "status": "open"},
             {"loan_id": "L3", "client_id": "C", "drawn_on": "2026-01-01", "outstanding_hkd": 100, "status": "closed"}]
    coll = {"collateral": [pos("P1", client_id="A", market_value_hkd=100), pos("P2", client_id="Z", market_value_hkd=5)]}
    assert keys(run(rule, loans, coll)) == {"B"}


def test_ordered_enum_comparison_ranks_grades(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "clients", "violation_when": {"field": "credit_rating", "gt": "B"}})
    base = {"client_type": "individual", "investor_class": "retail", "has_securities_margin_account": "Y"}
    result = run(rule, [{**base, "client_id": c, "credit_rating": g} for c, g in
                        (("C1", "A"), ("C2", "b"), ("C3", "C"), ("C4", "D"))])
    assert keys(result) == {"C3", "C4"}


def test_policy_override_of_a_parameter(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral",
                                "parameters": {"limit": {"value": 60, "type": "decimal", "source": "policy", "description": "x"}},
                                "violation_when": {"field": "haircut_pct", "lt": {"param": "limit"}}})
    assert keys(run(rule, [pos("P1", haircut_pct=65)], overrides={"limit": 70})) == {"P1"}


def test_dated_parameter_values_follow_as_of(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral", "parameters": {"limit": {
        "values": [{"from": "2026-01-01", "value": 60}, {"from": "2026-07-01", "value": 70}],
        "type": "decimal", "source": "sfc", "stricter": "higher", "description": "x"}},
        "violation_when": {"field": "haircut_pct", "lt": {"param": "limit"}}})
    assert keys(run(rule, [pos("P1", haircut_pct=65)], as_of="2026-06-30")) == set()
    assert keys(run(rule, [pos("P1", haircut_pct=65)], as_of="2026-07-01")) == {"P1"}


def test_matches_is_a_bounded_regex(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral", "violation_when": {"field": "asset", "matches": r"^\d{4}\.HK$"}})
    assert keys(run(rule, [pos("P1", asset="0700.HK"), pos("P2", asset="BTC")])) == {"P1"}
    with pytest.raises(RuleFileError, match="repeated group that itself repeats"):
        make_rule(tmp_path, {"dataset": "collateral", "violation_when": {"field": "asset", "matches": "(a+)+$"}}, "TEST-RX-002")
    with pytest.raises(RuleFileError, match="does not compile"):
        make_rule(tmp_path, {"dataset": "collateral", "violation_when": {"field": "asset", "matches": "(unclosed"}}, "TEST-RX-003")


def test_message_names_the_record_and_values(tmp_path) -> None:
    rule = make_rule(tmp_path, {"dataset": "collateral", "message": "{position_id} has {haircut_pct}% (min {limit})",
                                "parameters": {"limit": {"value": 60, "type": "decimal", "source": "policy", "description": "x"}},
                                "violation_when": {"field": "haircut_pct", "lt": {"param": "limit"}}})
    result = run(rule, [pos("P1", haircut_pct="59.5")])
    assert result.violations[0].message == "P1 has 59.5% (min 60)"
    assert result.violations[0].evidence == {"haircut_pct": __import__("decimal").Decimal("59.5")}


def test_message_text_outside_placeholders_is_kept_as_written(tmp_path) -> None:
    """Braces that are not a `{name}` placeholder are text, and a list parameter reads as a list."""
    rule = make_rule(tmp_path, {"dataset": "collateral",
                                "message": "{asset} not in {allowed} {0} {} {a-b} {quantity}/{market_value_hkd}}",
                                "parameters": {"allowed": {"value": ["BTC", "ETH"], "type": "list", "source": "policy",
                                                           "description": "x"}},
                                "violation_when": {"field": "asset", "not_in": {"param": "allowed"}}})
    result = run(rule, [pos("P1", asset="SOL", quantity=12345, market_value_hkd="12345.678901")])
    assert result.violations[0].message == "SOL not in BTC, ETH {0} {} {a-b} 12,345/12,345.6789}"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["{a}", "{b}", "{p}", "{", "}", "{{", "}}", "{0}", "{}", "{a-b}", "{ a}"]),
                          st.text(alphabet=" .%:{}0-", max_size=4)), max_size=12))
def test_a_message_reads_as_its_template_with_each_placeholder_worded(pieces) -> None:
    """Whatever text surrounds them, `{name}` placeholders of fields and parameters are replaced by their
    worded values and every other character stays (the rendering goes through str.format)."""
    import re
    from datetime import date
    from decimal import Decimal

    from sfc_check.language.build import Scope, message
    from sfc_check.language.evaluate import render
    from sfc_check.language.expr import Ref
    from sfc_check.language.messages import format_value

    template = "".join(pieces)
    values = {"a": "C1", "b": Decimal("12345.678901"), "p": [Decimal("1.50"), "x"]}
    scope = Scope({"a": Ref("row", "a", "string"), "b": Ref("row", "b", "decimal")},
                  {"p": values["p"]}, {"p": "list"}, date(2026, 6, 30))
    expected = re.sub(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}", lambda m: format_value(values[m.group(1)]), template)
    assert render(message(template, scope, ()), values) == expected


def test_a_tied_least_or_greatest_value_shows_the_places_of_the_one_with_most(tmp_path) -> None:
    """`60` and `60.00` are the same greatest haircut: the evidence shows 60.00 whichever row came first (every
    engine, every thread count: not the first row an engine happens to meet)."""
    rule = make_rule(tmp_path, {"dataset": "collateral", "group": {"by": ["client_id"], "aggregates": {
        "hi": {"max": {"field": "haircut_pct"}}, "lo": {"min": {"field": "haircut_pct"}}}},
        "violation_when": {"all": [{"field": "lo", "ge": 0}, {"field": "hi", "ge": 0}]}})
    for order in ([("P1", "60"), ("P2", "60.00"), ("P3", "5.0"), ("P4", "5")],
                  [("P2", "60.00"), ("P1", "60"), ("P4", "5"), ("P3", "5.0")]):
        result = run(rule, [pos(p, client_id="A", haircut_pct=h) for p, h in order])
        assert [{k: str(x) for k, x in zip(v.evidence_fields, v.evidence_values)} for v in result.violations] \
            == [{"client_id": "A", "lo": "5.0", "hi": "60.00"}]
