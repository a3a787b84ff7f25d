"""The rule catalog written a second time, in plain Python, straight from its table: an oracle that shares no
code with the rule pack or the engine. If a rule file drifts from the catalog (a boundary, a null, a case, a
scope), the engine and this oracle disagree on some random export set.

Records are dicts of text as a CSV export holds them (an absent or empty value is null).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

Records = dict[str, list[dict[str, str]]]
HONG_KONG = ZoneInfo("Asia/Hong_Kong")
CONFIDENTIAL = {"client_orders", "client_data", "surveillance", "matching_engine_admin"}


def text(v: Any) -> str | None:
    return None if v is None or not str(v).strip() else str(v).strip()


def number(v: Any) -> Decimal | None:
    t = text(v)
    return None if t is None else Decimal(t.replace(",", ""))


def flag(v: Any) -> bool | None:
    t = text(v)
    return None if t is None else t.lower() in ("true", "yes", "y", "1", "t")


def day(v: Any) -> date | None:
    t = text(v)
    return None if t is None else date.fromisoformat(t)


def local_day(v: Any) -> date:
    """The Hong Kong calendar day of an ISO date-time (no offset: UTC)."""
    t = datetime.fromisoformat(str(v).strip().replace("Z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(HONG_KONG).date()


def lower(v: Any) -> str | None:
    t = text(v)
    return None if t is None else t.lower()


def upper(v: Any) -> str | None:
    t = text(v)
    return None if t is None else t.upper()


def current(role: dict[str, str], on: date) -> bool:
    """Started on or before `on`, not ended before it."""
    started, ended = day(role["started_on"]), day(role.get("ended_on"))
    return started is not None and started <= on and (ended is None or ended >= on)


def catalog_violations(data: Records, as_of: date) -> set[tuple[str, str]]:
    """(rule id, key) for every violation the catalog's table describes, with its default parameters."""
    found: set[tuple[str, str]] = set()
    clients = {text(c["client_id"]): c for c in data.get("clients", [])}
    instruments = {upper(i["instrument"]): i for i in data.get("perp_instruments", [])}
    makers = {text(m["mm_id"]): m for m in data.get("market_makers", [])}

    for loan in data.get("va_financing_loans", []):
        key, client, drawn = text(loan["loan_id"]), clients.get(text(loan["client_id"])), day(loan["drawn_on"])
        assert key is not None and drawn is not None
        if client is None or flag(client.get("has_securities_margin_account")) is not True:
            found.add(("FIN-ELIG-001", key))
        if client is None:
            continue  # the other loan rules: not applicable
        assessed = day(client.get("credit_assessed_on"))
        if assessed is None or assessed > drawn or (drawn - assessed).days > 365:
            found.add(("FIN-CREDIT-001", key))
        if upper(client.get("credit_rating")) in (None, "C", "D"):
            found.add(("FIN-CREDIT-002", key))
        disclosed = day(client.get("va_risk_disclosure_on"))
        if disclosed is None or disclosed > drawn:
            found.add(("FIN-DISC-001", key))

    va_value: dict[str, Decimal] = defaultdict(Decimal)
    total_value: dict[str, Decimal] = defaultdict(Decimal)
    lending_value: dict[str, Decimal] = defaultdict(Decimal)
    for position in data.get("collateral", []):
        key, client_id = text(position["position_id"]), text(position["client_id"])
        value, haircut = number(position["market_value_hkd"]), number(position["haircut_pct"])
        valued = day(position["valued_on"])
        assert key is not None and client_id is not None and value is not None and haircut is not None
        assert valued is not None
        is_va = lower(position["asset_type"]) == "virtual_asset"
        if is_va and upper(position["asset"]) not in ("BTC", "ETH"):
            found.add(("FIN-COLL-001", key))
        if is_va and haircut < 60:
            found.add(("FIN-COLL-002", key))
        if is_va and flag(position.get("repledged")) is True:
            found.add(("FIN-COLL-004", key))
        if (as_of - valued).days > 1:
            found.add(("FIN-VAL-001", key))
        total_value[client_id] += value
        lending_value[client_id] += value * (1 - haircut / 100)
        if is_va:
            va_value[client_id] += value
    for client_id, va in va_value.items():
        if total_value[client_id] and va / total_value[client_id] > Decimal("0.50"):
            found.add(("FIN-COLL-003", client_id))
    outstanding: dict[str, Decimal] = defaultdict(Decimal)
    for loan in data.get("va_financing_loans", []):
        if lower(loan["status"]) == "open":
            amount = number(loan["outstanding_hkd"])
            assert amount is not None
            outstanding[str(text(loan["client_id"]))] += amount
    for client_id, owed in outstanding.items():
        if owed > lending_value.get(client_id, Decimal(0)):
            found.add(("FIN-COVER-001", client_id))
        if owed > total_value.get(client_id, Decimal(0)):
            found.add(("FIN-MC-001", client_id))

    for key, instrument in instruments.items():
        assert key is not None
        if flag(instrument.get("reference_retail_spot")) is not True:
            found.add(("PERP-PROD-002", key))
        if (number(instrument["funding_interval_hours"]) or 0) > 24:
            found.add(("PERP-PROD-003", key))
        if (number(instrument["max_leverage"]) or 0) > 20:
            found.add(("PERP-PROD-004", key))

    for trade in data.get("perp_trades", []):
        key, client_id = text(trade["trade_id"]), text(trade["client_id"])
        assert key is not None
        client, traded_on = clients.get(client_id), local_day(trade["trade_time"])
        if client is None or lower(client.get("investor_class")) != "professional":
            found.add(("PERP-ACCESS-001", key))
        if client is not None:
            if lower(client.get("investor_class")) == "professional":
                assessed = day(client.get("pi_assessed_on"))
                if assessed is None or assessed > traded_on or (traded_on - assessed).days > 365:
                    found.add(("PERP-ACCESS-002", key))
            knowledge = day(client.get("derivatives_knowledge_on"))
            if knowledge is None or knowledge > traded_on:
                found.add(("PERP-KNOW-001", key))
            if lower(client.get("status")) in ("suspended", "closed"):
                found.add(("PERP-ACCT-001", key))
        product = instruments.get(upper(trade["instrument"]))
        approved = day(product.get("sfc_approved_on")) if product is not None else None
        if approved is None or approved > traded_on:
            found.add(("PERP-PROD-001", key))
        if product is not None and (number(trade["leverage"]) or 0) > (number(product["max_leverage"]) or 0):
            found.add(("PERP-LEV-001", key))
        other_id = text(trade.get("counterparty_client_id"))
        other = clients.get(other_id) if other_id else None
        client_mm = text(client.get("mm_id")) if client is not None else None
        if (other_id is not None and other_id == client_id) or (
                other is not None and client_mm is not None and client_mm == text(other.get("mm_id"))):
            found.add(("AMM-TRADE-001", key))

    def affiliated_and_active(maker: dict[str, str] | None) -> bool:
        return (maker is not None and flag(maker.get("affiliated")) is True
                and (lower(maker.get("status")) or "active") == "active")

    for key, maker in makers.items():
        assert key is not None
        if not affiliated_and_active(maker):
            continue
        started = day(maker.get("started_on"))
        for rule, field in (("AMM-COI-001", "coi_policy_approved_on"), ("AMM-AGR-001", "agreement_signed_on")):
            done = day(maker.get(field))
            if done is None or (started is not None and done > started):
                found.add((rule, key))
        # rule pack v2: 26EC6 para 7(g), 9, 10, 7(c)
        if flag(maker.get("preferential_treatment")) is True:
            done = day(maker.get("preferential_disclosed_on"))
            if done is None or (started is not None and done > started):
                found.add(("AMM-DISC-001", key))
        for field in ("sfc_notified_on", "independent_report_on"):
            done = day(maker.get(field))
            if done is None or (started is not None and done > started):
                found.add(("AMM-NOTIFY-001", key))
        if (lower(maker.get("notice_signer_role")) != "mic_omo" or flag(maker.get("declaration_given")) is not True
                or flag(maker.get("suspension_undertaking_given")) is not True):
            found.add(("AMM-NOTIFY-002", key))
        if lower(maker.get("coi_officer_role")) not in ("ro", "mic"):
            found.add(("AMM-RO-001", key))
        if flag(maker.get("separate_legal_entity")) is not True or flag(maker.get("info_barrier")) is not True:
            found.add(("AMM-IND-001", key))
        reviewed = day(maker.get("independence_reviewed_on"))
        if reviewed is None or (as_of - reviewed).days > 365:
            found.add(("AMM-IND-002", key))

    for position in data.get("collateral", []):  # rule pack v2: 26EC5 para 14
        if lower(position["asset_type"]) == "virtual_asset":
            frr = number(position.get("frr_haircut_pct"))
            if frr is None or frr < 100:
                found.add(("FIN-FRR-001", str(text(position["position_id"]))))

    roles: dict[str, list[dict[str, str]]] = defaultdict(list)
    for role in data.get("staff_roles", []):
        roles[str(text(role["staff_id"]))].append(role)
    for staff_id, held in roles.items():
        now = [lower(r["entity"]) for r in held if current(r, as_of)]
        if "platform" in now and "affiliated_mm" in now:
            found.add(("AMM-STAFF-001", staff_id))
    for event in data.get("access_log", []):
        on = local_day(event["accessed_at"])
        if text(event["system"]) in CONFIDENTIAL and any(
                lower(r["entity"]) == "affiliated_mm" and current(r, on) for r in roles.get(str(text(event["staff_id"])), [])):
            found.add(("AMM-ACCESS-001", str(text(event["event_id"]))))
    for api_key in data.get("mm_api_keys", []):
        key = str(text(api_key["key_id"]))
        if lower(api_key["status"]) != "active" or not affiliated_and_active(makers.get(text(api_key["mm_id"]))):
            continue
        if flag(api_key.get("ip_allowlist")) is not True or flag(api_key.get("mfa")) is not True:
            found.add(("AMM-KEY-001", key))
        rotated = day(api_key.get("rotated_on")) or day(api_key["created_on"])
        assert rotated is not None
        if (as_of - rotated).days > 90:
            found.add(("AMM-KEY-002", key))
    return found
