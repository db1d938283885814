"""How far the poverty map's own intervals are from its real sampling error.

One synthetic regency (register and truth fixed), many survey draws from it with
the survey's own design (villages PPS within kecamatan, 15 households each). For
each draw the map is fitted without bootstrap; the spread of its kecamatan
totals of poor persons (and of the regency rate) around the truth over the
draws is the estimator's real error. The bootstrap of the map on the first draw
says what the method believes that error to be. Prints, per kecamatan and for
the regency, the real RMSE against the bootstrap RMSE (their ratio is what the
intervals miss or over-promise).

    .venv/bin/python benchmarks/poverty_map_repeated.py [--seed 20240901] [--draws 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.geography import load_villages
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.poverty_map.estimator import PovertyMap
from konsel_analysis.poverty_map.step import build_inputs
from konsel_analysis.synth import (
    TABLES,
    draw_survey_sample,
    generate_konsel,
    load_calibration,
    write_konsel,
)


def fit_map(data, survey: pd.DataFrame, tmp: Path, reps: int, seed: int, **options) -> PovertyMap:
    """The desa map of ``survey`` (register and truth of ``data``) as the command fits it."""
    write_konsel(data, tmp)
    survey.to_parquet(tmp / "survey.parquet", index=False)
    s, c, ds, fixed = build_inputs(
        tmp / "survey.parquet", tmp / "register.parquet", CONFIGS_DIR / "konsel_survey.yml",
        level="cluster",
    )  # fmt: skip
    cfg = ds.config
    return PovertyMap(
        ds.poverty_line, ds.extreme_poverty_line, numeric=cfg.numeric,
        categorical=(*cfg.categorical, *fixed), squared=cfg.squared, reps=reps, seed=seed,
        **options,
    ).fit(s, c)  # fmt: skip


def survey_draw(data, rng: np.random.Generator) -> pd.DataFrame:
    """A new survey from the same register truth, with the synthetic survey's design."""
    reg = data.register
    villages = load_villages()["village_code"].astype(str)
    counts = reg["village_code"].astype(str).value_counts().reindex(villages, fill_value=0)
    cal = load_calibration()["survey"]
    rows, weights = draw_survey_sample(
        counts.to_numpy(), len(data.survey), cal["households_per_cluster"], rng
    )
    s = reg.iloc[rows].reset_index(drop=True)
    s["design_weight"] = weights.round(4)
    s["consumption_pc_month_idr"] = data.register_truth["consumption_pc_month_idr"].to_numpy()[rows]
    s["household_id"] = [f"S{i:06d}" for i in range(len(s))]
    return s.loc[:, list(TABLES["survey"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20240901)
    parser.add_argument("--draws", type=int, default=30)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument(
        "--reps-each", type=int, default=0,
        help="bootstrap every draw too (coverage of the kecamatan intervals per draw)",
    )  # fmt: skip
    args = parser.parse_args()
    data = generate_konsel(seed=args.seed)
    reg = data.register
    m = reg["household_size"].to_numpy(float)
    y = data.register_truth["consumption_pc_month_idr"].to_numpy(float)
    rng = np.random.default_rng(args.seed + 1)
    kec_est, reg_rate, per_draw = [], [], []
    cpu = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        first = fit_map(data, data.survey, Path(tmp), args.reps, 1)
        line = first.line
        truth_kec = pd.Series(m * (y < line)).groupby(reg["kecamatan_code"].astype(str)).sum()
        boot = first.upper_table_.set_index("area")
        for _ in range(args.draws):
            pm = fit_map(data, survey_draw(data, rng), Path(tmp), args.reps_each, 1)
            table = pm.upper_table_.set_index("area").reindex(truth_kec.index)
            kec_est.append(table.poor_persons.to_numpy())
            reg_rate.append(table.poor_persons.sum() / m.sum())
            if args.reps_each:
                low, high = table.poor_persons_low, table.poor_persons_high
                inside = (low <= truth_kec) & (truth_kec <= high)
                draw_errors = pm.errors_["poverty_rate"].sum(axis=0) / m.sum()
                per_draw.append(
                    {
                        "regency_error": reg_rate[-1] - truth_kec.sum() / m.sum(),
                        "boot_sd": draw_errors.std(ddof=1),
                        "kec_cover": inside.mean(),
                    }
                )
                print(per_draw[-1], flush=True)
    est = np.array(kec_est)
    err = est - truth_kec.to_numpy()[None, :]
    out = pd.DataFrame(
        {
            "truth": truth_kec,
            "mean_est": est.mean(0),
            "bias": err.mean(0),
            "sd_real": est.std(0, ddof=1),
            "rmse_real": np.sqrt((err**2).mean(0)),
            "rmse_boot": boot.poor_persons_rmse.reindex(truth_kec.index),
        }
    )
    out["ratio"] = out.rmse_real / out.rmse_boot
    print(out.round(1).to_string())
    rr = np.array(reg_rate)
    if per_draw:
        draws = pd.DataFrame(per_draw)
        draws["z"] = draws.regency_error / draws.boot_sd
        print(draws.round(4).to_string())
        print("mean kecamatan coverage over draws:", round(float(draws.kec_cover.mean()), 3))
    boot_regency = first.errors_["poverty_rate"].sum(axis=0) / m.sum()
    print(
        f"first survey: regency estimate {first.table_.poor_persons.sum() / m.sum():.4f}; "
        f"bootstrap regency error sd {boot_regency.std(ddof=1):.4f}, "
        f"rmse {np.sqrt(np.mean(boot_regency**2)):.4f}"
    )
    print(
        f"regency rate: truth {truth_kec.sum() / m.sum():.4f}; over {args.draws} draws mean "
        f"{rr.mean():.4f}, sd {rr.std(ddof=1):.4f}; median real/boot RMSE ratio "
        f"{out.ratio.median():.2f}; CPU {time.process_time() - cpu:.0f} s"
    )


if __name__ == "__main__":
    main()
