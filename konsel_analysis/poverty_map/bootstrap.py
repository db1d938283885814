"""Parametric-bootstrap MSE of the EB and synthetic predictions (González-Manteiga et al. 2008).

Each replicate ``b`` draws, from the fitted model on the transformed scale,

    u*_d ~ N(0, s2u),  t*_i = x_i' beta + u*_d + e*_i,  e*_i ~ N(0, s2e)

for every census household (the bootstrap population, whose measures are the
replicate's truth) and for every survey household with its own ``x`` (the
bootstrap sample). The model is refitted on the bootstrap sample (variance
components, ``beta`` and area effects, with the same weights), the EB and
synthetic predictions are recomputed, and the replicate's error is prediction
minus truth. MSE is the mean squared error over replicates; the 90% interval is
``estimate - q95(error), estimate - q05(error)`` (the bootstrap distribution of
the error, so intervals are not forced to be symmetric near 0).

Everything is vectorised over replicates: the refit is :func:`fit_many` on the
(n_survey, B) matrix of bootstrap samples, the census predictions are one matrix
product per chunk of replicates. The transformation's parameter is held at its
estimate (its uncertainty is not in the MSE).
"""

from __future__ import annotations

import numpy as np

from konsel_analysis.poverty_map.ebp import AreaAggregator, area_predictions, realised_measures
from konsel_analysis.poverty_map.model import GroupedDesign, Transformation, area_effects, fit_many

MAX_CELLS = 3_000_000  # census households x replicates held at once (about 24 MB a matrix)


def bootstrap_errors(
    design: GroupedDesign,
    X_census: np.ndarray,
    group_census: np.ndarray,
    agg: AreaAggregator,
    tr: Transformation,
    beta: np.ndarray,
    s2e: float,
    s2u: float,
    line: float,
    extreme_line: float | None,
    reps: int,
    seed: int,
    weights: np.ndarray | None = None,
    method: str = "reml",
    adjust: bool = False,
    benchmark_weights: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Errors (prediction - truth) of each measure's person-weighted area sums, (D, reps).

    Divide by the area's persons for rate errors; the level above sums them. With
    ``benchmark_weights`` (survey weight x persons of each survey household) every
    replicate's poverty-rate predictions are benchmarked as the estimate is
    (:func:`benchmark_ratio`): to the replicate sample's own direct regency rate, so
    the MSE holds the benchmarking.
    """
    rng = np.random.default_rng(seed)
    D = design.n_areas
    n_c = X_census.shape[0]
    mean_s = design.X @ beta
    mean_c = X_census @ beta
    u = rng.normal(0.0, np.sqrt(s2u), (D, reps))
    t_s = mean_s[:, None] + u[design.group] + rng.normal(0.0, np.sqrt(s2e), (design.n, reps))
    fit = fit_many(design, t_s, method, adjust)
    beta_b, u_hat, gamma = area_effects(design, t_s, fit, weights)
    s_area = np.sqrt(fit.s2e[None, :] + fit.s2u[None, :] * (1.0 - gamma))  # (D, B)
    errors: dict[str, np.ndarray] = {}
    chunk = max(1, min(reps, MAX_CELLS // max(n_c, 1)))
    for start in range(0, reps, chunk):
        cols = slice(start, min(reps, start + chunk))
        k = cols.stop - cols.start
        t_pop = mean_c[:, None] + u[group_census, cols] + rng.normal(0.0, np.sqrt(s2e), (n_c, k))
        truth = {
            m: agg.sums(v)
            for m, v in realised_measures(tr.inverse(t_pop), line, extreme_line).items()
        }
        del t_pop
        mu = X_census @ beta_b[:, cols] + u_hat[group_census, cols]
        predicted = area_predictions(mu, s_area[group_census, cols], tr, line, extreme_line, agg)
        if benchmark_weights is not None:
            below = (tr.inverse(t_s[:, cols]) < line).astype(float)
            direct = benchmark_weights @ below / benchmark_weights.sum()
            predicted["poverty_rate"] = predicted["poverty_rate"] * benchmark_ratio(
                predicted["poverty_rate"], agg.persons, direct
            )
        for m, est in predicted.items():
            errors.setdefault(m, np.empty((D, reps)))[:, cols] = est - truth[m]
    return errors


def benchmark_ratio(sums: np.ndarray, persons: np.ndarray, direct) -> np.ndarray:
    """The ratio that brings the areas' poverty rate to the direct regency rate.

    ``sums`` are the areas' person-weighted predicted poor, (D,) or (D, B); the
    benchmarked estimate of every area is its estimate times the ratio, so the
    population-weighted mean of the areas equals ``direct`` (the survey's weighted
    regency rate): ``direct / (sum_d sums_d / sum_d persons_d)``. A model rate of 0
    keeps ratio 1 (nothing to scale).
    """
    model = np.sum(sums, axis=0) / np.sum(persons)
    return np.where(model > 0, np.asarray(direct, float) / np.where(model > 0, model, 1.0), 1.0)


def interval_from_errors(
    estimate: np.ndarray, errors: np.ndarray, level: float = 0.90
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RMSE and the interval ``estimate - q_hi(error), estimate - q_lo(error)``."""
    alpha = (1.0 - level) / 2.0
    q_lo, q_hi = np.quantile(errors, [alpha, 1.0 - alpha], axis=1)
    rmse = np.sqrt(np.mean(errors**2, axis=1))
    return rmse, estimate - q_hi, estimate - q_lo
