"""Benchmark: a verification round's estimates against the synthetic truth.

For each register size and seed: generate the synthetic regency, run ``konsel
score`` (priority visits plus the audit share), simulate round 1's field results
from ``register_truth`` (an independent seed), import them, then simulate round 2
on the next round's plan. Reports per run:

- coverage of the design-based 90% intervals of the inclusion and exclusion error
  totals (all households of the area at the time of the round): the regency and
  every kecamatan with an estimate;
- expected inclusion errors among the households not verified, before the round
  (the model) and after the recalibration, against the true count: the regency
  error and the mean absolute kecamatan error, and the kecamatan coverage of the
  after-intervals;
- corrected errors per 1,000 planned visits in round 1 and round 2.

    .venv/bin/python benchmarks/verification_truth.py [--sizes 20000 40000] [--seeds 1 2 3 4]

Every run has the default budget, 3,000 visits of which 300 audits (parameters.yml):
kecamatan estimates need two audit draws per kecamatan and receipt. CPU
seconds are the process's own (this machine is shared).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.synth import generate_konsel, write_konsel
from konsel_analysis.targeting.score import run_score
from konsel_analysis.targeting.score_settings import ScoreSettings
from konsel_analysis.verification.cli import import_round, read_plan
from konsel_analysis.verification.simulate import simulate_outcomes

CONFIG = CONFIGS_DIR / "konsel_survey.yml"
REPS = 50
INC = ("estimated_inclusion_errors_low", "estimated_inclusion_errors_high")
EXC = ("estimated_exclusion_errors_low", "estimated_exclusion_errors_high")
AFTER = ("expected_inclusion_errors_after_low", "expected_inclusion_errors_after_high")
BUDGET = 3000  # parameters.yml verification.budget_visits


def _found_per_1000(results: pd.DataFrame, benef: pd.Series) -> float:
    outcome = results["Hasil kunjungan"]
    b = results["ID rumah tangga"].map(benef).to_numpy(bool)
    found = (b & (outcome == "Tidak layak (mampu)")) | (~b & (outcome == "Miskin, belum menerima"))
    return 1000 * found.sum() / len(results)


def _inside(table, low, high, truth) -> np.ndarray:
    ok = table[low].notna()
    return ((table[low] <= truth) & (truth <= table[high]))[ok].to_numpy()


def run_one(size: int, seed: int, workdir: Path) -> dict:
    started = time.process_time()
    data = generate_konsel(households=size, seed=seed)
    raw = workdir / "raw"
    write_konsel(data, raw)
    budget = BUDGET
    out = workdir / "score"
    run_score(
        raw / "survey.parquet",
        raw / "register.parquet",
        CONFIG,
        ScoreSettings(budget=budget, reps=REPS, seed=seed),
        out=out,
    )
    plan = read_plan(out / "verification_plan.csv")
    reg = data.register.set_index("household_id")
    benef = reg["is_pkh_recipient"].astype(bool) | reg["is_bpnt_recipient"].astype(bool)
    truth = data.register_truth.set_index("household_id")
    results = simulate_outcomes(plan, benef, truth, reg, seed=seed + 1000)
    results_path = workdir / "results.xlsx"
    results.to_excel(results_path, index=False)
    rnd = import_round(
        results_path, out / "verification_plan.csv", raw / "survey.parquet",
        raw / "register.parquet", CONFIG, budget=budget, reps=REPS, seed=seed,
    )  # fmt: skip
    round2 = simulate_outcomes(rnd.next_plan, benef, truth, reg, seed=seed + 2000)

    area = reg["kecamatan_code"].astype(str)
    poor = truth["is_poor"].reindex(reg.index).to_numpy(bool)
    inc = pd.Series(benef.to_numpy() & ~poor, index=reg.index)
    exc = pd.Series(~benef.to_numpy() & poor, index=reg.index)
    by = rnd.by_area.set_index("area")
    true_inc = inc.groupby(area).sum()
    true_exc = exc.groupby(area).sum()
    true_inc.loc["ALL"], true_exc.loc["ALL"] = inc.sum(), exc.sum()
    true_inc, true_exc = true_inc.reindex(by.index), true_exc.reindex(by.index)
    kec = by.index != "ALL"

    pool = rnd.pool.set_index("household_id")
    pool_inc = inc.reindex(pool.index).groupby(pool["area"]).sum().reindex(by.index[kec])
    before = (pool["p_error"] * pool["is_beneficiary"]).groupby(pool["area"]).sum()
    before = before.reindex(by.index[kec])
    after = by.loc[kec, "expected_inclusion_errors_after"]
    cover_inc = _inside(by[kec], *INC, true_inc[kec])
    cover_exc = _inside(by[kec], *EXC, true_exc[kec])
    cover_after = _inside(by[kec], *AFTER, pool_inc)
    all_row = by.loc["ALL"]
    return {
        "households": size,
        "seed": seed,
        "visits": budget,
        "regency_inclusion_true": int(true_inc["ALL"]),
        "regency_inclusion_estimate": round(float(all_row["estimated_inclusion_errors"]), 1),
        "regency_inclusion_covered": bool(_inside(by.loc[["ALL"]], *INC, true_inc[["ALL"]])[0]),
        "regency_exclusion_true": int(true_exc["ALL"]),
        "regency_exclusion_estimate": round(float(all_row["estimated_exclusion_errors"]), 1),
        "regency_exclusion_covered": bool(_inside(by.loc[["ALL"]], *EXC, true_exc[["ALL"]])[0]),
        "kecamatan_inclusion_coverage": float(cover_inc.mean()),
        "kecamatan_exclusion_coverage": float(cover_exc.mean()),
        "kecamatan_cells": int(len(cover_inc)),
        "unverified_inclusion_true": int(pool_inc.sum()),
        "unverified_inclusion_before": round(float(before.sum()), 1),
        "unverified_inclusion_after": round(float(after.sum()), 1),
        "kecamatan_mae_before": round(float((before - pool_inc).abs().mean()), 2),
        "kecamatan_mae_after": round(float((after - pool_inc).abs().mean()), 2),
        "kecamatan_after_coverage": float(cover_after.mean()),
        "corrected_per_1000_round1": round(_found_per_1000(results, benef), 1),
        "corrected_per_1000_round2": round(_found_per_1000(round2, benef), 1),
        "cpu_seconds": round(time.process_time() - started, 1),
    }  # fmt: skip


def markdown(table: pd.DataFrame) -> str:
    """The docs table: one row per run, then the Done-when figures over all runs."""
    lines = [
        "| households | seed | regency inclusion: truth, estimate | regency exclusion: truth, "
        "estimate | kecamatan coverage (incl., excl.) | not verified, incl. errors: truth, "
        "before, after | kecamatan MAE before, after | after-interval coverage | corrected per "
        "1,000 visits, round 1, round 2 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        mark = lambda ok: "" if ok else " (missed)"  # noqa: E731
        lines.append(
            f"| {r.households:,} | {r.seed} | {r.regency_inclusion_true:,}, "
            f"{r.regency_inclusion_estimate:,.0f}{mark(r.regency_inclusion_covered)} | "
            f"{r.regency_exclusion_true:,}, {r.regency_exclusion_estimate:,.0f}"
            f"{mark(r.regency_exclusion_covered)} | {r.kecamatan_inclusion_coverage:.0%}, "
            f"{r.kecamatan_exclusion_coverage:.0%} | {r.unverified_inclusion_true:,}, "
            f"{r.unverified_inclusion_before:,.0f}, {r.unverified_inclusion_after:,.0f} | "
            f"{r.kecamatan_mae_before:.2f}, {r.kecamatan_mae_after:.2f} | "
            f"{r.kecamatan_after_coverage:.0%} | {r.corrected_per_1000_round1:.0f}, "
            f"{r.corrected_per_1000_round2:.0f} |"
        )
    regency = pd.concat([table["regency_inclusion_covered"], table["regency_exclusion_covered"]])
    cells = (
        table["kecamatan_inclusion_coverage"] * table["kecamatan_cells"]
        + table["kecamatan_exclusion_coverage"] * table["kecamatan_cells"]
    ).sum() / (2 * table["kecamatan_cells"].sum())
    closer = (table["unverified_inclusion_after"] - table["unverified_inclusion_true"]).abs() < (
        table["unverified_inclusion_before"] - table["unverified_inclusion_true"]
    ).abs()
    mae = table["kecamatan_mae_after"] < table["kecamatan_mae_before"]
    lines += [
        "",
        f"- Regency totals inside their 90% interval: {int(regency.sum())} of {len(regency)} "
        f"(inclusion and exclusion, {len(table)} runs); seeds-and-kecamatan cells: {cells:.0%}.",
        f"- After recalibration, the regency count of the unverified households' inclusion "
        f"errors is closer to the truth in {int(closer.sum())} of {len(table)} runs; the mean "
        f"absolute kecamatan error is smaller in {int(mae.sum())} of {len(table)}; kecamatan "
        f"coverage of the after-intervals {table['kecamatan_after_coverage'].mean():.0%} "
        f"(lowest run {table['kecamatan_after_coverage'].min():.0%}).",
        f"- Corrected errors per 1,000 visits: round 1 "
        f"{table['corrected_per_1000_round1'].mean():.0f}, round 2 "
        f"{table['corrected_per_1000_round2'].mean():.0f} (means over runs).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 40_000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument(
        "--table", type=Path, default=None, help="only print the docs table of a --json file"
    )
    args = parser.parse_args()
    if args.table:
        print(markdown(pd.DataFrame(json.loads(args.table.read_text(encoding="utf-8")))))
        return
    rows = []
    for size in args.sizes:
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as tmp:
                rows.append(run_one(size, seed, Path(tmp)))
            print(json.dumps(rows[-1]), flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    print(markdown(table))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
