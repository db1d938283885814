"""What keeps a build whole when the machine misbehaves: one build at a time, nothing
left behind by a killed run, workers that end with the command, and one sentence for a
full disk or a folder that cannot be written.

The main job's pages decide which households field teams visit, so a page built from a
half-written file, or by two builds writing over each other, is worse than no page.

- :class:`BuildLock`: one ``konsel reports`` per project at a time. A second one stops
  with one sentence naming the first (its process id and start time). The lock is an
  advisory ``flock`` on ``.konsel-build.lock`` in the project root, released by the
  kernel however its holder ends, so a killed build never leaves the project locked.
- :func:`sweep_partial_files`: the temporary files a killed build left beside the
  outputs (every writer here writes ``.NAME....tmp...`` and renames); removed under the
  lock, where no other build can be writing them.
- :func:`sweep_stale_kernel_folders`: the report workers' kernel folders in the temporary
  directory (connection files and sockets), named by the worker's process id; removed
  when that process is gone.
- :func:`die_with_parent`: a worker process asks the kernel to end it when the command
  that started it ends, even by ``kill -9``; its notebook kernels then end on their own
  (ipykernel polls for its parent).
- :func:`os_error_sentence`: a full disk, a read-only folder or a refused permission,
  as one sentence naming the path and the fix.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from konsel_analysis.errors import UserError
from konsel_analysis.paths import ProjectPaths

log = logging.getLogger(__name__)

LOCK_FILE = ".konsel-build.lock"
KERNEL_FOLDER_PREFIX = "konsel-kernels-"
# The temporary names of this package's writers: files.write_atomic (".NAME.XXXX.tmp.SUFFIX"),
# privacy's key writer (".NAME.XXXX.tmp") and the executed notebooks (".STEM.tmp.ipynb").
_PARTIAL = re.compile(r"^\..+\.tmp(\.[A-Za-z0-9]+)?$")
_PR_SET_PDEATHSIG = 1


class BuildLock:
    """Hold the project's build lock for a ``with`` block; a second holder gets a UserError."""

    def __init__(self, paths: ProjectPaths, command: str = "konsel reports") -> None:
        self.path = paths.root / LOCK_FILE
        self.command = command
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 200, 0).decode("utf-8", "replace").strip()
            os.close(self._fd)
            self._fd = None
            raise UserError(
                f"another build is running in {self.path.parent} ({holder or 'holder unknown'}); "
                f"wait for it to end, or stop it, then run `{self.command}` again"
            ) from None
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{self.command}, process {os.getpid()}, since {started}".encode(), 0)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the flock
            self._fd = None


def sweep_partial_files(paths: ProjectPaths) -> int:
    """Remove the temporary files an interrupted build left; return how many.

    Call it only while holding :class:`BuildLock`: then no writer of this project is
    running, and every such file is a leftover.
    """
    removed = 0
    for folder in (paths.processed, paths.reports, paths.restricted):
        if not folder.is_dir():
            continue
        for path in folder.rglob(".*"):
            if path.is_file() and _PARTIAL.match(path.name):
                path.unlink(missing_ok=True)
                removed += 1
    if removed:
        log.info("removed %d partial file(s) left by an interrupted build", removed)
    _remove_retired_checked_tables(paths)
    return removed


def _remove_retired_checked_tables(paths: ProjectPaths) -> None:
    """Builds before December 2026 kept the checked survey and register, names and NIK
    included, in ``restricted/checked_tables/`` for their worker processes. Nothing reads
    them any more (each worker checks the raw tables itself, docs/speed_tricks.md); a
    copy of the register's personal columns that nothing uses must not stay behind."""
    folder = paths.restricted / "checked_tables"
    if folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        log.info("removed %s (checked tables of earlier builds; no longer kept)", folder)


def kernel_folder_prefix(pid: int | None = None) -> str:
    """The temporary-folder prefix of the kernels of worker ``pid`` (this process)."""
    return f"{KERNEL_FOLDER_PREFIX}{os.getpid() if pid is None else pid}-"


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to judge
        return True
    return True


def sweep_stale_kernel_folders(base: Path | None = None) -> int:
    """Remove kernel folders of workers that no longer run; return how many."""
    base = Path(tempfile.gettempdir()) if base is None else base
    removed = 0
    for folder in base.glob(f"{KERNEL_FOLDER_PREFIX}*-*"):
        pid_text = folder.name[len(KERNEL_FOLDER_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
            continue
        if not _is_alive(int(pid_text)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def die_with_parent(parent_pid: int) -> None:
    """End this process with SIGTERM when its parent ends (Linux; elsewhere nothing).

    Called first thing in a worker. The parent may already be gone by then (the
    signal is only sent on a change that happens after the request), so that is
    checked once after asking.
    """
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


_WRITE_FAULTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
}


def os_error_sentence(err: OSError) -> str | None:
    """One sentence for a full disk or a folder that cannot be written, else None."""
    what = _WRITE_FAULTS.get(err.errno or 0)
    if what is None:
        return None
    where = err.filename or "a file of the build"
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some space on that disk"
    else:
        fix = "make that folder writable for this user (or work in a copy you may write)"
    return (
        f"could not write {where}: {what}; {fix} and run the command again "
        "(files written completely before this were kept; none was left half-written)"
    )
