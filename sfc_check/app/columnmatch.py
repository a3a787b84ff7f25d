"""`init`'s judgement: which dataset a table holds, which column is which field and how sure that is, and the
value maps its codes need. A choice below the confidence threshold is written with a TODO saying why; a
wrong guess without one is a defect.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..data.dictionary import DatasetSpec, FieldSpec
from ..data.profiles import number_text
from ..data.values import BadValue, parse_date, parse_datetime, parse_decimal
from .samplefiles import FileSample

SURE = 0.8        # a choice at least this sure is written without a TODO
LIKELY = 0.55     # below this a column is not chosen at all

# Words brokers' back offices and exchanges' trade histories use for the canonical fields (normalised: lower
# case, words split on anything not a letter or digit).
SYNONYMS: dict[str, list[str]] = {
    "client_id": ["client no", "client number", "client code", "client", "account", "account id", "account no",
                  "acct", "acct no", "a c no", "uid", "user id", "user", "customer id", "customer no", "cust id",
                  "cif", "party id", "owner", "客戶編號", "客户编号", "帳戶"],
    "account_id": ["account", "account no", "acct", "uid", "user id", "sub account"],
    "name": ["client name", "name en", "full name", "customer name", "客戶名稱", "姓名"],
    "client_type": ["type", "entity type", "client category", "legal form", "customer type", "acct type"],
    "investor_class": ["pi", "pi status", "pi flag", "investor type", "investor", "classification",
                       "professional investor", "pi retail"],
    "pi_assessed_on": ["pi date", "pi assessed", "pi review date", "pi reconfirmation", "pi confirmed"],
    "derivatives_knowledge_on": ["deriv date", "derivatives assessed", "derivative knowledge", "dk date",
                                 "knowledge test"],
    "has_securities_margin_account": ["margin a c", "margin", "margin account", "margin flag", "margin acct"],
    "credit_assessed_on": ["credit review", "credit review date", "credit assessed", "credit date"],
    "credit_rating": ["grade", "credit grade", "rating", "risk grade"],
    "va_risk_disclosure_on": ["va rd date", "risk disclosure date", "va disclosure", "rd date", "rds date"],
    "securities_margin_outstanding_hkd": ["sec margin os", "margin loan", "margin outstanding", "sec loan"],
    "mm_id": ["mm", "mm code", "market maker", "market maker id", "lp id", "liquidity provider"],
    "status": ["account status", "state", "acct status", "stat", "status code"],
    "loan_id": ["loan ref", "loan no", "facility id", "loan number", "loan", "advance id"],
    "drawn_on": ["drawdown date", "draw date", "loan date", "value date", "drawdown"],
    "outstanding_hkd": ["outstanding", "loan balance", "o s amount", "os amount", "balance hkd", "o s amt"],
    "position_id": ["pos id", "position", "holding id", "lot id", "position no", "pos no"],
    "asset": ["stock code", "ticker", "coin", "security", "code", "symbol", "currency", "ccy", "asset code"],
    "asset_type": ["class", "asset class", "product type", "sec type", "instrument type"],
    "market_value_hkd": ["market value", "mv", "mv hkd", "mkt value", "value hkd", "mkt val"],
    "haircut_pct": ["haircut", "hc", "haircut rate", "hc pct", "margin ratio"],
    "valued_on": ["valuation date", "price date", "val date", "as of"],
    "repledged": ["repledge", "pledged", "encumbered", "lent"],
    "trade_id": ["trade no", "deal id", "deal no", "execution id", "exec id", "trade ref", "fill id", "tid"],
    "trade_time": ["date utc", "time", "trade date", "execution time", "timestamp", "utc time", "trade time hkt",
                   "exec time", "ts", "created at", "create time"],
    "instrument": ["contract", "pair", "product", "symbol", "market", "contract code"],
    "side": ["buy sell", "direction", "b s", "dir", "bs"],
    "quantity": ["qty", "amount", "size", "volume", "units", "exec qty", "filled qty", "vol", "lots", "holding"],
    "price": ["px", "trade price", "avg price", "exec price", "fill price", "deal price"],
    "leverage": ["lev", "multiplier", "leverage ratio"],
    "counterparty_client_id": ["contra uid", "counterparty", "contra account", "contra", "cpty"],
    "order_id": ["order no", "order ref", "ord id", "client order id", "oid"],
    "fill_id": ["trade id", "execution id", "exec id", "fill no", "match id"],
    "filled_at": ["fill time", "exec time", "match time", "trade time", "executed at"],
    "placed_at": ["order time", "create time", "created at", "submit time", "entry time"],
    "limit_price": ["price", "order price", "px", "limit"],
    "withdrawal_id": ["withdraw id", "withdrawal no", "txid", "tx id", "request id", "wd id", "id"],
    "destination_address": ["address", "to address", "wallet", "destination", "to"],
    "requested_at": ["request time", "apply time", "date", "time", "created at", "submitted at"],
    "amount": ["qty", "quantity", "withdraw amount", "value"],
    "amount_hkd": ["hkd value", "amount hkd", "value hkd", "hkd equiv"],
    "auth_method": ["2fa", "verification", "auth", "mfa method", "verify type"],
    "auth_passed": ["verified", "auth ok", "2fa passed", "verification passed"],
    "address_whitelisted_at": ["whitelist time", "address added", "whitelisted"],
    "call_id": ["call no", "margin call id", "mc id", "call ref"],
    "issued_on": ["issue date", "call date", "issued"],
    "due_on": ["due date", "deadline", "due"],
    "settled_on": ["settle date", "met date", "settled", "paid date"],
    "staff_id": ["staff no", "employee id", "emp id", "user id", "staff"],
    "event_id": ["log id", "event no", "audit id"],
    "accessed_at": ["time", "timestamp", "login time", "event time", "when", "date time", "logged at"],
    "key_id": ["api key", "key", "api key id"],
    "started_on": ["from", "start", "start date", "since", "effective from", "go live", "commenced"],
    "ended_on": ["to", "end", "end date", "until", "effective to", "left"],
    "entity": ["company", "employer", "firm", "legal entity"],
    "role": ["position", "title", "job title", "function"],
    "affiliated": ["group company", "affiliate", "is affiliate", "related party"],
    "agreement_signed_on": ["mm agreement", "agreement date", "agreement signed", "contract signed"],
    "reference_asset": ["underlying", "base asset", "base", "underlying asset"],
    "reference_retail_spot": ["spot listed retail", "retail spot", "spot listed", "spot for retail"],
    "listed_on": ["go live", "launch date", "listing date", "launched"],
    "sfc_approved_on": ["sfc approval", "approval date", "approved on"],
    "funding_interval_hours": ["funding interval", "funding interval h", "funding hours"],
    "max_leverage": ["max lev", "leverage cap", "max leverage x"],
    "system": ["application", "app", "resource", "module"],
    "action": ["activity", "operation", "event type"],
    "legal_name": ["name", "company name", "entity name"],
    "ip_allowlist": ["ip whitelist", "ip allow list", "whitelist"],
    "created_on": ["created", "issue date", "created date"],
    "rotated_on": ["rotated", "last rotated", "renewed"],
}
ENUM_WORDS = {  # codes whose canonical value no prefix or initials rule finds
    "b": "buy", "s": "sell", "bid": "buy", "ask": "sell", "long": "buy", "short": "sell",
    "pi": "professional", "prof": "professional", "r": "retail", "ret": "retail", "n": "retail",
    "ind": "individual", "indv": "individual", "corp": "corporation", "co": "corporation", "ltd": "corporation",
    "sec": "security", "stk": "security", "eq": "security", "crypto": "virtual_asset", "coin": "virtual_asset",
    "o": "outstanding", "os": "outstanding", "m": "met", "paid": "met", "a": "active", "act": "active",
    "s/": "suspended", "susp": "suspended", "c": "closed", "cls": "closed", "2fa": "mfa", "otp": "mfa",
    "pwd": "password", "pw": "password", "done": "completed", "success": "completed", "pending": "requested",
    "afmm": "affiliated_mm", "mm": "affiliated_mm", "lp": "affiliated_mm",
}
TRUE_WORDS = {"y", "yes", "true", "t", "1", "是", "有", "on"}
FALSE_WORDS = {"n", "no", "false", "f", "0", "否", "無", "无", "off"}


def words(text: str) -> str:
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]+", " ", str(text).lower()).strip()


def name_score(column: str, f: FieldSpec) -> float:
    """How much a header reads like the field: its own name, or a word a back office or exchange uses for it."""
    norm = words(column)
    if not norm:
        return 0.0
    candidates = [f.name.replace("_", " ")] + SYNONYMS.get(f.name, [])
    best = max(difflib.SequenceMatcher(None, norm, c).ratio() for c in candidates)
    if norm in candidates:
        best = 1.0
    return best


@dataclass
class Evidence:
    """What the values of a column say about a field: a score and, when it is low, why."""

    score: float
    why: str = ""
    spec: dict[str, Any] = field(default_factory=dict)   # format:, number: or map: to write
    todo: str = ""                                        # a TODO the values raise even when the match is good


def value_evidence(values: list[str], f: FieldSpec, is_key: bool) -> Evidence:
    filled = [v.strip() for v in values if v.strip()]
    if not filled and f.type in ("date", "datetime"):
        return Evidence(0.5, "no values to judge by", todo="no rows to read: give the date format (format: ...) "
                        "unless it is ISO 8601")
    if not filled:
        return Evidence(0.5, "no values to judge by")
    if f.type in ("date", "datetime"):
        return _date_evidence(filled, f.type)
    if f.type in ("decimal", "integer"):
        return _number_evidence(filled)
    if f.type == "bool":
        return _bool_evidence(filled)
    if f.type == "enum":
        return _enum_evidence(filled, f)
    numeric = sum(1 for v in filled if re.fullmatch(r"-?[0-9][0-9,]*\.[0-9]+", v))
    if is_key:
        distinct = len(set(filled))
        if distinct < len(filled):
            repeats = "looks numeric and repeats" if numeric > len(filled) / 2 else "values repeat"
            return Evidence(0.1, f"{repeats}: not a key ({len(filled) - distinct} repeated of {len(filled)})")
    if f.name.endswith("_id") and numeric > len(filled) / 2:
        return Evidence(0.3, "holds decimal numbers, not identifiers")
    return Evidence(1.0)


def _date_evidence(values: list[str], kind: str) -> Evidence:
    iso = parse_date if kind == "date" else parse_datetime
    if all(_reads(iso, v) for v in values):
        return Evidence(1.0)
    if all(re.fullmatch(r"1[0-9]{9}([0-9]{3})?", v) for v in values):
        unit = "epoch_ms" if len(values[0]) == 13 else "epoch_s"
        return Evidence(0.95, spec={"format": unit})
    fits = guess_formats(values, kind)
    if fits is None:
        return Evidence(1.0)
    if len(fits) == 1:
        return Evidence(1.0, spec={"format": fits[0]})
    if fits:
        return Evidence(0.9, spec={"format": fits[0]}, todo="ambiguous dates, choose one of format: " +
                        " / ".join(f'"{x}"' for x in fits[:4]))
    return Evidence(0.2, f"no date format reads e.g. {values[0]!r}")


def _reads(parse: Any, value: str) -> bool:
    try:
        parse(value)
        return True
    except BadValue:
        return False


def _number_evidence(values: list[str]) -> Evidence:
    spec = guess_number(values)
    if spec is None and all(_reads(parse_decimal, v) for v in values):
        return Evidence(1.0)
    if spec:
        return Evidence(1.0, spec={"number": spec})
    return Evidence(0.1, f"not numbers, e.g. {values[0]!r}")


def _bool_evidence(values: list[str]) -> Evidence:
    seen = sorted({v for v in values})
    mapping: dict[str, bool] = {}
    odd = []
    for v in seen:
        low = v.lower()
        if low in ("true", "false"):
            continue
        if low in TRUE_WORDS:
            mapping[v] = True
        elif low in FALSE_WORDS:
            mapping[v] = False
        else:
            odd.append(v)
    if odd and len(odd) == len(seen):
        return Evidence(0.2, f"not yes/no values, e.g. {odd[0]!r}")
    todo = f"map {', '.join(repr(v) for v in odd[:6])} to true/false" if odd else ""
    return Evidence(0.9 if odd else 1.0, spec={"map": mapping} if mapping else {}, todo=todo)


def enum_code(code: str, values: tuple[str, ...]) -> str | None:
    """The canonical value a code obviously stands for: itself, a known word, a unique prefix, or initials."""
    low = code.strip().lower()
    if low in values:
        return low
    if ENUM_WORDS.get(low) in values:
        return ENUM_WORDS[low]
    prefixed = [v for v in values if v.startswith(low) or v.replace("_", "").startswith(low)] if len(low) >= 2 \
        else [v for v in values if v.startswith(low)]
    if len(prefixed) == 1:
        return prefixed[0]
    initials = [v for v in values if "_" in v and "".join(p[0] for p in v.split("_")) == low]
    return initials[0] if len(initials) == 1 else None


def _enum_evidence(values: list[str], f: FieldSpec) -> Evidence:
    seen = sorted(set(values))
    mapping: dict[str, str] = {}
    odd = []
    for v in seen:
        canonical = enum_code(v, f.values)
        if canonical is None:
            odd.append(v)
        elif canonical != v:
            mapping[v] = canonical
    known = len(seen) - len(odd)
    if not known:
        return Evidence(0.3, f"no value is one of {', '.join(f.values)} (e.g. {seen[0]!r})",
                        todo=f"map {', '.join(repr(v) for v in odd[:8])} to one of {', '.join(f.values)}")
    todo = f"map {', '.join(repr(v) for v in odd[:8])} to one of {', '.join(f.values)}" if odd else ""
    return Evidence(1.0 if not odd else 0.85, spec={"map": mapping} if mapping else {}, todo=todo)


DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%d %b %Y", "%d-%b-%Y")
TIME_PARTS = (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "T%H:%M:%S")


def guess_formats(values: list[str], kind: str) -> list[str] | None:
    """The strptime formats that read every sample; None when the values are already ISO 8601."""
    iso = parse_date if kind == "date" else parse_datetime
    if all(_reads(iso, v) for v in values):
        return None
    candidates = list(DATE_FORMATS) + [d + t for d in DATE_FORMATS + ("%Y-%m-%d",) for t in TIME_PARTS]
    fits = []
    for fmt in candidates:
        try:
            for v in values:
                datetime.strptime(v, fmt)
            fits.append(fmt)
        except ValueError:
            continue
    return fits


def guess_number(values: list[str]) -> dict[str, Any] | None:
    """A `number:` spec that reads every sample (thousands, percent signs, currency text, parentheses), or
    None if plain."""
    def reads(spec: dict[str, Any]) -> bool:
        try:
            for v in values:
                parse_decimal(number_text(v, spec) if spec else v.strip())
            return True
        except (BadValue, ValueError, ArithmeticError):
            return False
    if reads({}):
        return None
    spec: dict[str, Any] = {}
    if any(v.strip().endswith("%") for v in values):
        spec["percent"] = True
    tokens = sorted({t for v in values for t in re.findall(r"[A-Za-z$€£¥]+", v)} - {"E", "e"})
    if tokens:
        spec["strip"] = tokens
    if any(v.strip().startswith("(") and v.strip().endswith(")") for v in values):
        spec["parentheses_negative"] = True
    if spec and reads(spec):
        return spec
    for thousands, decimal in ((",", None), (".", ","), (" ", ",")):  # (only when the plain reading fails)
        tried = {**spec, "thousands": thousands, **({"decimal": decimal} if decimal else {})}
        if reads(tried):
            return tried
    return None


@dataclass
class FieldChoice:
    target: FieldSpec
    column: str | None = None
    position: int | None = None   # 1-based, when the header names two columns alike
    confidence: float = 0.0
    why: str = ""
    spec: dict[str, Any] = field(default_factory=dict)
    todo: str = ""
    join: list[str] | None = None  # a date column and a time column read as one date-time


_TIME = re.compile(r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?")


def _with_time_column(choice: FieldChoice, sample: FileSample, used: set[int]) -> None:
    """A date-time field matched to a column of dates only: join it with the table's column of times of day,
    if there is one (exports often split the two)."""
    at = sample.header.index(choice.column) if choice.column in sample.header else -1
    dates = [v.strip() for v in sample.column(at) if v.strip()] if at >= 0 else []
    if not dates or any(_TIME.search(v) for v in dates):
        return
    fmt = "%Y-%m-%d" if all(_reads(parse_date, v) for v in dates) else next(iter(guess_formats(dates, "date") or []),
                                                                                None)
    if fmt is None:
        return
    candidates = []
    for i, header in enumerate(sample.header):
        values = [v.strip() for v in sample.column(i) if v.strip()]
        if i != at and i not in used and values and all(_TIME.fullmatch(v) for v in values):
            candidates.append((0 if "time" in words(header) else 1, i))
    if not candidates:
        return
    i = min(candidates)[1]
    seconds = all(v.count(":") == 2 for v in sample.column(i) if v.strip())
    used.add(i)
    choice.join = [str(choice.column), sample.header[i]]
    choice.spec = {"format": f"{fmt} %H:%M" + (":%S" if seconds else "")}
    choice.todo = ""
    choice.why, choice.confidence = "", max(choice.confidence, SURE)


def match_fields(sample: FileSample, spec: DatasetSpec) -> list[FieldChoice]:
    """Each field's column, best pairs first (a column serves one field), with the confidence of each."""
    pairs = []
    for i, column in enumerate(sample.header):
        if not column:
            continue
        values = sample.column(i)
        for f in spec.fields:
            by_name = name_score(column, f)
            if by_name < 0.5:
                continue
            ev = value_evidence(values, f, f.name in spec.key)
            confidence = 0.65 * by_name + 0.35 * ev.score
            if ev.score <= 0.3:  # the values contradict the name: never chosen on the name alone
                confidence = min(confidence, LIKELY - 0.01)
            pairs.append((confidence, i, f.name, ev))
    chosen: dict[str, FieldChoice] = {}
    used: set[int] = set()
    counts = {h: sample.header.count(h) for h in sample.header}
    for confidence, i, name, ev in sorted(pairs, key=lambda p: (-p[0], p[1])):
        if name in chosen or i in used or confidence < LIKELY:
            continue
        used.add(i)
        column = sample.header[i]
        why = ev.why if ev.why else ("the header only resembles the field's name" if confidence < SURE else "")
        chosen[name] = FieldChoice(spec.by_name[name], column, i + 1 if counts[column] > 1 else None, confidence,
                                   why, ev.spec, ev.todo)
    for choice in chosen.values():
        if choice.target.type == "datetime" and choice.position is None:
            _with_time_column(choice, sample, used)
    return [chosen.get(f.name) or FieldChoice(f) for f in spec.fields]


