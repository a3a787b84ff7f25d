"""Report writers: pure functions of one neutral result document, registered by format name."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .csv_report import render_csv
from .html_report import render_html
from .json_report import render_json, stream_json
from .junit_report import render_junit
from .markdown_report import render_markdown
from .parquet_report import parquet_writer
from .sarif_report import render_sarif, stream_sarif

RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
    "html": render_html,
    "junit": render_junit,
    "sarif": render_sarif,
}

# formats written piece by piece (the others are small enough to render whole)
STREAMERS: dict[str, Callable[[dict[str, Any]], Iterable[str]]] = {"json": stream_json, "sarif": stream_sarif}

# binary formats: a writer of the file at a given (temporary) path
WRITERS: dict[str, Callable[[dict[str, Any]], Callable[[Path], None]]] = {"parquet": parquet_writer}

EXTENSIONS = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".html": "html",
              ".htm": "html", ".xml": "junit", ".sarif": "sarif", ".parquet": "parquet"}  # (cli.commands keeps a copy: it starts without us)
