"""The keys a dataset has shown so far, to reject a row whose primary key repeats: 16 bytes per row.

A dict of Python ints costs about 100 bytes per row, which made the duplicate check the largest thing a big
export left in memory. Here recent keys sit in a small dict and older ones (keylevels.py) in sorted NumPy arrays
of 64-bit key hashes with where each was first seen, merged like a log-structured tree (levels of doubling
size), so a batch of new keys is checked with one `searchsorted` per level. The key's hash stands for the key: a
false duplicate needs a 64-bit collision (about 1 in 10^7 for ten million keys).

So that memory does not grow with the file, a level that reaches ON_DISK keys (512k) goes to a scratch file;
memory keeps its Bloom filter (2 to 4 bytes per key) and every BLOCK-th hash. A new key is looked up on disk
only when the filter cannot rule it out (about 1 key in 700, or a real duplicate): one 4 KB read.

An export sorted by its key needs none of those lookups while its keys keep rising: such a run is recorded
as it comes (add_rising), and joins the dict and the levels when the first key that does not rise ends it.
It is kept in stdlib arrays (8 bytes a value), so a sorted export of fewer than RUN_IN_MEMORY keys never
imports NumPy (about 15 MB of the process's memory).
"""
from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import islice
from operator import lt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from .keylevels import KeyLevels

RECENT = 1 << 16      # keys kept in the dict before they move into the sorted levels
RUN_IN_MEMORY = 1 << 19  # keys of a rising run held as arrays (16 bytes each) before they become a level
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

    def __len__(self) -> int:
        return len(self._recent) + (len(self._older) if self._older is not None else 0) + len(self._risen[0])

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
            self._risen_into_levels()
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

    def _risen_into_levels(self) -> None:
        """The run recorded so far becomes a level (a level's worth goes to disk)."""
        import numpy as np
        chunks = [(np.frombuffer(self._risen[0], np.int64), np.frombuffer(self._risen[1], np.int64))]
        self._risen = (array("q"), array("q"))  # the chunks alone hold the run now: add() lets it go when sorted
        self._levels().add(chunks)

    def _end_rising(self) -> None:
        """The run is over: what it recorded joins the recent keys (a short run) or the levels, where lookups
        find it."""
        self._top = _ENDED
        if len(self._risen[0]) >= RECENT:
            self._risen_into_levels()
        else:
            hashes, marks = self._risen
            self._risen = (array("q"), array("q"))
            self._recent.update(zip(hashes, marks))
        if len(self._recent) >= RECENT:
            self._settle()

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
