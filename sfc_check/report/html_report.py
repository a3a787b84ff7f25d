"""The HTML report: one self-contained, printable file; Jinja2 autoescaping keeps client data from becoming markup."""
from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .view import ReportView

_ENV = Environment(loader=PackageLoader("sfc_check.report", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   trim_blocks=False)


def render_html(document: dict[str, Any]) -> str:
    template = _ENV.get_template("report.html.j2")
    return template.render(doc=document, run=document["run"], s=document["summary"], view=ReportView(document))
