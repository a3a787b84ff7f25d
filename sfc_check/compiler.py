"""Compile a validated rule into closures over row positions, once per run, before any data is read.

Record rules become one verdict closure per row; group rules (groups.py) become feeders, one per dataset they
aggregate, plus a final check per group. Lookups and `exists` indexes are shared per dataset through a
SlotPlan (compileenv.py), so two rules that look up the same client cost one dictionary probe per row.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .batch import Batch, BatchVerdict, batch_of, batch_verdict, shared
from .compileenv import CompileEnv, SlotPlan, TableRef, parameter_values
from .conditions import Cond, compile_condition
from .dictionary import DatasetSpec, load_dictionary
from .errors import RuleFileError, did_you_mean
from .expressions import compile_value
from .messages import evidence_fns, message_fn
from .rulepack import Rule
from .scope import CompileError, Fn, Name, Scope, Typed, looked_up_field, record_field

if TYPE_CHECKING:
    from .groups import GroupFeeder, GroupState

DEFAULT_TZ = "Asia/Hong_Kong"


_PARAM_TYPE = {"decimal": "decimal", "integer": "integer", "list": "list", "string": "string", "date": "date",
               "bool": "bool"}


@dataclass
class Missing:
    """A lookup whose record is absent: either the rule is broken (violation) or the record is skipped."""

    slot: int
    alias: str
    dataset: str
    local_fields: tuple[str, ...]
    local_positions: tuple[int, ...]
    violation: bool
    render: Callable[[list[Any]], str] | None = None


@dataclass
class CompiledRule:
    """A rule ready to evaluate: closures, the fields it reads and what to show when it fires."""

    rule: Rule
    kind: str                                 # "record" or "group"
    dataset: str
    applies: Cond | None
    condition: Cond
    message: Callable[[list[Any]], str]
    evidence: list[tuple[str, Fn]]
    key_fields: tuple[str, ...]
    key_positions: tuple[int, ...] = ()
    missing: list[Missing] = field(default_factory=list)
    reads: set[tuple[str, str]] = field(default_factory=set)
    fields: set[tuple[str, str]] = field(default_factory=set)  # every field the rule touches, messages included
    parameters: dict[str, Any] = field(default_factory=dict)
    feeders: list[GroupFeeder] = field(default_factory=list)
    group: GroupState | None = None  # group rules: accumulators judged after the passes
    verdict: Callable[[list[Any]], Any] | None = None

    @cached_property
    def evidence_names(self) -> tuple[str, ...]:
        """The evidence field names, one tuple shared by all the rule's violations."""
        return tuple(name for name, _ in self.evidence)
    batch_verdict: Callable[[Batch], BatchVerdict] | None = None  # record rules with a column form throughout


def field_names(spec: DatasetSpec, slot: int, prefix: str = "", table: TableRef | None = None) -> dict[str, Name]:
    """The names of a dataset's fields: of the record (slot 0) or of a record found in `table`."""
    names = {}
    for i, f in enumerate(spec.fields):
        if slot == 0:
            fn = record_field(i)
        else:
            assert table is not None
            fn = looked_up_field(slot, i, table.position)
        names[prefix + f.name] = Name(Typed(fn, f.type, f.values, f.case, ref=(slot, i)), spec.name, f.name,
                                      table.kept if table is not None else None)
    return names


def _where(rule: Rule, path: tuple[Any, ...]) -> int | None:
    return rule.yaml.line_of(list(path))


