"""Benchmark: expected targeting errors in the register against the synthetic truth.

For several seeds and register sizes: fit the receipt-aware model on the
synthetic survey, estimate expected inclusion errors, exclusion errors and
extreme-poor households not covered per kecamatan (90% intervals), and compare
with the true counts in ``register_truth``. Reports, per count, the share of
kecamatan whose true count lies inside its interval, and the regency estimate
over the true total.

Each row also carries the direct survey estimate of the same regency total
(weighted count of surveyed households in error, over the truth): what the
survey alone says. ``--oracle`` adds the model fitted on ``register_truth``
itself (every register household's consumption, weight one): what the model
can do with no sampling error at all, and the household-chance floor (the
standard deviation of a sum of independent Bernoulli outcomes with the oracle's
probabilities, over the truth) that no estimator of expected counts can beat.

    .venv/bin/python benchmarks/targeting_truth.py [--seeds 1 2 3] [--sizes 83000 20000] [--oracle]
        [--variants default area_quality heavy_tails shock thin_survey all]

``--variants`` picks registers from `konsel synth` (``default``) or from the family of
``targeting_family.py``, which breaks the model's assumptions (targeting quality
that varies by kecamatan, heavy-tailed welfare, an unobserved shock, thin survey).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.datasets import load_dataset, load_register
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.synth import generate_konsel, write_konsel
from konsel_analysis.targeting.expected import estimate_expected_errors
from konsel_analysis.targeting.receipt_model import SurveySample, fit_receipt_model
from konsel_analysis.targeting.score import register_households, survey_sample

sys.path.insert(0, str(Path(__file__).resolve().parent))
from targeting_family import VARIANTS, generate_variant  # noqa: E402

CONFIG = CONFIGS_DIR / "konsel_survey.yml"


def true_counts(data, register) -> dict[str, pd.Series]:
    truth = data.register_truth
    poor = truth["is_poor"].to_numpy()
    extreme = truth["is_extreme_poor"].to_numpy()
    ben = register.is_beneficiary
    area = register.area
    return {
        "expected_inclusion_errors": pd.Series(ben & ~poor).groupby(area).sum(),
        "expected_exclusion_errors": pd.Series(~ben & poor).groupby(area).sum(),
        "expected_extreme_poor_not_covered": pd.Series(~ben & extreme).groupby(area).sum(),
    }


def direct_estimates(dataset) -> dict[str, float]:
    """The survey's own (Horvitz-Thompson) estimates of the regency counts."""
    sample = survey_sample(dataset)
    ben = np.logical_or.reduce([np.asarray(v, bool) for v in sample.programs.values()])
    poor = sample.log_welfare < np.log(dataset.poverty_line)
    extreme = sample.log_welfare < np.log(dataset.extreme_poverty_line)
    w = sample.weight
    return {
        "expected_inclusion_errors": float(w @ (ben & ~poor)),
        "expected_exclusion_errors": float(w @ (~ben & poor)),
        "expected_extreme_poor_not_covered": float(w @ (~ben & extreme)),
    }


def oracle_estimates(data, dataset, register) -> dict[str, tuple[float, float]]:
    """The model fitted on the register's true consumption: (total, Bernoulli sd) per count."""
    truth = SurveySample(
        X=register.X,
        log_welfare=np.log(data.register_truth["consumption_pc_month_idr"].to_numpy()),
        weight=np.ones(len(register.area)),
        cluster=register.cluster,
        area=register.area,
        programs=register.programs,
    )
    model = fit_receipt_model(
        truth, dataset.poverty_line, dataset.extreme_poverty_line, squared=dataset.config.squared
    )
    p = model.predict(register.X, register.programs, register.area)
    ben = register.is_beneficiary
    probabilities = {
        "expected_inclusion_errors": np.where(ben, 1 - p["p_poor"], 0.0),
        "expected_exclusion_errors": np.where(~ben, p["p_poor"], 0.0),
        "expected_extreme_poor_not_covered": np.where(~ben, p["p_extreme"], 0.0),
    }
    return {
        k: (float(q.sum()), float(np.sqrt((q * (1 - q)).sum()))) for k, q in probabilities.items()
    }


