"""Data as inert text in every report: a control character (ESC, NUL, BEL…), a bidirectional override or a
lone surrogate from an export is shown as an escape (`\\x1b`, `\\u202e`), never passed to a terminal, an XML
parser, a spreadsheet or a browser as itself."""
from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff\ufffe\uffff]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_UNSAFE_BUT_LINES = re.compile(_UNSAFE.pattern.replace("\x00-\x1f", "\x00-\x08\x0b\x0c\x0e-\x1f"))


def visible(value: Any, keep_lines: bool = False) -> str:
    """`value` as text with every unsafe character shown as an escape (`keep_lines`: tab, CR and LF stay, for a
    format that quotes them, as CSV does)."""
    text = "" if value is None else str(value)
    unsafe = _UNSAFE_BUT_LINES if keep_lines else _UNSAFE
    return unsafe.sub(_escape, text) if unsafe.search(text) else text
