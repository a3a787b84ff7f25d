"""Run every rule's own examples through the real engine (`sfc-check rules test` and the pytest suite)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from ..backends.base import SparkSettings
from ..data.dictionary import load_dictionary
from ..data.rowtyping import typed_records
from ..language.rulepack import Rule
from ..model import DEFAULT_TZ, RejectedRow
from .evaluation import InlineSource, RunSettings, Source, evaluate


@dataclass(frozen=True)
class ExampleResult:
    """The outcome of one example: `ok` when the rule did what the example says it must."""

    rule_id: str
    name: str
    expect: str
    got: str
    ok: bool
    detail: str = ""

    @property
    def test_id(self) -> str:
        return f"{self.rule_id}::{self.name}"


def example_sources(rule: Rule, example: dict[str, Any], rejected: list[RejectedRow]) -> dict[str, Source]:
    """Typed in-memory datasets for an example; every dataset the rule reads exists (empty if not given)."""
    dictionary = load_dictionary()
    data: dict[str, list[dict[str, Any]]] = {d: [] for d in rule.datasets()}
    for name, records in (example.get("data") or {}).items():
        data[name] = list(records)
    own = example.get("records") or ([example["record"]] if "record" in example else [])
    data[rule.dataset] = own + data[rule.dataset]
    sources: dict[str, Source] = {}
    for name, records in data.items():
        if name not in dictionary:
            raise ValueError(f"example {example['name']}: unknown dataset {name!r}")
        rows, stats = typed_records(dictionary[name], records, f"{rule.id}::{example['name']}::{name}", rejected)
        sources[name] = InlineSource(rows, stats)
    return sources


def run_example(rule: Rule, example: dict[str, Any], tz_name: str = DEFAULT_TZ,
                spark: SparkSettings | None = None) -> ExampleResult:
    rejected: list[RejectedRow] = []
    name, expect = example["name"], example["expect"]
    try:
        sources = example_sources(rule, example, rejected)
    except ValueError as exc:
        return ExampleResult(rule.id, name, expect, "error", False, str(exc))
    if rejected:
        r = rejected[0]
        return ExampleResult(rule.id, name, expect, "error", False,
                             f"{r.dataset} record {r.row} rejected: {r.column} {r.value!r}: {r.reason}")
    as_of = date.fromisoformat(example["as_of"]) if "as_of" in example else rule.effective_from
    overrides = {rule.id: dict(example["parameters"])} if example.get("parameters") else {}
    result = evaluate([rule], sources, RunSettings(as_of=as_of, tz=ZoneInfo(tz_name), overrides=overrides,
                                                   spark=spark), rejected)
    outcome = result.outcomes[0]
    if outcome.violations:
        got = "violation"
    elif outcome.checked:
        got = "pass"
    elif outcome.not_applicable:
        got = "not_applicable"
    else:
        got = outcome.status.value if outcome.reason else "nothing checked"
    detail = "; ".join(v.message for v in result.violations[:3]) or (outcome.reason or "")
    return ExampleResult(rule.id, name, expect, got, got == expect, detail)


def run_examples(rules: list[Rule], spark: SparkSettings | None = None) -> list[ExampleResult]:
    """Every example of every rule, on DuckDB or (with `spark`) judged by Spark."""
    return [run_example(rule, ex, spark=spark) for rule in rules for ex in rule.doc.get("examples", [])]


def spark_from_environment() -> SparkSettings:
    """Spark for `rules test --engine spark`: local[*], or the Spark Connect server SPARK_REMOTE names (with the
    staging folder SFC_CHECK_SPARK_STAGING names)."""
    return SparkSettings(remote=os.environ.get("SPARK_REMOTE"), staging=os.environ.get("SFC_CHECK_SPARK_STAGING"))
