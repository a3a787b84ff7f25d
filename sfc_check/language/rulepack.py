"""LOAD RULES: find rule files, parse them with line numbers, validate shape and meaning, select for a run."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..data.dictionary import load_dictionary
from ..errors import RuleFileError, UsageError, did_you_mean
from ..model import Severity
from ..validation import schema_errors, validate_document
from ..yamlsafe import YamlDocument, load_yaml_file
from .build import CompileError, build_plan


@dataclass(frozen=True)
class Parameter:
    """A rule parameter: its default (or dated values), who set it (sfc / policy) and how it may be tightened."""

    name: str
    source: str
    description: str
    type: str
    values: tuple[tuple[date, date | None, Any], ...]  # (from, to, value), in date order
    stricter: str | None = None
    unit: str | None = None
    basis: str | None = None

    def value_on(self, day: date) -> Any:
        """The value in force on `day` (the last dated value that has started, if none has ended)."""
        chosen = None
        for start, end, value in self.values:
            if start <= day and (end is None or day <= end):
                chosen = value
        return chosen if chosen is not None else self.values[0][2]


@dataclass(frozen=True)
class Rule:
    """One validated rule file. `doc` is the raw mapping the compiler reads; the rest is its identity."""

    id: str
    title: str
    severity: Severity
    dataset: str
    path: str
    sha256: str
    doc: dict[str, Any] = field(compare=False, hash=False, repr=False)
    yaml: YamlDocument = field(compare=False, hash=False, repr=False)
    parameters: tuple[Parameter, ...] = ()

    @property
    def citation(self) -> str:
        """Reference and paragraph, and what they rest on, as every report shows them."""
        c = self.doc["citation"]
        rests = "primary text" if c["basis"] == "primary" else "secondary: summaries only"
        return f"{c.get('reference') or c['document']}, {c['paragraph']} ({rests})"

    @property
    def reference(self) -> str:
        """Reference and paragraph only, short enough for a table column: `26EC5 para 7(a)`; `†` marks a citation
        resting on summaries only (the full text is in every report and in `explain`)."""
        c = self.doc["citation"]
        mark = "" if c["basis"] == "primary" else " †"
        if c.get("short"):
            return str(c["short"]) + mark
        ref = str(c.get("reference") or c["document"])
        for prefix in ("SFC circular ", "SFC "):
            ref = ref.removeprefix(prefix)
        paragraph = re.sub(r"\s+\([^()]*\s[^()]*\)$", "", str(c["paragraph"]))  # (an explanation, not "(b)")
        return f"{ref} {paragraph}" + mark

    @property
    def basis(self) -> str:
        """primary: the cited paragraph was read in the regulator's own text; secondary: only summaries were."""
        return str(self.doc["citation"]["basis"])

    @property
    def source(self) -> str:
        """sfc: a condition the regulator set; policy: the firm's own implementation of a principle."""
        return str(self.doc.get("source", "sfc"))

    @property
    def scope(self) -> str:
        return str(self.doc.get("scope", "audit"))

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.doc.get("tags", ()))

    @property
    def effective_from(self) -> date:
        return date.fromisoformat(self.doc["effective_from"])

    @property
    def effective_to(self) -> date | None:
        end = self.doc.get("effective_to")
        return date.fromisoformat(end) if end else None

    def in_force(self, day: date) -> bool:
        end = self.effective_to
        return self.effective_from <= day and (end is None or day <= end)

    @property
    def key(self) -> tuple[str, ...]:
        if "key" in self.doc:
            return tuple(self.doc["key"])
        if "group" in self.doc:
            return tuple(self.doc["group"]["by"])
        return load_dictionary()[self.dataset].key

    def datasets(self) -> list[str]:
        """Every dataset the rule reads: it is skipped unless all are present."""
        out = [self.dataset]
        for lk in self.doc.get("lookups", {}).values():
            out.append(lk["dataset"])
        for rel in self.doc.get("group", {}).get("related", {}).values():
            out.append(rel["dataset"])
        for source in self.doc.get("group", {}).get("also", []):
            out.append(source["dataset"])
        for part in ("applies_when", "violation_when", "let"):
            _collect_exists(self.doc.get(part), out)
        return list(dict.fromkeys(out))


def _collect_exists(node: Any, out: list[str]) -> None:
    """The datasets an `exists` or a `related` aggregate reads, anywhere in a part of a rule."""
    if isinstance(node, dict):
        for construct in ("exists", "related"):
            ex = node.get(construct)
            if isinstance(ex, dict) and isinstance(ex.get("dataset"), str):
                out.append(ex["dataset"])
        for v in node.values():
            _collect_exists(v, out)
    elif isinstance(node, list):
        for v in node:
            _collect_exists(v, out)


@lru_cache(maxsize=1)
def rule_schema() -> dict[str, Any]:
    return json.loads(resources.files("sfc_check.schemas").joinpath("rule.schema.json").read_text("utf-8"))


