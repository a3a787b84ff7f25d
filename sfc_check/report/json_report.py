"""The JSON report: the result document as one UTF-8 JSON object (the machine-readable contract)."""
from __future__ import annotations

import json
from typing import Any


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
