"""The poverty map against a second truth it was not built on (an EU-SILC-like population).

``register_truth`` is the generator the map was developed against. This one is written
independently and shaped like emdi's ``eusilcA_pop``/``eusilcA_smp``: about 100
districts (a quarter unsampled), equivalised income with other column names,
heteroskedastic and skewed errors (a mixture with a heavy right tail, more spread for
the self-employed and the unemployed), a few zero and negative incomes, sample sizes
from 1 to about 80 households per district, district weights, text missing codes
("NA", "-") in a proxy, no household size (rates over households) and ``--level area``.
Poverty line: 60% of the population median income (the EU at-risk-of-poverty line).

It writes the tables and configs, runs ``konsel poverty-map`` itself (the command, not
the estimator) and compares with the truth: coverage of the district poverty rates
(all, EB, synthetic), RMSE sampled model/direct, the overall rate. One row per seed.

    .venv/bin/python benchmarks/poverty_map_second_truth.py [--seeds 1 2 3] [--reps 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.cli import main as konsel

NUMERIC = ["age", "eqsize", "cash", "self_empl", "unempl_ben", "house_rent"]
CATEGORICAL = ["gender", "education"]


def config(household_id: str, area: str, upper: bool = False) -> str:
    """A dataset config of the sample (lower-case names) or the census (upper-case)."""
    case = str.upper if upper else str
    return (
        f"household_id: {household_id}\narea: {area}\nread: {{missing: ['-']}}\n"
        f"proxies:\n  numeric: [{', '.join(map(case, NUMERIC))}]\n"
        f"  categorical: [{', '.join(map(case, CATEGORICAL))}]\n"
    )


def population(seed: int, districts: int = 100, tail: float = 0.10) -> pd.DataFrame:
    """Households with proxies and income; district effects and heteroskedastic, skewed errors."""
    rng = np.random.default_rng(seed)
    size = np.round(np.exp(rng.normal(5.6, 0.55, districts))).astype(int).clip(40, 2500)
    d = np.repeat(np.arange(districts), size)
    n = len(d)
    district_level = rng.normal(0.0, 0.6, districts)  # richer and poorer districts
    age = rng.integers(18, 90, n)
    eqsize = 1.0 + 0.5 * rng.poisson(1.2, n) + 0.3 * rng.poisson(0.6, n)
    education = rng.choice(["primary", "secondary", "tertiary"], n, p=[0.3, 0.5, 0.2])
    edu = pd.Series(education).map({"primary": 0, "secondary": 1, "tertiary": 2}).to_numpy()
    self_empl = rng.random(n) < 0.12
    unemployed = rng.random(n) < 0.08 + 0.04 * (district_level[d] < -0.3)
    cash = np.where(unemployed, 0.0, np.exp(rng.normal(9.4 + 0.25 * edu, 0.6)))
    cash = cash * np.exp(0.3 * district_level[d])
    unempl_ben = np.where(unemployed, np.exp(rng.normal(8.5, 0.4, n)), 0.0)
    house_rent = np.where(rng.random(n) < 0.3, np.exp(rng.normal(8.0, 0.5, n)), 0.0)
    gender = np.where(rng.random(n) < 0.45, "female", "male")
    u = rng.normal(0.0, 0.18, districts) + 0.05 * district_level  # district effects
    sd = 0.35 + 0.25 * self_empl + 0.2 * unemployed
    # skewed errors: a normal with a 10% heavy right-tail component
    in_tail = rng.random(n) < tail
    e = sd * np.where(in_tail, rng.gamma(2.0, 0.8, n), rng.normal(0.0, 1.0, n))
    log_income = (
        9.3
        + 0.5 * np.log1p(cash / 1000.0) * 0.4
        + 0.15 * edu
        + 0.08 * np.log1p(unempl_ben / 100.0)
        + 0.05 * np.log1p(house_rent / 100.0)
        - 0.12 * np.log(eqsize)
        + 0.004 * (age - 18)
        - 0.05 * (gender == "female")
        + 0.2 * district_level[d]
        + u[d]
        + e
    )
    income = np.exp(log_income) - 2_000.0  # some small negative incomes
    income[rng.random(n) < 0.005] = 0.0
    return pd.DataFrame(
        {
            "hid": np.arange(n),
            "district": [f"D{i + 1:03d}" for i in d],
            "eqIncome": income.round(2),
            "age": age,
            "eqsize": eqsize,
            "cash": cash.round(2),
            "self_empl": self_empl.astype(int),
            "unempl_ben": unempl_ben.round(2),
            "house_rent": house_rent.round(2),
            "gender": gender,
            "education": education,
        }
    )


def sample(pop: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Three quarters of the districts, 1 to ~80 households each (more in larger ones)."""
    rng = np.random.default_rng(seed + 1000)
    districts = pop.district.unique()
    sampled = rng.choice(districts, int(round(0.75 * len(districts))), replace=False)
    parts = []
    for k, dist in enumerate(sorted(sampled)):
        rows = pop[pop.district == dist]
        n_d = 1 if k % 25 == 0 else int(np.clip(round(len(rows) * 0.07), 2, 80))
        take = rows.sample(n_d, random_state=int(rng.integers(1 << 31)))
        parts.append(take.assign(weight=len(rows) / n_d))
    s = pd.concat(parts, ignore_index=True)
    s["cash"] = s["cash"].astype(object)
    s.loc[rng.random(len(s)) < 0.02, "cash"] = "-"  # a text missing code
    return s


