"""`sfc-check init`: a starting profile for a firm's folder — every file read (never stopping at one), each
table matched to a dataset by its headers and values, each field to a column with a confidence, codes mapped
from every value seen, and a TODO wherever `init` guessed.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from ..data.dictionary import load_dictionary
from ..errors import UsageError
from .columnmatch import LIKELY, SURE, FieldChoice, dataset_scores, match_fields
from .samplefiles import FileSample, sample_folder

AMBIGUOUS = 0.1   # two datasets closer than this are both offered


class NothingToMap(Exception):
    """No file needs (or could get) a mapping: a profile of no dataset would not be valid, so none is written."""


def init_profile(data_dir: Path, encoding: str | None = None) -> str:
    """A starting profile for the files in DATA_DIR, with TODOs where a column or dataset could not be decided."""
    datasets = {n: s for n, s in load_dictionary().items() if not n.endswith("_product")}  # (sign-off only)
    lines = ["# Starting profile written by `sfc-check init`: check every line marked TODO, then run",
             f"#   sfc-check profile check --profile THIS_FILE {data_dir}",
             f"profile: {json.dumps(data_dir.name + ' exports', ensure_ascii=False)}",
             "timezone: Asia/Hong_Kong   # zone of timestamps without an offset; TODO confirm", "datasets:"]
    tables = sample_folder(data_dir, encoding)
    if not tables:
        raise UsageError("no export files here (.csv .txt .tsv .json .jsonl .ndjson .xlsx): nothing to profile",
                         str(data_dir))
    assigned: dict[str, list[tuple[float, FileSample]]] = defaultdict(list)
    for sample in tables:
        if _canonical(sample, datasets):
            lines.append(f"  # {sample.path.name}: the canonical {sample.path.stem.lower()} layout, read as it is "
                         "(no mapping needed)")
            continue
        if sample.problem:
            lines.append(f"  # TODO: {sample.path.name}: could not be read ({_one_line(sample.problem)}); "
                         "map it by hand or fix the file")
            continue
        scores = dataset_scores(sample, datasets)
        (best, name), (second, other) = scores[0], scores[1]
        where = sample.path.name + (f" sheet {sample.sheet!r}" if sample.sheet else "")
        if best < 0.35:
            lines.append(f"  # TODO: {where}: which dataset is this? (columns: {', '.join(sample.header[:20])})")
            continue
        if best - second < AMBIGUOUS:
            sample.notes.append(f"TODO: {name} or {other}? (the headers fit both; keep one)")
        assigned[name].append((best, sample))
    if not assigned:
        raise NothingToMap("\n".join(line.strip().lstrip("# ") for line in lines[5:]) or
                           "no file could be placed in a dataset")
    for name, scored in assigned.items():
        groups = sorted(_by_layout(scored), key=lambda g: -max(score for score, _ in g))
        lines += _dataset_lines(name, [s for _, s in groups[0]], datasets[name])
        for group in groups[1:]:  # a dataset is one layout: another one is the user's to place
            names = ", ".join(s.path.name + (f" sheet {s.sheet!r}" if s.sheet else "") for _, s in group)
            lines.append(f"  # TODO: {names} also resemble {name} but in another layout: map by hand "
                         "(a dataset reads files of one layout)")
    return "\n".join(lines) + "\n"


def _canonical(sample: FileSample, datasets: dict[str, Any]) -> bool:
    """A file named as a dataset whose headers are that dataset's field names: the audit reads it unprofiled."""
    spec = datasets.get(sample.path.stem.lower())
    return (spec is not None and sample.problem is None and not sample.sheet and sample.header_row == 1
            and sample.encoding is None and sample.delimiter == "," and sample.fmt in ("csv", "json", "jsonl")
            and all(h.strip().lower() in spec.by_name for h in sample.header if h))


def _by_layout(scored: list[tuple[float, FileSample]]) -> list[list[tuple[float, FileSample]]]:
    """Files of one dataset with the same layout read as one (daily files become one glob)."""
    groups: dict[tuple[Any, ...], list[tuple[float, FileSample]]] = defaultdict(list)
    for score, s in scored:
        groups[(tuple(s.header), s.fmt, s.sheet, s.encoding, s.delimiter, s.header_row)].append((score, s))
    return list(groups.values())


def file_pattern(files: list[Path]) -> str:
    """One name, or a glob that matches all of them: the digits that differ (dates) become *."""
    names = sorted({f.name for f in files})
    if len(names) == 1:
        return names[0]
    shapes = {re.sub(r"[0-9]+([-_.][0-9]+)*", "*", n) for n in names}
    if len(shapes) == 1:
        return shapes.pop()
    prefix = names[0]
    for n in names[1:]:
        while not n.startswith(prefix):
            prefix = prefix[:-1]
    return (prefix or "") + "*" + Path(names[0]).suffix


def _dataset_lines(name: str, group: list[FileSample], spec: Any) -> list[str]:
    first = group[0]
    out = [f"  {name}:", f"    file: {json.dumps(file_pattern([s.path for s in group]), ensure_ascii=False)}"]
    if first.fmt != (Path(first.path).suffix.lower().lstrip(".") or "csv") or first.path.suffix.lower() == ".txt":
        out.append(f"    format: {first.fmt}")
    if first.encoding:
        out.append(f"    encoding: {first.encoding}")
    if first.fmt == "csv" and first.delimiter != ",":
        out.append(f"    delimiter: {json.dumps(first.delimiter)}")
    if first.sheet:
        out.append(f"    sheet: {json.dumps(first.sheet, ensure_ascii=False)}")
    if first.header_row != 1:
        out.append(f"    header_row: {first.header_row}")
    for note in dict.fromkeys(n for s in group for n in s.notes):
        out.append(f"    # {note}")
    out.append("    fields:")
    choices = match_fields(first, spec)
    for c in choices:
        line = _field_line(c, tuple(spec.key))
        if line:
            out.append(line)
    taken = {c.column for c in choices if c.column} | {name for c in choices for name in (c.join or [])}
    unmatched = [h for h in first.header if h and h not in taken]
    if unmatched:
        out.append(f"      # columns not mapped (kept as extra.COLUMN for custom rules): "
                   f"{', '.join(unmatched[:30])}")
    return out


def _field_line(c: FieldChoice, key_fields: tuple[str, ...]) -> str | None:
    f = c.target
    if c.column is None:
        if f.name in key_fields:
            return (f"      {f.name}: {{synthesize: true}}   # TODO: no column holds a unique id: ids are made of "
                    "the file name and row number; give the column if there is one")
        if f.required:
            return (f"      {f.name}: unavailable   # TODO: required and no column matched: give its column, a "
                    "constant, or leave unavailable (its rules are then not evaluable)")
        return None
    source: dict[str, Any] = ({"join": c.join} if c.join else {"position": c.position} if c.position
                              else {"column": c.column})
    body = {**source, **c.spec}
    todos = []
    if c.position:
        todos.append(f"two columns are headed {c.column!r}: position {c.position} chosen")
    if c.confidence < SURE:
        todos.append(f"{c.why or 'unsure'} (confidence {c.confidence:.2f})")
    if c.todo:
        todos.append(c.todo)
    shown = json.dumps(c.column, ensure_ascii=False) if body == {"column": c.column} else \
        yaml.safe_dump(body, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    comment = f"   # TODO: {'; '.join(todos)}" if todos else ""
    return f"      {f.name}: {shown}{comment}"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


__all__ = ["init_profile", "file_pattern", "LIKELY"]
