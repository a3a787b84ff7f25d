"""Time the whole `sfc-check audit` process beside the same rules written by hand as DuckDB SQL, in one run.

    python benchmarks/run.py DATA_DIR [--runs 3] [--as-of 2026-06-30] [-- extra sfc-check options]

Each side runs as its own process, alternately, after a warm-up of each (file cache, bytecode): sfc-check
writes its JSON report; `reference.py` loads the same files into typed tables and counts each rule's
violations. Reported: the median wall time of each, their ratio, each process's peak RSS (from the OS), and
whether every rule's count is the same on both sides (a difference is printed and the exit code is 1).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds and peak RSS (KiB) of one process, measured in a fresh interpreter so that the children's
    maximum RSS is this command's alone."""
    probe = ("import json, resource, subprocess, sys, time\n"
             "s = time.perf_counter()\n"
             f"p = subprocess.run({command!r}, capture_output=True, text=True)\n"
             "print(json.dumps([time.perf_counter() - s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
             "p.returncode, p.stdout[-100000:], p.stderr[-2000:]]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    wall, rss, code, stdout, stderr = json.loads(out.stdout)
    if code not in (0, 1):
        raise SystemExit(f"{command[:3]} failed ({code}): {stderr}")
    return wall, rss, stdout


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", type=Path)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--as-of", default="2026-06-30")
    p.add_argument("extra", nargs="*", help="more sfc-check audit options (after --)")
    a, more = p.parse_known_args()  # (options after `--` are sfc-check's)
    a.extra = [x for x in a.extra + more if x != "--"]
    report = Path(tempfile.mkdtemp()) / "report.json"
    ours = [sys.executable, "-m", "sfc_check.cli", "audit", str(a.data), "--as-of", a.as_of, "--format", "json",
            "--output", str(report), "--quiet", *a.extra]
    theirs = [sys.executable, str(HERE / "reference.py"), str(a.data), "--as-of", a.as_of]
    timed(ours)
    timed(theirs)
    mine, ref, mine_rss, ref_rss = [], [], [], []
    reference: dict[str, int] = {}
    for _ in range(a.runs):
        wall, rss, _ = timed(ours)
        mine.append(wall)
        mine_rss.append(rss)
        wall, rss, out = timed(theirs)
        ref.append(wall)
        ref_rss.append(rss)
        reference = json.loads(out)["counts"]
    found = json.loads(report.read_text("utf-8"))
    counts = {r["id"]: r["violations"] for r in found["rules"]}
    differing = {k: (v, counts.get(k)) for k, v in reference.items() if counts.get(k) != v}
    rows = sum(i["rows_read"] for i in found["inputs"])
    ratio = statistics.median(mine) / statistics.median(ref)
    print(f"sfc-check: median {statistics.median(mine):.2f} s (min {min(mine):.2f}, max {max(mine):.2f}), "
          f"peak RSS {max(mine_rss) / 1024:.0f} MB")
    print(f"hand-written DuckDB SQL: median {statistics.median(ref):.2f} s (min {min(ref):.2f}, max {max(ref):.2f}), "
          f"peak RSS {max(ref_rss) / 1024:.0f} MB")
    print(f"ratio {ratio:.2f}; {rows:,} rows; {found['summary']['violations']:,} violations; {a.runs} runs each, "
          f"alternating; {os.cpu_count()} CPUs; rules compared: {len(reference)}, "
          f"{'all counts equal' if not differing else 'DIFFERENT: ' + json.dumps(differing)}")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
