"""A firm's policy file: its own values for policy parameters; SFC numbers may only be made stricter."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import RuleFileError, did_you_mean
from ..language.rulepack import Parameter, Rule, parameter_value_problem, typed_parameter
from ..validation import validate_document
from ..yamlsafe import load_yaml_file


@dataclass(frozen=True)
class ParameterUse:
    """One parameter value a run used, and where it came from (for the report)."""

    rule_id: str
    name: str
    source: str
    value: Any
    default: Any
    from_policy: bool
    stricter_than_sfc: bool = False


@dataclass
class Policy:
    """A validated policy: overrides per rule id, plus the file's identity for the evidence manifest."""

    name: str
    path: str
    sha256: str
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    stricter: set[tuple[str, str]] = field(default_factory=set)


@lru_cache(maxsize=1)
def policy_schema() -> dict[str, Any]:
    return json.loads(resources.files("sfc_check.schemas").joinpath("policy.schema.json").read_text("utf-8"))


def _is_stricter_or_equal(p: Parameter, default: Any, value: Any) -> bool:
    if p.stricter == "subset":
        return {str(v).upper() for v in value} <= {str(v).upper() for v in default}
    new, old = Decimal(str(value)), Decimal(str(default))
    return new >= old if p.stricter == "higher" else new <= old


def load_policy(path: Path, rules: list[Rule], as_of: date) -> Policy:
    """Validate the file, match every parameter to the rules that declare it, and refuse loosening an SFC value."""
    doc = load_yaml_file(path)
    if not isinstance(doc.data, dict):
        raise RuleFileError("a policy file holds one mapping (policy, parameters, rules)", str(path), 1)
    validate_document(doc, policy_schema(), "policy")
    data = doc.data
    by_rule = {r.id: r for r in rules}
    declared: dict[str, list[Rule]] = {}
    for r in rules:
        for p in r.parameters:
            declared.setdefault(p.name, []).append(r)
    wanted: dict[str, dict[str, tuple[Any, list[str]]]] = {}
    for name, value in (data.get("parameters") or {}).items():
        if name not in declared:
            raise RuleFileError(f"no rule declares parameter {name!r}{did_you_mean(name, declared)}", str(path),
                                doc.line_of(["parameters", name]))
        for r in declared[name]:
            wanted.setdefault(r.id, {})[name] = (value, ["parameters", name])
    for rule_id, params in (data.get("rules") or {}).items():
        if rule_id not in by_rule:
            raise RuleFileError(f"no rule {rule_id!r}{did_you_mean(rule_id, by_rule)}", str(path),
                                doc.line_of(["rules", rule_id]))
        for name, value in params.items():
            wanted.setdefault(rule_id, {})[name] = (value, ["rules", rule_id, name])
    policy = Policy(name=data["policy"], path=str(path), sha256=doc.sha256)
    for rule_id, params in wanted.items():
        rule = by_rule[rule_id]
        known = {p.name: p for p in rule.parameters}
        for name, (value, where) in params.items():
            line = doc.line_of(where)
            found = known.get(name)
            if found is None:
                raise RuleFileError(f"rule {rule_id} has no parameter {name!r} (it has: "
                                    f"{', '.join(known) or 'none'})", str(path), line)
            p = found
            problem = parameter_value_problem(p, value)
            if problem:
                raise RuleFileError(f"{name} for {rule_id} {problem}", str(path), line)
            if p.source == "sfc":
                default = p.value_on(as_of)
                if not _is_stricter_or_equal(p, default, value):
                    raise RuleFileError(f"{name} = {value!r} would loosen a value set by the SFC ({default!r} "
                                        f"for {rule_id}); a policy may only make it stricter ({p.stricter})",
                                        str(path), line)
                policy.stricter.add((rule_id, name))
            policy.overrides.setdefault(rule_id, {})[name] = value
    return policy


def parameter_uses(rules: list[Rule], used: dict[str, dict[str, Any]], policy: Policy | None,
                   as_of: date) -> list[ParameterUse]:
    """Every parameter value of the rules that ran, in rule order, marked with its origin."""
    out = []
    for r in rules:
        if r.id not in used:
            continue
        for p in r.parameters:
            from_policy = bool(policy and p.name in policy.overrides.get(r.id, {}))
            out.append(ParameterUse(r.id, p.name, p.source, used[r.id].get(p.name),
                                    typed_parameter(p, p.value_on(as_of)), from_policy,
                                    bool(policy and (r.id, p.name) in policy.stricter)))
    return out
