"""The records of a JSON export, one at a time: a large `.json` file is never parsed whole.

`json.loads` on a 230 MB array of a million trades held 1.4 GB. Here the text is read in 1 MB pieces and each
element of the array is decoded by the json module's own C scanner (`raw_decode`), so memory holds one piece
and one record. The array may be the whole document or, in a top-level object, the value of "records" (or of
"data"). Errors name the line and column as `json.loads` would.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, NamedTuple, NoReturn, TextIO

from ..errors import DataError

PIECE = 1 << 20            # characters read at a time
LARGEST_VALUE = 64 << 20   # a single record (or skipped value) longer than this is taken as a broken file


class RepeatedKeys(dict):
    """A JSON object that names a key more than once: `json` would keep the last value silently, so the reader
    can reject the record instead when such a key is one of its fields (`repeated`, in order of appearance)."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    twice: dict[str, None] = {}
    for k, _ in pairs:
        if k in seen:
            twice[k] = None
        seen.add(k)
    marked = RepeatedKeys(pairs)
    marked.repeated = tuple(twice)
    return marked


_DECODER = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=_object)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")  # only such an escape can make a lone one


class JsonProblem(NamedTuple):
    """A record that decoded but cannot be data (it is rejected, the file read on): how it starts, and why."""

    start: str
    reason: str


def lone_surrogate(value: Any) -> str | None:
    """The first lone UTF-16 surrogate in a decoded value (`"\\udcff"` decodes to one; no report can write it)."""
    if isinstance(value, str):
        return next((c for c in value if "\ud800" <= c <= "\udfff"), None)
    if isinstance(value, dict):
        return next((x for k, v in value.items() for x in (lone_surrogate(k), lone_surrogate(v)) if x), None)
    if isinstance(value, list):
        return next((x for v in value if (x := lone_surrogate(v))), None)
    return None


def undecodable(exc: Exception) -> str:
    """Why json could not build a value that is valid JSON text: too deep, or a number too long for Python."""
    if isinstance(exc, RecursionError):
        return "nested too deeply (arrays or objects inside each other past Python's limit)"
    return "a number with more than 4,300 digits (too long to read)" if "digits" in str(exc) else \
        f"not readable: {str(exc).split(';')[0][:120]}"


def _surrogate_problem(text: str, value: Any) -> JsonProblem | None:
    char = lone_surrogate(value) if _SURROGATE_ESCAPE.search(text) else None
    if char is None:
        return None
    return JsonProblem(text.strip()[:80], f"text holds a lone UTF-16 surrogate (\\u{ord(char):04x}), which is "
                                          "not a character")
_WHITESPACE = " \t\n\r"


class _Text:
    """A window on the text: `buf[pos:]` is not consumed yet. For error positions it counts the newlines
    dropped with consumed text, and the characters dropped since the last of them."""

    def __init__(self, text: TextIO, display: str) -> None:
        self._text, self._display = text, display
        self.buf, self.pos, self.eof = "", 0, False
        self.lines = self.column = 0

    def more(self) -> bool:
        if self.eof:
            return False
        piece = self._text.read(PIECE)
        if not piece:
            self.eof = True
            return False
        if self.pos > PIECE:  # drop what is consumed
            newlines = self.buf.count("\n", 0, self.pos)
            self.lines += newlines
            self.column = (self.column if not newlines else 0) + self.pos - (self.buf.rfind("\n", 0, self.pos) + 1)
            self.buf, self.pos = self.buf[self.pos:], 0
        self.buf += piece
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end), without consuming it."""
        while True:
            buf, pos, n = self.buf, self.pos, len(self.buf)
            while pos < n and buf[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < n:
                return buf[pos]
            if not self.more():
                return ""

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            self.fail(what)
        self.pos += 1

    def closes(self, close: str) -> bool:
        """After a member: True at the closing bracket, False at a comma (both consumed), else the error."""
        after = self.peek()
        if after == close:
            self.pos += 1
            return True
        if after != ",":
            self.fail("Expecting ',' delimiter")
        self.pos += 1
        return False

    def value(self) -> Any:
        """Decode the value starting at the next non-whitespace character."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos < LARGEST_VALUE and self.more():
                    continue  # the value may be cut at the end of the window: read on and try again
                self.fail(exc.msg, exc.pos)
            except (RecursionError, ValueError) as exc:  # valid JSON that Python cannot hold
                self.fail(undecodable(exc))
            if end == len(self.buf) and not self.eof and self.more():
                continue  # a number at the window's end may go on (12|34)
            start, self.pos = self.pos, end
            return _surrogate_problem(self.buf[start:end], value) or value

    def fail(self, msg: str, at: int | None = None) -> NoReturn:
        """Stop with json's message at the 1-based line and column of `at` (default: the current position)."""
        at = self.pos if at is None else at
        newline = self.buf.rfind("\n", 0, at)
        line = self.lines + self.buf.count("\n", 0, at) + 1
        column = at - newline if newline >= 0 else self.column + at + 1
        raise DataError(f"invalid JSON: {msg}", self._display, line, column)


