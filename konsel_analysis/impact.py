"""Impact of correcting targeting errors: a budget-neutral reallocation on the survey.

Benefits are taken from the beneficiaries most likely to be inclusion errors and
given, with the money freed, to the non-beneficiaries most likely to be poor.
Poverty is then measured again with the Foster-Greer-Thorbecke family:
headcount (FGT0), gap (FGT1) and severity (FGT2), for the poverty and the
extreme-poverty line. This answers the Bupati's "zero extreme poverty" target
directly: how many extreme poor a correction round lifts above the line.

Assumption, stated in every report that uses it: a transfer is consumed in full
(a marginal propensity to consume of one), so a household's per-capita
consumption moves by its per-capita benefit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.benefits import household_benefit_per_month
from konsel_analysis.parameters import load_parameters


def fgt(welfare, line: float, alpha: int, weight=None) -> float:
    """Foster-Greer-Thorbecke index: weighted mean of ``(1 - y/z)^alpha`` over the poor.

    ``alpha`` 0 is the headcount ratio, 1 the poverty gap, 2 the severity.
    Pass person weights (household weight x household size) for BPS-style rates.

    >>> fgt([50, 100, 200], line=100, alpha=1)  # only 50 is poor: gap 0.5, mean 0.5/3
    0.16666666666666666
    """
    y = np.asarray(welfare, dtype=float)
    w = np.ones_like(y) if weight is None else np.asarray(weight, dtype=float)
    poor = y < line
    gap = np.where(poor, 1.0 - y / line, 0.0)
    return float(np.sum(w * poor * gap**alpha) / np.sum(w))


@dataclass(frozen=True)
class Reallocation:
    """Who loses and who gains in a budget-neutral correction round."""

    removed: np.ndarray  # bool per household
    added: np.ndarray  # share of the package given (1, or a fraction for the last one)
    budget_freed: float  # Rp per month, weighted to the population
    budget_given: float


def reallocate(
    benefit_now, benefit_if_given, weight, p_not_eligible, p_poor, remove_above: float = 0.5
) -> Reallocation:
    """Take benefits where P(not eligible) > ``remove_above``; give them to the likeliest poor.

    Budget neutral: the weighted money freed is spent on non-beneficiaries in
    descending ``p_poor`` until it runs out; the last household may get a share
    of its package, so spending equals the money freed exactly.
    """
    now = np.asarray(benefit_now, dtype=float)
    new = np.asarray(benefit_if_given, dtype=float)
    w = np.asarray(weight, dtype=float)
    beneficiary = now > 0
    removed = beneficiary & (np.asarray(p_not_eligible) > remove_above)
    budget = float(np.sum(w * now * removed))
    added = np.zeros(len(now))
    candidates = np.flatnonzero(~beneficiary & (new > 0))
    order = candidates[np.argsort(-np.asarray(p_poor)[candidates], kind="stable")]
    cost = w[order] * new[order]
    spent_before = np.concatenate([[0.0], np.cumsum(cost)[:-1]])
    share = np.clip((budget - spent_before) / np.where(cost > 0, cost, 1.0), 0.0, 1.0)
    added[order] = share
    return Reallocation(removed, added, budget, float(np.sum(w * new * added)))


def simulate_impact(
    welfare,
    household_size,
    weight,
    area,
    reallocation: Reallocation,
    benefit_now,
    benefit_if_given,
    poverty_line: float,
    extreme_line: float,
) -> pd.DataFrame:
    """FGT 0/1/2 for both lines before and after, per area and ``ALL``, plus extreme poor lifted.

    Welfare is per capita per month; benefits are per household per month and
    are divided by household size. The ``sampled_*`` columns count the sample
    households behind each area's figures (all, those whose consumption
    changes, extreme poor lifted above the line, households pushed below it).
    """
    y = np.asarray(welfare, dtype=float)
    size = np.asarray(household_size, dtype=float)
    change = (
        np.asarray(benefit_if_given) * reallocation.added
        - np.asarray(benefit_now) * reallocation.removed
    ) / size
    after = y + change
    persons = np.asarray(weight, dtype=float) * size
    frame = pd.DataFrame({"area": np.asarray(area), "before": y, "after": after, "w": persons})
    rows = []
    for name, group in [("ALL", frame), *frame.groupby("area", sort=True)]:
        row = {"area": name}
        for label, line in (("poverty", poverty_line), ("extreme", extreme_line)):
            for alpha in (0, 1, 2):
                for when in ("before", "after"):
                    row[f"{label}_fgt{alpha}_{when}"] = fgt(group[when], line, alpha, group["w"])
        lifted = (group["before"] < extreme_line) & (group["after"] >= extreme_line)
        fallen = (group["before"] >= extreme_line) & (group["after"] < extreme_line)
        row["extreme_poor_lifted_persons"] = float(group.loc[lifted, "w"].sum())
        row["extreme_poor_added_persons"] = float(group.loc[fallen, "w"].sum())
        # Sample counts behind each figure: published tables hide figures resting on
        # fewer than five sample households (issue 6).
        row["sampled_households"] = len(group)
        row["sampled_households_changed"] = int((group["after"] != group["before"]).sum())
        row["sampled_extreme_poor_lifted"] = int(lifted.sum())
        row["sampled_extreme_poor_added"] = int(fallen.sum())
        rows.append(row)
    return pd.DataFrame(rows)


def cross_fitted_models(
    sample, poverty_line: float, extreme_line: float, squared=(), n_folds: int = 5, seed: int = 0
) -> list[tuple[np.ndarray, object]]:
    """``(rows, model)`` per fold: the receipt-aware model fitted without those survey rows.

    Folds are grouped by cluster (:mod:`konsel_analysis.targeting.expected`), so a
    household's own consumption never informs the model that scores it.
    """
    from konsel_analysis.targeting.receipt_model import (
        SurveySample,
        cluster_folds,
        fit_receipt_model,
    )

    fitted = []
    for train, test in cluster_folds(sample, n_folds, seed):
        part = SurveySample(
            sample.X.iloc[train],
            sample.log_welfare[train],
            sample.weight[train],
            sample.cluster[train],
            sample.area[train],
            {k: v[train] for k, v in sample.programs.items()},
        )
        fitted.append(
            (test, fit_receipt_model(part, poverty_line, extreme_line, squared=squared, seed=seed))
        )
    return fitted


def cross_fitted_poverty_probabilities(
    sample, poverty_line: float, extreme_line: float, squared=(), n_folds: int = 5, seed: int = 0
) -> pd.DataFrame:
    """P(poor) and P(extreme poor) of each surveyed household from a model that did not see it.

    The receipt-aware model (:mod:`konsel_analysis.targeting.expected`) is refitted
    on the other folds (:func:`cross_fitted_models`), so a household's own consumption
    never informs its own probability: the simulation then behaves as a field
    round would, where consumption is unknown.
    """
    out = pd.DataFrame(
        index=range(len(sample.log_welfare)), columns=["p_poor", "p_extreme"], dtype=float
    )
    for test, model in cross_fitted_models(
        sample, poverty_line, extreme_line, squared, n_folds, seed
    ):
        p = model.predict(
            sample.X.iloc[test], {k: v[test] for k, v in sample.programs.items()}, sample.area[test]
        )
        out.iloc[test, 0] = p["p_poor"].to_numpy()
        out.iloc[test, 1] = p["p_extreme"].to_numpy()
    return out


def simulate_correction_round(
    dataset, budget_visits: int | None = None, seed: int = 0
) -> pd.DataFrame:
    """Budget-neutral correction of PKH/BPNT on the survey, two scenarios, per area.

    ``verified`` (what the toolkit proposes): households are visited in
    priority order (cross-fitted probabilities, :mod:`konsel_analysis.targeting.verification`)
    until the weighted visits reach the budget; a visit reveals the truth. A
    visited beneficiary that would stay above the poverty line without its
    package loses it; the money goes to visited poor non-beneficiaries, extreme
    poor first, each receiving BPNT and PKH if it has PKH components.

    ``model only`` (for contrast): no visits; every beneficiary whose predicted
    P(not poor) exceeds one half loses its package and the money goes to the
    non-beneficiaries the model ranks poorest. Acting on predictions alone
    pushes some poor beneficiaries below the line.
    """
    from threadpoolctl import threadpool_limits

    from konsel_analysis.targeting.score import survey_sample
    from konsel_analysis.targeting.verification import priority_scores

    params = load_parameters()
    budget = params.value("verification.budget_visits") if budget_visits is None else budget_visits
    sample = survey_sample(dataset)
    frame = dataset.frame
    amounts = household_benefit_per_month(frame, params)
    flags = {p: np.asarray(v, bool) for p, v in sample.programs.items() if p in amounts}
    if not flags:
        raise KeyError("the survey has none of the PKH/BPNT columns the simulation values")
    now = np.sum([amounts[p] * flags[p] for p in flags], axis=0)
    if_given = np.sum([amounts[p] for p in flags], axis=0)
    with threadpool_limits(limits=1):
        p = cross_fitted_poverty_probabilities(
            sample,
            dataset.poverty_line,
            dataset.extreme_poverty_line,
            squared=dataset.config.squared,
            seed=seed,
        )
    p_poor, p_extreme = p["p_poor"].to_numpy(), p["p_extreme"].to_numpy()
    k = float(params.value("verification.extreme_poor_weight"))
    need = p_poor + (k - 1) * p_extreme
    beneficiary = now > 0
    size = frame["household_size"].to_numpy().astype(float)
    y, w = np.asarray(dataset.y, float), dataset.weight

    _, priority = priority_scores(
        beneficiary, p_poor, p_extreme, np.where(beneficiary, now, if_given), params
    )
    order = np.argsort(-priority, kind="stable")
    visited = np.zeros(len(y), bool)
    visited[order[np.cumsum(w[order]) <= budget]] = True
    stays_above = (y - now / size) >= dataset.poverty_line
    truly_poor = y < dataset.poverty_line
    verified = reallocate(
        now,
        np.where(visited & truly_poor, if_given, 0.0),
        w,
        (visited & beneficiary & stays_above).astype(float),
        need + 10 * (y < dataset.extreme_poverty_line),
    )
    model_only = reallocate(now, if_given, w, 1 - p_poor, need)
    tables = []
    for name, realloc in (("verified", verified), ("model only", model_only)):
        table = simulate_impact(
            y,
            size,
            w,
            dataset.area,
            realloc,
            now,
            if_given,
            dataset.poverty_line,
            dataset.extreme_poverty_line,
        )
        table.insert(0, "scenario", name)
        table["budget_rp_per_month"] = realloc.budget_freed
        table["budget_given_rp_per_month"] = realloc.budget_given
        table["households_removed"] = float(np.sum(w * realloc.removed))
        table["households_added"] = float(np.sum(w * realloc.added))
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def run(survey: Path, config: Path, out: Path, *, seed: int = 0) -> list[Path]:
    """The impact step of the main job: :func:`simulate_correction_round` on the survey a
    dataset config describes, written to ``out/impact_by_area.csv``; the files written."""
    from konsel_analysis.datasets import load_dataset
    from konsel_analysis.files import write_csv_atomic

    dataset = load_dataset(survey, config)
    table = simulate_correction_round(dataset, seed=seed)
    return [
        write_csv_atomic(table, out / "impact_by_area.csv"),
        # the workbench's survey side (its impact callback redoes this round at any setting)
        *write_workbench_survey_tables(dataset, out, seed=seed),
    ]


def write_workbench_survey_tables(dataset, out: Path, seed: int = 0) -> list[Path]:
    """The workbench's survey-side files, with the impact step's folds.

    The folds and their models are those of :func:`simulate_correction_round` (same
    seed); the files are described in :mod:`konsel_analysis.targeting.workbench_tables`.
    """
    from threadpoolctl import threadpool_limits

    from konsel_analysis.files import write_parquet_atomic
    from konsel_analysis.targeting.score import survey_sample
    from konsel_analysis.targeting.workbench_tables import (
        FOLDS_FILE,
        FORMAT_VERSION,
        SURVEY_FILE,
        model_numbers,
        write_json,
    )

    sample = survey_sample(dataset)
    lines = (dataset.poverty_line, dataset.extreme_poverty_line)
    with threadpool_limits(limits=1):  # small fits: one BLAS thread each, as the impact step
        fitted = cross_fitted_models(sample, *lines, dataset.config.squared, seed=seed)
    n = len(sample.log_welfare)
    fold, index = np.zeros(n, np.int32), np.zeros(n)
    for f, (test, model) in enumerate(fitted):
        fold[test] = f
        index[test] = model.log_welfare_index(sample.X.iloc[test])
    frame = dataset.frame
    amounts = household_benefit_per_month(frame)
    persons = dataset.config.persons or "household_size"
    survey = pd.DataFrame(
        {
            "area": np.asarray(sample.area, dtype=str),
            "cluster": np.asarray(sample.cluster, dtype=str),
            "welfare": np.asarray(dataset.y, float),
            "weight": np.asarray(sample.weight, float),
            "persons": frame[persons].to_numpy(float) if persons in frame else 1.0,
            **sample.programs,
            **{f"benefit_{p}": amounts[p] for p in sample.programs if p in amounts},
            "fold": fold,
            "log_welfare_index": index,
        }
    )
    payload = {
        "format": FORMAT_VERSION,
        "poverty_line": float(dataset.poverty_line),
        "extreme_poverty_line": float(dataset.extreme_poverty_line),
        "folds": [model_numbers(model) for _, model in fitted],
    }
    return [
        write_parquet_atomic(survey, out / SURVEY_FILE),
        write_json(payload, out / FOLDS_FILE),
    ]
