"""Judge one large CSV in parts, each in a forked worker process, and add the results up.

Only a file whose rules keep nothing from its rows but violations and counts can be judged this way (see
engine._PassPlan.separable), and only where the file can be cut at line ends safely (RowReader.byte_ranges).
Workers inherit the compiled rules and lookup tables by fork; each reads its byte range after the header and
returns its violations, counts, rejected rows and key hashes. Anything unexpected returns None, and the caller
reads the file in one pass, so results never depend on the number of workers.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from .model import Violation
from .textfiles import file_sha256
from .violationstore import Sink

if TYPE_CHECKING:
    from .engine import _PassPlan

SPLIT_MIN_BYTES = 32 << 20  # smaller files are not worth a worker's start-up and the copy of its results


def file_size(source: Any) -> int:
    try:
        return os.path.getsize(source.source.path)
    except (AttributeError, OSError):
        return 0


_PART_JOB: tuple[Any, ...] | None = None  # what forked workers inherit: the pass plan, the reader, the parts


def _judge_part(index: int) -> dict[str, Any]:
    """In a forked worker: judge one part of the file; return what the parent adds up."""
    assert _PART_JOB is not None
    step, source, parts = _PART_JOB
    source.rejected = []  # this worker's own (the parent's store is not written to from here)
    found: list[Violation] = []
    rows_seen = step.consume(source.range_batches(*parts[index]), found)
    stats = source.stats
    return {"violations": found, "rows_seen": rows_seen,
            "not_applicable": [c.not_applicable for c in step.counters],
            "rejected": source.rejected, "rows_read": stats.rows_read,
            "rows_rejected": stats.rows_rejected, "rows_blank": stats.rows_blank,
            "keys": source._seen.hashes()}


def run_in_parts(step: _PassPlan, source: Any, jobs: int, violations: Sink) -> int | None:
    """Judge a large separable CSV in `jobs` parts, each in a forked process; None (and nothing changed) when
    it cannot be done that way: the caller then reads the file in one pass. A key that appears in two parts
    sends the file back to the single pass too, so a duplicate row is still rejected, never judged."""
    global _PART_JOB
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    parts = source.byte_ranges(jobs)
    if not parts or len(parts) < 2:
        return None
    _PART_JOB = (step, source, parts)
    try:
        # a pool of processes that notices a worker dying (killed for memory, say) instead of waiting forever
        with ProcessPoolExecutor(len(parts), mp_context=multiprocessing.get_context("fork")) as pool:
            pending = [pool.submit(_judge_part, i) for i in range(len(parts))]
            sha256 = file_sha256(source.source.path)  # the parent hashes the whole file meanwhile
            results = [p.result() for p in pending]
    except Exception:  # noqa: BLE001 - any trouble in a part: the single pass will meet it and report it
        return None
    finally:
        _PART_JOB = None
    keys = [r["keys"] for r in results]
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if np.intersect1d(keys[i], keys[j]).size:
                return None
    for r in results:
        violations.extend(r["violations"])
        for counter, n in zip(step.counters, r["not_applicable"]):
            counter.not_applicable += n
        source.rejected.extend(r["rejected"])
        source.stats.rows_read += r["rows_read"]
        source.stats.rows_rejected += r["rows_rejected"]
        source.stats.rows_blank += r["rows_blank"]
    source.stats.sha256 = sha256
    return sum(r["rows_seen"] for r in results)
