"""`sfc-check init`: a starting profile from the headers of a firm's files, by name similarity and synonyms."""
from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ..data.datasets import FORMATS
from ..data.dictionary import DatasetSpec, FieldSpec, load_dictionary
from ..data.profiles import number_text
from ..data.textfiles import decode_error
from ..data.values import BadValue, parse_date, parse_datetime, parse_decimal


@dataclass
class ColumnGuess:
    column: str
    field: str | None
    score: float


SYNONYMS = {
    "client_id": ["client no", "client number", "account", "account id", "acct no", "uid", "user id", "customer id",
                  "client code"],
    "client_type": ["type", "entity type", "client category", "legal form"],
    "investor_class": ["pi", "pi status", "investor type", "investor", "classification", "professional investor"],
    "pi_assessed_on": ["pi date", "pi assessed", "pi review date", "pi reconfirmation"],
    "derivatives_knowledge_on": ["deriv date", "derivatives assessed", "derivative knowledge", "dk date"],
    "has_securities_margin_account": ["margin a c", "margin", "margin account", "margin flag"],
    "credit_assessed_on": ["credit review", "credit review date", "credit assessed", "credit date"],
    "credit_rating": ["grade", "credit grade", "rating", "risk grade"],
    "va_risk_disclosure_on": ["va rd date", "risk disclosure date", "va disclosure", "rd date"],
    "mm_id": ["mm", "mm code", "market maker", "market maker id"],
    "status": ["account status", "state", "acct status"],
    "loan_id": ["loan ref", "loan no", "facility id", "loan number"],
    "drawn_on": ["drawdown date", "draw date", "loan date", "value date"],
    "outstanding_hkd": ["outstanding", "loan balance", "o s amount", "os amount", "balance hkd"],
    "position_id": ["pos id", "position", "holding id", "lot id", "position no"],
    "asset": ["stock code", "ticker", "coin", "security", "code", "symbol"],
    "asset_type": ["class", "asset class", "product type"],
    "market_value_hkd": ["market value", "mv", "mv hkd", "mkt value", "value hkd"],
    "haircut_pct": ["haircut", "hc", "haircut rate"],
    "valued_on": ["valuation date", "price date", "val date"],
    "trade_id": ["trade no", "deal id", "deal no", "order id", "execution id", "exec id"],
    "trade_time": ["date utc", "time", "trade date", "execution time", "timestamp", "utc time", "trade time hkt"],
    "instrument": ["contract", "pair", "product", "symbol"], "side": ["buy sell", "direction", "b s"],
    "quantity": ["qty", "amount", "size", "volume", "units"], "price": ["px", "trade price", "avg price"],
    "leverage": ["lev", "multiplier"], "counterparty_client_id": ["contra uid", "counterparty", "contra account"],
    "name": ["client name", "name en"],
}


def guess_columns(header: list[str], spec: DatasetSpec) -> list[ColumnGuess]:
    """Match source headers to canonical fields by name similarity and common synonyms (for `init`)."""
    out = []
    taken: set[str] = set()
    for col in header:
        norm = re.sub(r"[^a-z0-9]+", " ", str(col).lower()).strip()
        best, score = None, 0.0
        for f in spec.fields:
            candidates = [f.name.replace("_", " ")] + SYNONYMS.get(f.name, [])
            s = max(difflib.SequenceMatcher(None, norm, c).ratio() for c in candidates)
            if s > score and f.name not in taken:
                best, score = f.name, s
        if best is not None and score >= 0.75:
            taken.add(best)
            out.append(ColumnGuess(str(col), best, score))
        else:
            out.append(ColumnGuess(str(col), None, score))
    return out


def dataset_for_file(path: Path) -> str | None:
    """Which canonical dataset a file probably holds, from its name (for `init`)."""
    stem = re.sub(r"[^a-z]+", "_", path.stem.lower())
    hints = {"client": "clients", "customer": "clients", "loan": "va_financing_loans", "financ": "va_financing_loans",
             "collateral": "collateral", "position": "collateral", "holding": "collateral",
             "instrument": "perp_instruments", "contract": "perp_instruments", "trade": "perp_trades",
             "deal": "perp_trades", "futures": "perp_trades", "market_maker": "market_makers", "mm": "market_makers",
             "staff": "staff_roles", "role": "staff_roles", "access": "access_log", "log": "access_log",
             "key": "mm_api_keys"}
    if stem in load_dictionary():
        return stem
    for hint, ds in hints.items():
        if hint in stem:
            return ds
    return None


DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%d %b %Y")
TIME_PARTS = (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "T%H:%M:%S")
SAMPLE_ROWS = 200


def guess_formats(values: list[str], kind: str) -> list[str] | None:
    """The strptime formats that read every sample; None when the values are already ISO 8601."""
    iso = parse_date if kind == "date" else parse_datetime
    try:
        for v in values:
            iso(v)
        return None
    except BadValue:
        pass
    candidates = [d for d in DATE_FORMATS] + [d + t for d in DATE_FORMATS + ("%Y-%m-%d",) for t in TIME_PARTS]
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
    """A `number:` spec that reads every sample (percent signs, currency text, parentheses), or None if plain."""

    def reads(spec: dict[str, Any]) -> bool:
        try:
            for v in values:
                parse_decimal(number_text(v, spec) if spec else v.strip())
            return True
        except (BadValue, ValueError):
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
    return spec if spec and reads(spec) else None