def bundled_rules_dir() -> Path:
    """The rule pack shipped with the package (sfc_check/rules when installed, rules/ in a checkout)."""
    try:
        return Path(str(resources.files("sfc_check.rules")))
    except ModuleNotFoundError:  # imported from a source checkout: the pack sits beside the package
        return Path(__file__).resolve().parents[2] / "rules"


def find_rule_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.exists():
        raise RuleFileError("rules folder not found", str(path))
    files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise RuleFileError("no rule files (*.yaml) found", str(path))
    return files


def _parameters(doc: YamlDocument) -> tuple[Parameter, ...]:
    out = []
    for name, p in (doc.data.get("parameters") or {}).items():
        if "values" in p:
            vals = tuple((date.fromisoformat(v["from"]), date.fromisoformat(v["to"]) if v.get("to") else None,
                          v["value"]) for v in sorted(p["values"], key=lambda v: v["from"]))
        else:
            vals = ((date.min, None, p["value"]),)
        kind = p.get("type") or _infer_type(vals[0][2])
        param = Parameter(name=name, source=p["source"], description=p["description"], type=kind,
                          values=vals, stricter=p.get("stricter"), unit=p.get("unit"), basis=p.get("basis"))
        places = [(["parameters", name, "values", i, "value"], v["value"]) for i, v in enumerate(p["values"])] \
            if "values" in p else [(["parameters", name, "value"], p["value"])]
        for where, raw in places:
            problem = parameter_value_problem(param, raw)
            if problem:
                raise RuleFileError(f"parameter {name!r} {problem}", doc.path, doc.line_of(where))
        out.append(param)
        if p["source"] == "sfc" and kind in ("decimal", "integer", "list") and not p.get("stricter"):
            raise RuleFileError(f"parameter {name!r} is set by the SFC: say which way a firm may tighten it "
                                "(stricter: higher, lower or subset)", doc.path, doc.line_of(["parameters", name]))
    return tuple(out)


def typed_parameter(p: Parameter, raw: Any) -> Any:
    """A parameter value as rules read it (the file's YAML scalar, or a policy file's, made exact)."""
    if p.type == "decimal":
        return Decimal(str(raw))
    if p.type == "integer":
        return int(raw)
    if p.type == "date":
        return date.fromisoformat(str(raw))
    if p.type == "list":
        return [str(v) for v in raw]
    return raw


