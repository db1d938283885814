"""Benchmark: one regency, the same computation by the single-process functions and by dask.

``konsel score`` and ``konsel score-partitioned`` do different work end to end
(the first also runs the row checks of issue 6, writes reasons texts and the
field lists), so ``scale_score.py``'s one-regency rows compare commands. Here
both paths compute the same outputs in one process, on the default synthetic
regency (about 83,000 households) already loaded: the model and its 200 refits,
P(poor) of every household, expected errors per kecamatan with intervals,
priorities and the allocation of 3,000 visits. Alternating, ``--repeat`` times;
wall and CPU time (all threads) of each.

    .venv/bin/python benchmarks/scale_one_regency.py [--repeat 3]

Writes benchmarks/results/scale_one_regency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "scale_one_regency.json"


def timed(work) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return {
        "seconds": round(time.perf_counter() - wall, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from konsel_analysis.datasets import load_dataset, load_register
    from konsel_analysis.paths import CONFIGS_DIR
    from konsel_analysis.scale.partitioned import open_partitioned_register, write_partitions
    from konsel_analysis.scale.replicates import fit_replicated_model
    from konsel_analysis.scale.score import score_partitioned
    from konsel_analysis.synth import generate_konsel, write_konsel
    from konsel_analysis.targeting.expected import estimate_expected_errors
    from konsel_analysis.targeting.score import benefit_worth, register_households, survey_sample
    from konsel_analysis.targeting.verification import (
        allocate_visits,
        priority_scores,
        visit_budget,
    )

    budget, minimum = visit_budget(None, None)
    with tempfile.TemporaryDirectory(prefix="konsel-regency-") as tmp:
        raw = Path(tmp)
        data = generate_konsel()
        write_konsel(data, raw)
        write_partitions(data.register, raw / "parts", "74.05", "kecamatan_code")
        dataset = load_dataset(raw / "survey.parquet", CONFIGS_DIR / "konsel_survey.yml")
        register = load_register(raw / "register.parquet", dataset.config)
        lines = (dataset.poverty_line, dataset.extreme_poverty_line)
        squared = dataset.config.squared

        def single() -> None:
            households = register_households(register)
            p = estimate_expected_errors(
                survey_sample(dataset), households, *lines, squared=squared
            ).probabilities
            worth = benefit_worth(register.frame, register.programs)
            p_error, priority = priority_scores(
                households.is_beneficiary, p["p_poor"], p["p_extreme"], worth
            )
            allocate_visits(register.area, priority, p_error, budget, minimum)

        def dask() -> None:
            fitted = fit_replicated_model(survey_sample(dataset), *lines, squared=squared)
            partitioned = open_partitioned_register(raw / "parts", dataset.config)
            score_partitioned(
                partitioned, fitted, dataset.config, budget=budget, minimum_per_area=minimum
            )

        runs = {"single": [], "dask": []}
        for _ in range(args.repeat):
            runs["single"].append(timed(single))
            runs["dask"].append(timed(dask))
            print(runs["single"][-1], runs["dask"][-1], flush=True)
    best = {k: min(v, key=lambda r: r["seconds"]) for k, v in runs.items()}
    result = {
        "benchmark": "benchmarks/scale_one_regency.py",
        "households": len(data.register),
        "load_average_end": [round(x, 1) for x in os.getloadavg()],
        "runs": runs,
        "best": best,
        "dask_over_single_wall": round(best["dask"]["seconds"] / best["single"]["seconds"], 2),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(best), result["dask_over_single_wall"])


if __name__ == "__main__":
    main()
