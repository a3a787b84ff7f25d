"""Parsing cell text into typed values per the data dictionary; a parse failure is a reason, not an exception."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .dictionary import FieldSpec


class BadValue(ValueError):
    """A cell that does not parse as its field's type; the message is the reason shown to the user."""


# Only ASCII digits, one sign, one decimal point, an exponent and thousands separators make a number: Python's
# Decimal() would also take `2_5`, fullwidth and Arabic-Indic digits, which no export means as a number.
PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?", re.ASCII)
NOT_FINITE = re.compile(r"[+-]?(inf|infinity|s?nan[0-9]*)", re.ASCII | re.IGNORECASE)
# The date-time shapes sfc-check reads (ISO 8601 as exports write it; the engines read exactly these)
DATETIME_SHAPE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]([0-9]{2})(?::([0-9]{2})(?::([0-9]{2})"
                            r"(?:[.,]([0-9]{1,6}))?)?)?)?(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?", re.ASCII)
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "f"})


# The range of numbers read from data. Decimal() takes any exponent (`1e99999999`), but a sum or ratio over
# such a value overflows the decimal context mid-audit, and formatting it in full spells out every digit; no
# export carries an amount of 10^18 or a quantity below 10^-30, so a cell outside this range is rejected.
LIMIT = Decimal("1e18")
SMALLEST_EXPONENT = -30  # Decimal.adjusted(): the power of ten of the first significant digit


# Engines hold numbers as DECIMAL(38, PLACES): a number with more places (not counting trailing zeros) would
# be rounded there, so it is refused instead, whichever reader meets it.
PLACES = 10
_FINEST = Decimal(1).scaleb(-PLACES)


def in_range(value: Decimal) -> Decimal:
    """The value, if finite and within the range above; otherwise the reason it is rejected."""
    if not value.is_finite():  # (a NaN cannot even be compared with the limits)
        raise BadValue("not a finite number")
    if not (-LIMIT < value < LIMIT and (not value or value.adjusted() >= SMALLEST_EXPONENT)):
        raise BadValue("number out of range (sfc-check reads numbers from 10^-30 up to 10^18 in size)")
    if value.as_tuple().exponent < -PLACES and value != value.quantize(_FINEST):  # type: ignore[operator]
        raise BadValue(f"more than {PLACES} decimal places (sfc-check keeps {PLACES})")
    return value


def decimal_text(value: Decimal) -> str:
    """A number's digits as a CSV would carry them (no exponent); one out of range keeps its exponent, so that
    typing rejects it without writing out its millions of digits."""
    return format(value, "f") if value.is_finite() and -LIMIT < value < LIMIT and value.adjusted() >= -100 \
        else str(value)


def parse_decimal(text: str) -> Decimal:
    """Exact decimal; accepts `1,234.50`; refuses NaN and infinities (they cannot be compared safely) and
    numbers out of range (above)."""
    if PLAIN_NUMBER.fullmatch(text):
        return in_range(Decimal(text))
    if NOT_FINITE.fullmatch(text):
        raise BadValue("not a finite number")
    if "," not in text:
        raise BadValue("not a number")
    if not THOUSANDS.fullmatch(text):
        raise BadValue("not a number (misplaced thousands separator)")
    text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadValue("not a number") from None
    return in_range(value)


def parse_integer(text: str) -> int:
    if re.fullmatch(r"[+-]?[0-9]+", text, re.ASCII):
        return int(text)
    if THOUSANDS.fullmatch(text) and "." not in text:
        return int(text.replace(",", ""))
    raise BadValue("not a whole number")


def parse_bool(text: str) -> bool:
    low = text.lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    raise BadValue("not a boolean (true/false, yes/no, y/n, 1/0)")


def parse_date(text: str) -> date:
    # the shape test keeps ISO forms Python also accepts (20260101, 2026-W01-1) out; the rest is C
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise BadValue("not a date (YYYY-MM-DD)")
    try:
        if not text.isascii():  # fromisoformat would read fullwidth digits
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadValue("not a valid calendar date (YYYY-MM-DD)") from None


# Date-times are turned into days in the audit's time zone; one within a day of the calendar's ends would
# overflow there (9999-12-31T23:00Z is already year 10000 in Hong Kong), so such a value is rejected on load.
EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 30, tzinfo=timezone.utc)


def datetime_in_range(value: datetime) -> datetime:
    # years 2 to 9998 are within the range whatever the offset (at most a day): no aware comparison needed
    if 1 < value.year < 9999 or EARLIEST <= value <= LATEST:
        return value
    raise BadValue("date-time out of range (0001-01-02 to 9999-12-30)")


