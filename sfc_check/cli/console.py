"""The terminal view: the only module that imports rich. Colour and progress bars only on a terminal."""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..report.text import visible

if TYPE_CHECKING:  # (types only: the terminal view starts without the engine)
    from ..app.selftest import ExampleResult
    from ..language.rulepack import Rule

STATUS_STYLE = {"fail": "bold red", "pass": "green", "skipped": "yellow", "not_evaluable": "yellow",
                "not_in_force": "dim"}
SEVERITY_STYLE = {"critical": "bold reverse red", "high": "bold red", "medium": "yellow", "low": "cyan"}
VIOLATIONS_SHOWN_PER_RULE = 5


def make_console(stderr: bool = False, no_color: bool = False) -> Console:
    """A console that writes plain text (no colour, ASCII table borders) when not attached to a terminal.

    Colour: --no-color, then NO_COLOR (https://no-color.org: set and not empty), then FORCE_COLOR (colour and
    terminal layout even through a pipe, as CI logs want)."""
    stream = sys.stderr if stderr else sys.stdout
    forced = bool(os.environ.get("FORCE_COLOR"))
    terminal = stream.isatty() or forced
    colour = terminal and not no_color and not os.environ.get("NO_COLOR")
    # piped output keeps one width (160) whatever COLUMNS says, so cron mail and logs read the same every night
    width = None if stream.isatty() else (_columns(120) if forced else 160)
    return Console(file=stream, no_color=not colour, color_system="auto" if colour else None, highlight=False,
                   soft_wrap=not terminal, width=width, emoji=False, force_terminal=terminal)


def _columns(default: int) -> int:
    try:
        return max(40, int(os.environ.get("COLUMNS", default)))
    except ValueError:
        return default


SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def clean(text: Any) -> str:
    """Data as inert text: control characters (an ESC could clear the screen or retitle the terminal) and
    bidirectional overrides shown as escapes, rich markup escaped."""
    return escape(visible(text))


def shown_text(value: Any) -> str:
    """A cell value quoted, with escapes visible."""
    return json.dumps(value, ensure_ascii=False)


def severity_label(severity: str) -> str:
    """Critical and high differ in more than hue: critical is reversed, high is bold."""
    return f"[{SEVERITY_STYLE[severity]}]{severity}[/]"


def _box(console: Console) -> box.Box:
    return box.ROUNDED if console.is_terminal else box.ASCII


STATUS_ORDER = {"fail": 0, "not_evaluable": 1, "pass": 2, "skipped": 3, "not_in_force": 4}


def render_audit(console: Console, doc: dict[str, Any]) -> None:
    """Inputs, rules (worst first, with their marks), the first violations of each failing rule, rejected rows,
    then the cron line."""
    run = doc["run"]
    console.print(f"sfc-check {doc['tool']['version']} — audit of {clean(run['data_dir'])} as of {run['as_of']} "
                  f"({run['timezone']}), rules: {clean(run['rules'])}")
    inputs = Table(title="Inputs", box=_box(console), title_justify="left")
    for col in ("dataset", "file", "rows read", "rejected"):
        inputs.add_column(col, justify="right" if col in ("rows read", "rejected") else "left")
    for i in doc["inputs"]:
        inputs.add_row(i["dataset"], clean(i["path"]), f"{i['rows_read']:,}",
                       f"[bold red]{i['rows_rejected']:,}[/]" if i["rows_rejected"] else "0")
    console.print(inputs)
    for i in doc["inputs"]:
        for note in i.get("notes", []):
            console.print(f"[yellow]note[/] {clean(i['path'])}: {clean(note)}")
    if doc.get("ignored_files"):
        console.print(f"Ignored files (no canonical dataset name): {clean(', '.join(doc['ignored_files']))}")
    shown, marks = _violations_by_rule(doc)
    console.print(_rules_table(console, doc, marks))
    _render_parameters(console, doc)
    counts = {r["id"]: r["violations"] for r in doc["rules"]}
    titles = {r["id"]: r for r in doc["rules"]}
    for rule_id, items in shown.items():
        first, total = items[0], counts.get(rule_id, len(items))
        rule = titles.get(rule_id, {})
        console.print(f"\n{severity_label(first['severity'])} [bold]{rule_id}[/] {clean(rule.get('title', ''))} — "
                      f"{total:,} violation(s) — {clean(rule.get('reference', first['citation']))}")
        for v in items:
            where = f"{v['path']}:{v['row']}" if v.get("row") else (v.get("path") or v["dataset"])
            key = ", ".join(f"{k}={val}" for k, val in v["key"].items())
            console.print(f"  {_violation_mark(v)}{clean(where)} {clean('[' + key + ']')} {clean(v['message'])}")
        if total > len(items):
            console.print(f"  … and {total - len(items):,} more (see --format json)")
    _render_rejected(console, doc["rejected_rows"])
    _render_governance(console, doc)
    console.print("\n" + clean(summary_line(doc)))


