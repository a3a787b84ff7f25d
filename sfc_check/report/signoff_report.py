"""The sign-off report (Markdown and self-contained HTML): verdict, checks, open items, attestations, sign-off
block and evidence manifest."""
from __future__ import annotations

from typing import Any

from .html_report import environment
from .markdown_report import md


def render_signoff_markdown(d: dict[str, Any]) -> str:
    lines = [f"# Pre-launch sign-off — {md(d['product'])} ({md(d['kind_title'])})", "",
             f"**Verdict: {d['verdict'].upper()}** · as of {d['as_of']} · sfc-check {d['tool']['version']}", ""]
    lines += [f"> **Warning:** {md(w)}" for w in d.get("warnings", [])] + ([""] if d.get("warnings") else [])
    lines += ["## Open items", ""]
    lines += [f"- **{o['id']}** — {md(o['what'])}: {md(o['detail'])} ({md(o['citation'])})" for o in d["open_items"]] \
        or ["None."]
    lines += ["", "## Checks", "", "| check | severity | result | citation | detail |", "|---|---|---|---|---|"]
    for c in d["checks"]:
        detail = "; ".join(c["messages"]) or (c.get("reason") or "")
        lines.append(f"| {c['rule_id']} {md(c['title'])} | {c['severity']} | {c['result']} | {md(c['citation'])} | "
                     f"{md(detail)} |")
    lines += ["", "## Attestations", "", "| id | requirement | status | attester | date | evidence |",
              "|---|---|---|---|---|---|"]
    for a in d["attestations"]:
        status = a["status"] + (f" ({a['reason']})" if a["reason"] else "")
        lines.append(f"| {a['id']} | {md(a['requirement'])} ({md(a['citation'])}) | {md(status)} | "
                     f"{md(a['attester'])} | {md(a['date'])} | {md(a['evidence'])} |")
    s = d["signoff"]
    lines += ["", "## Sign-off", "", f"- Prepared by: {md(s.get('prepared_by')) or '________________'}",
              f"- Approved by: {md(s.get('approver')) or '________________'}"
              + (f", {md(s['approver_title'])}" if s.get("approver_title") else ""),
              f"- Date: {md(s.get('date')) or '________________'}", "- Signature: ________________", ""]
    m = d["manifest"]
    lines += ["## Evidence manifest", "", f"- product file `{md(m['product_file'])}` sha256 `{m['product_sha256']}`",
              f"- rule pack sha256 `{m['rule_pack_sha256']}`; sfc-check {m['tool_version']}; run {m['started_at']}"]
    lines += [f"- rule {f['id']} sha256 `{f['sha256']}`" for f in m["rule_files"]]
    return "\n".join(lines) + "\n"


def render_signoff_html(d: dict[str, Any]) -> str:
    return environment().get_template("signoff.html.j2").render(d=d)
