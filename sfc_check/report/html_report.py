"""The HTML report: one self-contained, printable file; Jinja2 autoescaping keeps client data from becoming markup."""
from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from .text import visible
from .view import ReportView

if TYPE_CHECKING:
    from jinja2 import Environment


@cache
def environment() -> Environment:
    """The template environment, made on first use: Jinja2 costs about 9 MB and 10 ms to import, which every
    audit, cron run and `rules` command paid although only HTML output needs it."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    return Environment(loader=PackageLoader("sfc_check.report", "templates"), finalize=_finalize,
                       autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=False)


def _finalize(value: Any) -> Any:
    """Every value a template prints passes here before escaping: text shows its control characters as
    escapes (numbers and markup the template builds are left alone)."""
    return visible(value) if isinstance(value, str) else value


def render_html(document: dict[str, Any]) -> str:
    template = environment().get_template("report.html.j2")
    return template.render(doc=document, run=document["run"], s=document["summary"], view=ReportView(document))
