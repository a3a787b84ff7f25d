"""Column-at-a-time typing of CSV batches: the fast path for large exports.

A batch of rows is transposed and each column converted by one C-level `map` (Decimal, date.fromisoformat,
dict lookups). Anything unusual in a column (an empty required cell, `1,234.50`, `NaN`, a date in another
shape, a naive date-time) makes that column take the per-cell converters, and any bad value makes the whole
batch take the exact per-row path, which names the row, column and reason. Results are identical either way.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import repeat
from operator import attrgetter, is_, itemgetter
from typing import Any

from .dictionary import DatasetSpec, FieldSpec
from .values import LIMIT, SMALLEST_EXPONENT, THOUSANDS, BadValue, text_converter_for

Column = Sequence[str]
_tzinfo = attrgetter("tzinfo")


_KNOWN_DAYS = 100_000  # distinct dates remembered per column before the memory is started afresh


class NeedsRowPath(Exception):
    """A column could not be typed in bulk: type this batch row by row to find and name the bad cells.
    `field` is the index (in the dataset's fields) of the column that failed, when it is known."""

    def __init__(self, field: int | None = None) -> None:
        super().__init__(field)
        self.field = field


def _per_cell(conv: Callable[[str], Any]) -> Callable[[Column], list[Any]]:
    def convert(col: Column) -> list[Any]:
        try:
            return [conv(t) for t in col]
        except BadValue:
            raise NeedsRowPath from None
    return convert


def column_converter(spec: FieldSpec) -> Callable[[Column], list[Any]]:
    """Convert a whole column of text cells; equal, cell for cell, to `text_converter_for(spec)`."""
    conv = text_converter_for(spec)
    slow = _per_cell(conv)
    kind, default = spec.type, spec.default
    if spec.min is not None or spec.max is not None:
        low = Decimal(str(spec.min)) if spec.min is not None else None
        high = Decimal(str(spec.max)) if spec.max is not None else None
        inner = column_converter(FieldSpec(spec.name, spec.type, spec.required, spec.values, spec.case,
                                           spec.default))

        def bounded(col: Column) -> list[Any]:
            vals = inner(col)
            present = [v for v in vals if v is not None]
            if present and ((low is not None and min(present) < low) or (high is not None and max(present) > high)):
                raise NeedsRowPath
            return vals
        return bounded
    if kind == "string":
        if spec.case == "upper":
            return lambda col: [t.strip().upper() or default for t in col]
        if spec.case == "lower":
            return lambda col: [t.strip().lower() or default for t in col]
        return lambda col: [t.strip() or default for t in col]
    if kind in ("enum", "bool"):
        table: dict[str, Any] = {}
        if kind == "enum":
            for v in spec.values:
                table.update({v: v, v.upper(): v, v.title(): v})
        else:
            for word in ("true", "yes", "y", "1", "t"):
                table.update({word: True, word.upper(): True, word.title(): True})
            for word in ("false", "no", "n", "0", "f"):
                table.update({word: False, word.upper(): False, word.title(): False})

        def lookup(col: Column) -> list[Any]:
            vals = list(map(table.get, col))
            if None in vals:
                return slow(col)
            return vals
        return lookup
    if kind == "decimal":
        def decimals(col: Column) -> list[Any]:
            try:
                try:
                    vals = list(map(Decimal, col))
                except InvalidOperation:
                    # thousands separators (`20,000,000`, common in firms' exports): accepted in bulk when every
                    # cell that has one is well formed, as the per-cell parser accepts it; anything else, per cell
                    grouped = [t for t in col if "," in t]
                    if not grouped or not all(map(THOUSANDS.fullmatch, grouped)):
                        return slow(col)
                    vals = [Decimal(t.replace(",", "") if "," in t else t) for t in col]
                # ordering a NaN raises; an infinity or a number too large (values.in_range) shows up as the
                # minimum or the maximum. Too small a one needs exponent notation or a long cell: such
                # columns go cell by cell, where in_range judges each
                if vals and not (-LIMIT < min(vals) and max(vals) < LIMIT):
                    return slow(col)
                joined = "".join(col)
                if "e" in joined or "E" in joined or max(map(len, col)) > _PLAIN_DIGITS:
                    return slow(col)
            except (InvalidOperation, ArithmeticError):
                return slow(col)
            return vals
        return decimals
    if kind == "date":
        # a column holds few distinct days: each is parsed once and its date object shared by every row
        # (lookup tables keep one object per day, not one per row)
        known: dict[str, date] = {}

        def dates(col: Column) -> list[Any]:
            vals = list(map(known.get, col))
            if None not in vals:
                return vals
            new = {t for t, v in zip(col, vals) if v is None}
            blank = {t for t in new if not t.strip()}  # an optional date left empty: the default, no parse
            if blank and default is not None:
                return slow(col)
            try:
                parsed = {t: date.fromisoformat(t) for t in new - blank}
            except ValueError:
                return slow(col)
            if any(d.isoformat() != t for t, d in parsed.items()):  # other ISO shapes (20260101, 2026-W01-1)
                return slow(col)
            if len(known) + len(parsed) > _KNOWN_DAYS:
                known.clear()
            known.update(parsed)
            return list(map(known.get, col))  # blanks are not known: None, the default
        return dates
    if kind == "datetime":
        def datetimes(col: Column) -> list[Any]:
            try:
                vals = list(map(datetime.fromisoformat, col))
            except ValueError:
                return slow(col)
            if None in map(_tzinfo, vals):  # naive values are UTC: the per-cell path attaches the zone
                return slow(col)
            # only years 1 and 9999 hold date-times outside values.datetime_in_range: such a column goes cell
            # by cell. Every cell parsed, so each starts with its 4-digit year and the text's order is the
            # years' (comparing the text is 20x cheaper than comparing date-times with offsets)
            if vals and (min(col)[:4] == "0001" or max(col)[:4] == "9999"):
                return slow(col)
            return vals
        return datetimes
    return slow


_PLAIN_DIGITS = -SMALLEST_EXPONENT  # a cell of plain digits no longer than this is not below 10^-30

# one decimal per line (or, for optional fields, an empty line): plain, as Decimal() accepts it, or with
# thousands separators as the per-cell parser accepts them (values.THOUSANDS). The plain form is tried first:
# most cells are plain, and trying the grouped form on each first doubled the check's time
_NUMBER = rf"(?:[+-]?\d+(?:\.\d*)?|{THOUSANDS.pattern})"
_NUMBERS = re.compile(rf"{_NUMBER}(?:\n{_NUMBER})*")
_OPTIONAL_NUMBERS = re.compile(rf"(?:{_NUMBER})?(?:\n(?:{_NUMBER})?)*")


def column_checker(spec: FieldSpec) -> Callable[[Column], list[Any] | None]:
    """For a field no rule reads: check the column without building values (None: all good, and required
    cells are filled), or, when the quick check cannot vouch for it, convert it as usual (which finds and
    names any bad cell)."""
    convert = column_converter(spec)
    if spec.min is not None or spec.max is not None or spec.default is not None:
        return convert
    if spec.type == "string" and not spec.required:
        return lambda col: None
    if spec.type == "decimal":
        pattern = _NUMBERS if spec.required else _OPTIONAL_NUMBERS

        def numbers(col: Column) -> list[Any] | None:
            joined = "\n".join(col)
            if joined.count("\n") == len(col) - 1 and pattern.fullmatch(joined) and max(map(len, col)) <= 18:
                return None  # (18 characters of plain digits cannot leave values.in_range's range)
            return convert(col)
        return numbers
    return convert


class BatchTyper:
    """Types a batch of same-width CSV rows into canonical tuples, or raises NeedsRowPath. Fields outside
    `needed` (when given) are checked but left as None: no rule reads them."""

    def __init__(self, spec: DatasetSpec, positions: dict[str, int],
                 extra: Callable[[list[Any]], Any] | None, needed: set[str] | None = None) -> None:
        self.plan: list[tuple[int | None, Callable[[Column], list[Any] | None], Any]] = [(positions.get(f.name),
                      column_converter(f) if needed is None or f.name in needed else column_checker(f), f.default)
                     for f in spec.fields]
        self.required = [i for i, f in enumerate(spec.fields) if f.required]
        self.extra = extra
        self._fields = spec.fields

    def bad_rows(self, rows: list[list[str]], field: int) -> set[int]:
        """Which rows hold a cell of `field` that typing refuses (or leaves empty where it is required)."""
        pos = self.plan[field][0]
        if pos is None:
            return set()
        convert = text_converter_for(self._fields[field])
        required = self._fields[field].required
        bad = set()
        for j, row in enumerate(rows):
            try:
                if convert(row[pos]) is None and required:
                    bad.add(j)
            except BadValue:
                bad.add(j)
        return bad

    def __call__(self, rows: list[list[str]]) -> list[tuple[Any, ...]]:
        columns = list(zip(*rows))
        n = len(rows)
        typed: list[Sequence[Any]] = []
        unread = [None] * n
        checked = set()
        for i, (pos, convert, default) in enumerate(self.plan):
            try:
                values = convert(columns[pos]) if pos is not None else [default] * n
            except NeedsRowPath:
                raise NeedsRowPath(i) from None
            if values is None:  # checked, not typed: no rule reads it
                checked.add(i)
                values = unread
            typed.append(values)
        for i in self.required:
            if i in checked:
                continue
            # by identity: `None in column` would ask each Decimal to compare itself with None (slow)
            if any(map(is_, typed[i], repeat(None))):
                raise NeedsRowPath(i)
        typed.append([self.extra(r) for r in rows] if self.extra is not None else [None] * n)
        return TypedRows(typed)


class TypedRows(list):
    """Typed rows that also keep the columns they were zipped from: a batch reads its fields from those
    instead of taking each column out of the rows again."""

    def __init__(self, columns: list[Sequence[Any]]) -> None:
        super().__init__(zip(*columns))
        self.columns = columns


def column_of(rows: Sequence[Sequence[Any]], pos: int) -> list[Any]:
    """Field `pos` of every row: the column the rows were typed from when they carry it (TypedRows), else
    taken out of the rows. The one place that knows typed rows keep their columns."""
    columns: list[list[Any]] | None = getattr(rows, "columns", None)
    return columns[pos] if columns is not None else list(map(itemgetter(pos), rows))
