"""The keys a dataset has shown so far, to reject a row whose primary key repeats: 16 bytes per row.

A dict of Python ints costs about 100 bytes per row, which made the duplicate check the largest thing a big
export left in memory. Here recent keys sit in a small dict and older ones (keylevels.py) in sorted NumPy arrays of 64-bit
key hashes with where each was first seen, merged like a log-structured tree (levels of doubling size), so a
batch of new keys is checked with one `searchsorted` per level. The key's hash stands for the key: a false
duplicate needs a 64-bit collision (about 1 in 10^7 for ten million keys).

So that memory does not grow with the file, a level that reaches ON_DISK keys (512k) goes to a scratch file;
memory keeps its Bloom filter (2 to 4 bytes per key) and every BLOCK-th hash. A new key is looked up on disk
only when the filter cannot rule it out (about 1 key in 700, or a real duplicate): one 4 KB read.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .keylevels import KeyLevels

RECENT = 1 << 16      # keys kept in the dict before they move into the sorted levels


class SeenKeys:
    """Key hash → the mark (file and row) where it was first seen."""

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        self._older: KeyLevels | None = None  # made when the recent dict first fills

    def __len__(self) -> int:
        return len(self._recent) + (len(self._older) if self._older is not None else 0)

    def add_new(self, hashes: Sequence[int], marks: Sequence[int]) -> bool:
        """Record distinct hashes if none was seen before; False (and nothing recorded) otherwise."""
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
        recent = np.fromiter(self._recent.keys(), np.int64, len(self._recent))
        return recent if self._older is None else np.concatenate([self._older.hashes(), recent])

    def _settle(self) -> None:
        """Move the recent keys into the sorted levels (the dict is let go before the levels merge)."""
        # imported here: NumPy (about 70 ms to import) is needed only once a file has RECENT keys, so the
        # commands that read no large file (explain, rules, a small audit) start without it
        import numpy as np

        from .keylevels import KeyLevels
        n = len(self._recent)
        hashes = np.fromiter(self._recent.keys(), np.int64, n)
        marks = np.fromiter(self._recent.values(), np.int64, n)
        self._recent = {}
        if self._older is None:
            self._older = KeyLevels()
        self._older.add(hashes, marks)
