"""The `rules` commands (list, show, validate, test) and `explain`: reading the rule pack, nothing else."""
from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError, did_you_mean

# Each command imports what it needs when it runs: `--help` and `explain` start without the engine, the schema
# validator or the report writers (sfc-check --help in ≤ 0.3 s).

rules_app = typer.Typer(no_args_is_help=True, help="List, show, validate and test the rule pack.")

RulesOption = Annotated[Optional[Path], typer.Option("--rules", help="Rule folder (default: the bundled pack).")]


class ListFormat(str, Enum):
    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"


@rules_app.command("list")
def rules_list(
    rules: RulesOption = None,
    fmt: Annotated[ListFormat, typer.Option("--format", help="table, markdown (docs/rules.md) or json.")]
    = ListFormat.TABLE,
) -> None:
    """One line per rule: id, severity, title, citation, effective dates.

    Example: sfc-check rules list --format markdown > docs/rules.md
    """
    from ..language.ruledoc import rules_markdown
    from ..language.rulepack import load_rules
    from .console import make_console, render_rule_list
    pack = load_rules(rules, scope=None)
    if fmt is ListFormat.MARKDOWN:
        sys.stdout.write(rules_markdown(pack))
    elif fmt is ListFormat.JSON:
        sys.stdout.write(json.dumps([{"id": r.id, "severity": r.severity.value, "title": r.title,
                                      "citation": r.citation, "basis": r.basis, "source": r.source,
                                      "dataset": r.dataset, "tags": list(r.tags),
                                      "effective_from": r.effective_from.isoformat(),
                                      "effective_to": r.effective_to.isoformat() if r.effective_to else None}
                                     for r in pack], indent=2, ensure_ascii=False) + "\n")
    else:
        render_rule_list(make_console(), pack)


def _explain(rule_id: str, rules: Path | None) -> None:
    from ..language.ruledoc import explain_markdown
    from ..language.rulepack import find_rule, load_rules
    from .console import make_console, render_explain
    rule = find_rule(rule_id, rules)
    if rule is None:
        known = (r.id for r in load_rules(rules, scope=None))
        raise UsageError(f"no rule {rule_id!r}{did_you_mean(rule_id.upper(), known)}")
    render_explain(make_console(), explain_markdown(rule))


@rules_app.command("show")
def rules_show(rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. FIN-COLL-002.")],
               rules: RulesOption = None) -> None:
    """The rule in full: what it checks, why, parameters and their sources, examples."""
    _explain(rule_id, rules)


def explain(rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. PERP-ACCESS-001.")],
            rules: RulesOption = None) -> None:
    """Explain a rule: what it checks, why (citation and plain words), parameters, examples.

    Example: sfc-check explain FIN-COLL-002
    """
    _explain(rule_id, rules)


@rules_app.command("validate")
def rules_validate(path: Annotated[Optional[Path], typer.Argument(help="Rule file or folder (default: bundled).")]
                   = None) -> None:
    """Validate rule files against the rule schema and the data dictionary; every error of every file.

    Example: sfc-check rules validate my-rules/
    """
    from ..language.rulepack import validate_rule_files
    count, errors = validate_rule_files(path)
    for error in errors:
        print(f"sfc-check: error: {error}", file=sys.stderr)
    if errors:
        files = len({e.path for e in errors})
        print(f"{len(errors)} error(s) in {files} of {count} file(s)", file=sys.stderr)
        raise typer.Exit(2)
    print(f"{count} rule(s) valid")


@rules_app.command("test")
def rules_test(path: Annotated[Optional[Path], typer.Argument(help="Rule file or folder (default: bundled).")]
               = None,
               engine: Annotated[str, typer.Option("--engine", metavar="duckdb|spark",
                                                   help="Run the examples on DuckDB or on Spark (local[*] or "
                                                        "SPARK_REMOTE).")] = "duckdb") -> None:
    """Run every rule's own examples on the real engine; a failing example names the rule and the example.

    Example: sfc-check rules test my-rules/
    """
    from ..app.selftest import run_examples, spark_from_environment
    from ..language.rulepack import load_rules
    from .console import make_console, render_example_results
    if engine not in ("duckdb", "spark"):
        raise UsageError(f"--engine {engine!r}: use duckdb or spark")
    pack = load_rules(path, scope=None)
    results = run_examples(pack, spark_from_environment() if engine == "spark" else None)
    render_example_results(make_console(), results)
    raise typer.Exit(0 if all(r.ok for r in results) else 1)
