"""`init`'s view of a firm's files: for each file (each sheet of a workbook) its encoding, format, delimiter,
header row past any banner lines, header and sample rows as text, and what it could not decide.

Nothing here stops at a file it cannot read: the problem becomes a note on that file, and `init` goes on.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

from ..data.jsonstream import json_lines, json_records
from ..data.textfiles import bom_encoding
from ..errors import SfcCheckError

SAMPLE_ROWS = 2000       # rows read per file: enough to see every code of a column and repeated keys
SAMPLE_BYTES = 8 << 20   # bytes read from the head of a text file (far more than SAMPLE_ROWS rows need)
BANNER_SEARCH = 30       # lines searched for the header below title and blank lines
TEXT_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "jsonl",
                   ".ndjson": "jsonl", ".xlsx": "xlsx"}
DELIMITERS = ",;\t|"


@dataclass
class FileSample:
    """One table as `init` saw it (a file, or one sheet of a workbook)."""

    path: Path
    fmt: str
    encoding: str | None = None
    delimiter: str = ","
    header_row: int = 1
    sheet: str | None = None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)    # TODO lines about the file itself
    problem: str | None = None                        # why the file could not be read at all

    def column(self, index: int) -> list[str]:
        return [r[index] for r in self.rows if index < len(r)]


def sample_folder(folder: Path, encoding: str | None = None) -> list[FileSample]:
    """Every table in the folder's export files (any case of extension); unreadable ones carry their problem."""
    out: list[FileSample] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        fmt = TEXT_EXTENSIONS.get(path.suffix.lower())
        if fmt is None:
            continue
        try:
            out += _sample_workbook(path) if fmt == "xlsx" else [_sample_text(path, fmt, encoding)]
        except SfcCheckError as exc:
            out.append(FileSample(path, fmt, problem=str(exc)))
        except (OSError, ValueError, KeyError, csv.Error) as exc:
            out.append(FileSample(path, fmt, problem=f"{type(exc).__name__}: {exc}"))
    return out


def detect_encoding(raw: bytes) -> tuple[str, str]:
    """(encoding, note): a byte-order mark or valid UTF-8 is certain; otherwise the legacy encodings that
    decode the bytes, ranked by charset-normalizer, Big5-HKSCS first for Traditional Chinese; the note says
    when more than one fits."""
    bom = bom_encoding(raw[:4])
    if bom:
        return bom, ""
    if _decodes(raw, "utf-8"):
        return "utf-8", ""
    fits = [name for name in ("big5hkscs", "gb18030", "cp1252") if _decodes(raw, name)]
    from charset_normalizer import from_bytes
    best = from_bytes(raw[:200_000]).best()
    family = {"big5": "big5hkscs", "big5hkscs": "big5hkscs", "cp950": "big5hkscs", "gb2312": "gb18030",
              "gbk": "gb18030", "gb18030": "gb18030", "cp1252": "cp1252", "latin_1": "cp1252"}
    guess = family.get(best.encoding) if best else None
    if "big5hkscs" in fits and (guess in (None, "big5hkscs") or re.search(r"[\u4e00-\u9fff]",
                                                                           raw.decode("big5hkscs", "ignore"))):
        guess = "big5hkscs"  # Hong Kong exports are Traditional Chinese; GB18030 decodes most Big5 bytes too
    guess = guess if guess in fits else (fits[0] if fits else (best.encoding if best else "utf-8"))
    others = [f for f in fits if f != guess]
    note = f"TODO: encoding {guess} is a guess (the bytes also decode as {', '.join(others)}): confirm" \
        if others else ("" if guess in fits else f"TODO: encoding {guess} is a guess: confirm")
    return guess, note


