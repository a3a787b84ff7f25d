"""LOAD DATA: find the export files in a folder and give each the reader of its format."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataError
from ..rejectedrows import RejectedSink
from .csvreader import CsvReader
from .dictionary import load_dictionary
from .parquetfile import ParquetSource
from .recordreader import RecordReader
from .rowreader import InputFile, RowReader
from .sheets import SheetReader

FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx",
           ".parquet": "parquet"}


def discover(data_dir: Path) -> tuple[dict[str, InputFile], list[str]]:
    """Map dataset name → file by file stem; files of no known dataset are returned as ignored."""
    if not data_dir.exists():
        raise DataError("data folder not found", str(data_dir))
    if not data_dir.is_dir():
        raise DataError("not a folder: give the folder that holds the exported files", str(data_dir))
    dictionary = load_dictionary()
    found: dict[str, InputFile] = {}
    ignored: list[str] = []
    try:
        entries = sorted(data_dir.iterdir())
    except OSError as exc:
        raise DataError(f"cannot list folder: {exc.strerror}", str(data_dir)) from None
    for entry in entries:
        fmt = FORMATS.get(entry.suffix.lower())
        spec = dictionary.get(entry.stem.lower())
        if fmt is None or spec is None:
            if not entry.name.startswith(".") and entry.is_file():
                ignored.append(entry.name)
            continue
        refuse_unreadable(entry)
        if spec.name in found:
            raise DataError(f"two files hold dataset {spec.name!r}: {found[spec.name].display} and {entry.name}; "
                            "keep one", str(entry))
        found[spec.name] = InputFile(spec, entry, entry.name, fmt)
    return found, ignored


def refuse_unreadable(path: Path) -> None:
    """A file named as a dataset that is not a readable regular file stops the run: taking it as absent would
    skip its rules and let the run pass (a broken link, a folder, a FIFO or a device never holds an export)."""
    what = None
    if path.is_symlink() and not path.exists():
        what = "a broken symbolic link"
    elif path.is_dir():
        what = "a folder"
    elif path.exists() and not path.is_file():
        what = "not a regular file (a FIFO or a device)"
    elif not os.access(path, os.R_OK):
        what = "not readable (permission denied)"
    if what:
        raise DataError(f"cannot read this export: it is {what}" if what.startswith("a ") else
                        f"cannot read this export: {what}", str(path))


def open_reader(source: InputFile, rejected: RejectedSink, encoding: str | None = None
                ) -> RowReader | ParquetSource:
    """The reader of the file's format; its rows stream from `batches()` (or iteration), bad ones to `rejected`.
    (A Parquet file is read by the engine itself.)"""
    if source.format == "parquet":
        return ParquetSource(source, rejected, encoding)
    reader = {"csv": CsvReader, "json": RecordReader, "jsonl": RecordReader, "xlsx": SheetReader}[source.format]
    return reader(source, rejected, encoding)