def _violations_by_rule(doc: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, int]]]:
    """The first few violations of each rule (the rest only counted) and per rule its new and waived counts."""
    shown: dict[str, list[dict[str, Any]]] = {}
    marks: dict[str, dict[str, int]] = {}
    for v in doc["violations"]:
        items = shown.setdefault(v["rule_id"], [])
        if len(items) < VIOLATIONS_SHOWN_PER_RULE:
            items.append(v)
        mark = marks.setdefault(v["rule_id"], {})
        if v.get("waived"):
            mark["waived"] = mark.get("waived", 0) + 1
        if v.get("baseline") == "new":
            mark["new"] = mark.get("new", 0) + 1
    for r in (doc.get("baseline") or {}).get("resolved", ()):
        mark = marks.setdefault(r["rule_id"], {})
        mark["resolved"] = mark.get("resolved", 0) + 1
    for w in (doc.get("waivers") or {}).get("stale", ()):
        mark = marks.setdefault(w["rule_id"], {})
        mark["stale waiver"] = mark.get("stale waiver", 0) + 1
    return shown, marks


MARK_SYMBOLS = {"new": "+", "resolved": "-", "waived": "w", "stale waiver": "s"}


def _rules_table(console: Console, doc: dict[str, Any], marks: dict[str, dict[str, int]]) -> Table:
    """Failing rules first, worst severity and most violations first; then not evaluable, passing, the rest.
    No cell wraps: when the width is short, the reference is cut (the full citation is in explain), marks turn
    to symbols, columns close up, and the title (cut with an ellipsis) goes before anything else."""
    order = sorted(doc["rules"], key=lambda r: (STATUS_ORDER.get(r["status"], 9), SEVERITY_RANK[r["severity"]],
                                                -r["violations"], r["id"]))
    rows = [[r["id"], severity_label(r["severity"]),
             f"[{STATUS_STYLE.get(r['status'], '')}]{r['status'].replace('_', ' ')}[/]", f"{r['checked']:,}",
             f"{r['violations']:,}", ", ".join(f"{n:,} {what}" for what, n in marks.get(r["id"], {}).items()),
             clean(r.get("reference", "")), clean(r["title"])] for r in order]
    headers = ["rule", "severity", "status", "checked", "found", "marks", "reference", "title"]
    widths = [max([len(h)] + [Text.from_markup(row[i]).cell_len for row in rows]) for i, h in enumerate(headers)]
    keep = [i for i in range(7) if i != 5 or widths[5] > len(headers[5])]  # no marks column when nothing is marked
    width, gap, legend = console.width or 160, 2, ""

    def room() -> int:
        return width - sum(widths[i] for i in keep) - gap * len(keep)
    if room() < 12 and widths[6] > 18:
        widths[6] = 18
    if room() < 0 and 5 in keep:
        for row, r in zip(rows, order):
            row[5] = " ".join(f"{MARK_SYMBOLS[what]}{n:,}" for what, n in marks.get(r["id"], {}).items())
        widths[5] = max(len(headers[5]), *(len(row[5]) for row in rows))
        legend = "marks: +new  -resolved  w waived  s stale waiver"
    if room() < 0:
        gap = 1
    title_room = room()
    if title_room >= 12:
        keep.append(7)
        widths[7] = min(widths[7], title_room)
    table = Table(title="Rules", box=None, title_justify="left", show_edge=False, pad_edge=False,
                  padding=(0, 1), collapse_padding=gap == 1, header_style="bold underline")
    for i in keep:
        table.add_column(headers[i], justify="right" if i in (3, 4) else "left", no_wrap=True, overflow="ellipsis",
                         min_width=widths[i], max_width=widths[i])
    for row in rows:
        table.add_row(*[row[i] for i in keep])
    notes = [f"{rule_id}: {clean(r['reason'])}" for r in order if r.get("reason") and r["status"] != "not_in_force"
             for rule_id in (r["id"],)]
    if legend or notes:
        table.caption = "\n".join(([legend] if legend else []) + notes)
        table.caption_justify = "left"
    return table