def _decodes(raw: bytes, encoding: str) -> bool:
    """Whether the bytes decode, a character cut at the end of the sample (`raw` may be a file's head) aside."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(raw, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _sample_text(path: Path, fmt: str, encoding: str | None) -> FileSample:
    with path.open("rb") as f:
        raw = f.read(SAMPLE_BYTES)  # (the head: SAMPLE_ROWS rows, not the whole of a large export)
    chosen, note = (encoding, "") if encoding else detect_encoding(raw)
    text = raw.decode(chosen, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = FileSample(path, fmt, encoding=None if chosen in ("utf-8", "utf-8-sig") else chosen)
    if note:
        sample.notes.append(note)
    if fmt == "json" and _is_json_lines(text):
        sample.fmt = fmt = "jsonl"
        sample.notes.append("holds JSON Lines (one record per line) although named .json: format: jsonl")
    if fmt in ("json", "jsonl"):
        _json_sample(sample, text)
    else:
        _csv_sample(sample, text)
    return sample


def _is_json_lines(text: str) -> bool:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
        return False
    try:
        json.loads(lines[0])
        return True
    except ValueError:
        return False


def _json_sample(sample: FileSample, text: str) -> None:
    stream = io.StringIO(text)
    if sample.fmt == "jsonl":
        records = json_lines(stream, lambda: None, lambda start, reason: None)
    else:
        records = json_records(stream, sample.path.name)
    rows: list[dict[str, Any]] = []
    try:
        for _, obj in records:
            if isinstance(obj, dict):
                rows.append(flatten(obj))
            if len(rows) >= SAMPLE_ROWS:
                break
    except SfcCheckError:
        if not rows or len(text) < SAMPLE_BYTES // 4:  # (a broken file, not a head cut inside a record)
            raise
    sample.header = list(dict.fromkeys(k for r in rows for k in r))
    sample.rows = [["" if r.get(h) is None else str(r.get(h)) for h in sample.header] for r in rows]


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted paths (`event.user.id`), as a profile's `column:` reads them."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _csv_sample(sample: FileSample, text: str) -> None:
    head = text[:100_000]
    sample.delimiter = _delimiter(head, sample.path)
    rows = list(_rows(text, sample.delimiter, SAMPLE_ROWS + BANNER_SEARCH))
    at = header_index(rows)
    if at:
        sample.notes.append(f"{at} line(s) above the header (a title or banner): header_row: {at + 1}")
    sample.header_row = at + 1
    sample.header = [h.strip() for h in rows[at]] if rows else []
    sample.rows = [r for r in rows[at + 1:] if any(c.strip() for c in r)][:SAMPLE_ROWS]


def _rows(text: str, delimiter: str, limit: int) -> Any:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for n, row in enumerate(reader):
        if n >= limit:
            return
        yield row


def _delimiter(head: str, path: Path) -> str:
    lines = [line for line in head.splitlines()[:BANNER_SEARCH] if line.strip()]
    if path.suffix.lower() == ".tsv":
        return "\t"
    counts = {d: Counter(line.count(d) for line in lines).most_common(1)[0] for d in DELIMITERS} if lines else {}
    best = max(counts.items(), key=lambda kv: (kv[1][0] > 0, kv[1][1], kv[1][0]), default=(",", (0, 0)))
    return best[0] if best[1][0] > 0 else ","


def header_index(rows: list[list[Any]]) -> int:
    """The first row that looks like a header: as wide as the table below it, every cell filled with text
    that is not a number or a date (titles, report dates and blank lines above it are banners)."""
    def filled(row: list[Any]) -> list[str]:
        return [str(c).strip() for c in row if c is not None and str(c).strip()]
    widths = Counter(len(filled(r)) for r in rows[:BANNER_SEARCH * 3] if filled(r))
    if not widths:
        return 0
    width = widths.most_common(1)[0][0]
    for n, row in enumerate(rows[:BANNER_SEARCH]):
        cells = filled(row)
        texts = [c for c in cells if not re.fullmatch(r"[-+0-9.,/: %]+", c)]
        if len(cells) >= max(2, int(width * 0.8)) and len(texts) == len(cells):
            return n
    return 0


def _sample_workbook(path: Path) -> list[FileSample]:
    from openpyxl import load_workbook

    from ..data.sheets import check_workbook
    check_workbook(path, path.name)
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        out = []
        for ws in book.worksheets:
            rows = [list(r) for _, r in zip(range(SAMPLE_ROWS + BANNER_SEARCH), ws.iter_rows(values_only=True))]
            sample = FileSample(path, "xlsx", sheet=ws.title)
            at = header_index(rows)
            if at:
                sample.notes.append(f"{at} row(s) above the header (a title or banner): header_row: {at + 1}")
            sample.header_row = at + 1
            sample.header = ["" if h is None else str(h).strip() for h in rows[at]] if rows else []
            sample.rows = [[_cell_text(c) for c in r] for r in rows[at + 1:] if any(c not in (None, "") for c in r)]
            if sample.header:
                out.append(sample)
        return out
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == time(0) and value.tzinfo is None:
        return value.date().isoformat()   # an Excel date cell: openpyxl gives it as a midnight datetime
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
