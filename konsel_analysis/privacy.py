"""Personal data: pseudonymous household keys, small-cell suppression, leak scans.

NIK and names stay in data/raw and in the restricted folder for field teams.
Everything published (reports, executed notebooks, logs) identifies a household
only by a pseudonymous key: a keyed hash (HMAC-SHA256) of its household id under
a local secret key, created on first use in a git-ignored file and never
committed. Without the key the pseudonym cannot be linked back to the register;
with it, the Dinas Sosial can (by hashing the register again).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError

SECRET_KEY_FILE = ".konsel_secret_key"
KEY_BYTES = 32
_KEY_HEX = re.compile(rf"[0-9a-f]{{{2 * KEY_BYTES}}}")
PSEUDONYM_PREFIX = "RT-"
PSEUDONYM_HEX_DIGITS = 10
#: Published tables leave blank any cell built from fewer households than this.
MIN_CELL_HOUSEHOLDS = 5


def load_or_create_secret_key(root: Path) -> bytes:
    """The project's pseudonymisation key, created (readable by the owner only) if missing.

    The key is written whole or not at all: to a temporary file, flushed to disk, then
    linked to its name (which fails if another process created it meanwhile; that key is
    then used). A key file that is not exactly 32 bytes in hex (empty after a full disk,
    cut, edited) stops the run: an empty or short key would make published pseudonyms
    recomputable by anyone who has household ids.
    """
    path = root / SECRET_KEY_FILE
    if path.exists():
        return _read_key(path)
    key = secrets.token_bytes(KEY_BYTES)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=root)
    try:
        with os.fdopen(fd, "w") as fh:  # mkstemp makes it 0600
            fh.write(key.hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # atomic, and never replaces a key another run just made
        except FileExistsError:
            return _read_key(path)
    except OSError as err:
        raise UserError(
            f"cannot write the pseudonym key {path}: {err.strerror or err}; "
            "free disk space or make the folder writable, then run again"
        ) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return key


def _read_key(path: Path) -> bytes:
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if not _KEY_HEX.fullmatch(text):
        raise UserError(
            f"the pseudonym key {path} is damaged ({path.stat().st_size} bytes, expected "
            f"{2 * KEY_BYTES} hexadecimal digits): restore it from your backup; only if none "
            "exists, delete it to make a new key (every published pseudonym then changes)"
        )
    return bytes.fromhex(text)


def pseudonymize(household_ids: Iterable, key: bytes) -> np.ndarray:
    """Pseudonymous keys ``RT-xxxxxxxxxx`` for household ids under ``key``.

    The same id and key always give the same pseudonym; another key gives
    another one.

    >>> pseudonymize(["R00000001"], b"k" * 32)[0]
    'RT-c395b36527'
    """
    out = [
        PSEUDONYM_PREFIX
        + hmac.new(key, str(h).encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_DIGITS]
        for h in household_ids
    ]
    return np.asarray(out, dtype=object)


def suppress_small_cells(
    table: pd.DataFrame,
    count_column: str,
    value_columns: Iterable[str],
    minimum: int = MIN_CELL_HOUSEHOLDS,
) -> pd.DataFrame:
    """Blank ``value_columns`` and the count in rows of fewer than ``minimum`` households."""
    out = table.copy()
    small = out[count_column] < minimum
    columns = [*value_columns, count_column]
    out[columns] = out[columns].astype(object)
    out.loc[small, columns] = None
    return out


def find_personal_data(folder: Path, niks: Iterable[str], names: Iterable[str]) -> list[str]:
    """Files under ``folder`` that contain any of the given NIK or names (for leak tests).

    Returns ``"<file>: NIK"`` or ``"<file>: name"`` entries, never the value found.
    """
    nik_set = {str(n) for n in niks}
    names = sorted({str(n) for n in names}, key=len, reverse=True)
    name_pattern = re.compile("|".join(re.escape(n) for n in names))
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="ignore")
        if any(nik in nik_set for nik in re.findall(r"\d{16}", text)):
            found.append(f"{path}: NIK")
        if names and name_pattern.search(text):
            found.append(f"{path}: name")
    return found
