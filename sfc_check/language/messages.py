"""How values read in messages and evidence: exact decimals without noise, ISO dates, lists as words."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

_FOUR_PLACES = Decimal("0.0001")


def format_value(v: Any) -> str:
    """A value as a compliance officer reads it: at most four decimal places, thousands grouped from 10,000."""
    if v.__class__ is str:
        return v
    if v.__class__ is int:
        return str(v)
    if v is None:
        return "not recorded"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        try:
            q = v.quantize(_FOUR_PLACES)
        except InvalidOperation:  # more digits than the context holds: shown as it is
            q = v
        text = format(q, ",f" if abs(q) >= 10000 else "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(v, (list, tuple)):
        return ", ".join(format_value(x) for x in v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)
