"""The `rules` commands (list, show, validate, test) and `explain`: reading the rule pack, nothing else."""
from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..app.selftest import run_examples
from ..errors import UsageError, did_you_mean
from ..language.ruledoc import explain_markdown, rules_markdown
from ..language.rulepack import load_rules
from .console import make_console, render_example_results, render_explain, render_rule_list

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
    """One line per rule: id, severity, title, citation, effective dates."""
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
    pack = load_rules(rules, scope=None)
    found = [r for r in pack if r.id == rule_id.upper()]
    if not found:
        raise UsageError(f"no rule {rule_id!r}{did_you_mean(rule_id.upper(), (r.id for r in pack))}")
    render_explain(make_console(), explain_markdown(found[0]))


@rules_app.command("show")
def rules_show(rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. FIN-COLL-002.")],
               rules: RulesOption = None) -> None:
    """The rule in full: what it checks, why, parameters and their sources, examples."""
    _explain(rule_id, rules)


def explain(rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. PERP-ACCESS-001.")],
            rules: RulesOption = None) -> None:
    """Explain a rule: what it checks, why (citation and plain words), parameters, examples."""
    _explain(rule_id, rules)


@rules_app.command("validate")
def rules_validate(path: Annotated[Optional[Path], typer.Argument(help="Rule file or folder (default: bundled).")]
                   = None) -> None:
    """Validate rule files against the rule schema and the data dictionary."""
    pack = load_rules(path, scope=None)
    print(f"{len(pack)} rule(s) valid")


@rules_app.command("test")
def rules_test(path: Annotated[Optional[Path], typer.Argument(help="Rule file or folder (default: bundled).")]
               = None) -> None:
    """Run every rule's own examples; a failing example names the rule and the example."""
    pack = load_rules(path, scope=None)
    results = run_examples(pack)
    render_example_results(make_console(), results)
    raise typer.Exit(0 if all(r.ok for r in results) else 1)