def check_against_truth(
    seed: int,
    households: int,
    reps: int,
    folder: Path,
    oracle: bool = False,
    variant: str = "default",
    area_bias: bool = True,
) -> list[dict]:
    """Rows of the truth check for one register (``variant``: ``default`` is `konsel synth`,
    any other a member of the family in ``targeting_family.py``)."""
    if variant == "default":
        data = generate_konsel(households=households, seed=seed)
    else:
        data = generate_variant(variant, households=households, seed=seed)
    write_konsel(data, folder)
    dataset = load_dataset(folder / "survey.parquet", CONFIG)
    register = register_households(load_register(folder / "register.parquet", CONFIG))
    started = time.perf_counter()
    result = estimate_expected_errors(
        survey_sample(dataset),
        register,
        dataset.poverty_line,
        dataset.extreme_poverty_line,
        squared=dataset.config.squared,
        reps=reps,
        ci=0.90,
        area_bias=area_bias,
    )
    seconds = time.perf_counter() - started
    table = result.by_area.set_index("area")
    direct = direct_estimates(dataset)
    oracles = oracle_estimates(data, dataset, register) if oracle else {}
    rows = []
    for name, truth in true_counts(data, register).items():
        areas = table.drop("ALL")
        inside = (truth >= areas[f"{name}_low"]) & (truth <= areas[f"{name}_high"])
        total = float(truth.sum())
        width = (areas[f"{name}_high"] - areas[f"{name}_low"]) / areas[name].clip(lower=1)
        rows.append(
            {
                "variant": variant,
                "area_bias": area_bias,
                "seed": seed,
                "households": households,
                "count": name,
                "seconds": round(seconds, 1),
                "kecamatan_inside_90": float(inside.mean()),
                "kecamatan_below_90": float((truth < areas[f"{name}_low"]).mean()),
                "mean_relative_width": float(width.mean()),
                "regency_estimate": float(table.loc["ALL", name]),
                "regency_truth": total,
                "regency_ratio": float(table.loc["ALL", name] / total),
                "regency_inside_90": bool(
                    table.loc["ALL", f"{name}_low"] <= total <= table.loc["ALL", f"{name}_high"]
                ),
                "direct_ratio": direct[name] / total,
            }
        )
        if oracle:
            rows[-1]["oracle_ratio"] = oracles[name][0] / total
            rows[-1]["bernoulli_sd_ratio"] = oracles[name][1] / total
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 11)))
    parser.add_argument("--sizes", type=int, nargs="+", default=[83_000, 20_000])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument(
        "--variants",
        nargs="+",
        default=["default"],
        choices=["default", *VARIANTS],
        help="default: `konsel synth`; others: the family of targeting_family.py",
    )
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    parser.add_argument(
        "--oracle", action="store_true", help="also fit the model on the register's truth"
    )
    parser.add_argument(
        "--no-area-bias",
        action="store_true",
        help="intervals without the areas' bias term (as before issue 15)",
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants:
            for size in args.sizes:
                for seed in args.seeds:
                    folder = Path(tmp) / f"{variant}-{size}-{seed}"
                    rows += check_against_truth(
                        seed, size, args.reps, folder, args.oracle, variant, not args.no_area_bias
                    )
                    print(pd.DataFrame(rows[-3:]).to_string(index=False, header=len(rows) == 3))
    frame = pd.DataFrame(rows)
    summary = frame.groupby(["variant", "households", "count"]).agg(
        runs=("seed", "size"),
        mean_kecamatan_inside_90=("kecamatan_inside_90", "mean"),
        min_kecamatan_inside_90=("kecamatan_inside_90", "min"),
        mean_kecamatan_below_90=("kecamatan_below_90", "mean"),
        mean_relative_width=("mean_relative_width", "mean"),
        runs_with_80pct_inside=("kecamatan_inside_90", lambda s: float((s >= 0.8).mean())),
        runs_regency_within_10pct=("regency_ratio", lambda s: float((abs(s - 1) <= 0.1).mean())),
        runs_regency_inside_90=("regency_inside_90", "mean"),
        median_abs_error=("regency_ratio", lambda s: float(np.median(abs(s - 1)))),
        mean_ratio=("regency_ratio", "mean"),
        sd_ratio=("regency_ratio", "std"),
        direct_sd_ratio=("direct_ratio", "std"),
    )
    print(summary.round(3).to_string())
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
