"""Pre-launch sign-off: a product definition checked by the same rule engine as audits, plus attestations.

A product file becomes one-record datasets (the product itself and, per products.yaml, the audit datasets it
maps to), so the audit rules that apply run unchanged; requirements that need judgment are attestations.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .. import __version__
from ..data.dictionary import load_dictionary
from ..data.rowtyping import typed_records
from ..errors import RuleFileError
from ..language.rulepack import Rule, load_rules, pack_fingerprint, refuse_secondary
from ..model import RejectedRow, RuleStatus
from ..validation import validate_document
from ..yamlsafe import YamlDocument, load_yaml_file, load_yaml_text
from .evaluation import InlineSource, RunSettings, Source, evaluate


@lru_cache(maxsize=1)
def product_kinds() -> dict[str, Any]:
    text = resources.files("sfc_check.schemas").joinpath("products.yaml").read_text("utf-8")
    return load_yaml_text(text, "sfc_check/schemas/products.yaml").data


@lru_cache(maxsize=1)
def product_schema() -> dict[str, Any]:
    return json.loads(resources.files("sfc_check.schemas").joinpath("product.schema.json").read_text("utf-8"))


@dataclass(frozen=True)
class SignoffRequest:
    product_file: Path
    rules_dir: Path | None = None
    as_of: date | None = None
    timezone: str = "Asia/Hong_Kong"
    require_primary: bool = False


def _source_value(spec: dict[str, Any], product: dict[str, Any], item: dict[str, Any] | None) -> Any:
    if "const" in spec:
        return spec["const"]
    if "item" in spec:
        return (item or {}).get(spec["item"])
    return product.get(spec["product"])


def _records(kind: dict[str, Any], product: dict[str, Any]) -> dict[str, tuple[list[dict[str, Any]], list[str]]]:
    """Datasets built from the product: records plus, per record, the product path of each field (for errors)."""
    out: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
    pfields = [f.name for f in load_dictionary()[kind["product_dataset"]].fields]
    out[kind["product_dataset"]] = ([{f: product.get(f) for f in pfields}], ["product"])
    for dataset, mapping in kind["datasets"].items():
        items = product.get(mapping["from_list"], []) if "from_list" in mapping else [None]
        records = [{f: _source_value(src, product, item) for f, src in mapping["fields"].items()} for item in items]
        paths = ([f"product/{mapping['from_list']}/{i}" for i in range(len(items))] if "from_list" in mapping
                 else ["product"])
        out[dataset] = (records, paths)
    return out


def _field_source(kind: dict[str, Any], dataset: str, column: str | None) -> str | None:
    """The product field a dataset column was mapped from, so an error points at the line the user wrote."""
    if dataset == kind["product_dataset"] or column is None:
        return column
    spec = kind["datasets"][dataset]["fields"].get(column, {})
    return spec.get("product") or spec.get("item")


def run_signoff(request: SignoffRequest) -> dict[str, Any]:
    """Evaluate a product definition; returns the sign-off document every renderer reads."""
    started = datetime.now(timezone.utc)
    doc = load_yaml_file(request.product_file)
    if not isinstance(doc.data, dict):
        raise RuleFileError("a product file holds one mapping (kind, product, attestations, signoff)",
                            str(request.product_file), 1)
    validate_document(doc, product_schema(), "product file")
    data = doc.data
    kind_name = data["kind"]
    kind = product_kinds()[kind_name]
    tz = ZoneInfo(request.timezone)
    as_of = request.as_of or datetime.now(tz).date()
    pack = load_rules(request.rules_dir, scope=None)
    rules = rules_for_kind(kind_name, pack)
    if request.require_primary:
        refuse_secondary(rules)

    dictionary = load_dictionary()
    sources: dict[str, Source] = {}
    rejected: list[RejectedRow] = []
    for dataset, (records, paths) in _records(kind, data["product"]).items():
        rows, stats = typed_records(dictionary[dataset], records, dataset, rejected)
        if rejected:
            bad = rejected[0]
            field = _field_source(kind, dataset, bad.column)
            path = paths[min(bad.row - 1, len(paths) - 1)].split("/") + ([field] if field else [])
            raise RuleFileError(f"invalid product file: {'/'.join(path)}: {bad.value!r}: {bad.reason}",
                                str(request.product_file), doc.line_of(path))
        sources[dataset] = InlineSource(rows, stats)
    result = evaluate(rules, sources, RunSettings(as_of=as_of, tz=tz), rejected)

    by_rule: dict[str, list[str]] = {}
    to_fill: dict[str, list[str]] = {}
    for v in result.violations:
        by_rule.setdefault(v.rule_id, []).append(v.message)
        fields = to_fill.setdefault(v.rule_id, [])
        for name in v.evidence_fields:
            source = _field_source(kind, v.dataset, name) if "." not in name else None
            if source and source not in fields:
                fields.append(source)
    outcomes = {o.rule_id: o for o in result.outcomes}
    checks: list[dict[str, Any]] = []
    for r in rules:
        o = outcomes[r.id]
        state = ("fail" if o.violations else "pass" if o.checked else
                 "not applicable" if o.status in (RuleStatus.PASS, RuleStatus.FAIL) else o.status.value)
        checks.append({"rule_id": r.id, "title": str(r.doc.get("requirement") or r.title), "failure": r.title,
                       "severity": r.severity.value, "citation": r.citation,
                       "kind": "sign-off rule" if r.scope == "signoff" else "audit rule", "result": state,
                       "messages": by_rule.get(r.id, []), "fields": to_fill.get(r.id, []), "reason": o.reason})
    attestations, open_items = _attestations(kind, data, as_of, doc)
    open_items = [{"id": c["rule_id"], "what": f"check failed: {c['failure']}",
                   "detail": "; ".join(c["messages"]) + (f" — fill or correct product field(s): "
                                                         f"{', '.join(c['fields'])}" if c["fields"] else ""),
                   "citation": c["citation"]} for c in checks if c["result"] == "fail"] + open_items
    open_items += _signoff_block(data.get("signoff") or {}, as_of)
    product = data["product"]
    warnings = _launch_warnings(product, as_of)
    return {
        "tool": {"name": "sfc-check", "version": __version__},
        "kind": kind_name, "kind_title": kind["title"],
        "product": product.get("name") or product.get("instrument") or product.get("mm_id"),
        "as_of": as_of.isoformat(), "timezone": request.timezone,
        "verdict": "ready" if not open_items else "not ready",
        "checks": checks, "attestations": attestations, "open_items": open_items, "warnings": warnings,
        "signoff": data.get("signoff") or {},
        "manifest": {
            "tool_version": __version__, "product_file": str(request.product_file),
            "product_sha256": doc.sha256,
            "rule_pack_sha256": pack_fingerprint(pack),
            "rule_files": [{"id": r.id, "sha256": r.sha256} for r in rules],
            "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }


def _attestations(kind: dict[str, Any], data: dict[str, Any], as_of: date,
                  doc: YamlDocument) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    given = data.get("attestations") or {}
    known = {a["id"] for a in kind["attestations"]}
    for att_id in given:
        if att_id not in known:
            raise RuleFileError(f"attestation {att_id} is not one of this kind's ({', '.join(sorted(known))})",
                                str(doc.path), doc.line_of(["attestations", att_id]))
    out, open_items = [], []
    for a in kind["attestations"]:
        g = given.get(a["id"]) or {}
        missing = [k for k in ("attester", "date", "evidence") if is_blank(g.get(k))]
        if not g:
            status, reason = "open", "not attested"
        elif missing:
            status, reason = "open", f"unsigned: no {', '.join(missing)}"
        elif date.fromisoformat(str(g["date"])) > as_of:
            status, reason = "open", f"dated {g['date']}, after the sign-off date {as_of.isoformat()}"
        else:
            status, reason = "attested", ""
        entry = {**a, "status": status, "reason": reason, "attester": g.get("attester"), "date": g.get("date"),
                 "evidence": g.get("evidence")}
        out.append(entry)
        if status == "open":
            open_items.append({"id": a["id"], "what": f"attestation {reason}", "detail": a["requirement"],
                               "citation": a["citation"]})
    return out, open_items


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def is_blank(value: Any) -> bool:
    """Nothing, or text of only spaces (any Unicode space, NBSP included) and invisible characters: a name or
    a reference that says nothing is not given."""
    if value is None:
        return True
    return isinstance(value, str) and not value.translate(_INVISIBLE).strip()


def _signoff_block(block: dict[str, Any], as_of: date) -> list[dict[str, Any]]:
    """READY needs the approver and the approval date; a date after the sign-off date is not yet an approval."""
    missing = [k for k in ("approver", "date") if is_blank(block.get(k))]
    if missing:
        return [{"id": "SIGNOFF", "what": f"sign-off block incomplete: no {' and no '.join(missing)}",
                 "detail": "fill signoff.approver and signoff.date (YYYY-MM-DD) in the product file",
                 "citation": "firm sign-off procedure"}]
    try:
        signed = date.fromisoformat(str(block["date"]).strip())
    except ValueError:
        return [{"id": "SIGNOFF", "what": f"sign-off date {str(block['date'])!r} is not a date (YYYY-MM-DD)",
                 "detail": "correct signoff.date in the product file", "citation": "firm sign-off procedure"}]
    if signed > as_of:
        return [{"id": "SIGNOFF", "what": f"signed off {signed.isoformat()}, after the sign-off date "
                 f"{as_of.isoformat()}", "detail": "correct signoff.date or run with --as-of",
                 "citation": "firm sign-off procedure"}]
    return []


def _launch_warnings(product: dict[str, Any], as_of: date) -> list[str]:
    out = []
    for name in ("launch_date", "start_date"):
        value = product.get(name)
        try:
            day = date.fromisoformat(str(value)) if value else None
        except ValueError:
            continue
        if day is not None and day < as_of:
            out.append(f"product {name} {day.isoformat()} has already passed (sign-off as of {as_of.isoformat()}): "
                       "a sign-off is due before launch")
    return out


def template(kind_name: str) -> str:
    """A commented starting product file for KIND: every field, what it means, and the attestations to sign."""
    kind = product_kinds()[kind_name]
    props = product_schema()["$defs"][kind_name]["properties"]
    required = set(product_schema()["$defs"][kind_name]["required"])
    hints = _TEMPLATE_HINTS
    lines = [f"# sfc-check sign-off: {kind['title']}", "# Fill in every field; run `sfc-check signoff THIS_FILE`.",
             f"kind: {kind_name}", "product:"]
    for name, spec in props.items():
        example = _NAMES.get(kind_name, "") if name == "name" else hints.get(name, "")
        need = "required" if name in required else "optional"
        shape = ("date YYYY-MM-DD" if "pattern" in spec else "one of " + ", ".join(spec["enum"]) if "enum" in spec
                 else "number > 0" if "oneOf" in spec else "number" if isinstance(spec.get("type"), list)
                 else spec.get("type", ""))
        if example == '""':  # a date or reference only the user can give: left commented until known
            placeholder = '"YYYY-MM-DD"' if "pattern" in spec else "..."
            lines.append(f"  # {name}: {placeholder}   # {need}; {shape}")
        else:
            lines.append(f"  {name}: {example}   # {need}; {shape}")
    lines += ["attestations:   # judgment items: each needs attester, date and evidence reference"]
    for a in kind["attestations"]:
        lines += [f"  # {a['requirement']} ({a['citation']})",
                  f"  {a['id']}: {{attester: \"\", date: \"\", evidence: \"\"}}"]
    lines += ["signoff:", "  prepared_by: \"\"", "  approver: \"\"", "  approver_title: \"\"", "  date: \"\""]
    return "\n".join(lines) + "\n"


_NAMES = {"va_financing": "VA margin financing", "perpetual_contract": "BTC-USD perpetual contract",
          "affiliated_market_maker": "Group Liquidity Ltd market making",
          "shared_order_book": "Shared order book with the overseas affiliate"}
_TEMPLATE_HINTS = {
    "launch_date": '"2026-09-01"', "existing_securities_margin_clients_only": "true",
    "credit_assessment_required": "true", "credit_review_days": "365", "min_credit_rating": "B",
    "max_va_collateral_share": "0.5", "risk_disclosure_document": "RD-VA-2026-01",
    "margin_call_process": "calls at 130 % cover, T+1 settlement", "stop_advance_when_loan_exceeds_collateral": "true",
    "repledge_va_collateral": "false",
    "va_collateral": "[{asset: BTC, haircut_pct: 60}, {asset: ETH, haircut_pct: 60}]",
    "instrument": "BTC-USD-PERP", "reference_asset": "BTC", "reference_type": "asset", "index_constituents": "[]",
    "reference_retail_spot": "true", "funding_interval_hours": "8", "max_leverage": "10",
    "target_investors": "professional", "derivatives_knowledge_assessment": "DK questionnaire v3",
    "margin_collected_before_order": "true", "loss_limited_to_margin": "true", "platform_credit_exposure": "false",
    "sfc_approval_reference": '""', "sfc_approved_on": '""', "margin_model": "isolated margin, 10 % initial",
    "liquidation_model": "partial liquidation at 50 % maintenance",
    "mm_id": "MM01", "legal_name": "Group Liquidity Ltd", "affiliation": "wholly owned by the platform's parent",
    "agreement_signed_on": '""', "coi_policy_approved_on": '""', "independence_reviewed_on": '""',
    "separate_legal_entity": "true", "info_barrier": "true", "separate_staff": "true", "shared_staff_count": "0",
    "separate_systems": "true", "confidential_system_access": "false", "api_keys_ip_allowlist": "true",
    "api_keys_mfa": "true", "disclosed_on": '""', "start_date": '"2026-09-01"',
    "same_terms_as_other_market_makers": "true", "preferential_treatment": "false", "preferential_disclosed_on": '""',
    "sfc_notified_on": '""', "independent_report_on": '""', "notice_signer_role": "mic_omo",
    "declaration_given": "true", "suspension_undertaking_given": "true", "coi_officer_role": "ro",
    "frr_va_haircut_pct": "100", "oversight_mic": "Anna Chan (RO)", "risk_mic": "Mary Lau (MIC risk management)",
    "book_operators": "the platform and its overseas affiliate's book", "retail_allowed": "false",
    "retail_election_required": "true", "client_disclosure_document": "SOB-DISC-2026-01",
}


def rules_for_kind(kind_name: str, pack: list[Rule]) -> list[Rule]:
    """The audit rules that apply to a product of this kind, plus its sign-off rules."""
    kind = product_kinds()[kind_name]
    return [r for r in pack if r.id in kind["audit_rules"] or
            (r.scope == "signoff" and r.dataset == kind["product_dataset"])]
