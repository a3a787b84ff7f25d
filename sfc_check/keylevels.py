"""The older keys of SeenKeys: sorted NumPy arrays of 64-bit key hashes with where each was first seen, merged
like a log-structured tree (levels of doubling size); a level of ON_DISK keys or more goes to a scratch file
behind a Bloom filter (see seenkeys for the whole design)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .scratch import append, read_at, scratch_file

ON_DISK = 1 << 18     # a level this large goes to disk: what stays in memory is at most ~4 MB of levels
# (and sorting one costs a few times that: 1 << 19 peaked 10 MB higher on shuffled 1M and 5M trades)


class KeyLevels:
    """Sorted levels of (hash, mark), in memory and on disk."""

    def __init__(self) -> None:
        self._levels: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, their marks), largest first
        self._directories: list[tuple[np.ndarray, int]] = []    # per level: bucket starts, search steps
        self._on_disk: list[DiskLevel] = []

    def __len__(self) -> int:
        return sum(len(h) for h, _ in self._levels) + sum(len(d) for d in self._on_disk)

    def any_in(self, hashes: Sequence[int]) -> bool:
        """Whether any of the hashes is here."""
        wanted = np.fromiter(hashes, np.int64, len(hashes))
        bucket = (wanted >> _SHIFT) + _HALF
        for (level, _), (starts, steps) in zip(self._levels, self._directories):
            if _any_in(level, starts, steps, wanted, bucket):
                return True
        return any(d.any_in(wanted) for d in self._on_disk)

    def mark_of(self, h: int) -> int | None:
        """Where `h` was first seen, or None when it is not here."""
        for level, marks in self._levels:
            i = int(np.searchsorted(level, h))
            if i < len(level) and level[i] == h:
                return int(marks[i])
        for d in self._on_disk:
            found = d.mark_of(h)
            if found is not None:
                return found
        return None

    def hashes(self) -> np.ndarray:
        return np.concatenate([d.hashes() for d in self._on_disk] + [h for h, _ in self._levels]
                              or [np.empty(0, np.int64)])

    def add(self, chunks: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Add chunks of (hashes, marks) as one sorted level; merge levels while the newer is as large as the
        older. The list is emptied once joined, so the caller's chunks are let go before the sort and merges."""
        if len(chunks) == 1:  # taken as it is: a copy would be one more level's worth of memory at the peak
            hashes, marks = chunks[0]
        else:
            hashes = np.concatenate([h for h, _ in chunks])
            marks = np.concatenate([m for _, m in chunks])
        chunks.clear()
        order = np.argsort(hashes)
        hashes = hashes[order]  # each unsorted array is let go as soon as its sorted copy exists
        marks = marks[order]
        del order
        level = (hashes, marks)
        del hashes, marks
        while self._levels and len(self._levels[-1][0]) <= len(level[0]):
            self._directories.pop()
            level = _merge(self._levels.pop(), level)
        if len(level[0]) >= ON_DISK:
            self._on_disk.append(DiskLevel(*level))
        else:
            self._levels.append(level)
            self._directories.append(_directory(level[0]))


BLOCK = 512          # hashes per disk read (4 KB)
_SLICE = 1 << 16     # keys whose Bloom bits are set at a time
_PROBES = 5          # Bloom filter bits looked up per key; with 16-32 bits per key, a false "maybe" is rare


class DiskLevel:
    """A sorted level kept in a scratch file (its hashes, then their marks, as int64) behind a Bloom filter."""

    def __init__(self, hashes: np.ndarray, marks: np.ndarray) -> None:
        self._n = len(hashes)
        self._file = scratch_file("duplicate keys")
        append(self._file, hashes.data, "duplicate keys")  # the array's own buffer: no copy as bytes
        append(self._file, marks.data, "duplicate keys")
        self._fences = hashes[::BLOCK].copy()  # the first hash of each block
        bits = 1 << max(16, (self._n * 16 - 1).bit_length())  # a power of two, 16 to 32 bits per key
        self._mask = np.uint64(bits - 1)
        self._bloom = np.zeros(bits // 8, np.uint8)
        for start in range(0, self._n, _SLICE):  # a slice at a time: all keys' bit positions at once cost 40 B/key
            for pos in _positions(hashes[start:start + _SLICE], self._mask):
                bit = np.left_shift(1, pos & np.uint64(7)).astype(np.uint8)
                np.bitwise_or.at(self._bloom, pos >> np.uint64(3), bit)

    def __len__(self) -> int:
        return self._n

    def _maybe(self, wanted: np.ndarray) -> np.ndarray:
        """False where the key is certainly not here."""
        keep = np.ones(len(wanted), bool)
        for pos in _positions(wanted, self._mask):
            keep &= (self._bloom[pos >> np.uint64(3)] >> (pos & np.uint64(7)).astype(np.uint8)) & 1 == 1
        return keep

    def _block(self, h: int) -> tuple[int, np.ndarray]:
        block = max(int(np.searchsorted(self._fences, h, side="right")) - 1, 0)
        start = block * BLOCK
        count = min(BLOCK, self._n - start)
        return start, np.frombuffer(read_at(self._file, start * 8, count * 8), np.int64)

    def any_in(self, wanted: np.ndarray) -> bool:
        for h in wanted[self._maybe(wanted)].tolist():
            start, block = self._block(h)
            i = int(np.searchsorted(block, h))
            if i < len(block) and block[i] == h:
                return True
        return False

    def mark_of(self, h: int) -> int | None:
        if not self._maybe(np.array([h], np.int64))[0]:
            return None
        start, block = self._block(h)
        i = int(np.searchsorted(block, h))
        if i == len(block) or block[i] != h:
            return None
        return int(np.frombuffer(read_at(self._file, (self._n + start + i) * 8, 8), np.int64)[0])

    def hashes(self) -> np.ndarray:
        return np.frombuffer(read_at(self._file, 0, self._n * 8), np.int64)


def _positions(hashes: np.ndarray, mask: np.uint64) -> list[np.ndarray]:
    """The Bloom filter bits of each hash: double hashing over its two 32-bit halves (hashes are uniform)."""
    h = hashes.view(np.uint64)
    low, high = h & np.uint64(0xFFFFFFFF), (h >> np.uint64(32)) | np.uint64(1)
    return [(low + np.uint64(i) * high) & mask for i in range(_PROBES)]


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
