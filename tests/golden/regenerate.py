"""Re-record the golden reports after a reviewed, intended change: `python tests/golden/regenerate.py`.

Prints, per set, each part that changed and how many entries differ, so the review sees the extent of the change
before committing the new files. Run tests/golden/make_inputs.py first if the edge inputs are missing."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
PARTS = ("inputs", "rules", "violations", "rejected_rows", "summary", "ignored_files")


def record(name: str, spec: dict) -> dict:
    args = [str(ROOT / a) if a.startswith("samples/") else a for a in spec["args"]]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "sfc_check.cli", "audit", str(ROOT / spec["data"]), "--as-of",
                        "2026-06-30", "--output", str(out), "--quiet", *args], check=False, capture_output=True)
        doc = json.loads(out.read_text("utf-8"))
    return {k: v for k, v in doc.items() if k not in ("run", "manifest", "tool")}


def main() -> None:
    sets = json.loads((GOLDEN / "sets.json").read_text("utf-8"))
    for name, spec in sorted(sets.items()):
        target = GOLDEN / f"{name}.expected.json"
        old = json.loads(target.read_text("utf-8")) if target.exists() else {}
        new = record(name, spec)
        for part in PARTS:
            if old.get(part) != new.get(part):
                before, after = old.get(part), new.get(part)
                if isinstance(before, list) and isinstance(after, list):
                    changed = sum(1 for a, b in zip(before, after) if a != b) + abs(len(before) - len(after))
                    print(f"{name}: {part}: {changed} of {len(after)} entries differ")
                else:
                    print(f"{name}: {part} differs")
        target.write_text(json.dumps(new, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