def field_hint(f: FieldSpec, values: list[str]) -> str:
    """What `init` can say about a mapped column from its sample values: a format, a value map, or a TODO."""
    values = [v for v in values if v.strip()]
    if f.type in ("date", "datetime") and not values:
        return "TODO: no rows to read: give the date format (format: ...) unless it is ISO 8601"
    if f.type in ("date", "datetime"):
        fits = guess_formats(values, f.type)
        if fits is None:
            return ""
        if len(fits) == 1:
            return f"format: {json.dumps(fits[0])}"
        if fits:
            return "TODO: ambiguous dates, choose one of format: " + " / ".join(json.dumps(x) for x in fits[:4])
        return f"TODO: no known date format reads e.g. {values[0]!r}: give format"
    if f.type in ("decimal", "integer") and values:
        spec = guess_number(values)
        if spec:
            return "number: " + yaml.safe_dump(spec, default_flow_style=True, allow_unicode=True).strip()
    if f.type == "enum" and values:
        seen = sorted({v.strip() for v in values})
        odd = [v for v in seen if v.lower() not in f.values]
        if odd:
            return (f"TODO: map {', '.join(repr(v) for v in odd[:6])} to one of {', '.join(f.values)} "
                    "(map: {CODE: value})")
    if f.type == "bool" and values:
        words = {"true", "false", "yes", "no", "y", "n", "1", "0", "t", "f"}
        odd = sorted({v.strip() for v in values if v.strip().lower() not in words})
        if odd:
            return f"TODO: map {', '.join(repr(v) for v in odd[:6])} to true/false"
    return ""


def init_profile(data_dir: Path, encoding: str | None = None) -> str:
    """A starting profile for the files in DATA_DIR, with TODOs where a column or dataset could not be matched."""
    dictionary = load_dictionary()
    lines = ["# Starting profile written by `sfc-check init`: check every line marked TODO, then run",
             f"#   sfc-check profile check --profile THIS_FILE {data_dir}",
             f"profile: {data_dir.name} exports", "timezone: Asia/Hong_Kong   # zone of naive timestamps; TODO confirm",
             "datasets:"]
    for path in sorted(p for p in data_dir.iterdir() if p.is_file() and p.suffix.lower() in FORMATS):
        ds = dataset_for_file(path)
        header, samples = _read_sample(path, encoding)
        if ds is None:
            lines += [f"  # TODO: {path.name}: which dataset is this? (columns: {', '.join(header)})"]
            continue
        spec = dictionary[ds]
        lines += [f"  {ds}:", f"    file: \"{path.name}\"", f"    format: {FORMATS[path.suffix.lower()]}"]
        if encoding:
            lines.append(f"    encoding: {encoding}")
        lines.append("    fields:")
        guesses = guess_columns(header, spec)
        mapped = {g.field: g.column for g in guesses if g.field}
        for f in spec.fields:
            if f.name in mapped:
                column = mapped[f.name]
                index = header.index(column)
                hint = field_hint(f, [r[index] for r in samples if index < len(r)])
                quoted = json.dumps(column, ensure_ascii=False)
                if hint.startswith(("format:", "number:")):
                    lines.append(f"      {f.name}: {{column: {quoted}, {hint}}}")
                else:
                    lines.append(f"      {f.name}: {quoted}" + (f"   # {hint}" if hint else ""))
            elif f.required:
                lines.append(f"      {f.name}: unavailable   # TODO: required and not matched: give its column, "
                             "a constant, or leave unavailable")
        unmatched = [g.column for g in guesses if not g.field]
        if unmatched:
            lines.append(f"      # unmatched columns (kept out): {', '.join(unmatched)}")
    return "\n".join(lines) + "\n"


def _read_sample(path: Path, encoding: str | None) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows as text, to match columns and guess formats."""
    fmt = FORMATS[path.suffix.lower()]
    if fmt == "xlsx":
        from openpyxl import load_workbook

        from ..data.sheets import check_workbook
        check_workbook(path, path.name)
        book = load_workbook(path, read_only=True)
        if not book.worksheets:
            book.close()
            return [], []
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows, ())]
        sample = [["" if c is None else c.isoformat() if hasattr(c, "isoformat") else str(c) for c in r]
                  for _, r in zip(range(SAMPLE_ROWS), rows)]
        book.close()
        return header, sample
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError:
        raise decode_error(path, path.name, encoding or "utf-8") from None
    if fmt == "csv":
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        return header, [r for _, r in zip(range(SAMPLE_ROWS), reader)]
    records = (json.loads(text) if fmt == "json"
               else [json.loads(x) for x in text.splitlines()[:SAMPLE_ROWS] if x.strip()])
    records = [r for r in records[:SAMPLE_ROWS] if isinstance(r, dict)]
    header = list(records[0]) if records else []
    return header, [["" if r.get(h) is None else str(r.get(h)) for h in header] for r in records]
