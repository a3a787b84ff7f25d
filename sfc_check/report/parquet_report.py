"""The findings as Parquet: one row per violation, the table a data team appends to its warehouse night after
night (each row carries the run's as-of date, start time and rule-pack hash, so the nights stay apart)."""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

COLUMNS = {  # name → DuckDB type, in the file's column order
    "as_of": "DATE", "run_started_at": "TIMESTAMPTZ", "rule_pack_sha256": "VARCHAR", "rule_id": "VARCHAR",
    "severity": "VARCHAR", "dataset": "VARCHAR", "key_fields": "VARCHAR[]", "key": "VARCHAR",
    "key_value": "VARCHAR", "path": "VARCHAR", "row": "BIGINT", "message": "VARCHAR", "citation": "VARCHAR",
    "waived": "BOOLEAN", "waiver": "VARCHAR", "baseline": "VARCHAR", "evidence": "VARCHAR",
}


def parquet_writer(document: dict[str, Any]) -> Callable[[Path], None]:
    """A writer of the findings file at a given path (the caller renames it into place)."""
    def write(target: Path) -> None:
        write_findings(document, target)
    return write


def _record(run: dict[str, Any], v: dict[str, Any]) -> dict[str, Any]:
    return {"as_of": run.get("as_of"), "run_started_at": run.get("started_at"),
            "rule_pack_sha256": run.get("rule_pack_sha256"), "rule_id": v["rule_id"], "severity": v["severity"],
            "dataset": v["dataset"], "key_fields": list(v["key"]),
            "key": json.dumps(v["key"], ensure_ascii=False, sort_keys=True, default=str),
            "key_value": "; ".join(str(x) for x in v["key"].values()), "path": v.get("path"), "row": v.get("row"),
            "message": v["message"], "citation": v["citation"], "waived": bool(v["waived"]),
            "waiver": json.dumps(v["waiver"], ensure_ascii=False, sort_keys=True, default=str)
            if v.get("waiver") else None, "baseline": v.get("baseline"),
            "evidence": json.dumps(v["evidence"], ensure_ascii=False, sort_keys=True, default=str)}


def write_findings(document: dict[str, Any], target: Path) -> None:
    """Violations streamed to JSON Lines beside the target, then typed and compressed by DuckDB."""
    import duckdb
    run = document.get("run", {})
    fd, lines = tempfile.mkstemp(prefix=".sfc-check-findings-", suffix=".jsonl", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for v in document["violations"]:
                f.write(json.dumps(_record(run, v), ensure_ascii=False, default=str) + "\n")
        columns = ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items())
        selected = ", ".join(f'"{name}"' for name in COLUMNS)
        con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                                 "autoload_known_extensions": False})
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"COPY (SELECT {selected} FROM read_json(?, format = 'newline_delimited', "
                        f"columns = {{{columns}}}, maximum_object_size = 1073741824)) TO ? (FORMAT parquet)",
                        [lines, str(target)])
        finally:
            con.close()
    finally:
        Path(lines).unlink(missing_ok=True)
