"""Turn raw cells into typed canonical rows, or say which cell is wrong and why: shared by every reader
(files, profiles, rule examples, product definitions)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Any

from ..errors import DataError
from ..model import InputStats, RejectedRow
from .dictionary import DatasetSpec
from .jsonstream import JsonProblem, RepeatedKeys
from .values import BadValue, converter_for, text_converter_for

Row = tuple[Any, ...]
BATCH = 2048  # rows handed on together


class RowProblem(Exception):
    """Why one row cannot be typed: the column, the cell as read and the reason (for the rejected-rows list)."""

    def __init__(self, column: str | None, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value, self.reason = column, value, reason
        self.more: list[RowProblem] = []  # the row's other bad cells, when the reader was asked for all


def row_typer(spec: DatasetSpec, positions: Mapping[str, int | None], enforce_required: bool = True,
              text: bool = False, unavailable: frozenset[str] = frozenset(),
              extra: Callable[[list[Any]], dict[str, str] | None] | None = None, every_problem: bool = False
              ) -> Callable[[list[Any]], Row]:
    """Compile a function: raw cells (by position) → typed canonical row, raising RowProblem at the first bad
    cell (in the dictionary's field order), then at the first empty required field; with `every_problem`
    (profile check) the RowProblem carries the row's other bad cells too."""
    names = [f.name for f in spec.fields]
    convs = [(text_converter_for(f) if text and positions.get(f.name) is not None else converter_for(f))
             for f in spec.fields]
    # an absent column reads the extra None cell appended to every row (position -1)
    plan: list[tuple[str, Callable[[Any], Any], int]] = [
        (n, conv, -1 if positions.get(n) is None else int(positions[n] or 0)) for n, conv in zip(names, convs)]
    required = [i for i, f in enumerate(spec.fields) if f.required and enforce_required and f.name not in unavailable]

    def type_row(cells: list[Any]) -> Row:
        cells.append(None)
        out = []
        for name, conv, pos in plan:
            try:
                out.append(conv(cells[pos]))
            except BadValue as exc:
                if every_problem:
                    raise every_bad_cell(cells) from None
                raise RowProblem(name, cells[pos], str(exc)) from None
        for i in required:
            if out[i] is None:
                raise RowProblem(names[i], cells[plan[i][2]], "required value is empty")
        # the last element holds the file's other columns (for custom rules: {field: extra.NAME}), or None
        out.append(extra(cells) if extra is not None else None)
        return tuple(out)

    def every_bad_cell(cells: list[Any]) -> RowProblem:
        found = []
        for name, conv, pos in plan:
            try:
                conv(cells[pos])
            except BadValue as exc:
                found.append(RowProblem(name, cells[pos], str(exc)))
        found[0].more = found[1:]
        return found[0]
    return type_row


def extra_columns(header: list[Any], spec: DatasetSpec) -> Callable[[list[Any]], dict[str, str] | None] | None:
    """Keep the columns the dictionary does not know, as text by header name, so custom rules can read them."""
    known = set(spec.by_name)
    extras = [(str(h).strip(), i) for i, h in enumerate(header)
              if h is not None and str(h).strip() and str(h).strip().lower() not in known]
    if not extras:
        return None

    def pick(cells: list[Any]) -> dict[str, str] | None:
        out = {name: str(cells[i]).strip() for name, i in extras if i < len(cells) and cells[i] not in (None, "")}
        return out or None
    return pick


def in_batches(rows: Iterator[tuple[int, Row]], path_of: Callable[[], str], size: int = BATCH
               ) -> Iterator[tuple[str, list[int], list[Row]]]:
    """Group (row number, row) pairs into batches of at most `size`; a batch never spans two files."""
    rownos: list[int] = []
    batch: list[Row] = []
    path = ""
    for rowno, row in rows:
        current = path_of()
        if batch and (current != path or len(batch) == size):
            yield path, rownos, batch
            rownos, batch = [], []
        path = current
        rownos.append(rowno)
        batch.append(row)
    if batch:
        yield path, rownos, batch


def record_fields(obj: Any, names: AbstractSet[str]) -> dict[str, Any] | RowProblem:
    """A JSON record's values by key, stripped and lower-cased as header names are; or why the record cannot be
    a row: not an object, or one of the `names` read (fields or mapped columns) given twice, exactly or in
    another case or spacing. A repeated key that names nothing read does not matter."""
    if type(obj) is dict and obj.keys() <= names:
        return obj  # the usual record: every key is one of the names as it stands, so it is its own answer
    if isinstance(obj, RowProblem):
        return obj
    if isinstance(obj, JsonProblem):
        return RowProblem(None, obj.start, obj.reason)
    if not isinstance(obj, dict):
        return RowProblem(None, None, f"not a JSON object ({type(obj).__name__})")
    for key in obj.repeated if isinstance(obj, RepeatedKeys) else ():
        name = str(key).strip().lower()
        if name in names:
            return RowProblem(name, None, f"key {key!r} appears twice in the record")
    fields = {str(k).strip().lower(): v for k, v in obj.items()}
    if len(fields) != len(obj):
        spellings: dict[str, list[str]] = {}
        for k in obj:
            spellings.setdefault(str(k).strip().lower(), []).append(repr(str(k)))
        for name, keys in spellings.items():
            if len(keys) > 1 and name in names:
                return RowProblem(name, None, f"keys {' and '.join(keys)} name the same field")
    return fields


def line_problem(start: str, reason: str) -> RowProblem:
    """A JSON Lines line that is no record: the problem names the start of the line, not a column."""
    return RowProblem(None, start, reason)


def shown_value(value: Any) -> str | None:
    """A rejected cell as text for the report, cut to a readable length."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def typed_records(spec: DatasetSpec, records: list[dict[str, Any]], display: str,
                  rejected: list[RejectedRow]) -> tuple[list[tuple[int, Row]], InputStats]:
    """Type in-memory records (rule examples, product files) through the same converters as files."""
    names = [f.name for f in spec.fields]
    typer = row_typer(spec, {n: i for i, n in enumerate(names)}, enforce_required=False,
                      extra=lambda cells: cells[len(names)])
    stats = InputStats(dataset=spec.name, path=display, format="inline")
    # a field no record names is an absent column; with no records at all nothing can be said to be absent
    stats.absent = {n for n in names if not any(n in rec for rec in records)} if records else set()
    rows: list[tuple[int, Row]] = []
    for i, rec in enumerate(records, 1):
        stats.rows_read += 1
        try:
            others = {k: extra_text(v) for k, v in rec.items() if k not in spec.by_name and v not in (None, "")}
            rows.append((i, typer([_example_value(rec.get(n)) for n in names] + [others or None])))
        except RowProblem as exc:
            stats.rows_rejected += 1
            rejected.append(RejectedRow(spec.name, display, i, exc.column, shown_value(exc.value), exc.reason))
    return rows, stats


def extra_text(v: Any) -> str:
    """An extra column's value as text (JSON numbers keep their digits)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v, default=str) if isinstance(v, (dict, list)) else str(v)


def _example_value(v: Any) -> Any:
    """A YAML float in a rule example is the decimal it reads as (0.1, not 0.1000000000000000055…)."""
    if isinstance(v, float):
        return Decimal(repr(v))
    return v


def header_positions(header: list[Any], spec: DatasetSpec, display: str, where: str = "header") -> dict[str, int]:
    """Canonical field → column index; a column named twice or a required one absent stops the run."""
    positions: dict[str, int] = {}
    for i, col in enumerate(header):
        name = str(col).strip().lower() if col is not None else ""
        if name in spec.by_name:
            if name in positions:
                raise DataError(f"column {name!r} appears twice in the {where}", display, 1, name)
            positions[name] = i
    missing = [f.name for f in spec.fields if f.required and f.name not in positions]
    if missing:
        raise DataError(f"missing required column(s) {', '.join(missing)} for dataset {spec.name!r} "
                        f"(found: {', '.join(str(h) for h in header) or 'no columns'})", display, 1, missing[0])
    return positions
