"""Items read back in a fixed order, kept in sorted runs on disk once there are many, so a run's memory does
not grow with them.

An export with a systemic breach gives hundreds of thousands of violations; a corrupt one, a rejected row per
line. Both are kept until the report is written. A store keeps up to SPILL_AT items in memory; past that it
sorts them and writes them, as JSON in small chunks, to a scratch file (see scratch.py). Reading merges the
runs back in order, one chunk per run in memory at a time; ties keep the order they were added, as one
stable sort of everything would.
"""
from __future__ import annotations

import gc
import heapq
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import IO, Any, Generic, TypeVar, overload

from .scratch import append, read_at, scratch_file

# Items kept in memory before a sorted run goes to disk, and items per chunk written: what each run holds in
# memory while the runs are merged. Both at 1/4 of 8192 and 128 (the merge still holds 1/64 of the items, 16k
# of 1M violations, ~12 MB): the 8192 violations held during the passes were 6 MB of the default benchmark's
# peak (108.7 -> 102.6 MB). 32k and 256 had held 20 MB, 20 MB more with 5M trades.
SPILL_AT = 1 << 11
CHUNK = 32

T = TypeVar("T")
Runs = list[list[tuple[int, int]]]  # sorted runs, each a list of (offset, length) of its JSON chunks


class ReadInOrder(Sequence[T]):
    """Positional reads by reading from the start: meant for the first few (the JSON writer's peek, a preview)."""

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            if (i.start or 0) < 0 or (i.stop is not None and i.stop < 0) or (i.step or 1) < 1:
                return list(self)[i]
            return list(islice(self, i.start, i.stop, i.step))
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("index out of range")
        return next(islice(self, i, None))


class SortedRuns(ReadInOrder[T], Generic[T]):
    """Items in `key` order (ties in the order they were added), wherever they are kept. `pack` turns an item
    into JSON-able values and `unpack` gives it back exactly. Appending after reading has started is allowed;
    the next read sees everything."""

    def __init__(self, key: Callable[[T], Any], pack: Callable[[T], Any], unpack: Callable[[Any], T],
                 purpose: str, file: IO[bytes] | None = None) -> None:
        self._key, self._pack, self._unpack, self._purpose = key, pack, unpack, purpose
        self._recent: list[T] = []
        self._sorted = True
        self._runs: list[tuple[IO[bytes], Runs]] = []  # per file: its runs (more than one file once adopted)
        self._file = file  # where this store writes its runs: made when first needed, unless given
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, item: T) -> None:
        self._recent.append(item)
        self._count += 1
        self._sorted = False
        if len(self._recent) >= SPILL_AT:
            with gc_paused():
                self._write_run()

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.append(item)

    def sort(self) -> None:
        """Kept for the list-like call sites: the store is always read in order."""
        self._sort_recent()

    @property
    def spilled(self) -> int:
        """How many sorted runs went to disk (for tests and the benchmark notes)."""
        return sum(len(runs) for _, runs in self._runs)

    def __iter__(self) -> Iterator[T]:
        self._sort_recent()
        if self._runs:
            parts = [self._read_run(file, run) for file, runs in self._runs for run in runs]
            return heapq.merge(*parts, list(self._recent), key=self._key)
        return iter(list(self._recent))

    def _sort_recent(self) -> None:
        if not self._sorted:
            self._recent.sort(key=self._key)
            self._sorted = True

    def _write_run(self) -> None:
        self._sort_recent()
        if self._file is None:
            self._file = scratch_file(self._purpose)
        chunks = []
        pack = self._pack
        for start in range(0, len(self._recent), CHUNK):
            data = json.dumps([pack(v) for v in self._recent[start:start + CHUNK]],
                              ensure_ascii=False).encode("utf-8")
            chunks.append((append(self._file, data, self._purpose), len(data)))
        if self._runs and self._runs[-1][0] is self._file:
            self._runs[-1][1].append(chunks)
        else:
            self._runs.append((self._file, [chunks]))
        self._recent = []

    def _read_run(self, file: IO[bytes], chunks: list[tuple[int, int]]) -> Iterator[T]:
        unpack = self._unpack
        for offset, length in chunks:
            with gc_paused():
                chunk = [unpack(fields) for fields in json.loads(read_at(file, offset, length))]
            yield from chunk


@contextmanager
def gc_paused() -> Iterator[None]:
    """Stored items hold no reference cycles; without the pause, each run of new objects that survive makes the
    cyclic collector rescan everything alive (json.loads of 90k violations: 0.9 s instead of 0.13 s)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
