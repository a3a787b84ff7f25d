"""The Markdown report: the HTML report's content for tickets and e-mail, with every value escaped."""
from __future__ import annotations

import re
from typing import Any

from .text import visible
from .view import ReportView

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md(value: Any) -> str:
    """Escape text so a client name cannot become markup, a link or a table cell break."""
    text = visible(value).replace("\\x0d", " ").replace("\\x0a", " ")  # (a line break reads as a space)
    return _SPECIAL.sub(r"\\\1", text)


def render_markdown(document: dict[str, Any]) -> str:
    view = ReportView(document, rows_per_rule=None)  # (Markdown lists every violation)
    run, s = document["run"], document["summary"]
    lines = [f"# sfc-check audit — {md(view.verdict)}", "",
             f"Data: `{md(run['data_dir'])}` · as of **{run['as_of']}** ({md(run['timezone'])}) · fail-on "
             f"{run['fail_on']}{' (new only)' if run.get('fail_on_new') else ''} · exit code {s['exit_code']}", ""]
    if s.get("decided_by"):
        lines += [f"**Decided by:** {md('; '.join(s['decided_by']))}", ""]
    lines += [f"> **Warning:** {md(w)}" for w in s.get("warnings", [])]
    lines += ([""] if lines[-1] else []) + ["## Summary", "", "| severity | unwaived violations |", "|---|---|"]
    lines += [f"| {sev} | {n:,} |" for sev, n in s["by_severity"].items()]
    stale = f", {s.get('stale_waivers', 0)} stale waiver(s)" if document.get("waivers") else ""
    lines += ["", f"{s['violations']:,} violation(s), {s['waived']:,} waived{stale}, {s['new']:,} new, "
              f"{s['resolved']:,} resolved; {s['rules_failed']} of {s['rules_checked']} rules failed, "
              f"{s.get('rules_not_evaluable', 0)} not evaluable, {s['rules_skipped']} skipped; "
              f"{s['rows_read']:,} rows read, {s['rows_rejected']:,} rejected.", "",
              "## Rules", "", "| rule | severity | status | checked | violations | waived | reference |",
              "|---|---|---|---|---|---|---|"]
    for r in view.rules_sorted():
        status = r["status"].replace("_", " ") + (f" ({r['reason']})" if r.get("reason") else "")
        lines.append(f"| {r['id']} | {r['severity']} | {md(status)} | {r['checked']:,} | {r['violations']:,} | "
                     f"{r['waived']} | {md(r.get('reference') or r['citation'])} |")
    for section in view.failing_rules():
        rule = section["rule"]
        lines += ["", f"## {rule['id']} — {md(rule['title'])} ({rule['severity']})", "",
                  f"**Citation:** {md(rule['citation'])}  ", f"**Why:** {md(section['rationale'])}", "",
                  "| where | key | message | waived | baseline |", "|---|---|---|---|---|"]
        for v in section["violations"]:
            lines.append(f"| {md(view.where(v))} | {md(view.key(v))} | {md(v['message'])} | "
                         f"{'yes' if v['waived'] else ''} | {v.get('baseline', '')} |")
    if document["rejected_rows"]:
        lines += ["", "## Rejected rows", "", "| file | row | column | value | reason |", "|---|---|---|---|---|"]
        lines += [f"| {md(r['path'])} | {r['row']} | {md(r['column'])} | {md(r['value'])} | {md(r['reason'])} |"
                  for r in document["rejected_rows"]]
    if document.get("waivers"):
        w = document["waivers"]
        lines += ["", "## Waivers", ""]
        for label in ("applied", "expired", "not_yet_approved", "stale"):
            for x in w[label]:
                lines.append(f"- {label}: {x['rule_id']} {md(view.key(x))} — {md(x['reason'])} (approved by "
                             f"{md(x['approved_by'])} on {x['approved_on']}, expires {x['expires_on']})")
    if document.get("baseline"):
        lines += ["", f"## Resolved since the baseline ({md(document['baseline']['previous_as_of'])})", ""]
        lines += [f"- {r['rule_id']} {md(view.key(r))}: {md(r.get('message'))}" for r in
                  document["baseline"]["resolved"]] or ["- none"]
    m = document["manifest"]
    lines += ["", "## Evidence manifest", "",
              f"- sfc-check {m['tool_version']}; rule pack sha256 `{m['rule_pack_sha256']}`",
              f"- as of {m['as_of']} ({md(m['timezone'])}); run {m['started_at']} to {m['finished_at']}",
              f"- policy: {md(m['policy']['name']) + ' sha256 `' + m['policy']['sha256'] + '`' if m['policy'] else 'none'}",
              "", "| input | sha256 | rows read | rejected |", "|---|---|---|---|"]
    lines += [f"| {md(i['path'])} | `{i['sha256']}` | {i['rows_read']} | {i['rows_rejected']} |" for i in m["inputs"]]
    lines += ["", "| rule file | sha256 |", "|---|---|"]
    lines += [f"| {md(f['path'])} | `{f['sha256']}` |" for f in m["rule_files"]]
    return "\n".join(lines) + "\n"
