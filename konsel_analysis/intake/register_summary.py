"""The register summary step: households, persons and programme shares per kecamatan.

From the register's accepted rows (the row checks of :mod:`.checked`), every kecamatan
of the regency's list (:func:`konsel_analysis.geography.load_kecamatan`), those without
register households left empty. The main job writes it to
``data/processed/register_summary_by_kecamatan.csv``.
"""

from __future__ import annotations

from pathlib import Path

from konsel_analysis.dictionary import PROGRAM_FLAGS
from konsel_analysis.files import write_csv_atomic
from konsel_analysis.geography import load_kecamatan
from konsel_analysis.intake.checked import read_checked
from konsel_analysis.intake.config import load_dataset_config


def summarise_register(register_path: Path, config_path: Path, out: Path) -> Path:
    """Households, persons and programme shares per kecamatan, from the accepted register
    rows, written to ``out``."""
    config = load_dataset_config(config_path)
    register, _ = read_checked(register_path, config, "register")
    register = register[["kecamatan_code", "village_code", "household_size", *PROGRAM_FLAGS]]
    grouped = register.groupby("kecamatan_code")
    summary = (
        grouped.agg(
            villages=("village_code", "nunique"),
            households=("household_size", "size"),
            persons=("household_size", "sum"),
            **{
                f"share_{flag.removeprefix('is_').removesuffix('_recipient')}": (flag, "mean")
                for flag in PROGRAM_FLAGS
            },
        )
        .round(4)
        .reset_index()
    )
    names = load_kecamatan()[["kecamatan_code", "kecamatan_name"]]
    summary = names.merge(summary, on="kecamatan_code", how="left")
    return write_csv_atomic(summary, out)
