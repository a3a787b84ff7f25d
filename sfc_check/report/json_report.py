"""The JSON report: the result document as one UTF-8 JSON object (the machine-readable contract)."""
from __future__ import annotations

import json
from typing import Any


def render_json(document: dict[str, Any]) -> str:
    """Indented for reading, except that each item of a long list (violations, rejected rows) takes one line:
    diffable line by line, and encoded by the json module's C encoder (indenting forces its slow path)."""
    parts = []
    for key, value in document.items():
        name = json.dumps(key, ensure_ascii=False)
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            items = ",\n    ".join(json.dumps(item, ensure_ascii=False) for item in value)
            parts.append(f"  {name}: [\n    {items}\n  ]")
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            parts.append(f"  {name}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
