"""The JSON report: the result document as one UTF-8 JSON object (the machine-readable contract)."""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

_ONE_LINE = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for every record: dumps() makes one a call


def render_json(document: dict[str, Any]) -> str:
    return "".join(stream_json(document))


def stream_json(document: dict[str, Any]) -> Iterator[str]:
    """The report in pieces: indented for reading, except that each item of a list of records (violations,
    rejected rows) takes one line, made and encoded only when written (by the json module's C encoder;
    indenting would force its slow path)."""
    yield "{\n"
    last = len(document) - 1
    for n, (key, value) in enumerate(document.items()):
        name = json.dumps(key, ensure_ascii=False)
        tail = ",\n" if n < last else "\n"
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) and _records(value):
            yield f"  {name}: [\n"
            first = True
            for item in value:
                yield ("    " if first else ",\n    ") + _ONE_LINE(item)
                first = False
            yield "\n  ]" + tail
        else:
            plain = list(value) if isinstance(value, Sequence) and not isinstance(value, (str, list)) else value
            yield f"  {name}: " + json.dumps(plain, indent=2, ensure_ascii=False).replace("\n", "\n  ") + tail
    yield "}\n"


def _records(value: Sequence[Any]) -> bool:
    return isinstance(value[0], dict) and (not isinstance(value, list) or all(isinstance(v, dict) for v in value))
