"""The 25 kecamatan and 351 villages of Konsel, keyed on Kemendagri codes.

Codes and names come from ``reference/villages.csv``, taken from the public
``cahyadsn/wilayah`` tabulation of Kepmendagri 300.2.2-2138/2025 (the source
named in konsel_facts.md). Kelurahan have a fourth code part starting with 1,
desa with 2. BPS kecamatan codes differ; everything here keys on Kemendagri's.
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd

from konsel_analysis.paths import REFERENCE_DIR

VILLAGES_FILE = REFERENCE_DIR / "villages.csv"
REGENCY_CODE = "74.05"  # Kemendagri code of Kabupaten Konawe Selatan (facts: The regency)


@cache
def load_villages() -> pd.DataFrame:
    """One row per desa/kelurahan: kecamatan_code, kecamatan_name, village_code, village_name,
    is_kelurahan (bool)."""
    villages = pd.read_csv(VILLAGES_FILE, dtype=str)
    villages["is_kelurahan"] = villages["is_kelurahan"].eq("1")
    return villages.sort_values("village_code", ignore_index=True)


@cache
def load_kecamatan() -> pd.DataFrame:
    """One row per kecamatan with its number of kelurahan and desa."""
    villages = load_villages()
    return (
        villages.groupby(["kecamatan_code", "kecamatan_name"], as_index=False)
        .agg(n_kelurahan=("is_kelurahan", "sum"), n_villages=("village_code", "size"))
        .assign(n_desa=lambda d: d["n_villages"] - d["n_kelurahan"])
        .sort_values("kecamatan_code", ignore_index=True)
    )


_DOTTED = re.compile(r"^74\.?05\.?(\d{2})(?:\.?([12]\d{3}))?$")


def normalize_area_code(code: str) -> str:
    """Write a kecamatan or village code in Kemendagri's dotted form.

    Register exports write the same code as ``74.05.01`` or ``740501``;
    villages as ``74.05.01.2001`` or ``7405012001``. Seven-digit BPS codes
    (``7405080``) are refused: BPS numbers kecamatan differently (BPS 7405080
    is Konda, Kemendagri 74.05.07), so reading them needs a crosswalk.

    >>> normalize_area_code("740501")
    '74.05.01'
    >>> normalize_area_code("7405012001")
    '74.05.01.2001'
    """
    text = str(code).strip()
    match = _DOTTED.fullmatch(text)
    if not match:
        raise ValueError(f"{code!r} is not a Konawe Selatan (74.05) kecamatan or village code")
    kecamatan, village = match.groups()
    return f"74.05.{kecamatan}" + (f".{village}" if village else "")


def kecamatan_name(code: str) -> str:
    table = load_kecamatan().set_index("kecamatan_code")["kecamatan_name"]
    return str(table[normalize_area_code(code)])
