"""A rule ready to run: the typed, immutable plan every backend executes (no YAML past this point)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .expr import Cond, Ref, Value


@dataclass(frozen=True)
class Lookup:
    """A unique-key match in another dataset: `on` pairs (this dataset's field, that dataset's key field)."""

    alias: str
    dataset: str
    on: tuple[tuple[str, str], ...]
    missing: str                      # violation | skip | null
    missing_message: Message | None = None


@dataclass(frozen=True)
class Aggregate:
    """sum / count / min / max of a value over a group's rows (those meeting `where`)."""

    name: str
    kind: str
    value: Value | None
    where: Cond | None
    type: str


@dataclass(frozen=True)
class Related:
    """Per-key aggregates of another dataset: `on` pairs (its field, the group's by-field), in by order."""

    alias: str
    dataset: str
    on: tuple[tuple[str, str], ...]
    where: Cond | None
    aggregates: tuple[Aggregate, ...]


@dataclass(frozen=True)
class KeySource:
    """More groups: the keys of another dataset's rows meeting `where` (`on`: its field, the by-field)."""

    dataset: str
    on: tuple[tuple[str, str], ...]
    where: Cond | None


@dataclass(frozen=True)
class Group:
    by: tuple[str, ...]
    where: Cond | None
    aggregates: tuple[Aggregate, ...]
    related: tuple[Related, ...] = ()
    also: tuple[KeySource, ...] = ()


@dataclass(frozen=True)
class Message:
    """A message template: literal text and the names it shows, alternating (parameters already worded)."""

    texts: tuple[str, ...]            # one more than `names`
    names: tuple[Ref, ...]


@dataclass(frozen=True)
class RulePlan:
    """One rule for one run (parameters fixed by the as-of date and the policy)."""

    rule_id: str
    dataset: str
    kind: str                                  # record | group
    condition: Cond
    message: Message
    key_fields: tuple[str, ...]
    evidence: tuple[Ref, ...]
    lets: tuple[tuple[str, Value], ...] = ()
    applies: Cond | None = None
    lookups: tuple[Lookup, ...] = ()
    group: Group | None = None
    parameters: dict[str, Any] = field(default_factory=dict, compare=False)
    reads: frozenset[tuple[str, str]] = frozenset()  # (dataset, field) the verdict depends on

    def datasets(self) -> list[str]:
        """Every dataset the rule reads, its own first."""
        from .expr import Exists, RelatedAggregate  # (a local walk: plans are small)
        out = [self.dataset, *(lk.dataset for lk in self.lookups)]
        if self.group is not None:
            out += [r.dataset for r in self.group.related] + [k.dataset for k in self.group.also]
        stack: list[Any] = [self.condition, self.applies, *(v for _, v in self.lets)]
        while stack:
            node = stack.pop()
            if isinstance(node, (Exists, RelatedAggregate)):
                out.append(node.dataset)
            if isinstance(node, tuple):
                stack.extend(node)
            elif hasattr(node, "__dataclass_fields__"):
                stack.extend(getattr(node, f) for f in node.__dataclass_fields__)
        return list(dict.fromkeys(out))
