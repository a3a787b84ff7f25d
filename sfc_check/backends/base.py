"""What every backend is: typed tables in, each rule's verdicts out. The DuckDB backend loads and judges on
this machine; the Spark backend judges on a cluster the tables DuckDB typed."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..data.dictionary import DatasetSpec
from ..language.plan import RulePlan
from .sql import Shown


@dataclass(frozen=True)
class Settings:
    """How DuckDB may use the machine: threads (None: all cores), a memory cap, where it spills."""

    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: str | None = None


@dataclass(frozen=True)
class SparkSettings:
    """Where Spark runs: a master URL (local[*], spark://…, yarn) or a Spark Connect server, and the staging
    folder both this machine and the cluster read (a temporary folder by default: right for local[*])."""

    master: str = "local[*]"
    remote: str | None = None
    staging: str | None = None


@dataclass
class Verdicts:
    """What one rule found: counts, and the failing records as raw rows (decoded by `decode_shown`)."""

    checked: int
    not_applicable: int
    failing: int
    rows: Iterator[tuple[Any, ...]]
    shown: list[Shown]


class Backend(Protocol):
    """Load each dataset once, then judge rules over the loaded tables."""

    def load_rows(self, spec: DatasetSpec, rows: Iterator[tuple[str, int, tuple[Any, ...]]]) -> int: ...

    def remove_duplicates(self, spec: DatasetSpec) -> list[tuple[Any, ...]]: ...

    def load_csv(self, spec: DatasetSpec, path: Path, stats: Any, rejected: Any) -> bool: ...

    def load_parquet(self, spec: DatasetSpec, path: Path | str, stats: Any, rejected: Any) -> None: ...

    def judge(self, plan: RulePlan, group_path: str | None) -> Verdicts: ...

    def close(self) -> None: ...
