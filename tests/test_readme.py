"""The README's examples stay true: its rule example validates and passes, its waiver and profile snippets load."""
from __future__ import annotations

import re

from conftest import ROOT, write

from sfc_check.data.profiles import load_profile
from sfc_check.governance.waivers import load_waivers

README = (ROOT / "README.md").read_text("utf-8")


def yaml_block_after(heading: str, nth: int = 0) -> str:
    section = README[README.index(heading):]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)[nth]


def test_readme_starts_with_the_two_commands() -> None:
    commands = re.findall(r"```bash\n(.*?)```", README[:1200], re.S)
    assert "pip install . && sfc-check audit samples/exports" in commands[0]
    assert "pip install '.[test]' && python -m pytest" in commands[1]


def test_readme_rule_example_validates_and_its_examples_pass(cli, tmp_path) -> None:
    path = write(tmp_path / "FIN-COLL-002.yaml", yaml_block_after("## Writing a rule"))
    assert cli("rules", "validate", path).code == 0
    result = cli("rules", "test", path)
    assert result.code == 0 and "2 of 2 examples passed" in result.out


def test_readme_waiver_and_profile_snippets_load(tmp_path) -> None:
    waivers, _ = load_waivers(write(tmp_path / "w.yaml", yaml_block_after("## Nightly runs", 0)))
    assert waivers[0].rule_id == "PERP-ACCESS-002"
    profile = load_profile(write(tmp_path / "p.yaml", yaml_block_after("## Auditing your own exports")))
    assert profile.unavailable()["perp_trades"] == {"leverage"}
