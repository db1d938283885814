"""Benchmark: expected targeting errors by group in the register against the synthetic truth.

For each seed: generate the synthetic regency, fit the receipt-aware model on its
survey and estimate expected inclusion errors, exclusion errors and extreme-poor
households not covered per group level (female head, a member aged 70+, any
disability, household size band, urban/rural, head's education band) with 90%
intervals, from the same replicates as the kecamatan figures
(:mod:`konsel_analysis.targeting.expected_groups`). The truth is
``register_truth`` from ``konsel synth``. Reports, per count, the share of group
levels (regency) whose true count lies inside its interval, and the same over
kecamatan x group level cells as a harder, secondary check.

    .venv/bin/python benchmarks/group_errors_truth.py [--seeds 1 2 3 4] [--households 83000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.datasets import load_dataset, load_register
from konsel_analysis.measured.groups import form_groups
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.synth import generate_konsel, write_konsel
from konsel_analysis.targeting.expected import estimate_expected_errors
from konsel_analysis.targeting.score import register_households, survey_sample

CONFIG = CONFIGS_DIR / "konsel_survey.yml"
COUNTS = (
    "expected_inclusion_errors",
    "expected_exclusion_errors",
    "expected_extreme_poor_not_covered",
)


def true_counts(data, households, levels: dict[str, np.ndarray]) -> pd.DataFrame:
    """True error counts per group, level and area (and ALL), from register_truth."""
    truth = data.register_truth
    poor = truth["is_poor"].to_numpy()
    extreme = truth["is_extreme_poor"].to_numpy()
    ben = households.is_beneficiary
    errors = pd.DataFrame(
        {
            "expected_inclusion_errors": ben & ~poor,
            "expected_exclusion_errors": ~ben & poor,
            "expected_extreme_poor_not_covered": ~ben & extreme,
            "area": np.asarray(households.area, dtype=str),
        }
    )
    frames = []
    for group, level in levels.items():
        frame = errors.assign(level=np.asarray(level, dtype=str))
        by_area = frame.groupby(["level", "area"])[list(COUNTS)].sum().reset_index()
        regency = frame.groupby("level")[list(COUNTS)].sum().reset_index().assign(area="ALL")
        frames.append(pd.concat([by_area, regency]).assign(group=group))
    return pd.concat(frames, ignore_index=True).set_index(["group", "level", "area"])


def check_seed(seed: int, households: int, reps: int, folder: Path) -> pd.DataFrame:
    data = generate_konsel(households=households, seed=seed)
    write_konsel(data, folder)
    dataset = load_dataset(folder / "survey.parquet", CONFIG)
    register = load_register(folder / "register.parquet", CONFIG)
    levels = form_groups(register.frame).levels
    hh = register_households(register)
    started = time.process_time()
    result = estimate_expected_errors(
        survey_sample(dataset),
        hh,
        dataset.poverty_line,
        dataset.extreme_poverty_line,
        squared=dataset.config.squared,
        reps=reps,
        ci=0.90,
        groups=levels,
    )
    cpu = time.process_time() - started
    table = result.by_group.set_index(["group", "level", "area"])
    truth = true_counts(data, hh, levels).reindex(table.index)
    rows = []
    for name in COUNTS:
        inside = (truth[name] >= table[f"{name}_low"]) & (truth[name] <= table[f"{name}_high"])
        regency = inside.xs("ALL", level="area")
        kecamatan = inside.drop("ALL", level="area")
        ratio = table[name].xs("ALL", level="area") / truth[name].xs("ALL", level="area")
        rows.append(
            {
                "seed": seed,
                "households": households,
                "count": name,
                "cpu_seconds": round(cpu, 1),
                "group_levels": len(regency),
                "levels_inside_90": float(regency.mean()),
                "kecamatan_cells_inside_90": float(kecamatan.mean()),
                "median_abs_error_levels": float(np.median(np.abs(ratio - 1))),
                "levels_outside": ", ".join(f"{g}={lv}" for g, lv in regency.index[~regency]),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--households", type=int, default=83_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    args = parser.parse_args()
    frames = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            frames.append(check_seed(seed, args.households, args.reps, Path(tmp) / str(seed)))
            print(frames[-1].drop(columns="levels_outside").to_string(index=False), flush=True)
    rows = pd.concat(frames, ignore_index=True)
    summary = rows.groupby("count").agg(
        seeds=("seed", "size"),
        group_levels=("group_levels", "sum"),
        levels_inside_90=("levels_inside_90", "mean"),
        worst_seed_inside_90=("levels_inside_90", "min"),
        kecamatan_cells_inside_90=("kecamatan_cells_inside_90", "mean"),
        median_abs_error_levels=("median_abs_error_levels", "median"),
    )
    print(summary.round(3).to_string())
    print("levels outside their interval:")
    for _, row in rows[rows["levels_outside"] != ""].iterrows():
        print(f"  seed {row['seed']} {row['count']}: {row['levels_outside']}")
    if args.out:
        Path(args.out).write_text(rows.to_json(orient="records", indent=1))


if __name__ == "__main__":
    main()
