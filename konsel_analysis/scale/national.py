"""A national-size synthetic register, written regency by regency, never whole in memory.

``konsel synth --households 10000000 --partitioned [--out DIR]`` writes

- ``register/regency=<code>/kecamatan=<code>/part-0.parquet``: the register, one
  file per kecamatan (see :mod:`.partitioned`);
- ``survey.parquet``: the survey of the first regency (Konsel itself), on which
  the model is fitted;
- ``synthetic_manifest.json``: seed, sizes, regencies.

Each synthetic regency is a copy of the Konsel design (:func:`synth.generate_konsel`,
the 25 kecamatan and 351 villages, about 83,000 households) drawn with its own
seed (``seed + r``). The first keeps Konsel's codes (``74.05``); the others get
codes ``S0001``, ``S0002``, ... (not Kemendagri codes, so no one mistakes them
for real places), with the kecamatan and village codes built on them
(``S0001.07``, ``S0001.07.2003``). Household ids run over the whole register
(``N000000001`` ...), so they are unique. The national register leaves out the
synthetic NIK and names: scoring never reads them, and a national file of even
made-up personal data is not worth the risk of looking like one.

Memory is that of one regency at a time (about 0.2 GB), whatever the total.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.dictionary import PERSONAL_COLUMNS
from konsel_analysis.files import write_atomic, write_text_atomic
from konsel_analysis.geography import REGENCY_CODE
from konsel_analysis.scale.partitioned import staged_folder, write_partitions
from konsel_analysis.synth import (
    DEFAULT_SEED,
    MANIFEST_FILE,
    TABLE_FILES,
    generate_konsel,
    load_calibration,
)

REGISTER_FOLDER = "register"


@dataclass(frozen=True)
class RegencyPlan:
    """One synthetic regency: its index, code, households and first household number."""

    index: int
    code: str
    households: int
    first_household: int


def regency_code(index: int) -> str:
    """``74.05`` for the first regency (Konsel), ``S0001``, ``S0002``, ... for the copies."""
    return REGENCY_CODE if index == 0 else f"S{index:04d}"


def plan_regencies(households: int, per_regency: int | None = None) -> list[RegencyPlan]:
    """Split ``households`` into regencies of Konsel's size (the last one smaller).

    >>> [(p.code, p.households, p.first_household) for p in plan_regencies(200_000, 83_000)]
    [('74.05', 83000, 0), ('S0001', 83000, 83000), ('S0002', 34000, 166000)]
    """
    size = int(per_regency or load_calibration()["households"]["value"])
    plans, start, index = [], 0, 0
    while start < households:
        n = min(size, households - start)
        plans.append(RegencyPlan(index, regency_code(index), n, start))
        start, index = start + n, index + 1
    return plans


def _recode(frame: pd.DataFrame, plan: RegencyPlan) -> pd.DataFrame:
    """Give a regency copy its own codes and the register-wide household ids."""
    frame = frame.drop(columns=[c for c in PERSONAL_COLUMNS if c in frame.columns])
    if plan.index > 0:
        for column in ("kecamatan_code", "village_code"):
            frame[column] = plan.code + frame[column].str.slice(len(REGENCY_CODE))
    numbers = np.arange(plan.first_household + 1, plan.first_household + plan.households + 1)
    frame["household_id"] = np.char.add("N", np.char.zfill(numbers.astype("U9"), 9)).astype(object)
    return frame


def write_national_register(
    households: int,
    out: Path,
    seed: int = DEFAULT_SEED,
    per_regency: int | None = None,
    echo: Callable[[str], None] = lambda line: None,
) -> list[Path]:
    """Write the partitioned register, the first regency's survey and a manifest to ``out``.

    The register folder appears only when every regency is written (a temporary
    folder renamed at the end); returns the paths written.
    """
    if households < 1:
        raise ValueError("households must be at least 1")
    plans = plan_regencies(households, per_regency)
    register = out / REGISTER_FOLDER
    survey_path = out / TABLE_FILES["survey"]
    survey = None
    with staged_folder(register) as staging:
        for plan in plans:
            data = generate_konsel(households=plan.households, seed=seed + plan.index)
            write_partitions(_recode(data.register, plan), staging, plan.code, "kecamatan_code")
            survey = data.survey if plan.index == 0 else survey
            echo(f"  regency {plan.index + 1}/{len(plans)} ({plan.code}): {plan.households:,}")
    write_atomic(survey_path, lambda tmp: survey.to_parquet(tmp, index=False))
    manifest = {
        "generator": "konsel_analysis.scale.national",
        "seed": seed,
        "households": households,
        "regencies": len(plans),
        "kecamatan_files": sum(1 for _ in register.rglob("*.parquet")),
        "survey": "the survey of the first regency (74.05, Konsel)",
        "note": "Fully synthetic data; no NIK or names. Each regency is a copy of the Konsel "
        "design with its own seed.",
    }
    manifest_path = write_text_atomic(out / MANIFEST_FILE, json.dumps(manifest, indent=2) + "\n")
    return [register, survey_path, manifest_path]
