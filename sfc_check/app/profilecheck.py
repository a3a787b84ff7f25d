"""`sfc-check profile check`: read every profiled file as an audit would, and report the mapping and problems."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..data.datasets import discover
from ..data.dictionary import load_dictionary
from ..data.profilereader import profile_sources
from ..data.profiles import load_profile
from ..errors import SfcCheckError
from ..model import RejectedRow, json_value


def _source_label(spec: Any) -> str:
    if spec is None:
        return "(canonical column name)"
    if spec == "unavailable":
        return "unavailable: rules reading it are not evaluable"
    if isinstance(spec, str):
        return f"column {spec!r}"
    for key, label in (("column", "column {!r}"), ("columns", "the first filled of {}"), ("position", "column #{}"),
                       ("constant", "constant {!r}")):
        if key in spec:
            extras = [k for k in ("format", "map", "number", "timezone", "pad", "strip", "fill_down") if k in spec]
            value = spec[key]
            shown = " or ".join(map(repr, value)) if isinstance(value, list) else value
            return label.format(shown) + (f" ({', '.join(extras)})" if extras else "")
    return "synthesised from file name and row"


def check_profile(path: Path, data_dir: Path, show: int = 5, encoding: str | None = None) -> dict[str, Any]:
    profile = load_profile(path)
    rejected: list[RejectedRow] = []
    sources = profile_sources(profile, data_dir, rejected, encoding)
    dictionary = load_dictionary()
    datasets, problems, urgent = [], [], []
    for name, dspec in profile.datasets.items():
        spec = dictionary[name]
        mapping = [{"field": f.name, "required": f.required, "source": _source_label(dspec["fields"].get(f.name))}
                   for f in spec.fields]
        entry: dict[str, Any] = {"dataset": name, "file": dspec["file"], "mapping": mapping, "rows": [],
                                 "files": [], "rows_read": 0, "rows_rejected": 0}
        for f in spec.fields:
            if f.required and dspec["fields"].get(f.name) == "unavailable":
                problems.append(f"{name}.{f.name}: required field declared unavailable; rules reading it will be "
                                "reported not evaluable")
        reader = sources.get(name)
        if reader is None:
            problems.append(f"{name}: no file matches {dspec['file']!r} in {data_dir}")
            datasets.append(entry)
            continue
        before = len(rejected)
        reader.every_problem = True
        try:
            for _, row in reader:
                if len(entry["rows"]) < show:
                    entry["rows"].append({f.name: json_value(v) for f, v in zip(spec.fields, row)})
        except Exception as exc:  # a file-level error is itself the finding here
            problems.append(f"{name}: {exc}")
        entry.update(files=reader.stats.files, rows_read=reader.stats.rows_read,
                     rows_rejected=reader.stats.rows_rejected, rows_filtered=reader.stats.rows_filtered)
        mine = sorted([*rejected[before:], *reader.other_problems], key=lambda r: (r.path, r.row))  # every bad cell
        by_column = Counter((r.column or "(row)", r.reason) for r in mine)
        for (column, reason), n in by_column.most_common():
            examples = [r for r in mine if (r.column or "(row)") == column and r.reason == reason][:3]
            where = ", ".join(f"{r.path}:{r.row} {r.value!r}" for r in examples)
            problems.append(f"{name}.{column}: {n} row(s) {reason} — e.g. {where}")
        per_column = Counter(r.column or "(row)" for r in mine)  # (a row's several bad cells: one per column)
        for column, n in per_column.items():
            if n and n * 10 >= entry["rows_read"] * 9:  # one wrong code can reject a whole export: said first
                urgent.append(f"{name}.{column}: {n:,} of {entry['rows_read']:,} rows are rejected on this column "
                              "— the rules reading it judge almost nothing until the mapping is fixed")
        datasets.append(entry)
    canonical = _canonical_inputs(data_dir, profile)
    return {"profile": profile.name, "path": str(path), "datasets": datasets, "problems": urgent + problems,
            "urgent": urgent, "canonical": canonical}


def _canonical_inputs(data_dir: Path, profile: Any) -> list[str]:
    """Files the audit reads as canonical datasets beside the profiled ones (what `audit` adds to them)."""
    try:
        files, _ = discover(data_dir)
    except SfcCheckError:
        return []
    return [f"{name} ← {f.display}" for name, f in sorted(files.items()) if name not in profile.datasets]
