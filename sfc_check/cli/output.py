"""Report files: checked before any work, written atomically (temp file + rename) so a crash leaves the old one."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import UsageError


def check_writable(path: Path) -> None:
    """Fail fast (exit 2) when an output could never be written, before minutes of auditing."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise UsageError("cannot write report: folder does not exist", str(path))
    if not parent.is_dir():
        raise UsageError("cannot write report: parent is not a folder", str(path))
    if path.exists() and path.is_dir():
        raise UsageError("cannot write report: path is a folder", str(path))
    if not os.access(parent, os.W_OK):
        raise UsageError("cannot write report: folder is not writable", str(path))


def refuse_overwriting(outputs: list[Path], protected: list[Path | None], data_dir: Path | None = None) -> None:
    """An output that is (or resolves to) a file the run reads, or that would be read as data next time (a
    dataset's name inside DATA_DIR), is exit 2: the audit must never overwrite its own evidence."""
    from ..data.datasets import FORMATS
    from ..data.dictionary import load_dictionary
    read: list[Path] = []
    for path in protected:
        if path is None:
            continue
        read += [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    for out in outputs:
        target = out.resolve()
        for path in read:
            if target == path.resolve() or (out.exists() and path.exists() and out.samefile(path)):
                raise UsageError(f"--output would overwrite {path}, which this run reads; write reports "
                                 "elsewhere", str(out))
        if data_dir is not None and target.parent == data_dir.resolve() and \
                target.stem.lower() in load_dictionary() and target.suffix.lower() in FORMATS:
            raise UsageError(f"--output would write a file the next audit of {data_dir} reads as dataset "
                             f"{target.stem.lower()!r}; write reports elsewhere", str(out))


def _mode_for(path: Path) -> int:
    """Keep an existing report's permissions; a new one gets the usual 0666 less the umask (not mkstemp's 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Write to a temporary file beside `path`, flush to disk, then rename over it in one step; `text` may come
    in pieces (a report streamed entry by entry is never held whole in memory)."""
    parent = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    try:
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            if isinstance(text, str):
                f.write(text)
            else:
                f.writelines(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
