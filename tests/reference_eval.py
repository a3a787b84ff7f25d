"""A deliberately simple reference interpreter of the rule language, for the differential test.

It walks the rule document for every record, over plain dicts, with none of the engine's compilation, fused
closures, memoisation, slot plans or shared passes. Same semantics, written as directly as possible.
"""
from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from sfc_check.data.dictionary import load_dictionary
from sfc_check.language.rulepack import Rule, parameter_values


def _enum_values(dataset: str, field: str) -> tuple[str, ...]:
    spec = load_dictionary()[dataset].by_name.get(field)
    return spec.values if spec is not None and spec.type == "enum" else ()


class Reference:
    def __init__(self, data: dict[str, list[dict[str, Any]]], as_of: date, tz: tzinfo) -> None:
        self.data, self.as_of, self.tz = data, as_of, tz

    # --- values -----------------------------------------------------------------------------------------
    def value(self, spec: Any, env: dict[str, Any], params: dict[str, Any]) -> Any:
        if isinstance(spec, dict):
            (op, arg), = spec.items()
            if op == "field":
                return env[arg]
            if op == "param":
                return params[arg]
            if op == "as_of":
                return self.as_of
            if op == "date":
                return self.to_date(self.value(arg, env, params))
            if op == "days_between":
                a, b = (self.to_date(self.value(x, env, params)) for x in arg)
                return None if a is None or b is None else (b - a).days
            if op == "seconds_between":
                a, b = (self.value(x, env, params) for x in arg)
                if not isinstance(a, datetime) or not isinstance(b, datetime):
                    return None
                d = b - a
                return Decimal(d.days * 86400 + d.seconds) + Decimal(d.microseconds).scaleb(-6)
            if op == "related":  # an aggregate over the joined records of another dataset
                rows = []
                for other in self.data[arg["dataset"]]:
                    if all(env[local] is not None and env[local] == other[remote] for local, remote in arg["on"].items()):
                        inner = dict(env)
                        inner.update({f"{arg['as']}.{k}": v for k, v in other.items()})
                        if "where" not in arg or self.cond(arg["where"], inner, params, {}):
                            rows.append(inner)
                if "count" in arg:
                    return len(rows)
                kind = "min" if "min" in arg else "max"
                values = [v for v in (self.value(arg[kind], r, params) for r in rows) if v is not None]
                return (min(values) if kind == "min" else max(values)) if values else None
            if op == "coalesce":
                for x in arg:
                    v = self.value(x, env, params)
                    if v is not None:
                        return v
                return None
            a, b = (self.value(x, env, params) for x in arg)
            if a is None or b is None:
                return None
            if op == "add":
                return a + b
            if op == "sub":
                return a - b
            if op == "mul":
                return a * b
            return None if b == 0 else Decimal(a) / Decimal(b)
        if isinstance(spec, float):
            return Decimal(repr(spec))
        if isinstance(spec, int) and not isinstance(spec, bool):
            return Decimal(spec)
        return spec

    def to_date(self, v: Any) -> Any:
        if isinstance(v, datetime):
            return v.astimezone(self.tz).date()
        if isinstance(v, str):
            return date.fromisoformat(v)
        return v

    # --- conditions -------------------------------------------------------------------------------------
    def cond(self, spec: dict[str, Any], env: dict[str, Any], params: dict[str, Any], types: dict[str, Any]) -> bool:
        if "all" in spec:
            return all(self.cond(c, env, params, types) for c in spec["all"])
        if "any" in spec:
            return any(self.cond(c, env, params, types) for c in spec["any"])
        if "not" in spec:
            return not self.cond(spec["not"], env, params, types)
        if "exists" in spec:
            ex = spec["exists"]
            for other in self.data[ex["dataset"]]:
                if all(env[local] is not None and env[local] == other[remote] for local, remote in ex["on"].items()):
                    inner = dict(env)
                    inner.update({f"{ex['as']}.{k}": v for k, v in other.items()})
                    if "where" not in ex or self.cond(ex["where"], inner, params, types):
                        return True
            return False
        subject_name = spec.get("field")
        left = env[subject_name] if "field" in spec else self.value(spec["value"], env, params)
        op = next(k for k in spec if k not in ("field", "value"))
        arg = spec[op]
        enum = types.get(subject_name, ())
        right = self.value(arg, env, params)
        if isinstance(right, str) and enum:
            right = right.lower()
        if isinstance(right, list) and enum:
            right = [r.lower() for r in right]
        if isinstance(left, date) and not isinstance(left, datetime) and isinstance(right, str):
            right = date.fromisoformat(right)
        if isinstance(left, datetime) and isinstance(right, date) and not isinstance(right, datetime):
            left = left.astimezone(self.tz).date()
        if isinstance(left, Decimal) and isinstance(right, str):
            right = Decimal(right)
        if op == "is_null":
            return left is None
        if op == "not_null":
            return left is not None
        if op == "is":
            return left == right
        if op == "is_not":
            return left != right
        if op in ("in", "not_in"):
            if left is None:
                return False
            members = [str(m).upper() if isinstance(left, str) and left.isupper() else m for m in right]
            return (left in members) if op == "in" else (left not in members)
        if left is None or right is None:
            return False
        if enum and op in ("lt", "le", "gt", "ge"):
            left, right = enum.index(left), enum.index(right)
        return {"eq": left == right, "ne": left != right, "lt": left < right, "le": left <= right,
                "gt": left > right, "ge": left >= right}[op]

    # --- rules ------------------------------------------------------------------------------------------
    def run(self, rule: Rule) -> set[tuple[str, ...]]:
        doc = rule.doc
        params = parameter_values(rule, self.as_of)
        if "group" in doc:
            return self._group(rule, params)
        found = set()
        types = {f: _enum_values(rule.dataset, f) for f in load_dictionary()[rule.dataset].by_name}
        for rec in self.data[rule.dataset]:
            env = dict(rec)
            skip = broken = False
            for alias, lk in (doc.get("lookups") or {}).items():
                match = [o for o in self.data[lk["dataset"]]
                         if all(rec[local] is not None and rec[local] == o[remote] for local, remote in lk["on"].items())]
                target = load_dictionary()[lk["dataset"]]
                types.update({f"{alias}.{f}": _enum_values(lk["dataset"], f) for f in target.by_name})
                if match:
                    env.update({f"{alias}.{k}": v for k, v in match[0].items()})
                else:
                    env.update({f"{alias}.{f}": None for f in target.by_name})
                    mode = lk.get("missing", "skip")
                    skip = skip or mode == "skip"
                    broken = broken or mode == "violation"
            if skip and not broken:
                continue
            if broken:
                found.add(tuple(str(rec[k]) for k in rule.key))
                continue
            for name, spec in (doc.get("let") or {}).items():
                env[name] = self.value(spec, env, params)
            if "applies_when" in doc and not self.cond(doc["applies_when"], env, params, types):
                continue
            if self.cond(doc["violation_when"], env, params, types):
                found.add(tuple(str(rec[k]) for k in rule.key))
        return found

    def _aggregate(self, rows: list[dict[str, Any]], aggs: dict[str, Any], params: dict[str, Any],
                   types: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, agg in aggs.items():
            chosen = [r for r in rows if "where" not in agg or self.cond(agg["where"], r, params, types)]
            if "count" in agg:
                out[name] = len(chosen)
                continue
            kind = next(k for k in ("sum", "min", "max") if k in agg)
            values = [v for v in (self.value(agg[kind], r, params) for r in chosen) if v is not None]
            out[name] = sum(values, Decimal(0)) if kind == "sum" else (min(values) if kind == "min" and values
                                                                      else max(values) if values else None)
        return out

    def _group(self, rule: Rule, params: dict[str, Any]) -> set[tuple[str, ...]]:
        g, doc = rule.doc["group"], rule.doc
        types = {f: _enum_values(rule.dataset, f) for f in load_dictionary()[rule.dataset].by_name}
        rows = [r for r in self.data[rule.dataset] if "where" not in g or self.cond(g["where"], r, params, types)]
        found_keys = {tuple(r[f] for f in g["by"]) for r in rows if all(r[f] is not None for f in g["by"])}
        for source in g.get("also", []):  # more groups: keys of another dataset's rows meeting its where
            stypes = {f: _enum_values(source["dataset"], f) for f in load_dictionary()[source["dataset"]].by_name}
            inverse = {v: k for k, v in source["on"].items()}
            for r in self.data[source["dataset"]]:
                key = tuple(r[inverse[f]] for f in g["by"])
                if None not in key and ("where" not in source or self.cond(source["where"], r, params, stypes)):
                    found_keys.add(key)
        keys = sorted(found_keys, key=lambda k: tuple(map(str, k)))
        found = set()
        for key in keys:
            members = [r for r in rows if tuple(r[f] for f in g["by"]) == key]
            env: dict[str, Any] = dict(zip(g["by"], key))
            env.update(self._aggregate(members, g["aggregates"], params, types))
            for alias, rel in (g.get("related") or {}).items():
                rtypes = {f: _enum_values(rel["dataset"], f) for f in load_dictionary()[rel["dataset"]].by_name}
                inverse = {v: k for k, v in rel["on"].items()}
                theirs = [r for r in self.data[rel["dataset"]]
                          if all(r[inverse[f]] == v for f, v in zip(g["by"], key))
                          and ("where" not in rel or self.cond(rel["where"], r, params, rtypes))]
                env.update({f"{alias}.{k}": v for k, v in self._aggregate(theirs, rel["aggregates"], params,
                                                                           rtypes).items()})
            for name, spec in (doc.get("let") or {}).items():
                env[name] = self.value(spec, env, params)
            if "applies_when" in doc and not self.cond(doc["applies_when"], env, params, {}):
                continue
            if self.cond(doc["violation_when"], env, params, {}):
                found.add(tuple(str(k) for k in key))
        return found