def one_seed(seed: int, reps: int, tail: float = 0.10) -> dict:
    pop = population(seed, tail=tail)
    line = 0.6 * float(np.median(pop.eqIncome))
    smp = sample(pop, seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        smp.to_csv(tmp / "smp.csv", index=False)
        census = pop.drop(columns=["eqIncome"]).rename(
            columns={c: c.upper() for c in pop.columns if c not in ("hid", "district")}
        )
        census = census.rename(columns={"hid": "pid", "district": "district_code"})
        census.to_csv(tmp / "pop.csv", index=False)
        (tmp / "smp.yml").write_text(
            config("hid", "district")
            + f"welfare: eqIncome\nweight: weight\npoverty_line: {line:.2f}\n"
        )
        (tmp / "pop.yml").write_text(config("pid", "district_code", upper=True))
        cpu, wall = time.process_time(), time.perf_counter()
        code = konsel(
            [
                "poverty-map", "--survey", str(tmp / "smp.csv"), "--census", str(tmp / "pop.csv"),
                "--config", str(tmp / "smp.yml"), "--census-config", str(tmp / "pop.yml"),
                "--reps", str(reps), "--seed", str(seed), "--out", str(tmp / "out"),
            ]
        )  # fmt: skip
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if code != 0:
            raise SystemExit(f"seed {seed}: konsel poverty-map exited {code}")
        t = pd.read_csv(tmp / "out" / "poverty_map.csv").set_index("area")
    truth = pop.assign(p=pop.eqIncome < line).groupby("district").p.mean().reindex(t.index)
    inside = (t.poverty_rate_low <= truth) & (truth <= t.poverty_rate_high)
    eb = t.method == "EB"

    def rmse(est):
        return float(np.sqrt(np.mean((est[eb] - truth[eb]) ** 2)))

    return {
        "seed": seed,
        "tail": tail,
        "districts": len(t),
        "sampled": int(eb.sum()),
        "coverage": float(inside.mean()),
        "coverage_eb": float(inside[eb].mean()),
        "coverage_synthetic": float(inside[~eb].mean()),
        "rmse_model": rmse(t.poverty_rate),
        "rmse_direct": rmse(t.direct_poverty_rate),
        "ratio": rmse(t.poverty_rate) / rmse(t.direct_poverty_rate),
        "overall_est": float(np.average(t.poverty_rate, weights=t.census_households)),
        "overall_true": float(np.mean(pop.eqIncome < line)),
        "cpu": cpu,
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument(
        "--tail", type=float, default=0.10, help="share of errors in the heavy right tail"
    )
    args = parser.parse_args()
    rows = [one_seed(seed, args.reps, args.tail) for seed in args.seeds]
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    print("mean:", table.mean().round(3).to_dict())


if __name__ == "__main__":
    main()
