"""Time whole `sfc-check audit` processes on a generated data set: median of N after a warm-up, peak memory.

    python benchmarks/run.py DATA_DIR [--runs 5] [--as-of 2026-06-30] [--jobs N]

Memory is reported twice: the largest single process's peak RSS (from the OS) and, because `--jobs` judges a
large file in forked worker processes, the peak of all processes' PSS summed (sampled every 50 ms; shared
copy-on-write pages count once).

When DuckDB is installed, the same three reference rules (a per-row rule, a left join and a group-by) run as
hand-written SQL on the same files, and their violation counts are checked against sfc-check's.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SQL = {
    "FIN-COLL-002": """select count(*) from read_csv_auto('{d}/collateral.csv', all_varchar=true)
                        where lower(asset_type) = 'virtual_asset' and cast(haircut_pct as decimal(18,4)) < 60""",
    "PERP-ACCESS-001": """select count(*) from read_csv_auto('{d}/perp_trades.csv', all_varchar=true) t
                           left join read_csv_auto('{d}/clients.csv', all_varchar=true) c using (client_id)
                           where c.client_id is null or lower(c.investor_class) <> 'professional'""",
    "FIN-MC-001": """with l as (select client_id, sum(cast(outstanding_hkd as decimal(18,2))) o
                       from read_csv_auto('{d}/va_financing_loans.csv', all_varchar=true)
                       where lower(status) = 'open' group by client_id),
                      c as (select client_id, sum(cast(market_value_hkd as decimal(18,2))) v
                       from read_csv_auto('{d}/collateral.csv', all_varchar=true) group by client_id)
                      select count(*) from l left join c using (client_id) where l.o > coalesce(c.v, 0)""",
}


def _tree(root: int) -> list[int]:
    """The process and its descendants (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def _pss_kib(pid: int) -> int:
    """Proportional set size: shared (copy-on-write) pages count once across the processes sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_once(data: Path, as_of: str, out: Path, jobs: str | None) -> tuple[float, int, int]:
    """Wall seconds, and the peak memory (KiB) of the audit and its worker processes together, sampled every
    50 ms as summed PSS; one process alone is also bounded by the OS's peak RSS that the caller reads."""
    command = [sys.executable, "-m", "sfc_check.cli", "audit", str(data), "--as-of", as_of, "--format", "json",
               "--output", str(out), "--quiet"] + (["--jobs", jobs] if jobs else [])
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_pss_kib(pid) for pid in _tree(proc.pid)))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"audit failed ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
    return wall, peak, proc.returncode


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", type=Path)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--as-of", default="2026-06-30")
    p.add_argument("--jobs", help="passed to sfc-check audit --jobs (default: its own default)")
    a = p.parse_args()
    out = Path(tempfile.mkdtemp()) / "report.json"
    run_once(a.data, a.as_of, out, a.jobs)  # warm-up: file cache, bytecode
    times, peaks, tree_peaks = [], [], []
    for _ in range(a.runs):
        # RUSAGE_CHILDREN keeps the maximum over all children, so measure each run in a fresh interpreter:
        # the largest single process's peak RSS, from the OS
        probe = subprocess.run([sys.executable, "-c", (
            "import resource,subprocess,sys,time;"
            f"s=time.perf_counter();subprocess.run([sys.executable,'-m','sfc_check.cli','audit',{str(a.data)!r},"
            f"'--as-of',{a.as_of!r},'--format','json','--output',{str(out)!r},'--quiet']"
            f"{' + [' + repr('--jobs') + ',' + repr(a.jobs) + ']' if a.jobs else ''},capture_output=True);"
            "print(time.perf_counter()-s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")],
            capture_output=True, text=True, check=True)
        wall, peak = probe.stdout.split()
        times.append(float(wall))
        peaks.append(int(peak))
        tree_peaks.append(run_once(a.data, a.as_of, out, a.jobs)[1])
    report = json.loads(out.read_text("utf-8"))
    rows = sum(i["rows_read"] for i in report["inputs"])
    print(f"sfc-check: median {statistics.median(times):.2f} s over {a.runs} runs "
          f"(min {min(times):.2f}, max {max(times):.2f}); peak RSS {max(peaks) / 1024:.0f} MB (largest process); "
          f"peak PSS {max(tree_peaks) / 1024:.0f} MB (all processes together, sampled); "
          f"{rows:,} rows; {report['summary']['violations']:,} violations; {os.cpu_count()} CPUs")
    counts = {r["id"]: r["violations"] for r in report["rules"]}
    try:
        import duckdb  # optional: only for the comparison
    except ImportError:
        print("duckdb not installed: SQL comparison skipped (pip install duckdb)")
        return
    con = duckdb.connect()
    for rule_id, sql in SQL.items():
        start = time.perf_counter()
        n = con.execute(sql.format(d=a.data)).fetchone()[0]
        print(f"duckdb {rule_id}: {n:,} violations in {time.perf_counter() - start:.2f} s; sfc-check "
              f"{counts.get(rule_id, 0):,} — {'same' if n == counts.get(rule_id, 0) else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
