"""The bundled pack: every catalog id present, every rule traceable, every example passing with teeth."""
from __future__ import annotations

import pytest

from sfc_check.app.selftest import run_example
from sfc_check.language.rulepack import load_rules

PACK = load_rules()
EVERY_RULE = load_rules(scope=None)

# The contract: the rule ids of the SFC rule catalog (spec/rule-catalog.md, amended by rule-pack-v2.md), with
# severity and dataset.
CATALOG = {
    "FIN-ELIG-001": ("critical", "va_financing_loans"), "FIN-CREDIT-001": ("high", "va_financing_loans"),
    "FIN-CREDIT-002": ("high", "va_financing_loans"), "FIN-DISC-001": ("high", "va_financing_loans"),
    "FIN-COLL-001": ("critical", "collateral"), "FIN-COLL-002": ("critical", "collateral"),
    "FIN-COLL-004": ("critical", "collateral"), "FIN-COLL-003": ("high", "collateral"),
    "FIN-COVER-001": ("high", "va_financing_loans"), "FIN-MC-001": ("critical", "va_financing_loans"),
    "FIN-VAL-001": ("medium", "collateral"),
    "PERP-ACCESS-001": ("critical", "perp_trades"), "PERP-ACCESS-002": ("high", "perp_trades"),
    "PERP-KNOW-001": ("high", "perp_trades"), "PERP-ACCT-001": ("medium", "perp_trades"),
    "PERP-PROD-001": ("critical", "perp_trades"), "PERP-LEV-001": ("high", "perp_trades"),
    "PERP-PROD-002": ("high", "perp_instruments"), "PERP-PROD-003": ("high", "perp_instruments"),
    "PERP-PROD-004": ("medium", "perp_instruments"),
    "AMM-COI-001": ("critical", "market_makers"), "AMM-AGR-001": ("medium", "market_makers"),
    "AMM-IND-001": ("critical", "market_makers"), "AMM-IND-002": ("high", "market_makers"),
    "AMM-DISC-001": ("high", "market_makers"), "AMM-STAFF-001": ("critical", "staff_roles"),
    "AMM-ACCESS-001": ("critical", "access_log"), "AMM-KEY-001": ("high", "mm_api_keys"),
    "AMM-KEY-002": ("medium", "mm_api_keys"), "AMM-TRADE-001": ("critical", "perp_trades"),
    # rule pack v2
    "FIN-MC-002": ("high", "margin_calls"), "FIN-MC-003": ("critical", "va_financing_loans"),
    "FIN-FRR-001": ("high", "collateral"), "SOB-RETAIL-001": ("critical", "broker_orders"),
    "WDR-AUTH-001": ("high", "withdrawals"), "WDR-NEWADDR-001": ("medium", "withdrawals"),
    "AMM-NOTIFY-001": ("critical", "market_makers"), "AMM-NOTIFY-002": ("high", "market_makers"),
    "AMM-RO-001": ("high", "market_makers"), "AMM-PRIO-001": ("critical", "fills"),
    "AMM-FLAG-001": ("high", "fills"),
}
CATALOG_PARAMETERS = {
    "FIN-CREDIT-001": {"credit_review_days": (365, "policy")},
    "FIN-CREDIT-002": {"min_credit_rating": ("B", "policy")},
    "FIN-COLL-001": {"eligible_va_collateral": (["BTC", "ETH"], "sfc")},
    "FIN-COLL-002": {"min_va_haircut_pct": (60, "sfc")},
    "FIN-COLL-003": {"max_va_collateral_share": (0.5, "policy")},
    "FIN-VAL-001": {"max_valuation_age_days": (1, "policy")},
    "PERP-ACCESS-002": {"pi_reconfirm_days": (365, "policy")},
    "PERP-PROD-003": {"max_funding_interval_hours": (24, "sfc")},
    "PERP-PROD-004": {"max_leverage_cap": (20, "policy")},
    "AMM-IND-002": {"independence_review_days": (365, "policy")},
    "AMM-ACCESS-001": {"confidential_systems": (["client_orders", "client_data", "surveillance",
                                                  "matching_engine_admin"], "policy")},
    "AMM-KEY-002": {"key_rotation_days": (90, "policy")},
    "FIN-MC-002": {"poor_history_late_calls": (2, "policy"), "late_history_days": (365, "policy")},
    "FIN-FRR-001": {"frr_va_haircut_pct": (100, "sfc")},
    "WDR-AUTH-001": {"strong_auth_methods": (["mfa"], "policy")},
    "WDR-NEWADDR-001": {"new_address_hours": (24, "policy"), "new_address_limit_hkd": (100000, "policy")},
}
FOLDER = {"FIN": "va-financing", "PERP": "perpetuals", "AMM": "affiliated-market-makers",
          "SOB": "shared-order-books", "WDR": "va-withdrawals"}


def folder_of(rule) -> str:
    return "product-signoff" if rule.scope == "signoff" else FOLDER[rule.id.split("-")[0]]


def test_pack_holds_exactly_the_catalog() -> None:
    assert {r.id: (r.severity.value, r.dataset) for r in PACK} == CATALOG


@pytest.mark.parametrize("rule", EVERY_RULE, ids=lambda r: r.id)
def test_rule_is_traceable(rule) -> None:
    doc = rule.doc
    assert rule.path.replace("\\", "/").endswith(f"{folder_of(rule)}/{rule.id}.yaml")
    assert doc["citation"]["paragraph"] and doc["citation"]["document"]
    assert len(doc["rationale"]) > 40 and len(doc["checks"]) > 40
    assert rule.effective_from.isoformat() == "2026-02-11"
    if rule.scope == "audit":
        expected = CATALOG_PARAMETERS.get(rule.id, {})
        assert {p.name: (p.values[0][2], p.source) for p in rule.parameters} == expected


@pytest.mark.parametrize("rule", EVERY_RULE, ids=lambda r: r.id)
def test_rule_has_failing_and_passing_examples(rule) -> None:
    expects = [ex["expect"] for ex in rule.doc["examples"]]
    assert "violation" in expects and "pass" in expects and len(expects) >= 3


EXAMPLES = [(rule, ex) for rule in EVERY_RULE for ex in rule.doc["examples"]]


@pytest.mark.parametrize("rule,example", EXAMPLES, ids=[f"{r.id}::{e['name']}" for r, e in EXAMPLES])
def test_rule_example(rule, example) -> None:
    result = run_example(rule, example)
    assert result.ok, f"expected {result.expect}, got {result.got}: {result.detail}"


def test_examples_have_teeth_a_weakened_rule_fails_its_examples() -> None:
    """Flip a threshold: the boundary examples must notice (an example that cannot fail is a defect)."""
    rule = next(r for r in PACK if r.id == "FIN-COLL-002")
    results = [run_example(rule, {**ex, "parameters": {"min_va_haircut_pct": 50}}) for ex in rule.doc["examples"]]
    assert not all(r.ok for r in results)
