"""The receipt-aware model and its bootstrap refits, fitted once on the survey.

The survey is small (a few thousand households), the register large. So the
model of :mod:`konsel_analysis.targeting.expected` is fitted once, with the same
Rao-Wu replicates, folds and seed as the single-process path, and the fitted
coefficients (a few hundred numbers per replicate) travel to every partition.
A partition then needs no survey: per area it returns the sum of each error
probability and of its Bernoulli variance under every replicate, which add up
across partitions to exactly what the single-process path computes on the whole
register. :func:`expected_errors_from_sums` turns those sums into the same
table, drawing the same normal deviates in the same order.

This module follows the replicate loop of ``targeting.expected`` step by step
(the private helpers it imports are that loop's pieces); the test
``tests/scale/test_scale_score.py`` compares the two paths number by number, so
a change to one without the other fails there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from konsel_analysis.targeting.expected import (
    ReceiptAwareModel,
    RegisterHouseholds,
    Stage2Rows,
    SurveySample,
    _error_probabilities,
    _fit_stages,
    _folds,
    fit_receipt_model,
)
from konsel_analysis.targeting.measured import rao_wu_multiplicities, resampling_units

#: The statistics summed per area and replicate: the expected count and its variance.
STATISTICS = ("mean", "var")


@dataclass(frozen=True)
class ReplicatedModel:
    """The model on the whole survey, the coefficients of each bootstrap refit, and the
    random generator's state at the point where the single-process path starts drawing
    its normal deviates."""

    model: ReceiptAwareModel
    pmt_betas: np.ndarray  # replicates x PMT coefficients
    logit_betas: dict[str, np.ndarray]  # line -> replicates x stage-2 coefficients
    rng_state: dict
    ci: float

    @property
    def reps(self) -> int:
        return self.pmt_betas.shape[0]


def fit_replicated_model(
    sample: SurveySample,
    poverty_line: float,
    extreme_poverty_line: float | None = None,
    *,
    squared=(),
    reps: int = 200,
    ci: float = 0.90,
    n_folds: int = 5,
    seed: int = 0,
) -> ReplicatedModel:
    """Fit the model and its ``reps`` Rao-Wu refits, as ``estimate_expected_errors`` does."""
    with threadpool_limits(limits=1):  # hundreds of small fits: one BLAS thread each
        model = fit_receipt_model(
            sample, poverty_line, extreme_poverty_line, squared=squared, n_folds=n_folds, seed=seed
        )
        Zs = model.pmt_design(sample.X)
        rows = Stage2Rows.build(sample.programs, model.programs, sample.area, model.areas)
        folds = _folds(sample, n_folds, seed)
        units = resampling_units(sample.area, sample.cluster)
        rng = np.random.default_rng(seed)
        mult = rao_wu_multiplicities(units.area_of_unit, reps, rng)[:, units.unit_of_household]
        fits = [
            _fit_stages(Zs, sample, rows, sample.weight * mult[r], folds, model.log_lines)
            for r in range(reps)
        ]
    pmt = np.array([beta for beta, _ in fits])
    logit = {name: np.array([lg[name] for _, lg in fits]) for name in model.log_lines}
    return ReplicatedModel(model, pmt, logit, rng.bit_generator.state, ci)


def point_probabilities(fitted: ReplicatedModel, households: RegisterHouseholds) -> pd.DataFrame:
    """log_welfare_index, p_poor (and p_extreme) of each household, from the whole-survey fit."""
    model = fitted.model
    rows = Stage2Rows.build(households.programs, model.programs, households.area, model.areas)
    return model.predict_rows(rows, model.pmt_design(households.X) @ model.pmt_beta)


def _replicate_probabilities(
    fitted: ReplicatedModel, Z: np.ndarray, rows: Stage2Rows
) -> dict[str, np.ndarray]:
    """P(below each line) under every replicate: households x replicates, per line."""
    from scipy.special import expit

    gap_base = Z @ fitted.pmt_betas.T  # the PMT index of every replicate
    out = {}
    for name, log_line in fitted.model.log_lines.items():
        b = fitted.logit_betas[name]
        gap = log_line - gap_base
        eta = gap * (b[:, 0] + rows.any_receipt[:, None] * b[:, 2]) + gap**2 * b[:, 1]
        eta += rows.fixed @ b[:, 3:].T
        out[f"p_{name}"] = expit(eta)
    return out


#: Households scored at once against every replicate: bounds a partition's working
#: memory (households x replicates x 8 bytes per matrix) whatever its size.
BLOCK_HOUSEHOLDS = 8_192


def area_sums(fitted: ReplicatedModel, households: RegisterHouseholds) -> pd.DataFrame:
    """Per area of these households: counts, expected errors, and per replicate the sums
    of each error probability and of its variance. Every column is additive over
    households, so the sums of two partitions are the sums of their union.
    """
    areas, idx = np.unique(np.asarray(households.area, dtype=str), return_inverse=True)
    total: dict[str, np.ndarray] = {}
    for start in range(0, len(idx), BLOCK_HOUSEHOLDS):
        block = slice(start, start + BLOCK_HOUSEHOLDS)
        part = RegisterHouseholds(
            households.X.iloc[block],
            {k: np.asarray(v)[block] for k, v in households.programs.items()},
            np.asarray(households.area)[block],
        )
        onehot = np.zeros((len(part.area), len(areas)))
        onehot[np.arange(len(part.area)), idx[block]] = 1.0
        for key, value in _block_sums(fitted, part, onehot).items():
            total[key] = total[key] + value if key in total else value
    return pd.DataFrame(total, index=pd.Index(areas, name="area"))


def _block_sums(
    fitted: ReplicatedModel, households: RegisterHouseholds, onehot: np.ndarray
) -> dict[str, np.ndarray]:
    model = fitted.model
    beneficiary = households.is_beneficiary
    rows = Stage2Rows.build(households.programs, model.programs, households.area, model.areas)
    Z = model.pmt_design(households.X)
    point = model.predict_rows(rows, Z @ model.pmt_beta)
    sums = {
        "households": onehot.sum(axis=0),
        "beneficiaries": onehot.T @ beneficiary.astype(float),
    }
    for name, q in _error_probabilities(point, beneficiary).items():
        sums[name] = onehot.T @ np.asarray(q, dtype=float)
    replicate_p = _replicate_probabilities(fitted, Z, rows)
    for name, q in _error_probabilities(replicate_p, beneficiary[:, None]).items():
        sums.update(_stat_columns(name, "mean", onehot.T @ q))
        sums.update(_stat_columns(name, "var", onehot.T @ (q * (1 - q))))
    return sums


def _stat_columns(name: str, statistic: str, values: np.ndarray) -> dict[str, np.ndarray]:
    return {f"{name}|{statistic}|{r}": values[:, r] for r in range(values.shape[1])}


def expected_errors_from_sums(fitted: ReplicatedModel, sums: pd.DataFrame) -> pd.DataFrame:
    """The ``expected_errors_by_area`` table from the summed columns of :func:`area_sums`.

    Same steps as the single-process path: within each replicate an area's count is
    drawn as ``mean + sqrt(var) z`` (normal approximation to the Poisson-binomial),
    the regency (``ALL``) count is the sum of the areas' draws, and the interval is
    the replicates' percentiles. The deviates come from the same generator state in
    the same order (replicate, then count, one per area in code order).
    """
    sums = sums.sort_index()
    names = [
        n
        for n in (
            "expected_inclusion_errors",
            "expected_exclusion_errors",
            "expected_extreme_poor_not_covered",
        )
        if n in sums.columns
    ]
    n_areas, reps = len(sums), fitted.reps
    rng = np.random.default_rng()
    rng.bit_generator.state = fitted.rng_state
    draws = {name: np.empty((reps, n_areas + 1)) for name in names}
    for r in range(reps):
        for name in names:
            mean = sums[f"{name}|mean|{r}"].to_numpy()
            var = sums[f"{name}|var|{r}"].to_numpy()
            draws[name][r, :-1] = mean + np.sqrt(var) * rng.standard_normal(n_areas)
            draws[name][r, -1] = draws[name][r, :-1].sum()
    counts = sums["beneficiaries"].to_numpy()
    others = sums["households"].to_numpy() - counts
    table = pd.DataFrame({"area": [*sums.index.astype(str), "ALL"]})
    table["beneficiaries"] = np.r_[counts, counts.sum()].round().astype(int)
    table["non_beneficiaries"] = np.r_[others, others.sum()].round().astype(int)
    alpha = (1 - fitted.ci) / 2
    for name in names:
        point = sums[name].to_numpy()
        table[name] = np.r_[point, point.sum()]
        table[f"{name}_low"] = np.maximum(np.quantile(draws[name], alpha, axis=0), 0.0)
        table[f"{name}_high"] = np.quantile(draws[name], 1 - alpha, axis=0)
    return table
