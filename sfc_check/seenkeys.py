"""The keys a dataset has shown so far, to reject a row whose primary key repeats: 16 bytes per row.

A dict of Python ints costs about 100 bytes per row, which made the duplicate check the largest thing a big
export left in memory. Here recent keys sit in a small dict and older ones (keylevels.py) in sorted NumPy arrays
of 64-bit key hashes with where each was first seen, merged like a log-structured tree (levels of doubling
size), so a batch of new keys is checked with one `searchsorted` per level. The key's hash stands for the key: a
false duplicate needs a 64-bit collision (about 1 in 10^7 for ten million keys).

So that memory does not grow with the file, a level that reaches ON_DISK keys (256k) goes to a scratch file;
memory keeps its Bloom filter (2 to 4 bytes per key) and every BLOCK-th hash. A new key is looked up on disk
only when the filter cannot rule it out (about 1 key in 700, or a real duplicate): one 4 KB read.

An export sorted by its key needs none of those lookups while its keys keep rising: such a run is recorded
as it comes (add_rising), and joins the dict and the levels when the first key that does not rise ends it.
Until then it is only written down: RUN_IN_MEMORY keys at a time in stdlib arrays, the rest appended to a
scratch file as they come, unsorted. A sorted export thus keeps about 1 MB for its keys however long it is,
and never imports NumPy (about 15 MB) or sorts and filters levels that no lookup will read; a run that
ends is read back into levels then.
"""
from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import islice
from operator import lt
from typing import IO, TYPE_CHECKING, Any

from .scratch import append, read_at, scratch_file

if TYPE_CHECKING:
    import numpy as np

    from .keylevels import KeyLevels

RECENT = 1 << 16         # keys kept in the dict before they move into the sorted levels
RUN_IN_MEMORY = 1 << 16  # keys of a rising run held in arrays (16 bytes each) before they go to the run's file
_NOTHING, _ENDED = object(), object()  # no key yet; keys stopped rising


class SeenKeys:
    """Key hash → the mark (file and row) where it was first seen."""

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        self._older: KeyLevels | None = None  # made when the recent dict first fills
        # While every key is greater than the one before (an export sorted by its key), none can repeat: such
        # batches are recorded (hashes and marks, for the keys that come after the run) without a lookup.
        self._top: Any = _NOTHING                            # the greatest key so far, or _ENDED
        self._risen: tuple[array[int], array[int]] = (array("q"), array("q"))  # the run's hashes and marks
        self._run_file: IO[bytes] | None = None       # the run's older keys: hashes then marks, per chunk
        self._run_chunks: list[tuple[int, int]] = []  # (offset, keys) of each chunk in the file

    def __len__(self) -> int:
        return (len(self._recent) + (len(self._older) if self._older is not None else 0) + len(self._risen[0])
                + sum(n for _, n in self._run_chunks))

    def add_rising(self, keys: Sequence[Any], marks: Sequence[int]) -> bool:
        """Record a batch of keys that carries on a run of strictly rising keys; False (nothing recorded, and
        the run is over for good) when it does not. Such keys cannot have been seen before."""
        top = self._top
        if top is _ENDED:
            return False
        if not keys:
            return True
        try:
            rising = (top is _NOTHING or top < keys[0]) and all(map(lt, keys, islice(keys, 1, None)))
        except TypeError:  # keys that do not compare: not a run
            rising = False
        if not rising:
            self._end_rising()
            return False
        self._top = keys[-1]
        hashes, kept_marks = self._risen
        hashes.extend(map(hash, keys))
        kept_marks.extend(marks)
        if len(hashes) >= RUN_IN_MEMORY:
            self._write_run()
        return True

    def add_new(self, hashes: Sequence[int], marks: Sequence[int]) -> bool:
        """Record distinct hashes if none was seen before; False (and nothing recorded) otherwise."""
        if self._top is not _ENDED:
            self._end_rising()
        if not self._recent.keys().isdisjoint(hashes):
            return False
        if self._older is not None and self._older.any_in(hashes):
            return False
        self._recent.update(zip(hashes, marks))
        if len(self._recent) >= RECENT:
            self._settle()
        return True

    def first_seen(self, h: int, mark: int) -> int:
        """The mark where `h` was first seen; records `mark` (and returns it) when `h` is new."""
        if self._top is not _ENDED:
            self._end_rising()
        found = self._recent.get(h)
        if found is None and self._older is not None:
            found = self._older.mark_of(h)
        if found is not None:
            return found
        self._recent[h] = mark
        if len(self._recent) >= RECENT:
            self._settle()
        return mark

    def hashes(self) -> np.ndarray:
        """Every hash recorded, in no particular order (to compare two parts of one file)."""
        import numpy as np
        self._end_rising()
        recent = np.fromiter(self._recent.keys(), np.int64, len(self._recent))
        return recent if self._older is None else np.concatenate([self._older.hashes(), recent])

    def _write_run(self) -> None:
        """Append the run's keys held in memory to the run's file, as they are."""
        hashes, marks = self._risen
        if self._run_file is None:
            self._run_file = scratch_file("duplicate keys")
        offset = append(self._run_file, memoryview(hashes).cast("B"), "duplicate keys")
        append(self._run_file, memoryview(marks).cast("B"), "duplicate keys")
        self._run_chunks.append((offset, len(hashes)))
        self._risen = (array("q"), array("q"))

    def _end_rising(self) -> None:
        """The run is over: what it recorded joins the levels (its file, read back a level's worth at a time)
        and the recent keys (the fewer than RUN_IN_MEMORY still in arrays), where lookups find it."""
        self._top = _ENDED
        if self._run_file is not None:
            self._read_run_back()
        hashes, marks = self._risen
        self._risen = (array("q"), array("q"))
        self._recent.update(zip(hashes, marks))
        if len(self._recent) >= RECENT:
            self._settle()

    def _read_run_back(self) -> None:
        """The run's file as levels, a level's worth (ON_DISK keys) at a time so memory stays bounded; the
        file is closed (and gone: scratch files have no name) once read."""
        import numpy as np

        from .keylevels import ON_DISK
        file, self._run_file = self._run_file, None
        assert file is not None
        with file:
            level: list[tuple[np.ndarray, np.ndarray]] = []
            size = 0
            for offset, n in self._run_chunks:
                level.append((np.frombuffer(read_at(file, offset, n * 8), np.int64),
                              np.frombuffer(read_at(file, offset + n * 8, n * 8), np.int64)))
                size += n
                if size >= ON_DISK:
                    self._levels().add(level)  # (add empties the list)
                    size = 0
            if level:
                self._levels().add(level)
        self._run_chunks = []

    def _settle(self) -> None:
        """Move the recent keys into the sorted levels (the dict is let go before the levels merge)."""
        # imported here: NumPy (about 70 ms to import) is needed only once a file has many keys, so the
        # commands that read no large file (explain, rules, a small audit) start without it
        import numpy as np

        n = len(self._recent)
        chunks = [(np.fromiter(self._recent.keys(), np.int64, n), np.fromiter(self._recent.values(), np.int64, n))]
        self._recent = {}
        self._levels().add(chunks)

    def _levels(self) -> KeyLevels:
        if self._older is None:
            from .keylevels import KeyLevels
            self._older = KeyLevels()
        return self._older