def _violation_mark(v: dict[str, Any]) -> str:
    if v.get("waived"):
        return "[dim](waived)[/] "
    return "[bold magenta](new)[/] " if v.get("baseline") == "new" else ""


def _render_rejected(console: Console, rejected: Any) -> None:
    if not rejected:
        return
    console.print(f"\n[bold red]{len(rejected):,} row(s) rejected[/] (not evaluated):")
    for r in rejected[:10]:
        col = f" column {r['column']}" if r.get("column") else ""
        val = f" value {shown_text(r['value'])}" if r.get("value") is not None else ""
        console.print(f"  {clean(r['path'])}:{r['row']}{clean(col)}{clean(val)}: {clean(r['reason'])}")
    if len(rejected) > 10:
        console.print(f"  … and {len(rejected) - 10:,} more (see --format json)")


def _render_governance(console: Console, doc: dict[str, Any]) -> None:
    """Resolved violations and stale waivers: what the marks in the rules table count."""
    resolved = (doc.get("baseline") or {}).get("resolved", [])
    if resolved:
        console.print(f"\n[green]{len(resolved):,} resolved[/] since the baseline:")
        for r in resolved[:10]:
            key = ", ".join(f"{k}={val}" for k, val in r["key"].items())
            console.print(f"  {clean(r['rule_id'])} {clean('[' + key + ']')}")
    early = (doc.get("waivers") or {}).get("not_yet_approved", [])
    if early:
        console.print(f"\n[yellow]{len(early):,} waiver(s) not yet approved[/] on {doc['run']['as_of']} (approved "
                      "later: they do not apply to this date):")
        for w in early:
            key = ", ".join(f"{k}={val}" for k, val in w["key"].items())
            console.print(f"  {clean(w['rule_id'])} {clean('[' + key + ']')} approved {w['approved_on']}")
    stale = (doc.get("waivers") or {}).get("stale", [])
    if stale:
        console.print(f"\n[yellow]{len(stale):,} stale waiver(s)[/] (match no violation: remove or correct them):")
        for w in stale:
            key = ", ".join(f"{k}={val}" for k, val in w["key"].items())
            console.print(f"  {clean(w['rule_id'])} {clean('[' + key + ']')}")


def _render_parameters(console: Console, doc: dict[str, Any]) -> None:
    """Every parameter value the run used, marked when a policy file set it."""
    rows = [(r["id"], p) for r in doc["rules"] for p in r.get("parameters", [])]
    if not rows:
        return
    policy = doc["run"].get("policy")
    title = "Parameters" + (f" (policy: {policy['name']})" if policy else "")
    table = Table(title=clean(title), box=_box(console), title_justify="left")
    for col in ("rule", "parameter", "value", "source"):
        table.add_column(col, overflow="fold", no_wrap=col != "value")
    for rule_id, p in rows:
        value = ", ".join(map(str, p["value"])) if isinstance(p["value"], list) else str(p["value"])
        origin = p["source"].upper() if p["source"] == "sfc" else "policy"
        if p["from_policy"]:
            origin += " — set by policy file" + (" (stricter than the SFC value)" if p["stricter_than_sfc"] else "")
            origin += f", default {p['default']}"
        table.add_row(rule_id, p["name"], clean(value), clean(origin))
    console.print(table)


