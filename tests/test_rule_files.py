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
    undefined = GOOD.replace("severity: critical", "severity: *sev")  # worded as exactly as the parsers can
    check(cli, pack(tmp_path, undefined), f"FIN-COLL-002.yaml:{line_of(GOOD, 'severity:')}:",
          "found undefined alias 'sev'")


def test_a_key_given_twice_is_refused_at_its_second_line(cli, tmp_path) -> None:
    """YAML keeps the last of two equal keys silently: a second `severity:` would quietly lower the rule."""
    twice = GOOD.rstrip("\n") + "\nseverity: low\n"
    err = check(cli, pack(tmp_path, twice), f"FIN-COLL-002.yaml:{twice.count(chr(10))}:",
                f"key 'severity' appears twice in the same mapping (first at line {line_of(GOOD, 'severity:')})")
    assert "low" not in err
    nested = GOOD.replace("severity: critical", "severity: critical\nx_note: {a: 1, a: 2}")
    check(cli, pack(tmp_path, nested), f"FIN-COLL-002.yaml:{line_of(nested, 'x_note')}:", "key 'a' appears twice")


def test_the_rule_pack_reads_the_same_with_either_yaml_parser() -> None:
    """Rule files go through libyaml's parser when PyYAML has it; the pure-Python parser must give the same
    values and the same lines (error messages point at them)."""
    import yaml

    from sfc_check import yamlsafe

    # where PyYAML has libyaml (its wheels do), rule files go through it; this compares it with the pure parser
    assert yamlsafe._Loader.__bases__[0] is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)

    class PurePython(yaml.SafeLoader):
        yaml_implicit_resolvers = yamlsafe._Loader.yaml_implicit_resolvers

    def marks(node: yaml.Node) -> list[tuple[str, int, int]]:
        out = [(node.tag, node.start_mark.line, node.start_mark.column)]
        for child in node.value if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) else []:
            out += [m for c in (child if isinstance(child, tuple) else (child,)) for m in marks(c)]
        return out

    files = sorted((ROOT / "rules").rglob("*.yaml"))
    assert len(files) >= 30
    for path in files:
        text = path.read_text("utf-8")
        ours = yamlsafe.load_yaml_text(text, str(path))
        pure = PurePython(text)
        root = pure.get_single_node()
        assert ours.data == pure.construct_document(root), path
        assert marks(ours.root) == marks(root), path


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


def test_a_parameter_value_of_the_wrong_type_is_named_at_its_line(cli, tmp_path) -> None:
    """A value that is not of its parameter's type (a mapping, text, null, infinity for a number) is an error
    naming the file and the value's line, never an internal error when rules compile."""
    for n, bad in enumerate(["{all: [{field: asset}]}", "sixty", "null", ".inf", "[60]", "true"]):
        broken = GOOD.replace("    value: 60\n", f"    value: {bad}\n", 1)
        assert broken != GOOD
        check(cli, pack(tmp_path / str(n), broken), f"FIN-COLL-002.yaml:{line_of(broken, 'value: ' + bad)}",
              "parameter 'min_va_haircut_pct' must be a decimal")


def test_an_impossible_date_is_named_at_its_line(cli, tmp_path) -> None:
    """A date of the right shape that is no calendar day (13th month, 30 February), in effective dates or a
    dated parameter value, is a schema error naming the file and line, not an internal error (found by the
    rule-file fuzzer: effective_from '2026-13-01' stopped every command)."""
    dated = GOOD.replace("    value: 60\n", "    values:\n      - {from: \"2026-02-11\", value: 60}\n", 1)
    assert dated != GOOD
    for n, (old, new) in enumerate([('effective_from: "2026-02-11"', 'effective_from: "2026-13-01"'),
                                    ('effective_from: "2026-02-11"',
                                     'effective_from: "2026-02-11"\neffective_to: "2026-02-30"'),
                                    ('{from: "2026-02-11"', '{from: "2026-02-29"')]):
        broken = dated.replace(old, new, 1)
        assert broken != dated
        bad = new.split('"')[-2]
        check(cli, pack(tmp_path / str(n), broken), f"FIN-COLL-002.yaml:{line_of(broken, bad)}",
              f"'{bad}': not a valid calendar date (YYYY-MM-DD)")
