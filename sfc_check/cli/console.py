"""The terminal view: the only module that imports rich. Colour and progress bars only on a terminal."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..app.selftest import ExampleResult
from ..language.rulepack import Rule

STATUS_STYLE = {"fail": "bold red", "pass": "green", "skipped": "yellow", "not_evaluable": "yellow",
                "not_in_force": "dim"}
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
VIOLATIONS_SHOWN_PER_RULE = 5


def make_console(stderr: bool = False, no_color: bool = False) -> Console:
    """A console that writes plain text (no colour, ASCII table borders) when not attached to a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(file=stream, no_color=no_color or not terminal, highlight=False,
                   soft_wrap=not terminal, width=None if terminal else 160,
                   emoji=False, force_terminal=terminal if terminal else False)


def _box(console: Console) -> box.Box:
    return box.ROUNDED if console.is_terminal else box.ASCII


def render_audit(console: Console, doc: dict[str, Any]) -> None:
    """Rules summary, then the first violations of each failing rule, then rejected rows and the verdict."""
    run = doc["run"]
    console.print(f"sfc-check {doc['tool']['version']} — audit of {escape(run['data_dir'])} as of {run['as_of']} "
                  f"({run['timezone']}), rules: {escape(run['rules'])}")
    inputs = Table(title="Inputs", box=_box(console), title_justify="left")
    for col in ("dataset", "file", "rows read", "rejected"):
        inputs.add_column(col, justify="right" if col in ("rows read", "rejected") else "left")
    for i in doc["inputs"]:
        inputs.add_row(i["dataset"], escape(i["path"]), f"{i['rows_read']:,}", f"{i['rows_rejected']:,}")
    console.print(inputs)
    if doc.get("ignored_files"):
        console.print(f"Ignored files (no canonical dataset name): {escape(', '.join(doc['ignored_files']))}")

    table = Table(title="Rules", box=_box(console), title_justify="left")
    for col in ("rule", "severity", "status", "checked", "violations", "citation"):
        table.add_column(col, justify="right" if col in ("checked", "violations") else "left",
                         overflow="fold")
    for r in doc["rules"]:
        status = r["status"] + (f" ({r['reason']})" if r.get("reason") else "")
        table.add_row(r["id"], f"[{SEVERITY_STYLE[r['severity']]}]{r['severity']}[/]",
                      f"[{STATUS_STYLE.get(r['status'], '')}]{escape(status)}[/]", f"{r['checked']:,}",
                      f"{r['violations']:,}", escape(r["citation"]))
    console.print(table)
    _render_parameters(console, doc)

    by_rule: dict[str, list[dict[str, Any]]] = {}  # the first few per rule: the rest only counted
    counts: dict[str, int] = {}
    for v in doc["violations"]:
        shown = by_rule.setdefault(v["rule_id"], [])
        if len(shown) < VIOLATIONS_SHOWN_PER_RULE:
            shown.append(v)
        counts[v["rule_id"]] = counts.get(v["rule_id"], 0) + 1
    for rule_id, items in by_rule.items():
        first, total = items[0], counts[rule_id]
        console.print(f"\n[{SEVERITY_STYLE[first['severity']]}]{rule_id}[/] ({first['severity']}) — "
                      f"{total:,} violation(s) — {escape(first['citation'])}")
        for v in items:
            where = f"{v['path']}:{v['row']}" if v.get("row") else (v.get("path") or v["dataset"])
            key = ", ".join(f"{k}={val}" for k, val in v["key"].items())
            console.print(f"  {escape(where)} [{escape(key)}] {escape(v['message'])}")
        if total > len(items):
            console.print(f"  … and {total - len(items):,} more (see --format json)")

    rejected = doc["rejected_rows"]
    if rejected:
        console.print(f"\n[yellow]{len(rejected):,} row(s) rejected[/] (not evaluated):")
        for r in rejected[:10]:
            col = f" column {r['column']}" if r.get("column") else ""
            val = f" value {r['value']!r}" if r.get("value") is not None else ""
            console.print(f"  {escape(r['path'])}:{r['row']}{escape(col)}{escape(val)}: {escape(r['reason'])}")
        if len(rejected) > 10:
            console.print(f"  … and {len(rejected) - 10:,} more (see --format json)")
    console.print("\n" + summary_line(doc))


def _render_parameters(console: Console, doc: dict[str, Any]) -> None:
    """Every parameter value the run used, marked when a policy file set it."""
    rows = [(r["id"], p) for r in doc["rules"] for p in r.get("parameters", [])]
    if not rows:
        return
    policy = doc["run"].get("policy")
    title = "Parameters" + (f" (policy: {policy['name']})" if policy else "")
    table = Table(title=escape(title), box=_box(console), title_justify="left")
    for col in ("rule", "parameter", "value", "source"):
        table.add_column(col, overflow="fold")
    for rule_id, p in rows:
        value = ", ".join(map(str, p["value"])) if isinstance(p["value"], list) else str(p["value"])
        origin = p["source"].upper() if p["source"] == "sfc" else "policy"
        if p["from_policy"]:
            origin += " — set by policy file" + (" (stricter than the SFC value)" if p["stricter_than_sfc"] else "")
            origin += f", default {p['default']}"
        table.add_row(rule_id, p["name"], escape(value), escape(origin))
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
        table.add_row(r.id, f"[{SEVERITY_STYLE[r.severity.value]}]{r.severity.value}[/]", escape(r.title),
                      escape(r.citation), r.basis, f"{r.effective_from.isoformat()} – {end}")
    console.print(table)


