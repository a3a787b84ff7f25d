"""A previous report with many violations, for measuring the baseline comparison's memory and time.

    python benchmarks/baseline.py OUT.json [--violations 2000000]
    /usr/bin/time -f "%e s %M KB" sfc-check audit samples/exports --as-of 2026-06-30 --baseline OUT.json -o r.json

Every violation is of PERP-ACCESS-001 with a trade id samples/exports does not hold: each is resolved by a run
over the samples, the heaviest case (every entry joined, kept, sorted and written).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def write(out: Path, violations: int) -> None:
    with out.open("w", encoding="utf-8") as f:
        f.write('{"tool": {"name": "sfc-check"}, "run": {"as_of": "2026-06-29"}, "violations": [\n')
        for i in range(violations):
            v = {"rule_id": "PERP-ACCESS-001", "severity": "critical", "dataset": "perp_trades",
                 "key": {"trade_id": f"T{i:09d}"}, "path": "perp_trades.csv", "row": i + 2,
                 "message": f"trade T{i:09d}: client C{i % 5000:05d} is not a professional investor",
                 "evidence": {"client_id": f"C{i % 5000:05d}", "investor_class": "retail"}, "citation": "x",
                 "waived": False, "baseline": "new"}
            f.write(("    " if i == 0 else ",\n    ") + json.dumps(v))
        f.write("\n  ]\n}\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--violations", type=int, default=2_000_000)
    args = parser.parse_args()
    write(args.out, args.violations)
