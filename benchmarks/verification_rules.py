"""Benchmark: corrected targeting errors per 1,000 visits, toolkit list vs simple rules.

On synthetic Konsel data (where the truth is known): the toolkit's priority list
(``konsel score``), random visits and visiting by DTSEN desil only, each with the
same budget. Several seeds.

    .venv/bin/python benchmarks/verification_rules.py [--seeds 1 2 3] [--budget 3000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

from konsel_analysis.datasets import load_dataset, load_register
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.synth import generate_konsel, write_konsel
from konsel_analysis.targeting.score import score_register

sys.path.insert(0, str(Path(__file__).resolve().parent))
from visit_rules import compare_visit_rules  # noqa: E402

CONFIG = CONFIGS_DIR / "konsel_survey.yml"


def run(seed: int, households: int, budget: int, folder: Path) -> pd.DataFrame:
    data = generate_konsel(households=households, seed=seed)
    write_konsel(data, folder)
    dataset = load_dataset(folder / "survey.parquet", CONFIG)
    register = load_register(folder / "register.parquet", CONFIG)
    result = score_register(
        dataset, register, budget=budget, minimum_per_area=40, reps=50, seed=seed
    )
    table = compare_visit_rules(
        result.scores["is_visited"],
        data.register["desil"],
        result.scores["is_beneficiary"],
        data.register_truth["is_poor"],
        seed=seed,
    )
    return table.assign(seed=seed, households=households)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--households", type=int, default=83_000)
    parser.add_argument("--budget", type=int, default=3_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = pd.concat(
            [run(s, args.households, args.budget, Path(tmp) / str(s)) for s in args.seeds]
        )
    summary = (
        rows.groupby("rule", sort=False)["corrected_errors_per_1000_visits"]
        .agg(["mean", "min", "max"])
        .round(0)
    )
    print(rows.to_string(index=False))
    print(summary.to_string())


if __name__ == "__main__":
    main()
