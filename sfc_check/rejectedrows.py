"""Rejected rows as the report lists them (by dataset, then row), on disk once there are many: a corrupt
export can reject every one of millions of rows, and each must still be reported with its reason."""
from __future__ import annotations

from typing import IO, Any, Protocol

from .model import RejectedRow
from .sortedruns import SortedRuns


class RejectedSink(Protocol):
    """Where readers put the rows they cannot type: a list, or the audit's store."""

    def append(self, row: RejectedRow, /) -> None: ...

    def __len__(self) -> int: ...


def report_order(r: RejectedRow) -> tuple[str, int]:
    return (r.dataset, r.row)


def _packed(r: RejectedRow) -> list[Any]:
    return [r.dataset, r.path, r.row, r.column, r.value, r.reason]


def _unpacked(f: list[Any]) -> RejectedRow:
    return RejectedRow(*f)


def rejected_store(file: IO[bytes] | None = None) -> SortedRuns[RejectedRow]:
    """Rejected rows read back in report order (ties in the order they were rejected)."""
    return SortedRuns(report_order, _packed, _unpacked, "rejected rows", file)
