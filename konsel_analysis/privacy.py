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
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

SECRET_KEY_FILE = ".konsel_secret_key"
PSEUDONYM_PREFIX = "RT-"
PSEUDONYM_HEX_DIGITS = 10
#: Published tables leave blank any cell built from fewer households than this.
MIN_CELL_HOUSEHOLDS = 5


def load_or_create_secret_key(root: Path) -> bytes:
    """The project's pseudonymisation key, created (readable by the owner only) if missing."""
    path = root / SECRET_KEY_FILE
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key


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
