"""Writing files so that a crash never leaves half of one: a temporary file, then a rename.

The temporary file sits beside the target (so the rename is atomic) under galton's own
pattern ``.NAME.galton-PID-XXXX.tmp``; temporaries of processes that no longer run (killed
with ``kill -9``, say) are removed by the next write to the same name. The data is fsynced
before the rename and the folder after it. A symbolic link is followed (its target is
replaced, the link kept); special files (FIFOs, devices, folders) are refused. Every
operating-system error is one line naming the file, and the old file stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from galton.errors import GaltonError, first_line

#: Temporaries without a process id (galton 0.1) are removed once this many seconds old.
LEGACY_TMP_AGE = 3600


class WriteError(GaltonError):
    """A file could not be written (full disk, read-only folder, permissions, special file)."""


def _target(path: Path) -> Path:
    """The real file a write to ``path`` replaces: symbolic links followed, specials refused."""
    real = Path(os.path.realpath(path))
    folder = real.parent
    if not folder.is_dir():
        raise WriteError(f"{path}: directory {path.parent} does not exist")
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        return real
    except OSError as exc:
        raise WriteError(f"{path}: cannot write ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise WriteError(f"{path}: not a regular file; galton will not replace it")
    return real


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove temporaries of ``target`` left by galton processes that no longer run."""
    ours = re.compile(rf"^\.{re.escape(target.name)}\.galton-(\d+)-[^/]*\.tmp$")
    legacy = re.compile(rf"^\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp$")
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            match = ours.match(entry.name)
            stale = (match is not None and not _alive(int(match.group(1)))) or (
                legacy.match(entry.name) is not None
                and time.time() - entry.stat().st_mtime > LEGACY_TMP_AGE
            )
            if stale and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _fsync(path: str | Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(temporary_path)``, then rename the result over ``path``.

    The new file keeps the mode of the file it replaces (else 0666 less the umask). Raises
    ``WriteError`` (one line) for any operating-system error; ``path`` is then unchanged.
    """
    path = Path(path)
    target = _target(path)
    remove_stale_temporaries(target)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.galton-{os.getpid()}-", suffix=".tmp", dir=target.parent
        )
        os.close(fd)
        write(tmp)
        _fsync(tmp)
        os.chmod(tmp, _mode(target))
        os.replace(tmp, target)
        tmp = None
        with contextlib.suppress(OSError):  # some file systems cannot sync a folder
            _fsync(target.parent, directory=True)
    except OSError as exc:
        reason = exc.strerror or first_line(exc)
        raise WriteError(f"{path}: cannot write ({reason}); the old file is unchanged") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _mode(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