def compile_rule(rule: Rule, env: CompileEnv) -> CompiledRule:
    """Compile one rule against the run's environment; a CompileError carries the path inside the rule."""
    dictionary = load_dictionary()
    doc = rule.doc
    params = parameter_values(rule, env.as_of, env.overrides.get(rule.id))
    ptypes = {p.name: _PARAM_TYPE[p.type] for p in rule.parameters}
    spec = dictionary[rule.dataset]

    if "group" in doc:
        from .groups import compile_group  # groups build on this module's scopes and messages
        return compile_group(rule, env, params, ptypes, spec)

    plan = env.plan(rule.dataset)
    names = field_names(spec, 0)
    missing: list[Missing] = []
    joins: set[tuple[str, str]] = set()
    for alias, lk in (doc.get("lookups") or {}).items():
        target = dataset_spec(lk["dataset"], ("lookups", alias, "dataset"))
        local = tuple(lk["on"].keys())
        remote = tuple(lk["on"].values())
        for f in local:
            if f not in spec.by_name:
                raise CompileError(f"lookup {alias}: {rule.dataset} has no field {f!r}", ("lookups", alias, "on"))
        if tuple(sorted(remote)) != tuple(sorted(target.key)):
            raise CompileError(f"lookup {alias}: must join on the key of {target.name} "
                               f"({', '.join(target.key)}); use exists: for a non-unique match",
                               ("lookups", alias, "on"))
        order = [remote.index(k) for k in target.key]
        joins |= {(rule.dataset, f) for f in local} | {(target.name, f) for f in remote}
        local_pos = tuple(spec.index(local[i]) for i in order)
        ref = env.table(target.name, target.key, True)
        ref.readers.add(rule.dataset)
        slot = plan.lookup_slot(local_pos, ref)
        names.update(field_names(target, slot, alias + ".", ref))
        mode = lk.get("missing", "skip")
        if mode != "null":
            missing.append(Missing(slot, alias, target.name, tuple(local[i] for i in order), local_pos,
                                   mode == "violation"))
    scope = Scope(names, params, ptypes, env.as_of, env.tz, memo=plan.memo, extra_index=len(spec.fields))
    for m, (alias, lk) in zip(missing, [(a, lk) for a, lk in (doc.get("lookups") or {}).items()
                                        if lk.get("missing", "skip") != "null"]):
        if m.violation:
            default = f"{alias} " + " ".join(f"{{{f}}}" for f in m.local_fields) + f" is missing from {m.dataset}"
            m.render = message_fn(lk.get("missing_message") or default, scope)
    add_lets(doc, scope, plan)
    exists = _exists_hook(env, plan, dictionary)
    applies = (compile_condition(doc["applies_when"], scope, ("applies_when",), exists)
               if "applies_when" in doc else None)
    condition = compile_condition(doc["violation_when"], scope, ("violation_when",), exists)
    message = message_fn(doc["message"], scope)
    evidence = evidence_fns(scope, [m.local_fields for m in missing])
    key_fields = rule.key
    for k in key_fields:
        if k not in spec.by_name:
            raise CompileError(f"key field {k!r} is not a field of {rule.dataset}", ("key",))
    return CompiledRule(rule=rule, kind="record", dataset=rule.dataset, applies=applies, condition=condition,
                        message=message, evidence=evidence, key_fields=key_fields,
                        key_positions=tuple(spec.index(k) for k in key_fields), missing=missing,
                        reads=scope.reads, parameters={n: params[n] for n in params},
                        fields=scope.reads | scope.shown | joins | {(rule.dataset, k) for k in key_fields},
                        verdict=_verdict(missing, applies, condition),
                        batch_verdict=_batch_verdict(missing, applies, condition))


NOT_APPLICABLE = object()  # a verdict: the record is outside the rule (scope or missing lookup)


def _verdict(missing: list[Missing], applies: Cond | None, condition: Cond) -> Callable[[list[Any]], Any]:
    """One closure per rule and row: False (pass), True (violation), NOT_APPLICABLE, or the Missing lookup."""
    if not missing and applies is None:
        return condition
    if not missing:
        assert applies is not None
        return lambda ctx: condition(ctx) if applies(ctx) else NOT_APPLICABLE

    def verdict(ctx: list[Any]) -> Any:
        for m in missing:
            if ctx[m.slot] is None:
                return m if m.violation else NOT_APPLICABLE
        if applies is not None and not applies(ctx):
            return NOT_APPLICABLE
        return condition(ctx)
    return verdict


