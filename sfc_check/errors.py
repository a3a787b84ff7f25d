"""The error catalogue: every problem that stops a run (exit code 2), with a stable code and a location."""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class SfcCheckError(Exception):
    """A problem that prevents the audit from running as asked; the CLI prints it and exits 2."""

    message: str
    path: str | None = None
    line: int | None = None
    column: int | str | None = None
    code: str = "error"

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
                if isinstance(self.column, int):
                    where += f":{self.column}"
            if isinstance(self.column, str):
                where += f" (column {self.column!r})"
            where += ": "
        return f"{where}{self.message}"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest known name, or "": every unknown-name error offers the same hint."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class RuleFileError(SfcCheckError):
    """A rule, policy or other YAML file is unreadable, malformed or inconsistent."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message, path, line, column, code="rule-file")


class DataError(SfcCheckError):
    """An input file cannot be read as the dataset it claims to be (missing column, bad encoding…)."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 column: int | str | None = None) -> None:
        super().__init__(message, path, line, column, code="data")


class UsageError(SfcCheckError):
    """The command line asks for something that cannot be done (unknown rule id, bad date, unwritable output)."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message, path, code="usage")
