"""The CSV report: one row per violation, every cell safe to open in a spreadsheet (no formula injection)."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from .text import visible

COLUMNS = ("rule_id", "severity", "dataset", "key_fields", "key", "path", "row", "message", "citation", "waived", "baseline",
           "evidence")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ tab or CR is defused with a leading apostrophe."""
    text = visible(value, keep_lines=True)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def render_csv(document: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for v in document["violations"]:
        key = "; ".join(str(val) for val in v["key"].values())
        writer.writerow([safe_cell(x) for x in (
            v["rule_id"], v["severity"], v["dataset"], "; ".join(v["key"]), key, v.get("path"), v.get("row"), v["message"], v["citation"],
            "true" if v["waived"] else "false", v.get("baseline", ""),
            json.dumps(v["evidence"], ensure_ascii=False, sort_keys=True))])
    return out.getvalue()