def summary_line(doc: dict[str, Any]) -> str:
    """One line for cron mail: the verdict and what decided it, then counts that add up.

    e.g. `FAIL (new critical 1): 48 violations — 1 new, 1 resolved, 1 waived, 1 stale waiver; unwaived: 24 critical,
    23 high; 2 of 113 rows rejected; 0 rules not evaluable, 0 skipped; fail-on high, new only; as of 2026-06-30`"""
    s, run = doc["summary"], doc["run"]
    verdict = {0: "PASS", 1: "FAIL"}.get(s["exit_code"], "NOT CHECKED")
    head = f"{verdict} ({'; '.join(s['decided_by'])})" if s.get("decided_by") else verdict
    marks = []
    if doc.get("baseline"):
        marks += [f"{s['new']:,} new", f"{s['resolved']:,} resolved"]
    marks.append(f"{s['waived']:,} waived")
    if doc.get("waivers"):
        marks.append(plural(s["stale_waivers"], "stale waiver"))
    unwaived = ", ".join(f"{n:,} {k}" for k, n in s["by_severity"].items() if n) or "none"
    mode = f"fail-on {run['fail_on']}" + (", new only" if run.get("fail_on_new") and doc.get("baseline") else "")
    line = (f"{head}: {plural(s['violations'], 'violation')} — {', '.join(marks)}; unwaived: {unwaived}; "
            f"{s['rows_rejected']:,} of {plural(s['rows_read'], 'row')} rejected; "
            f"{plural(s['rules_not_evaluable'], 'rule')} not evaluable, {s['rules_skipped']:,} skipped; "
            f"{mode}; as of {run['as_of']}")
    return line


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def render_rule_list(console: Console, rules: list[Rule]) -> None:
    table = Table(box=_box(console))
    for col in ("id", "severity", "title", "citation", "basis", "effective"):
        table.add_column(col, overflow="fold")
    for r in rules:
        end = r.effective_to.isoformat() if r.effective_to else ""
        table.add_row(r.id, f"[{SEVERITY_STYLE[r.severity.value]}]{r.severity.value}[/]", clean(r.title),
                      clean(r.citation), r.basis, f"{r.effective_from.isoformat()} – {end}")
    console.print(table)


def render_explain(console: Console, text: str) -> None:
    if console.is_terminal:
        from rich.markdown import Markdown
        console.print(Markdown(text))
    else:
        console.print(text, markup=False)


def render_example_results(console: Console, results: list[ExampleResult]) -> None:
    for r in results:
        mark = "[green]ok[/]  " if r.ok else "[bold red]FAIL[/]"
        detail = "" if r.ok else f" — expected {r.expect}, got {r.got}: {clean(r.detail)}"
        console.print(f"{mark} {clean(r.test_id)}{detail}")
    failed = sum(1 for r in results if not r.ok)
    console.print(f"{len(results) - failed} of {len(results)} examples passed"
                  + (f", [bold red]{failed} failed[/]" if failed else ""))


