"""What a compiled rule expression is (a closure over the row context, with its type and column form) and the
scope of names it may read: the record's fields, looked-up fields, lets, aggregates and parameters."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

from .batch import BatchFn, constant_column, field_column
from .errors import did_you_mean

Fn = Callable[[list[Any]], Any]


class CompileError(Exception):
    """A rule that cannot be compiled; `where` is the path inside the rule document."""

    def __init__(self, message: str, where: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.where = where


@dataclass(frozen=True)
class Typed:
    """A compiled expression with what is known of its type (drives date and enum coercions)."""

    fn: Fn
    type: str = "any"              # string, decimal, integer, bool, date, datetime, enum, list, any
    enum_values: tuple[str, ...] = ()
    case: str | None = None
    constant: bool = False
    ref: tuple[int, int] | None = None   # (slot, position) when the value is a plain field read
    batch: BatchFn | None = None         # the column-at-a-time form (batch.py), when it has one

    @property
    def own_field(self) -> int | None:
        """The position, when the value is a plain read of the record's own field (closures may then index the
        row directly; a looked-up record's fields sit where their table put them: TableRef.narrow)."""
        return self.ref[1] if self.ref is not None and self.ref[0] == 0 else None

    def column(self) -> BatchFn | None:
        """The batch form: explicit, a field's column, or a constant repeated."""
        if self.batch is not None:
            return self.batch
        if self.ref is not None:
            return field_column(*self.ref)
        if self.constant:
            return constant_column(self.fn([]))
        return None


@dataclass
class Name:
    """A name a rule may read: a field of the record, of a looked-up record, a let value or an aggregate."""

    typed: Typed
    dataset: str | None = None   # the canonical dataset the field belongs to (for "unavailable" fields)
    field: str | None = None
    kept: set[int] | None = None  # a lookup table's kept positions: reading this field keeps it in the table

    def read(self) -> Typed:
        """The value, noting that a rule reads it (a lookup table keeps only the fields rules read)."""
        if self.kept is not None and self.typed.ref is not None:
            self.kept.add(self.typed.ref[1])
        return self.typed


@dataclass
class Scope:
    """Names visible to expressions, plus the parameters; records which names a rule reads (its evidence)."""

    names: dict[str, Name]
    params: dict[str, Any]
    param_types: dict[str, str]
    as_of: date
    tz: tzinfo
    used: list[str] = field(default_factory=list)
    used_params: list[str] = field(default_factory=list)
    reads: set[tuple[str, str]] = field(default_factory=set)
    shown: set[tuple[str, str]] = field(default_factory=set)  # fields only a message shows
    memo: Callable[[Any, Fn], Fn] | None = None  # shares a per-row value across rules of one pass
    extra_index: int | None = None  # where the record keeps columns the dictionary does not know

    def name(self, name: str, where: tuple[Any, ...]) -> Typed:
        found = self.names.get(name)
        if found is None and name.startswith("extra.") and self.extra_index is not None and len(name) > 6:
            found = self.names[name] = Name(_extra_column(self.extra_index, name[6:]))
        if found is None:
            raise CompileError(f"unknown field {name!r}{did_you_mean(name, self.names)}", where)
        if name not in self.used:
            self.used.append(name)
        if found.dataset and found.field:
            self.reads.add((found.dataset, found.field))
        return found.read()

    def param(self, name: str, where: tuple[Any, ...]) -> Typed:
        if name not in self.params:
            raise CompileError(f"parameter {name!r} is used but not declared under parameters"
                               f"{did_you_mean(name, self.params)}", where)
        if name not in self.used_params:
            self.used_params.append(name)
        value = self.params[name]
        kind = self.param_types.get(name, "any")
        return Typed(constant(value), kind, constant=True)


def constant(value: Any) -> Fn:
    """A value that is the same for every row (a literal, a parameter)."""
    return lambda ctx: value


def record_field(index: int) -> Fn:
    """Field `index` of the record being judged (slot 0 of the row context)."""
    return lambda ctx: ctx[0][index]


def looked_up_field(slot: int, index: int, position: list[int]) -> Fn:
    """Field `index` of the record a lookup found (None when it found nothing), at its place in the table's
    kept record (`position`, TableRef.narrow)."""
    return lambda ctx: r[position[index]] if (r := ctx[slot]) is not None else None


def _extra_column(index: int, column: str) -> Typed:
    """`{field: extra.COLUMN}`: a column of the export that the dictionary does not define, read as text."""
    def get(ctx: list[Any]) -> Any:
        extras = ctx[0][index]
        return extras.get(column) if extras else None

    def get_column(b: Any) -> list[Any]:
        return [e.get(column) if e else None for e in b.column(0, index)]
    return Typed(get, "string", batch=get_column)


