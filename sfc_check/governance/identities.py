"""A baseline's violations joined with this run's in an embedded DuckDB database, not in Python's memory: a
nightly report can list millions of violations, and the join spills to disk past a fixed memory cap. Both
sides are identities (rule id and key values as text, the same on every engine), so the join does not depend
on which engine judged the rules."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

import duckdb

from ..errors import DataError
from ..sortedruns import SortedRuns

BATCH = 50_000        # identities sent to DuckDB per statement, at most
BATCH_TEXT = 8 << 20  # characters of previous entries sent per statement, at most (messages can be long)
_ENCODE = json.JSONEncoder().encode  # ASCII: a lone surrogate in a hand-edited report is escaped, not refused
MEMORY_CAP = "256MB"  # the join spills past this; identities are short texts


class IdentityJoin:
    """The previous report's entries (`add_previous`), then this run's identities in report order
    (`persisting`), then what the previous report listed and this run no longer finds (`resolved`)."""

    def __init__(self, threads: int | None = None) -> None:
        try:
            self._spill = tempfile.mkdtemp(prefix="sfc-check-baseline-")
        except OSError as exc:
            raise DataError(f"cannot make a folder for the baseline comparison ({exc.strerror or exc}): point "
                            "TMPDIR at a writable folder", tempfile.gettempdir()) from None
        weakref.finalize(self, shutil.rmtree, self._spill, True)  # removed even if the run stops early
        config: dict[str, Any] = {"memory_limit": MEMORY_CAP, "temp_directory": self._spill,
                                  "preserve_insertion_order": False,
                                  "autoinstall_known_extensions": False, "autoload_known_extensions": False}
        if threads:
            config["threads"] = threads
        # a database file, not an in-memory one: its tables leave memory for disk as the cap requires
        try:
            self._con = duckdb.connect(os.path.join(self._spill, "baseline.duckdb"), config=config)
        except duckdb.Error as exc:
            raise DataError(f"cannot start the baseline comparison's database: {_said(exc)}; point TMPDIR at a "
                            "folder with free space", self._spill) from None
        self._run("CREATE TABLE previous (seq BIGINT, identity VARCHAR, rule VARCHAR, entry VARCHAR)", self._spill)
        self._run("CREATE TABLE current (ordinal BIGINT, identity VARCHAR)", self._spill)
        self._seq = 0

    def close(self) -> None:
        self._con.close()
        shutil.rmtree(self._spill, ignore_errors=True)

    def add_previous(self, entries: Iterable[dict[str, Any]], display: str) -> None:
        """Entries as a baseline keeps them: rule_id, key (text or null values), message, severity."""
        batch: list[tuple[str, str, str]] = []
        size = 0
        for entry in entries:
            row = identity_text(entry["rule_id"], entry["key"]), _ENCODE(entry["rule_id"]), _ENCODE(entry)
            batch.append(row)
            size += len(row[0]) + len(row[2])
            if len(batch) >= BATCH or size >= BATCH_TEXT:
                self._insert_previous(batch, display)
                batch, size = [], 0
        self._insert_previous(batch, display)

    def __len__(self) -> int:
        """Distinct identities the previous report lists."""
        row = self._con.execute("SELECT count(DISTINCT identity) FROM previous").fetchone()
        return int(row[0]) if row else 0

    def persisting(self, identities: Iterable[str], count: int, display: str) -> bytearray:
        """A bit per identity of this run, in order: set when the previous report lists it."""
        batch: list[str] = []
        ordinal = 0
        for ident in identities:
            batch.append(ident)
            if len(batch) >= BATCH:
                self._insert_current(ordinal, batch, display)
                ordinal, batch = ordinal + len(batch), []
        self._insert_current(ordinal, batch, display)
        bits = bytearray((count + 7) // 8)
        found = self._run("SELECT ordinal FROM current SEMI JOIN previous USING (identity)", display)
        for (n,) in _fetched(found):
            bits[n >> 3] |= 1 << (n & 7)
        return bits

    def resolved(self, rules_that_ran: Iterable[str], display: str) -> SortedRuns[dict[str, Any]]:
        """Previous entries of rules that ran this time with no current violation of the same identity, sorted
        by rule id then key (kept on disk once many); of entries sharing an identity, the last listed."""
        ran = [_ENCODE(r) for r in sorted(set(rules_that_ran))]
        found = self._run(
            "SELECT arg_max(entry, seq) FROM previous ANTI JOIN current USING (identity) "
            "WHERE list_contains($1::VARCHAR[], rule) GROUP BY identity", display, [ran])
        resolved: SortedRuns[dict[str, Any]] = SortedRuns(_resolved_order, _ENCODE, json.loads,
                                                          "resolved violations")
        resolved.extend(json.loads(entry) for (entry,) in _fetched(found))
        return resolved

    def _insert_previous(self, rows: list[tuple[str, str, str]], display: str) -> None:
        if rows:
            self._run("INSERT INTO previous SELECT $1 + generate_subscripts($2::VARCHAR[], 1), "
                      "unnest($2::VARCHAR[]), unnest($3::VARCHAR[]), unnest($4::VARCHAR[])", display,
                      [self._seq, *map(list, zip(*rows))])
            self._seq += len(rows)

    def _insert_current(self, start: int, identities: list[str], display: str) -> None:
        if identities:
            self._run("INSERT INTO current SELECT $1 + generate_subscripts($2::VARCHAR[], 1) - 1, unnest($2)",
                      display, [start, identities])

    def _run(self, sql: str, display: str, parameters: list[Any] | None = None) -> Any:
        try:
            return self._con.execute(sql, parameters or [])
        except duckdb.Error as exc:  # out of disk space for the spill, say
            raise DataError(f"cannot compare with the baseline: {_said(exc)}; point TMPDIR at a folder "
                            "with free space", display) from None


def identity_text(rule_id: str, key: dict[str, Any]) -> str:
    """A violation's identity as one ASCII text: the rule id and its key values as text, sorted by field."""
    return _ENCODE([rule_id, sorted([k, str(v)] for k, v in key.items())])


def _resolved_order(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["rule_id"], json.dumps(entry["key"], sort_keys=True)


def _said(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _fetched(cursor: Any) -> Iterator[tuple[Any, ...]]:
    while rows := cursor.fetchmany(BATCH):
        yield from rows
