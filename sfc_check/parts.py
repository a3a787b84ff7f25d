"""Judge one large CSV in parts, each in a forked worker process, and add the results up.

Only a file whose rules keep nothing from its rows but violations and counts can be judged this way (see
passplan.PassPlan.separable), and only where the file can be cut at line ends safely (RowReader.byte_ranges).
Workers inherit the compiled rules and lookup tables by fork; each reads its byte range after the header and
writes its violations, rejected rows and key hashes to a scratch file the parent made for it, returning only
counts and where things are in the file; the parent takes the sorted runs over as they are. Anything
unexpected returns None, and the caller reads the file in one pass, so results never depend on the number of
workers.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from .errors import DataError
from .rejectedrows import rejected_store
from .scratch import append, read_at, scratch_file
from .sortedruns import SortedRuns
from .textfiles import file_sha256
from .violationstore import Sink, ViolationStore

if TYPE_CHECKING:
    from .passplan import PassPlan

SPLIT_MIN_BYTES = 32 << 20  # smaller files are not worth a worker's start-up and the copy of its results


def file_size(source: Any) -> int:
    try:
        return os.path.getsize(source.source.path)
    except (AttributeError, OSError):
        return 0


_PART_JOB: tuple[Any, ...] | None = None  # what forked workers inherit: the pass plan, the reader, the parts, files
KEYS_AT_ONCE = 1 << 18  # key hashes compared at a time when looking for a key in two parts (2 MB)


def _judge_part(index: int) -> dict[str, Any]:
    """In a forked worker: judge one part of the file. Violations, rejected rows and the sorted key hashes go
    to the part's scratch file, made by the parent before the fork; only their places and counts are returned,
    so neither side holds a part's results in memory."""
    assert _PART_JOB is not None
    step, source, parts, files = _PART_JOB
    file = files[index]
    found = ViolationStore(file)
    source.rejected = rejected_store(file)  # this worker's own: the parent adopts it if the parts add up
    rows_seen = step.consume(source.range_batches(*parts[index]), found)
    keys = np.sort(source._seen.hashes())
    stats = source.stats
    return {"violations": found.to_disk(), "per_rule": found.per_rule, "per_severity": found.per_severity,
            "rows_seen": rows_seen, "not_applicable": [c.not_applicable for c in step.counters],
            "rejected": source.rejected.to_disk(), "rejected_count": len(source.rejected),
            "rows_read": stats.rows_read, "rows_rejected": stats.rows_rejected, "rows_blank": stats.rows_blank,
            "keys": (append(file, keys.tobytes(), "duplicate keys"), len(keys))}


def run_in_parts(step: PassPlan, source: Any, jobs: int, violations: Sink) -> int | None:
    """Judge a large separable CSV in `jobs` parts, each in a forked process; None (and nothing changed) when
    it cannot be done that way: the caller then reads the file in one pass. A key that appears in two parts
    sends the file back to the single pass too, so a duplicate row is still rejected, never judged."""
    global _PART_JOB
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    if not isinstance(violations, ViolationStore) or not isinstance(source.rejected, SortedRuns):
        return None  # the parts hand over sorted runs on disk: only stores can take them as they are
    parts = source.byte_ranges(jobs)
    if not parts or len(parts) < 2:
        return None
    try:
        files = [scratch_file("parts of a file") for _ in parts]
    except DataError:  # no room for the parts' results: the single pass needs none
        return None
    _PART_JOB = (step, source, parts, files)
    try:
        # a pool of processes that notices a worker dying (killed for memory, say) instead of waiting forever
        with ProcessPoolExecutor(len(parts), mp_context=multiprocessing.get_context("fork")) as pool:
            pending = [pool.submit(_judge_part, i) for i in range(len(parts))]
            sha256 = file_sha256(source.source.path)  # the parent hashes the whole file meanwhile
            results = [p.result() for p in pending]
    except Exception:  # noqa: BLE001 - any trouble in a part: the single pass will meet it and report it
        results = []
    finally:
        _PART_JOB = None
    keys = [(f, *r["keys"]) for f, r in zip(files, results)]
    pairs = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]]
    if not results or any(_shared_key(*a, *b) for a, b in pairs):
        for f in files:
            f.close()
        return None
    for file, r in zip(files, results):
        _adopt(violations, source.rejected, file, r)
        for counter, n in zip(step.counters, r["not_applicable"]):
            counter.not_applicable += n
        source.stats.rows_read += r["rows_read"]
        source.stats.rows_rejected += r["rows_rejected"]
        source.stats.rows_blank += r["rows_blank"]
    source.stats.sha256 = sha256
    return sum(r["rows_seen"] for r in results)


def _adopt(violations: ViolationStore, rejected: SortedRuns[Any], file: IO[bytes], result: dict[str, Any]) -> None:
    """Take over the sorted runs a worker left in its part's file: nothing is read back now."""
    violations.adopt_store(file, result["violations"], result["per_rule"], result["per_severity"])
    rejected.adopt(file, result["rejected"], result["rejected_count"])


def _shared_key(file_a: IO[bytes], at_a: int, n_a: int, file_b: IO[bytes], at_b: int, n_b: int) -> bool:
    """Whether two sorted arrays of key hashes on disk have a hash in common, comparing KEYS_AT_ONCE of
    the first at a time with the stretch of the second that spans the same values (by bisection: no sorted
    copy of both, which np.intersect1d makes)."""
    for start in range(0, n_a, KEYS_AT_ONCE):
        a = np.frombuffer(read_at(file_a, at_a + start * 8, min(KEYS_AT_ONCE, n_a - start) * 8), np.int64)
        lo = _first_at_least(file_b, at_b, n_b, int(a[0]))
        hi = _first_at_least(file_b, at_b, n_b, int(a[-1]) + 1) if a[-1] < np.iinfo(np.int64).max else n_b
        for s in range(lo, hi, KEYS_AT_ONCE):
            b = np.frombuffer(read_at(file_b, at_b + s * 8, min(KEYS_AT_ONCE, hi - s) * 8), np.int64)
            at = np.minimum(np.searchsorted(b, a), len(b) - 1)  # both sorted: where each of a would sit in b
            if (b[at] == a).any():
                return True
    return False


def _first_at_least(file: IO[bytes], at: int, n: int, value: int) -> int:
    """Bisection over a sorted int64 array on disk: the first index whose hash is >= value (n if none)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if int(np.frombuffer(read_at(file, at + mid * 8, 8), np.int64)[0]) < value:
            lo = mid + 1
        else:
            hi = mid
    return lo
