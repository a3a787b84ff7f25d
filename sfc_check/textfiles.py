"""Input files as text: decoded strictly (never a replaced character), hashed as they are read, cut at byte
ranges for parts, and a decoding failure explained (where it fails, which encodings would fit)."""
from __future__ import annotations

import codecs
import hashlib
import io
import os
from pathlib import Path
from typing import IO, Any

from .errors import DataError

CANDIDATE_ENCODINGS = ("utf-8", "big5hkscs", "gb18030", "cp1252")


class HashingRaw(io.RawIOBase):
    """Raw file wrapper that hashes the bytes as they are read, so the sha256 costs no second pass."""

    def __init__(self, f: io.BufferedReader) -> None:
        self._f = f
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self._f.readinto(b)
        if n:
            self.sha256.update(memoryview(b)[:n])
        return n or 0

    def close(self) -> None:
        self._f.close()
        super().close()


SCAN_CHUNK = 1 << 22  # bytes read at a time by line_cuts: read, not mapped, so the file adds nothing to RSS


def line_cuts(f: IO[bytes], parts: int, chunk: int = SCAN_CHUNK) -> list[tuple[int, int, int]] | None:
    """Where a headed file can be cut into `parts` ranges read apart: (start, end, line ends before start) each,
    the first starting after the header line. None unless every line end is a record end: no quote character,
    and every CR is part of a CRLF. Cuts fall just after the first LF at or past each equal share of the size;
    None when two cuts would meet (too few lines for the parts)."""
    size = os.fstat(f.fileno()).st_size
    targets = [size * i // parts for i in range(1, parts)]
    cuts: list[tuple[int, int]] = []  # (offset just after an LF, LFs before that offset)
    offset = lines = 0
    cr_pending = False
    while block := f.read(chunk):
        if b'"' in block:
            return None
        if cr_pending and not block.startswith(b"\n"):
            return None
        crs = block.count(b"\r")
        cr_pending = block.endswith(b"\r")
        if crs - cr_pending != block.count(b"\r\n"):
            return None
        while len(cuts) < parts:  # the first cut ends the header; then one past each share of the size
            want = max(targets[len(cuts) - 1], cuts[-1][0]) if cuts else 0
            j = block.find(b"\n", max(want - offset, 0))
            if j == -1:
                break
            cuts.append((offset + j + 1, lines + block.count(b"\n", 0, j + 1)))
        lines += block.count(b"\n")
        offset += len(block)
    if cr_pending or len(cuts) != parts or cuts[-1][0] >= size:
        return None
    ends = [c for c, _ in cuts[1:]] + [size]
    out = [(start, end, before) for (start, before), end in zip(cuts, ends)]
    return out if all(a < b for a, b, _ in out) else None


class RangeRaw(io.RawIOBase):
    """A raw file that ends at byte `end`: one part of a file cut at a line end."""

    def __init__(self, raw_file: Any, end: int) -> None:
        self._file, self._left = raw_file, end - raw_file.tell()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        n = self._file.readinto(memoryview(buffer)[:min(len(buffer), self._left)])
        self._left -= n
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def open_text(path: Path, encoding: str | None) -> tuple[io.TextIOWrapper, HashingRaw, str]:
    """Stream a text file once: decoded strictly (a BOM picks utf-8-sig) and hashed as its bytes are read."""
    raw_file = path.open("rb")
    head = raw_file.peek(3)[:3]
    chosen = encoding or ("utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8")
    hashing = HashingRaw(raw_file)
    try:
        text = io.TextIOWrapper(io.BufferedReader(hashing, 1 << 20), encoding=chosen, errors="strict", newline="")
    except LookupError:
        hashing.close()
        raise DataError(f"unknown encoding {chosen!r}", str(path)) from None
    return text, hashing, chosen


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def decode_error(path: Path, display: str, encoding: str) -> DataError:
    """Name the byte offset where decoding fails and the encodings the whole file decodes in."""
    raw = path.read_bytes()
    offset = 0
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for offset in range(0, len(raw), 4096):
            decoder.decode(raw[offset:offset + 4096])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        offset = offset + exc.start
    line = raw[:offset].count(b"\n") + 1
    fits = []
    for cand in CANDIDATE_ENCODINGS:
        try:
            raw.decode(cand)
            fits.append(cand)
        except UnicodeDecodeError:
            pass
    hint = f"it decodes as {', '.join(fits)}" if fits else "no common encoding decodes it"
    return DataError(f"cannot decode as {encoding} at byte offset {offset} (line {line}); {hint}; "
                     "give the file's encoding with --encoding (characters are never replaced silently)",
                     display, line)
