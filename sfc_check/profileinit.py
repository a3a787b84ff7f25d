"""`sfc-check init`: a starting profile from the headers of a firm's files, by name similarity and synonyms."""
from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .datasets import FORMATS, _decode_error
from .dictionary import DatasetSpec, load_dictionary


@dataclass
class ColumnGuess:
    column: str
    field: str | None
    score: float


SYNONYMS = {
    "client_id": ["client no", "client number", "account", "account id", "acct no", "uid", "user id", "customer id"],
    "trade_id": ["trade no", "deal id", "order id", "execution id", "exec id", "id"],
    "trade_time": ["date(utc)", "time", "date", "trade date", "execution time", "timestamp", "utc_time"],
    "instrument": ["symbol", "contract", "pair", "product"], "side": ["buy/sell", "direction", "b/s"],
    "quantity": ["qty", "amount", "size", "volume", "units"], "price": ["px", "trade price", "avg price"],
    "leverage": ["lev", "multiplier"], "investor_class": ["pi", "pi status", "investor type", "classification"],
    "market_value_hkd": ["market value", "mv", "mkt value", "value hkd"], "haircut_pct": ["haircut", "hc"],
    "asset": ["stock code", "ticker", "coin", "security"], "valued_on": ["valuation date", "price date"],
    "position_id": ["position", "holding id", "lot id"], "outstanding_hkd": ["outstanding", "loan balance"],
    "drawn_on": ["drawdown date", "draw date", "loan date"], "name": ["client name", "name (en)"],
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


def init_profile(data_dir: Path, encoding: str | None = None) -> str:
    """A starting profile for the files in DATA_DIR, with TODOs where a column or dataset could not be matched."""
    dictionary = load_dictionary()
    lines = ["# Starting profile written by `sfc-check init`: check every line marked TODO, then run",
             f"#   sfc-check profile check --profile THIS_FILE {data_dir}",
             f"profile: {data_dir.name} exports", "timezone: Asia/Hong_Kong   # zone of naive timestamps; TODO confirm",
             "datasets:"]
    for path in sorted(p for p in data_dir.iterdir() if p.is_file() and p.suffix.lower() in FORMATS):
        ds = dataset_for_file(path)
        header = _read_header(path, encoding)
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
                extra = "   # TODO: date format, e.g. format: \"%d/%m/%Y\"" if f.type in ("date", "datetime") else ""
                extra = extra or ("   # TODO: map codes to " + ", ".join(f.values) if f.type == "enum" else "")
                lines.append(f"      {f.name}: {json.dumps(mapped[f.name], ensure_ascii=False)}{extra}")
            elif f.required:
                lines.append(f"      {f.name}: unavailable   # TODO: required and not matched: give its column, "
                             "a constant, or leave unavailable")
        unmatched = [g.column for g in guesses if not g.field]
        if unmatched:
            lines.append(f"      # unmatched columns (kept out): {', '.join(unmatched)}")
    return "\n".join(lines) + "\n"


def _read_header(path: Path, encoding: str | None) -> list[str]:
    fmt = FORMATS[path.suffix.lower()]
    if fmt == "xlsx":
        from openpyxl import load_workbook
        book = load_workbook(path, read_only=True)
        header = next(book.worksheets[0].iter_rows(values_only=True), ())
        book.close()
        return [str(h) for h in header if h is not None]
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError:
        raise _decode_error(path, path.name, encoding or "utf-8") from None
    if fmt == "csv":
        return next(csv.reader(io.StringIO(text)), [])
    first = json.loads(text)[0] if fmt == "json" else json.loads(text.splitlines()[0])
    return list(first) if isinstance(first, dict) else []

