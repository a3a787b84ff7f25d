"""Scratch files for data too large to keep in memory: anonymous (unlinked as they are made, so nothing is left
behind, even after a crash) and read back at offsets, which leaves the file position alone for forked workers."""
from __future__ import annotations

import os
import tempfile
from typing import IO

from .errors import DataError


def scratch_file(purpose: str) -> IO[bytes]:
    try:
        return tempfile.TemporaryFile(prefix=f"sfc-check-{purpose}-")
    except OSError as exc:
        raise _trouble(purpose, exc) from None


def append(file: IO[bytes], data: bytes | memoryview, purpose: str) -> int:
    """Write at the end and return where the data starts (several writers may share one file, and a read
    without pread moves the position); a full or unwritable disk stops the run with a message that says
    what to do."""
    try:
        offset = file.seek(0, os.SEEK_END)
        file.write(data)
        file.flush()
    except OSError as exc:
        raise _trouble(purpose, exc) from None
    return offset


def _trouble(purpose: str, exc: OSError) -> DataError:
    return DataError(f"cannot write a scratch file for {purpose} ({exc.strerror or exc}); large runs keep "
                     "some data on disk: point TMPDIR at a folder with free space", tempfile.gettempdir())


def read_at(file: IO[bytes], offset: int, size: int) -> bytes:
    """`size` bytes from `offset` (fewer only at the end of the file)."""
    if hasattr(os, "pread"):
        parts = []
        while size > 0:
            part = os.pread(file.fileno(), size, offset)
            if not part:
                break
            parts.append(part)
            offset, size = offset + len(part), size - len(part)
        return b"".join(parts)
    file.seek(offset)  # no pread (Windows): the file is this process's own, nobody shares its position
    return file.read(size)
