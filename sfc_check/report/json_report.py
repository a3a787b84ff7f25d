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
    rejected rows, resolved baseline entries) takes one line, made and encoded only when written (by the json
    module's C encoder; indenting would force its slow path)."""
    yield from _object(document, "")
    yield "\n"


def _object(document: dict[str, Any], margin: str) -> Iterator[str]:
    yield "{\n"
    last = len(document) - 1
    for n, (key, value) in enumerate(document.items()):
        name = json.dumps(key, ensure_ascii=False)
        tail = ",\n" if n < last else "\n"
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) and _records(value):
            yield f"{margin}  {name}: [\n"
            first = True
            for item in value:
                yield (f"{margin}    " if first else f",\n{margin}    ") + _ONE_LINE(item)
                first = False
            yield f"\n{margin}  ]" + tail
        elif isinstance(value, dict) and any(_stored(x) for x in value.values()):
            yield f"{margin}  {name}: "
            yield from _object(value, margin + "  ")
            yield tail
        else:
            plain = list(value) if isinstance(value, Sequence) and not isinstance(value, (str, list)) else value
            text = json.dumps(plain, indent=2, ensure_ascii=False)
            yield f"{margin}  {name}: " + text.replace("\n", f"\n{margin}  ") + tail
    yield margin + "}"


def _stored(value: Any) -> bool:
    """A sequence kept on disk (violations, resolved entries): written a record at a time, never as a list."""
    return isinstance(value, Sequence) and not isinstance(value, (str, list, tuple))


def _records(value: Sequence[Any]) -> bool:
    return isinstance(value[0], dict) and (not isinstance(value, list) or all(isinstance(v, dict) for v in value))