def _batch_verdict(missing: list[Missing], applies: Cond | None, condition: Cond
                   ) -> Callable[[Batch], BatchVerdict] | None:
    """The same verdict a batch of rows at a time, when every part of the rule has a column form."""
    condition_column = batch_of(condition)
    applies_column = batch_of(applies) if applies is not None else None
    if condition_column is None or (applies is not None and applies_column is None):
        return None
    return batch_verdict(missing, applies_column, condition_column)


def dataset_spec(name: str, where: tuple[Any, ...]) -> DatasetSpec:
    """The dictionary's dataset of that name; an unknown one is a CompileError at `where` in the rule."""
    dictionary = load_dictionary()
    if name not in dictionary:
        raise CompileError(f"unknown dataset {name!r}{did_you_mean(name, dictionary)}", where)
    return dictionary[name]



def add_lets(doc: dict[str, Any], scope: Scope, plan: SlotPlan | None = None) -> None:
    """Compile `let` values; in a record pass each gets a ctx slot so it is computed at most once per row."""
    for name, expr in (doc.get("let") or {}).items():
        if name in scope.names:
            raise CompileError(f"let {name!r} hides a field of the same name", ("let", name))
        typed = compile_value(expr, scope, ("let", name))
        if plan is not None and not typed.constant and typed.ref is None:
            key = ("let", id(doc), name)
            column = typed.column()
            typed = Typed(plan.memo(key, typed.fn), typed.type, typed.enum_values, typed.case,
                          batch=shared(key, column) if column is not None else None)
        scope.names[name] = Name(typed)


def _exists_hook(env: CompileEnv, plan: SlotPlan, dictionary: dict[str, DatasetSpec]
                 ) -> Callable[[Any, Scope, tuple[Any, ...]], Cond]:
    def hook(spec: Any, scope: Scope, where: tuple[Any, ...]) -> Cond:
        target = dataset_spec(spec["dataset"], where + ("dataset",))
        alias = spec["as"]
        local = tuple(spec["on"].keys())
        remote = tuple(spec["on"].values())
        for f in remote:
            if f not in target.by_name:
                raise CompileError(f"exists: {target.name} has no field {f!r}", where + ("on",))
        local_fns = [scope.name(f, where + ("on",)).fn for f in local]
        ref = env.table(target.name, remote, False)
        ref.readers.add(plan.dataset)
        slot = plan.new_slot()
        inner_names = dict(scope.names)
        inner_names.update(field_names(target, slot, alias + ".", ref))
        inner = Scope(inner_names, scope.params, scope.param_types, scope.as_of, scope.tz,
                      scope.used, scope.used_params, scope.reads)
        cond = compile_condition(spec["where"], inner, where + ("where",), hook) if "where" in spec else None
        # the inner record's values change per candidate: they are not evidence of the outer record
        scope.used[:] = [u for u in scope.used if not u.startswith(alias + ".")]
        for f in remote:
            scope.reads.add((target.name, f))
        single = local_fns[0] if len(local_fns) == 1 else None

        def exists(ctx: list[Any]) -> bool:
            key = single(ctx) if single else tuple(f(ctx) for f in local_fns)
            if key is None:
                return False
            for r in ref.table.get(key, ()):
                ctx[slot] = r
                if cond is None or cond(ctx):
                    return True
            return False
        return exists
    return hook


def check_rule(rule: Rule) -> None:
    """Semantic validation: compile the rule as a run would; errors name the file and line."""
    env = CompileEnv(as_of=rule.effective_from, tz=ZoneInfo(DEFAULT_TZ))
    try:
        compile_rule(rule, env)
    except CompileError as exc:
        raise RuleFileError(str(exc), rule.path, _where(rule, exc.where)) from None