def render_explain(console: Console, text: str) -> None:
    from rich.markdown import Markdown
    if console.is_terminal:
        console.print(Markdown(text))
    else:
        console.print(text, markup=False)


def render_example_results(console: Console, results: list[ExampleResult]) -> None:
    for r in results:
        mark = "[green]ok[/]  " if r.ok else "[bold red]FAIL[/]"
        detail = "" if r.ok else f" — expected {r.expect}, got {r.got}: {escape(r.detail)}"
        console.print(f"{mark} {escape(r.test_id)}{detail}")
    failed = sum(1 for r in results if not r.ok)
    console.print(f"{len(results) - failed} of {len(results)} examples passed"
                  + (f", [bold red]{failed} failed[/]" if failed else ""))


class ProgressBars:
    """A rich progress bar per dataset pass, shown only on a terminal (never in cron logs)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,} rows"),
                                  TimeElapsedColumn(), console=console, transient=True)
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> ProgressBars:
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.stop()

    def start(self, dataset: str, path: str) -> Callable[[int], None]:
        task = self._progress.add_task(f"reading {path}", total=None)
        self._tasks[dataset] = task
        count = [0]
        progress = self._progress

        def tick(rows: int) -> None:
            count[0] += rows
            progress.update(task, completed=count[0])
        return tick

    def finish(self, dataset: str) -> None:
        self._progress.remove_task(self._tasks.pop(dataset))


def render_signoff(console: Console, d: dict[str, Any]) -> None:
    """Verdict first, then each check and attestation with its result, then the open items."""
    style = "bold green" if d["verdict"] == "ready" else "bold red"
    console.print(f"Sign-off of {escape(str(d['product']))} ({escape(d['kind_title'])}) as of {d['as_of']}: "
                  f"[{style}]{d['verdict'].upper()}[/]")
    table = Table(box=_box(console), title="Checks", title_justify="left")
    for col in ("check", "severity", "result", "citation"):
        table.add_column(col, overflow="fold")
    for c in d["checks"]:
        colour = "red" if c["result"] == "fail" else "green" if c["result"] == "pass" else "yellow"
        table.add_row(f"{c['rule_id']} {escape(c['title'])}", c["severity"], f"[{colour}]{c['result']}[/]",
                      escape(c["citation"]))
    console.print(table)
    att = Table(box=_box(console), title="Attestations", title_justify="left")
    for col in ("id", "status", "attester", "date"):
        att.add_column(col, overflow="fold")
    for a in d["attestations"]:
        colour = "green" if a["status"] == "attested" else "red"
        att.add_row(a["id"], f"[{colour}]{a['status']}[/] {escape(a['reason'])}", escape(a["attester"] or ""),
                    a["date"] or "")
    console.print(att)
    if d["open_items"]:
        console.print(f"[bold]{len(d['open_items'])} open item(s):[/]")
        for o in d["open_items"]:
            console.print(f"  {o['id']}: {escape(o['what'])} — {escape(o['detail'])}")


def render_profile_check(console: Console, report: dict[str, Any]) -> None:
    """Mapping, first rows and problems per dataset, for someone writing a profile."""
    console.print(f"Profile {escape(report['profile'])} ({escape(report['path'])})")
    for ds in report["datasets"]:
        console.print(f"\n[bold]{ds['dataset']}[/] ← {escape(ds['file'])}: {ds['rows_read']:,} rows read, "
                      f"{ds['rows_rejected']:,} rejected, {ds.get('rows_filtered', 0):,} filtered out")
        table = Table(box=_box(console))
        table.add_column("field")
        table.add_column("source", overflow="fold")
        for m in ds["mapping"]:
            table.add_row(m["field"] + (" *" if m["required"] else ""), escape(m["source"]))
        console.print(table)
        if ds["rows"]:
            rows = Table(box=_box(console), title="first rows as read", title_justify="left")
            cols = [c for c in ds["rows"][0]]
            for c in cols:
                rows.add_column(c, overflow="fold")
            for r in ds["rows"]:
                rows.add_row(*[escape("" if r[c] is None else str(r[c])) for c in cols])
            console.print(rows)
    if report["problems"]:
        console.print(f"\n[bold red]{len(report['problems'])} problem(s):[/]")
        for p in report["problems"]:
            console.print(f"  - {escape(p)}")
    else:
        console.print("\n[green]no problems found[/]")
