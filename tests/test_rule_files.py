"""Broken rule files: exit 2, the file, the line and what was expected; never a traceback."""
from __future__ import annotations

import time
from pathlib import Path

from conftest import ROOT, write

GOOD = (ROOT / "rules" / "va-financing" / "FIN-COLL-002.yaml").read_text("utf-8")


def pack(tmp_path: Path, text: str, name: str = "FIN-COLL-002.yaml") -> Path:
    write(tmp_path / "rules" / name, text)
    return tmp_path / "rules"


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def check(cli, rules: Path, *needles: str) -> str:
    for command in (("rules", "validate", rules), ("audit", ROOT / "samples" / "clean", "--rules", rules)):
        result = cli(*command)
        assert result.code == 2, result.out
        assert "Traceback" not in result.err
        for n in needles:
            assert n in result.err, result.err
    return result.err


def test_yaml_syntax_error_names_file_line_and_column(cli, tmp_path) -> None:
    broken = GOOD.replace("severity: critical", "severity: [critical")
    check(cli, pack(tmp_path, broken), "FIN-COLL-002.yaml:", "YAML syntax error")


def test_misspelt_key_is_named_with_the_nearest_valid_key(cli, tmp_path) -> None:
    broken = GOOD.replace("rationale:", "rationnale:")
    err = check(cli, pack(tmp_path, broken), f"FIN-COLL-002.yaml:{line_of(broken, 'rationnale')}",
                "'rationnale'", "did you mean 'rationale'")
    assert err


def test_wrong_type_and_bad_enum(cli, tmp_path) -> None:
    check(cli, pack(tmp_path, GOOD.replace("severity: critical", "severity: urgent")),
          f"FIN-COLL-002.yaml:{line_of(GOOD, 'severity')}", "severity", "critical")
    check(cli, pack(tmp_path / "b", GOOD.replace("tags: [va-financing, collateral, haircut]", "tags: 7")),
          "tags", "not of type 'array'")


def test_unknown_operator_is_named_with_a_suggestion(cli, tmp_path) -> None:
    broken = GOOD.replace("- {field: haircut_pct, lt:", "- {field: haircut_pct, less_than:")
    check(cli, pack(tmp_path, broken), "FIN-COLL-002.yaml:", "less_than")


def test_unknown_field_and_dataset(cli, tmp_path) -> None:
    broken = GOOD.replace("{field: haircut_pct,", "{field: haircut_percent,")
    check(cli, pack(tmp_path, broken), f"FIN-COLL-002.yaml:{line_of(broken, 'haircut_percent')}",
          "unknown field 'haircut_percent'", "did you mean 'haircut_pct'")
    check(cli, pack(tmp_path / "b", GOOD.replace("dataset: collateral", "dataset: colateral")),
          "unknown dataset 'colateral'", "did you mean 'collateral'")


def test_undeclared_parameter(cli, tmp_path) -> None:
    broken = GOOD.replace("{param: min_va_haircut_pct}", "{param: min_haircut}")
    check(cli, pack(tmp_path, broken), f"FIN-COLL-002.yaml:{line_of(broken, 'min_haircut}')}",
          "parameter 'min_haircut' is used but not declared")


def test_duplicate_rule_id_across_files(cli, tmp_path) -> None:
    rules = pack(tmp_path, GOOD)
    write(rules / "other" / "FIN-COLL-002.yaml", GOOD)
    check(cli, rules, "duplicate rule id FIN-COLL-002")


def test_file_name_must_match_the_id(cli, tmp_path) -> None:
    check(cli, pack(tmp_path, GOOD, "haircut.yaml"), "haircut.yaml", "must live in a file named FIN-COLL-002.yaml")


def test_alias_bomb_is_refused_fast(cli, tmp_path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    started = time.monotonic()
    check(cli, pack(tmp_path, bomb), "alias bomb")
    assert time.monotonic() - started < 10  # generous: a bomb expanded would never finish


def test_non_utf8_rule_file(cli, tmp_path) -> None:
    path = tmp_path / "rules" / "FIN-COLL-002.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes(GOOD.replace("60 %", "60 \u00a7").encode("latin-1", errors="replace"))
    check(cli, tmp_path / "rules", "not UTF-8")


def test_rule_example_failure_is_named(cli, tmp_path) -> None:
    broken = GOOD.replace("name: btc-haircut-50-fails\n    expect: violation", "name: btc-haircut-50-fails\n    expect: pass")
    result = cli("rules", "test", pack(tmp_path, broken))
    assert result.code == 1 and "FIN-COLL-002::btc-haircut-50-fails" in result.out and "expected pass" in result.out


def test_sfc_parameter_needs_a_tightening_direction(cli, tmp_path) -> None:
    broken = GOOD.replace("    stricter: higher\n", "")
    check(cli, pack(tmp_path, broken), "stricter")
