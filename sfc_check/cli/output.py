"""Report files: checked before any work, written atomically (temp file + rename) so a crash leaves the old one."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
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
    read: dict[tuple[int, int], Path] = {}  # (device, inode) of every file the run reads: links resolve to it
    for path in protected:
        if path is None:
            continue
        for p in (path.rglob("*") if path.is_dir() else [path]):
            try:
                st = p.stat()
            except OSError:
                continue
            read.setdefault((st.st_dev, st.st_ino), p)
    for out in outputs:
        target = out.resolve()
        try:
            st = out.stat()
            hit = read.get((st.st_dev, st.st_ino))
        except OSError:
            hit = None  # (a new file is nobody's input)
        if hit is not None:
            raise UsageError(f"--output would overwrite {hit}, which this run reads; write reports elsewhere",
                             str(out))
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


Content = str | Iterable[str] | Callable[[Path], None]  # text, text in pieces, or a writer of a binary file


def write_atomic(path: Path, text: Content) -> None:
    """One report file, atomically (see write_all)."""
    write_all([(path, text)])


def write_all(outputs: list[tuple[Path, Content]]) -> None:
    """Write every report to a temporary file beside its target, flushed to disk, and only when all are
    written rename each over its target: a failure or a signal part-way leaves every previous report as it was
    (never a new JSON beside an old HTML). Texts may come in pieces (a report streamed entry by entry is never
    held whole). Errors and SIGTERM remove the temporary files; one left by a killed run (SIGKILL) carries
    that run's process id and is removed by the next run that writes beside it."""
    pending: list[tuple[Path, str]] = []
    try:
        for path, text in outputs:
            _remove_orphans(path)
            pending.append((path, _write_temporary(path, text)))
        while pending:
            path, tmp = pending[0]
            os.replace(tmp, path)
            pending.pop(0)
    except OSError as exc:
        where = exc.filename or (pending[-1][0] if pending else "")
        raise UsageError(f"cannot write report: {exc.strerror or exc}", str(where)) from None
    finally:
        for _, tmp in pending:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}.sfc-check-"


def _remove_orphans(path: Path) -> None:
    """Temporary files of `path` whose run is gone (killed before it could clean up)."""
    parent = path.parent if str(path.parent) else Path(".")
    prefix = _temporary_prefix(path)
    try:
        names = [n for n in os.listdir(parent) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            try:
                os.unlink(parent / name)
            except OSError:
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_temporary(path: Path, text: Content) -> str:
    parent = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f"{_temporary_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=parent)
    try:
        os.chmod(tmp, _mode_for(path))
        if callable(text):  # a binary format that writes its own file (Parquet)
            os.close(fd)
            text(Path(tmp))
            with open(tmp, "rb") as done:
                os.fsync(done.fileno())
            return tmp
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            if isinstance(text, str):
                f.write(text)
            else:
                f.writelines(text)
            f.flush()
            os.fsync(f.fileno())
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    return tmp
