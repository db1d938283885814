"""A small synthetic regency, written whole and partitioned, scored both ways.

2,500 households and 20 replicates: seconds, yet every kecamatan has households,
beneficiaries and a few visits, so every number of the comparison is exercised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from konsel_analysis.datasets import load_dataset, load_register
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.scale.partitioned import open_partitioned_register, write_partitions
from konsel_analysis.scale.replicates import fit_replicated_model
from konsel_analysis.scale.score import score_partitioned
from konsel_analysis.synth import generate_konsel, write_konsel
from konsel_analysis.targeting.score import score_register, survey_sample

CONFIG = CONFIGS_DIR / "konsel_survey.yml"
HOUSEHOLDS, SEED, REPS, BOOT_SEED = 2_500, 21, 20, 4
BUDGET, MINIMUM = 120, 3


@dataclass(frozen=True)
class BothPaths:
    raw: Path  # register.parquet, survey.parquet and register_parts/
    single: object  # targeting.score.ScoreResult
    dask: object  # scale.score.PartitionedScores
    scores_folder: Path


def score_both_ways(raw: Path) -> BothPaths:
    """Write the small regency to ``raw`` (whole and partitioned) and score it both ways."""
    data = generate_konsel(households=HOUSEHOLDS, seed=SEED)
    write_konsel(data, raw)
    write_partitions(data.register, raw / "register_parts", "74.05", "kecamatan_code")
    dataset = load_dataset(raw / "survey.parquet", CONFIG)
    register = load_register(raw / "register.parquet", dataset.config)
    single = score_register(
        dataset, register, budget=BUDGET, minimum_per_area=MINIMUM, reps=REPS, seed=BOOT_SEED
    )
    fitted = fit_replicated_model(
        survey_sample(dataset),
        dataset.poverty_line,
        dataset.extreme_poverty_line,
        squared=dataset.config.squared,
        reps=REPS,
        seed=BOOT_SEED,
    )
    partitioned = open_partitioned_register(raw / "register_parts", dataset.config)
    scores_folder = raw / "dask_scores"
    result = score_partitioned(
        partitioned,
        fitted,
        dataset.config,
        budget=BUDGET,
        minimum_per_area=MINIMUM,
        scores_folder=scores_folder,
    )
    return BothPaths(raw, single, result, scores_folder)