def dataset_scores(sample: FileSample, datasets: dict[str, DatasetSpec]) -> list[tuple[float, str]]:
    """How well each dataset fits the table, best first: the share of its required fields (and key) the
    headers and values match, and a little for the file or sheet name."""
    scores = []
    label = words(f"{sample.path.stem} {sample.sheet or ''}")
    for name, spec in datasets.items():
        choices = {c.target.name: c for c in match_fields(sample, spec)}

        def weight(f: FieldSpec) -> float:
            return 2.0 if f.required else 1.0

        def credit(c: FieldChoice) -> float:  # a match the name only resembles counts half
            return 0.0 if not c.column else c.confidence if c.confidence >= SURE else c.confidence / 2
        covered = sum(weight(f) * credit(choices[f.name]) for f in spec.fields) / sum(map(weight, spec.fields))
        key_ok = all(choices[k].column and choices[k].confidence >= LIKELY for k in spec.key)
        hint = 0.15 if any(part in label for part in _name_hints(name)) else 0.0
        scores.append((covered * (1.0 if key_ok else 0.85) + hint, name))
    return sorted(scores, reverse=True)


def _name_hints(dataset: str) -> list[str]:
    stems = {"clients": ["client", "customer", "kyc"], "va_financing_loans": ["loan", "financ", "advance"],
             "collateral": ["collateral", "position", "holding"], "perp_instruments": ["instrument", "contract"],
             "perp_trades": ["trade", "deal", "futures", "perp"], "market_makers": ["market maker", "mm"],
             "staff_roles": ["staff", "role"], "access_log": ["access", "log"], "mm_api_keys": ["key"],
             "margin_calls": ["margin call", "call"], "broker_orders": ["broker order", "routing"],
             "orders": ["order"], "fills": ["fill", "execution", "match"], "withdrawals": ["withdraw"]}
    return stems.get(dataset, [dataset])
