"""Shared helpers: run the CLI in-process (as a user would, through main()) and write small fixtures."""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sfc_check.cli.commands import main

ROOT = Path(__file__).resolve().parent.parent
# The quick run (the README's command) tries each property on a few dozen cases; CI also runs them thoroughly
# (SFC_CHECK_THOROUGH=1 python -m pytest -m "slow or property"), with the slow end-to-end cases.
THOROUGH = os.environ.get("SFC_CHECK_THOROUGH") == "1"


def examples(quick: int, thorough: int) -> int:
    """How many cases a property test tries in this run."""
    return thorough if THOROUGH else quick
SAMPLES = ROOT / "samples"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    def run(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["sfc-check", *map(str, args)])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main()
        out, err = capsys.readouterr()
        code = exc.value.code if isinstance(exc.value.code, int) else (0 if exc.value.code is None else 2)
        return CliResult(code, out, err)
    return run


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def pairs(report: dict[str, Any]) -> set[tuple[str, str]]:
    """(rule id, key) pairs of a JSON report: what was found, not how many."""
    return {(v["rule_id"], ",".join(str(x) for x in v["key"].values())) for v in report["violations"]}