def parameter_values(rule: Rule, as_of: date, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Typed parameter values in force on `as_of`, with any policy overrides already approved."""
    return {p.name: typed_parameter(p, (overrides or {}).get(p.name, p.value_on(as_of))) for p in rule.parameters}


def parameter_value_problem(p: Parameter, raw: Any) -> str | None:
    """Why `raw` cannot be a value of `p` (None when it can): caught where the value is written, with its line,
    not as an exception while rules compile."""
    shown = repr(raw)
    wrong = f"must be a {p.type}, got {shown if len(shown) <= 60 else shown[:57] + '...'}"
    if p.type == "list":
        return None if isinstance(raw, list) and not any(isinstance(v, (dict, list)) for v in raw) else wrong
    if isinstance(raw, (dict, list)):
        return wrong
    if p.type in ("decimal", "integer") and (raw is None or isinstance(raw, bool)):
        return wrong
    if p.type == "bool" and not isinstance(raw, bool):
        return wrong
    try:
        value = typed_parameter(p, raw)
    except (ValueError, TypeError, ArithmeticError):
        return wrong
    if p.type == "decimal" and not value.is_finite():
        return wrong
    if p.type in ("decimal", "integer") and not _fits_engine(Decimal(value)):
        return (f"must be a {p.type} the engine holds exactly (at most 28 digits before the point and 10 after), "
                f"got {shown if len(shown) <= 60 else shown[:57] + '...'}")
    return None


def _fits_engine(value: Decimal) -> bool:
    """Whether a number is exact in the engine's DECIMAL(38,10): below 10^28 and at most 10 decimal places."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return False
    return abs(value) < Decimal(10) ** 28 and (exponent >= -10 or value == value.quantize(Decimal(1).scaleb(-10)))


def _infer_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "decimal"
    if isinstance(value, list):
        return "list"
    return "string"


def load_rule_file(path: Path) -> Rule:
    """Parse and schema-validate one rule file (meaning is checked by `check_rules`); a file unchanged since it
    was last loaded in this process is not parsed again (a test suite or a server loads the pack many times)."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = ""  # (reading it again below names the problem)
    return _unchanged_rule_file(str(path), digest)


@lru_cache(maxsize=1024)
def _unchanged_rule_file(path: str, digest: str) -> Rule:
    rule = _load_rule_file(Path(path))
    check_plan(rule)
    return rule


def _load_rule_file(path: Path) -> Rule:
    doc = load_yaml_file(path)
    if not isinstance(doc.data, dict):
        raise RuleFileError("a rule file holds one mapping (id, title, severity, …)", str(path), 1)
    validate_document(doc, rule_schema(), "rule")
    data = doc.data
    dictionary = load_dictionary()
    if data["dataset"] not in dictionary:
        raise RuleFileError(f"unknown dataset {data['dataset']!r}"
                            f"{_hint(data['dataset'], dictionary)}", str(path), doc.line_of(["dataset"]))
    if path.stem != data["id"]:
        raise RuleFileError(f"rule {data['id']} must live in a file named {data['id']}.yaml", str(path),
                            doc.line_of(["id"]))
    return Rule(id=data["id"], title=data["title"], severity=Severity(data["severity"]), dataset=data["dataset"],
                path=str(path), sha256=doc.sha256, doc=data, yaml=doc, parameters=_parameters(doc))


def check_plan(rule: Rule) -> None:
    """Semantic validation: plan the rule as a run would (on its first day in force); errors name file and line."""
    try:
        build_plan(rule, parameter_values(rule, rule.effective_from), rule.effective_from)
    except CompileError as exc:
        raise RuleFileError(str(exc), rule.path, rule.yaml.line_of(list(exc.where))) from None


def _hint(name: str, known: Iterable[str]) -> str:
    known = list(known)
    return did_you_mean(name, known) or f" (known: {', '.join(known)})"


def load_rules(path: Path | None = None, scope: str | None = "audit") -> list[Rule]:
    """Load the rules under `path` (default: the bundled pack), validated in shape and meaning.

    `scope` keeps audit rules (default), sign-off rules, or (None) both; all files are validated either way.
    """
    root = path or bundled_rules_dir()
    rules = [load_rule_file(p) for p in find_rule_files(root)]
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleFileError(f"duplicate rule id {rule.id} (also in {seen[rule.id].path})", rule.path,
                                rule.yaml.line_of(["id"]))
        seen[rule.id] = rule
    return sorted((r for r in rules if scope is None or r.scope == scope), key=lambda r: r.id)


def validate_rule_files(path: Path | None = None) -> tuple[int, list[RuleFileError]]:
    """`rules validate`: every error of every file (all schema errors of a file; its first error of meaning
    when its shape is right) and every duplicate id, instead of stopping at the first."""
    errors: list[RuleFileError] = []
    seen: dict[str, Rule] = {}
    files = find_rule_files(path or bundled_rules_dir())
    for file in files:
        try:
            doc = load_yaml_file(file)
        except RuleFileError as exc:
            errors.append(exc)
            continue
        shape = schema_errors(doc, rule_schema(), "rule") if isinstance(doc.data, dict) else []
        if shape:
            errors += shape
            continue
        try:
            rule = load_rule_file(file)
        except RuleFileError as exc:
            errors.append(exc)
            continue
        if rule.id in seen:
            errors.append(RuleFileError(f"duplicate rule id {rule.id} (also in {seen[rule.id].path})", rule.path,
                                        rule.yaml.line_of(["id"])))
        seen[rule.id] = rule
    return len(files), errors


def find_rule(rule_id: str, path: Path | None = None) -> Rule | None:
    """One rule by id, reading only its own file (rule files are named by id) when there is one; else the pack."""
    root = path or bundled_rules_dir()
    wanted = rule_id.upper()
    if root.is_dir():
        for file in root.rglob(f"{wanted}.yaml"):
            rule = load_rule_file(file)
            if rule.id == wanted:
                return rule
    return next((r for r in load_rules(path, scope=None) if r.id == wanted), None)


def pack_fingerprint(rules: list[Rule]) -> str:
    """One hash over every rule file's hash, in id order: two runs with the same pack show the same value."""
    h = hashlib.sha256()
    for r in sorted(rules, key=lambda r: r.id):
        h.update(f"{r.id}:{r.sha256}\n".encode())
    return h.hexdigest()


def refuse_secondary(rules: list[Rule]) -> None:
    """--require-primary: a rule whose citation rests on summaries only stops the run before anything is read."""
    secondary = [r.id for r in rules if r.basis != "primary"]
    if secondary:
        raise UsageError(f"--require-primary: {len(secondary)} selected rule(s) rest on secondary sources only: "
                         f"{', '.join(secondary)} (select others with --only/--skip)")


def select_rules(rules: list[Rule], only: list[str], skip: list[str]) -> list[Rule]:
    """Apply --only / --skip, each an id or a tag; an unknown one is a usage error, not silently nothing."""
    known = {r.id for r in rules} | {t for r in rules for t in r.tags}
    for sel in [*only, *skip]:
        if sel not in known:
            raise UsageError(f"no rule id or tag {sel!r}{_hint(sel, sorted(known))}")

    def hit(rule: Rule, sels: list[str]) -> bool:
        return any(s == rule.id or s in rule.tags for s in sels)
    chosen = [r for r in rules if not only or hit(r, only)]
    return [r for r in chosen if not hit(r, skip)]
