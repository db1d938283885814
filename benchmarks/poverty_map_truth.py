"""The desa poverty map against the synthetic truth (``register_truth``), several seeds.

For each seed: generate the synthetic regency, run ``konsel poverty-map``'s code at
desa level (survey -> register, default config, 200 replicates), and compare with
the true person poverty rate of every desa and the true number of poor persons
of every kecamatan. Prints one row per seed and the mean:

- coverage: share of desa whose 90% interval holds the true poverty rate (target >= 0.85);
- rmse_eb / rmse_direct: RMSE over sampled desa, model vs direct (target <= 0.5);
- kec_cover: share of kecamatan whose interval of poor persons holds the truth;
- cpu: CPU seconds of the fit, prediction and bootstrap.

    .venv/bin/python benchmarks/poverty_map_truth.py [--seeds 1 2 3 4] [--reps 200] [--benchmark]

(the default data of ``make reports`` is seed 20240901). ``wall`` is elapsed seconds of
the same fit: on a shared machine it is above ``cpu`` by the time spent waiting.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.poverty_map.estimator import PovertyMap
from konsel_analysis.poverty_map.step import build_inputs
from konsel_analysis.synth import generate_konsel, write_konsel


def one_seed(seed: int, reps: int, weights: str, benchmark: bool = False) -> dict:
    data = generate_konsel(seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        write_konsel(data, Path(tmp))
        survey, census, ds, fixed = build_inputs(
            Path(tmp) / "survey.parquet",
            Path(tmp) / "register.parquet",
            CONFIGS_DIR / "konsel_survey.yml",
            level="cluster",
        )
    cfg = ds.config
    cpu, wall = time.process_time(), time.perf_counter()
    pm = PovertyMap(
        ds.poverty_line,
        ds.extreme_poverty_line,
        numeric=cfg.numeric,
        categorical=(*cfg.categorical, *fixed),
        squared=cfg.squared,
        reps=reps,
        seed=seed,
        weights=weights,
        benchmark=benchmark,
    ).fit(survey, census)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    reg, truth = data.register, data.register_truth
    m = reg["household_size"].to_numpy(float)
    y = truth["consumption_pc_month_idr"].to_numpy(float)
    frame = pd.DataFrame(
        {
            "desa": reg["village_code"].astype(str),
            "kec": reg["kecamatan_code"].astype(str),
            "m": m,
            "poor": m * (y < ds.poverty_line),
        }
    )
    desa = frame.groupby("desa")[["m", "poor"]].sum()
    t = pm.table_.set_index("area")
    true_rate = (desa.poor / desa.m).reindex(t.index)
    inside = (t.poverty_rate_low <= true_rate) & (true_rate <= t.poverty_rate_high)
    sampled = t.method == "EB"
    rmse = lambda est: float(np.sqrt(np.mean((est[sampled] - true_rate[sampled]) ** 2)))  # noqa: E731
    kec_true = frame.groupby("kec").poor.sum()
    u = pm.upper_table_.set_index("area")
    kec_in = (u.poor_persons_low <= kec_true) & (kec_true <= u.poor_persons_high)
    return {
        "seed": seed,
        "transformation": pm.transformation_.describe(),
        "icc": pm.model_.icc_,
        "coverage": float(inside.mean()),
        "coverage_eb": float(inside[sampled].mean()),
        "coverage_synthetic": float(inside[~sampled].mean()),
        "rmse_eb": rmse(t.poverty_rate),
        "rmse_direct": rmse(t.direct_poverty_rate),
        "ratio": rmse(t.poverty_rate) / rmse(t.direct_poverty_rate),
        "kec_cover": float(kec_in.mean()),
        "regency_est": float(u.poor_persons.sum() / m.sum()),
        "regency_true": float(frame.poor.sum() / m.sum()),
        "benchmark": benchmark,
        "cpu": cpu,
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--weights", default="pseudo", choices=["pseudo", "ignore"])
    parser.add_argument("--benchmark", action="store_true", help="benchmark P0 to the direct")
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        rows.append(one_seed(seed, args.reps, args.weights, args.benchmark))
        print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    print("mean:", table.drop(columns=["transformation", "benchmark"]).mean().round(3).to_dict())


if __name__ == "__main__":
    main()
