"""Writing derived tables safely: under a temporary name, then one rename.

A reader (a notebook, a second run, a field team opening a CSV) never sees a
half-written file: either the old version or the new one. Every step of the
pipeline writes through these functions.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def write_atomic(path: Path, write: Callable[[str], None], mode: int = 0o644) -> Path:
    """Call ``write(temporary_path)``, set ``mode``, then rename onto ``path``.

    ``mode`` 0o644 for derived tables (for reading); the field lists with names
    and NIK pass 0o600 (owner only).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name keeps the file's suffix: writers such as to_excel go by it.
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, mode)  # mkstemp makes 0600
        with open(tmp, "rb") as fh:  # on disk before the rename: never a whole name, empty
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV under a temporary name, then rename: never a half-written table."""
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write a Parquet file under a temporary name, then rename."""
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_text_atomic(path: Path, text: str) -> Path:
    """Write UTF-8 text under a temporary name, then rename."""
    return write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_files_atomic(files: dict[str, Callable[[Path], None]], out: Path) -> list[Path]:
    """Write each file to a temporary name in ``out``, then rename them all: a failure
    in any writer leaves none of them half-written or replaced."""
    out.mkdir(parents=True, exist_ok=True)
    umask = os.umask(0)
    os.umask(umask)
    temporary: dict[str, Path] = {}
    try:
        for name, write in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
            os.close(fd)
            temporary[name] = Path(tmp)
            write(Path(tmp))
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        for name, tmp in temporary.items():
            os.replace(tmp, out / name)
    finally:
        for tmp in temporary.values():
            tmp.unlink(missing_ok=True)
    return [out / name for name in files]
