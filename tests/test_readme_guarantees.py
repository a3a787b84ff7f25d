"""The README's guarantees name tests that exist: a promise whose test was renamed or removed would be held by
nothing."""
from __future__ import annotations

import re

from conftest import ROOT


def test_every_test_the_guarantees_name_exists() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## What sfc-check guarantees")[1].split("\n## ")[0]
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", section)
    assert len(named) >= 12
    last_file = None
    for path, test in named:
        source = (ROOT / path).read_text("utf-8")
        last_file = source
        if test:
            assert f"def {test}(" in source, f"{path}::{test}"
    siblings = re.findall(r"`…::(\w+)`", section)
    assert siblings and last_file is not None
    every_test = "".join((ROOT / "tests").joinpath(p).read_text("utf-8") for p in
                         [q.name for q in (ROOT / "tests").glob("test_*.py")])
    for test in siblings:
        assert f"def {test}(" in every_test, test