def json_records(text: TextIO, display: str, arrays: tuple[str, ...] = ("records", "data"),
                 kept: dict[str, Any] | None = None, shape: str = "a JSON array of objects (one per record)"
                 ) -> Iterator[tuple[int, Any]]:
    """(index from 1, value) for each element of the file's array of records: the whole document, or in a
    top-level object the member `arrays[0]` (or, when it has none, a later name). With `kept`, the document
    must be an object, and the members named by `kept`'s keys are stored there (a report read as a baseline
    keeps its run section; its other sections are read past, never held)."""
    t = _Text(text, display)
    first = t.peek()
    if first == "":
        raise DataError(f"empty file: expected {shape}", display)
    if first == "[" and kept is None:
        yield from _elements(t)
    elif first == "{":
        yield from _wrapped(t, display, arrays, kept, shape)
    else:
        t.value()  # a bad token fails with json's message; a lone scalar is the wrong shape
        raise DataError(f"expected {shape}", display, 1)
    if t.peek() != "":
        t.fail("Extra data")


def _elements(t: _Text) -> Iterator[tuple[int, Any]]:
    t.expect("[", "Expecting value")
    if t.peek() == "]":
        t.pos += 1
        return
    index = 0
    while True:
        index += 1
        yield index, t.value()
        if t.closes("]"):
            return


def _wrapped(t: _Text, display: str, arrays: tuple[str, ...], kept: dict[str, Any] | None,
             shape: str) -> Iterator[tuple[int, Any]]:
    """A top-level object: stream its `arrays[0]` array (or a later name's when it has no `arrays[0]`)."""
    t.expect("{", "Expecting value")
    streamed: str | None = None
    if t.peek() == "}":
        t.pos += 1
    else:
        while True:
            if t.peek() != '"':
                t.fail("Expecting property name enclosed in double quotes")
            key = t.value()
            t.expect(":", "Expecting ':' delimiter")
            if key == arrays[0] or (key in arrays and streamed is None):
                if t.peek() == "[":
                    if streamed is not None:
                        raise DataError(f"the JSON object has more than one array of records "
                                        f"({', '.join(repr(a) for a in arrays)}): keep one", display)
                    streamed = key
                    yield from _elements(t)
                elif key == arrays[0]:
                    raise DataError(f"expected {shape}", display, 1)
                else:
                    t.value()  # a later name that is not the records: the first may still come
            elif kept is not None and key in kept:
                kept[key] = t.value()
            else:
                t.value()  # another member (metadata): read past it
            if t.closes("}"):
                break
    if streamed is None:
        raise DataError(f"expected {shape}", display, 1)


def json_lines(text: TextIO, blank: Callable[[], None], problem: Callable[[str, str], Any]
               ) -> Iterator[tuple[int, Any]]:
    """(record index, value) per record of a JSON Lines file. The report contract numbers JSON Lines rows by
    1-based record index, so empty lines are not counted (`blank()` is told of each). A line that is not JSON
    gives `problem(its start, reason)` in place of a value (the record is rejected); its reason names the
    line too when blank lines made the two numbers differ, so an editor still finds it."""
    decode = _DECODER.decode  # json.loads with a keyword would build a decoder per line
    index = 0
    for lineno, line in enumerate(text, 1):
        if not line.strip():
            blank()
            continue
        index += 1
        try:
            value = decode(line)
        except json.JSONDecodeError as exc:
            column = min(exc.pos, len(line.rstrip("\r\n"))) + 1  # the line's own newline is not a column
            where = f"column {column}" if lineno == index else f"line {lineno}, column {column}"
            yield index, problem(line.strip()[:80], f"invalid JSON: {exc.msg} at {where}")
            continue
        except (RecursionError, ValueError) as exc:
            yield index, problem(line.strip()[:80], undecodable(exc))
            continue
        bad = _surrogate_problem(line, value)
        yield index, problem(bad.start, bad.reason) if bad else value
