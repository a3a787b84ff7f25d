"""The keys a dataset has shown so far, to reject a row whose primary key repeats: 16 bytes per row.

A dict of Python ints costs about 100 bytes per row, which made the duplicate check the largest thing a big
export left in memory. Here recent keys sit in a small dict and older ones in sorted NumPy arrays of 64-bit
key hashes with where each was first seen, merged like a log-structured tree (levels of doubling size), so a
batch of new keys is checked with one `searchsorted` per level. The key's hash stands for the key: a false
duplicate needs a 64-bit collision (about 1 in 10^7 for ten million keys).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RECENT = 1 << 16      # keys kept in the dict before they move into a sorted level
LARGEST = 1 << 21     # levels stop merging at this size: the largest merge (inputs and output alive at once)
                      # then costs at most about 64 MB, however long the file


class SeenKeys:
    """Key hash → the mark (file and row) where it was first seen."""

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        self._levels: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, their marks), largest first
        self._directories: list[tuple[np.ndarray, int]] = []    # per level: bucket starts, search steps

    def __len__(self) -> int:
        return len(self._recent) + sum(len(h) for h, _ in self._levels)

    def add_new(self, hashes: Sequence[int], marks: Sequence[int]) -> bool:
        """Record distinct hashes if none was seen before; False (and nothing recorded) otherwise."""
        if not self._recent.keys().isdisjoint(hashes):
            return False
        if self._levels:
            wanted = np.fromiter(hashes, np.int64, len(hashes))
            bucket = (wanted >> _SHIFT) + _HALF
            for (level, _), (starts, steps) in zip(self._levels, self._directories):
                if _any_in(level, starts, steps, wanted, bucket):
                    return False
        self._recent.update(zip(hashes, marks))
        if len(self._recent) >= RECENT:
            self._settle()
        return True

    def first_seen(self, h: int, mark: int) -> int:
        """The mark where `h` was first seen; records `mark` (and returns it) when `h` is new."""
        found = self._recent.get(h)
        if found is not None:
            return found
        for level, marks in self._levels:
            i = int(np.searchsorted(level, h))
            if i < len(level) and level[i] == h:
                return int(marks[i])
        self._recent[h] = mark
        if len(self._recent) >= RECENT:
            self._settle()
        return mark

    def hashes(self) -> np.ndarray:
        """Every hash recorded, in no particular order (to compare two parts of one file)."""
        recent = np.fromiter(self._recent.keys(), np.int64, len(self._recent))
        return np.concatenate([h for h, _ in self._levels] + [recent])

    def _settle(self) -> None:
        """Move the recent keys into a sorted level; merge levels while the newer is as large as the older."""
        n = len(self._recent)
        hashes = np.fromiter(self._recent.keys(), np.int64, n)
        marks = np.fromiter(self._recent.values(), np.int64, n)
        self._recent = {}
        order = np.argsort(hashes)
        level = (hashes[order], marks[order])
        del hashes, marks, order
        while (self._levels and len(self._levels[-1][0]) <= len(level[0])
               and len(self._levels[-1][0]) + len(level[0]) <= LARGEST):
            self._directories.pop()
            level = _merge(self._levels.pop(), level)
        self._levels.append(level)
        self._directories.append(_directory(level[0]))


# A level is searched through a directory of 2^16 buckets by the hash's top bits (hashes are uniform, so a
# bucket holds a few dozen entries), then by a few vectorised bisection steps inside the bucket: the plain
# searchsorted over millions of entries spent most of its time in cache misses.
_BITS = 16
_SHIFT = 64 - _BITS
_HALF = 1 << (_BITS - 1)
_BOUNDS = (np.arange(1 << _BITS, dtype=np.int64) - _HALF) << _SHIFT


def _directory(hashes: np.ndarray) -> tuple[np.ndarray, int]:
    starts = np.append(np.searchsorted(hashes, _BOUNDS), len(hashes))
    widest = int(np.diff(starts).max()) if len(hashes) else 0
    return starts, widest.bit_length()


def _any_in(level: np.ndarray, starts: np.ndarray, steps: int, wanted: np.ndarray, bucket: np.ndarray) -> bool:
    """Whether any of `wanted` is in the sorted `level` (bisection within each needle's bucket)."""
    lo, hi = starts[bucket], starts[bucket + 1]
    last = len(level) - 1
    for _ in range(steps):
        mid = (lo + hi) >> 1
        below = (level[np.minimum(mid, last)] < wanted) & (lo < hi)
        lo = np.where(below, mid + 1, lo)
        hi = np.where(below | (lo >= hi), hi, mid)
    return bool((level[np.minimum(lo, last)] == wanted).any())


def _merge(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted levels as one, placing b's entries by binary search (no argsort of the whole): the peak is
    the two inputs and the output, which matters for the largest merge of a run."""
    (ah, am), (bh, bm) = a, b
    n = len(ah) + len(bh)
    at = np.searchsorted(ah, bh)
    at += np.arange(len(bh))
    hashes, marks = np.empty(n, np.int64), np.empty(n, np.int64)
    others = np.ones(n, bool)
    others[at] = False
    hashes[at], marks[at] = bh, bm
    hashes[others], marks[others] = ah, am
    return hashes, marks
