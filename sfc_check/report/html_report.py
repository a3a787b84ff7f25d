"""The HTML report: one self-contained, printable file; Jinja2 autoescaping keeps client data from becoming markup."""
from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from .view import ReportView

if TYPE_CHECKING:
    from jinja2 import Environment


@cache
def environment() -> Environment:
    """The template environment, made on first use: Jinja2 costs about 9 MB and 10 ms to import, which every
    audit, cron run and `rules` command paid although only HTML output needs it."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    return Environment(loader=PackageLoader("sfc_check.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=False)


def render_html(document: dict[str, Any]) -> str:
    template = environment().get_template("report.html.j2")
    return template.render(doc=document, run=document["run"], s=document["summary"], view=ReportView(document))