class ProgressBars:
    """A bar per dataset on a terminal (never in cron logs): percentage, MB/s and time left from the bytes read
    out of the file's size, and the rows so far. A file the engine reads in one statement shows a pulse."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                  TextColumn("{task.fields[rows]:,} rows"), TransferSpeedColumn(),
                                  TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                  console=console, transient=True)
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> ProgressBars:
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.stop()

    def start(self, dataset: str, path: str, total_bytes: int | None = None) -> Callable[[int, int | None], None]:
        """A bar for one dataset; the function returned takes (rows just read, bytes read so far)."""
        task = self._progress.add_task(f"reading {clean(path)}", total=total_bytes or None, rows=0)
        self._tasks[dataset] = task
        count = [0]
        progress = self._progress

        def tick(rows: int, bytes_read: int | None = None) -> None:
            count[0] += rows
            if bytes_read is not None:
                progress.update(task, completed=bytes_read, rows=count[0])
            else:
                progress.update(task, rows=count[0])
        return tick

    def finish(self, dataset: str) -> None:
        self._progress.remove_task(self._tasks.pop(dataset))


def render_signoff(console: Console, d: dict[str, Any]) -> None:
    """Verdict first, then each check and attestation with its result, then the open items."""
    style = "bold green" if d["verdict"] == "ready" else "bold red"
    console.print(f"Sign-off of {clean(str(d['product']))} ({clean(d['kind_title'])}) as of {d['as_of']}: "
                  f"[{style}]{d['verdict'].upper()}[/]")
    table = Table(box=_box(console), title="Checks", title_justify="left")
    for col in ("check", "severity", "result", "citation"):
        table.add_column(col, overflow="fold")
    for c in d["checks"]:
        colour = "red" if c["result"] == "fail" else "green" if c["result"] == "pass" else "yellow"
        table.add_row(f"{c['rule_id']} {clean(c['title'])}", c["severity"], f"[{colour}]{c['result']}[/]",
                      clean(c["citation"]))
    console.print(table)
    att = Table(box=_box(console), title="Attestations", title_justify="left")
    for col in ("id", "status", "attester", "date"):
        att.add_column(col, overflow="fold")
    for a in d["attestations"]:
        colour = "green" if a["status"] == "attested" else "red"
        att.add_row(a["id"], f"[{colour}]{a['status']}[/] {clean(a['reason'])}", clean(a["attester"] or ""),
                    a["date"] or "")
    console.print(att)
    for warning in d.get("warnings", []):
        console.print(f"[yellow]warning:[/] {clean(warning)}")
    if d["open_items"]:
        console.print(f"[bold]{len(d['open_items'])} open item(s):[/]")
        for o in d["open_items"]:
            console.print(f"  {o['id']}: {clean(o['what'])} — {clean(o['detail'])}")


def render_profile_check(console: Console, report: dict[str, Any]) -> None:
    """Mapping, first rows and problems per dataset, for someone writing a profile."""
    console.print(f"Profile {clean(report['profile'])} ({clean(report['path'])})")
    for ds in report["datasets"]:
        console.print(f"\n[bold]{ds['dataset']}[/] ← {clean(ds['file'])}: {ds['rows_read']:,} rows read, "
                      f"{ds['rows_rejected']:,} rejected, {ds.get('rows_filtered', 0):,} filtered out")
        table = Table(box=_box(console))
        table.add_column("field")
        table.add_column("source", overflow="fold")
        for m in ds["mapping"]:
            table.add_row(m["field"] + (" *" if m["required"] else ""), clean(m["source"]))
        console.print(table)
        if ds["rows"]:
            rows = Table(box=_box(console), title="first rows as read", title_justify="left")
            cols = [c for c in ds["rows"][0]]
            for c in cols:
                rows.add_column(c, overflow="fold")
            for r in ds["rows"]:
                rows.add_row(*[clean("" if r[c] is None else str(r[c])) for c in cols])
            console.print(rows)
    if report.get("canonical"):
        console.print("\nAlso read as canonical datasets: " + clean(", ".join(report["canonical"])))
    if report["problems"]:
        console.print(f"\n[bold red]{len(report['problems'])} problem(s):[/]")
        urgent = set(report.get("urgent", ()))
        for p in report["problems"]:
            console.print(f"  - [bold red]{clean(p)}[/]" if p in urgent else f"  - {clean(p)}")
    else:
        console.print("\n[green]no problems found[/]")