def parse_datetime(text: str) -> datetime:
    """ISO 8601 in the shapes DATETIME_SHAPE admits; a value without an offset is UTC (data dictionary)."""
    m = DATETIME_SHAPE.fullmatch(text)
    try:
        if m is None:
            raise ValueError(text)
        day, hour, minute, second, fraction, zone = m.groups()
        zone = "+00:00" if zone in (None, "Z", "z") else zone
        if len(zone) == 3:
            zone += ":00"
        elif len(zone) == 5:
            zone = f"{zone[:3]}:{zone[3:]}"
        value = datetime.fromisoformat(f"{day}T{hour or '00'}:{minute or '00'}:{second or '00'}"
                                       f"{'.' + fraction.ljust(6, '0') if fraction else ''}{zone}")
    except ValueError:
        raise BadValue("not an ISO 8601 date-time (e.g. 2026-03-01T09:30:00+08:00)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return datetime_in_range(value)


def converter_for(spec: FieldSpec) -> Callable[[Any], Any]:
    """A function turning one raw cell (text, or a JSON/Excel scalar) into the field's typed value or None."""
    kind = spec.type
    default = spec.default

    if kind == "string":
        case = spec.case

        def text_value(raw: Any) -> Any:
            if raw is None:
                return default
            text = raw.strip() if isinstance(raw, str) else scalar_text(raw)
            if not text:
                return default
            if case == "upper":
                return text.upper()
            if case == "lower":
                return text.lower()
            return text
        return text_value

    if kind == "enum":
        allowed = frozenset(spec.values)
        shown = ", ".join(spec.values)

        def enum_value(raw: Any) -> Any:
            if raw is None:
                return default
            text = (raw if isinstance(raw, str) else scalar_text(raw)).strip().lower()
            if not text:
                return default
            if text not in allowed:
                raise BadValue(f"not one of: {shown}")
            return text
        return enum_value

    parse: Callable[[str], Any] = {
        "decimal": parse_decimal, "integer": parse_integer, "bool": parse_bool,
        "date": parse_date, "datetime": parse_datetime,
    }[kind]
    low = Decimal(str(spec.min)) if spec.min is not None else None
    high = Decimal(str(spec.max)) if spec.max is not None else None

    def parsed_value(raw: Any) -> Any:
        if raw is None:
            return default
        if isinstance(raw, str):
            text = raw.strip()
            if not text:
                return default
            value = parse(text)
        else:
            value = _native(raw, kind)
        if low is not None and value < low:
            raise BadValue(f"below the allowed minimum {spec.min}")
        if high is not None and value > high:
            raise BadValue(f"above the allowed maximum {spec.max}")
        return value
    return parsed_value


def scalar_text(raw: Any) -> str:
    """A JSON or Excel scalar as the text a CSV would carry: typing that text gives what converter_for gives
    the scalar itself (or rejects it), which lets JSON records share the CSV column typing."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else decimal_text(Decimal(repr(raw)))
    return str(raw)


def _native(raw: Any, kind: str) -> Any:
    """Typed value from a JSON or Excel scalar that is not text."""
    if kind == "bool" and isinstance(raw, bool):
        return raw
    if kind in ("decimal", "integer") and isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        value = raw if isinstance(raw, Decimal) else Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        value = in_range(value)
        if kind == "integer":
            if value != value.to_integral_value():
                raise BadValue("not a whole number")
            return int(value)
        return value
    if kind == "bool" and isinstance(raw, (int, Decimal)) and raw in (0, 1):
        return bool(raw)
    if kind == "datetime" and isinstance(raw, datetime):
        return datetime_in_range(raw if raw.tzinfo else raw.replace(tzinfo=timezone.utc))
    if kind == "date" and isinstance(raw, datetime):
        return raw.date()
    if kind == "date" and isinstance(raw, date):
        return raw
    if isinstance(raw, (dict, list)):
        raise BadValue(f"expected a {kind}, got a nested JSON value")
    return {"decimal": parse_decimal, "integer": parse_integer, "bool": parse_bool,
            "date": parse_date, "datetime": parse_datetime}[kind](scalar_text(raw))


def text_converter_for(spec: FieldSpec) -> Callable[[str], Any]:
    """The CSV fast path: the cell is always text, so no type tests per cell (same results as converter_for)."""
    kind, default = spec.type, spec.default
    if kind == "string":
        case = spec.case
        if case == "upper":
            return lambda t: t.strip().upper() or default
        if case == "lower":
            return lambda t: t.strip().lower() or default
        return lambda t: t.strip() or default
    if kind == "enum":
        allowed = frozenset(spec.values)
        shown = ", ".join(spec.values)
        exact = {v: v for v in spec.values}
        exact.update({v.upper(): v for v in spec.values})
        exact.update({v.title(): v for v in spec.values})

        def enum(t: str) -> Any:
            hit = exact.get(t)
            if hit is not None:
                return hit
            v = t.strip().lower()
            if v in allowed:
                return v
            if not v:
                return default
            raise BadValue(f"not one of: {shown}")
        return enum
    if spec.min is not None or spec.max is not None:
        return converter_for(spec)
    parse: Callable[[str], Any] = {"decimal": parse_decimal, "integer": parse_integer, "bool": parse_bool,
                                   "date": parse_date, "datetime": parse_datetime}[kind]

    def slow(t: str) -> Any:
        t = t.strip()
        return parse(t) if t else default

    # fast paths: the common well-formed cell is handled by one C call; anything else takes the full path
    if kind == "date":
        fromiso = date.fromisoformat

        def day(t: str) -> Any:
            if len(t) == 10 and t[4] == "-" and t[7] == "-":
                try:
                    return fromiso(t)
                except ValueError:
                    pass
            return slow(t)
        return day
    if kind == "bool":
        known = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}}
        known.update({w.upper(): v for w, v in list(known.items())})
        known.update({w.title(): v for w, v in list(known.items())})

        def flag(t: str) -> Any:
            v = known.get(t)
            return v if v is not None else slow(t)
        return flag
    return slow
