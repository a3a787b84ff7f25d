"""Input files as text: decoded strictly (never a replaced character), hashed as they are read, and a decoding
failure explained (where it fails, which encodings would fit)."""
from __future__ import annotations

import codecs
import hashlib
import io
from pathlib import Path
from typing import Any

from ..errors import DataError

CANDIDATE_ENCODINGS = ("utf-8", "big5hkscs", "gb18030", "cp1252")


class HashingRaw(io.RawIOBase):
    """Raw file wrapper that hashes the bytes as they are read, so the sha256 costs no second pass."""

    def __init__(self, f: io.BufferedReader) -> None:
        self._f = f
        self.sha256 = hashlib.sha256()
        self.consumed = 0  # bytes read so far (a progress bar's measure)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self._f.readinto(b)
        if n:
            self.sha256.update(memoryview(b)[:n])
            self.consumed += n
        return n or 0

    def close(self) -> None:
        self._f.close()
        super().close()


def open_text(path: Path, encoding: str | None) -> tuple[io.TextIOWrapper, HashingRaw, str]:
    """Stream a text file once: decoded strictly (a BOM picks utf-8-sig) and hashed as its bytes are read."""
    raw_file = path.open("rb")
    head = raw_file.peek(4)[:4]
    chosen = encoding or bom_encoding(head) or "utf-8"
    if chosen.lower().replace("_", "-") in ("utf-16", "utf-32") and bom_encoding(head) is None:
        raw_file.close()
        raise DataError(f"--encoding {chosen} needs a byte-order mark and this file has none: give "
                        f"{chosen}-le or {chosen}-be", str(path))
    hashing = HashingRaw(raw_file)
    try:
        text = io.TextIOWrapper(io.BufferedReader(hashing, 1 << 20), encoding=chosen, errors="strict", newline="")
    except LookupError:
        hashing.close()
        raise DataError(f"unknown encoding {chosen!r}", str(path)) from None
    return text, hashing, chosen


def bom_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark names (UTF-32 before UTF-16: its little-endian mark starts with
    UTF-16's), or None."""
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
                      (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return name
    return None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def decode_error(path: Path, display: str, encoding: str, profiled: str | None = None) -> DataError:
    """Name the byte offset where decoding fails and the encodings the whole file decodes in; `profiled` names
    the profile's dataset whose `encoding:` key is the fix."""
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
    fix = (f"set `encoding: {fits[0] if fits else '...'}` under datasets: {profiled}: in the profile"
           if profiled else "give the file's encoding with --encoding")
    return DataError(f"cannot decode as {encoding} at byte offset {offset} (line {line}); {hint}; {fix} "
                     "(characters are never replaced silently)", display, line)
