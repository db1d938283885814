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

The work is split in two so that the census can be read part by part (a
partitioned register):

- the survey side, once (:func:`survey_replicates`): the replicates' area effects
  ``u*``, the bootstrap samples and their refit (``beta*``, ``u_hat*``, ``gamma*``),
  vectorised over replicates with :func:`fit_many`; these come from one stream,
  ``default_rng(seed)``;
- the census side (:class:`CensusAccumulator`), block by block of census rows in
  their order: the person-weighted area sums of the predictions and of the
  replicate truths, which add up over blocks. The census errors ``e*`` of area
  ``d`` and replicate block ``c`` (``REP_BLOCK`` replicates) come from
  ``default_rng([seed, d, c])``, row ``j`` of the area (in census order) taking
  row ``j`` of that stream: a function of the area and of the household's place
  in its area, not of how the census is cut, so one file and a partitioned folder
  (the same households, each area's in the same order) give the same numbers.

The transformation's parameter is held at its estimate (its uncertainty is not
in the MSE).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from konsel_analysis.poverty_map.ebp import AreaAggregator, area_predictions, realised_measures
from konsel_analysis.poverty_map.model import (
    GroupedDesign,
    Transformation,
    area_effects,
    area_indicator,
    fit_many,
)

MAX_CELLS = 3_000_000  # census households x replicates held at once (about 24 MB a matrix)
REP_BLOCK = 50  # replicates per census draw stream (part of the stream's key: fixed)


@dataclass
class SurveyReplicates:
    """The survey side of the bootstrap: what every census block needs, (., B) arrays."""

    seed: int
    s2e: float
    beta: np.ndarray  # (p,) the fitted coefficients (the bootstrap populations' mean)
    u: np.ndarray  # (D, B) the replicates' area effects u*
    beta_b: np.ndarray  # (p, B) refitted coefficients
    u_hat: np.ndarray  # (D, B) refitted EB area effects
    s_area: np.ndarray  # (D, B) the EB conditional sd of each area
    direct: np.ndarray | None  # (B,) each replicate sample's direct rate (benchmarking)

    @property
    def reps(self) -> int:
        return self.u.shape[1]


def survey_replicates(
    design: GroupedDesign,
    tr: Transformation,
    beta: np.ndarray,
    s2e: float,
    s2u: float,
    line: float,
    reps: int,
    seed: int,
    weights: np.ndarray | None = None,
    method: str = "reml",
    adjust: bool = False,
    benchmark_weights: np.ndarray | None = None,
) -> SurveyReplicates:
    """Draw the replicates' area effects and samples; refit the model on every sample."""
    rng = np.random.default_rng(seed)
    D = design.n_areas
    mean_s = design.X @ beta
    u = rng.normal(0.0, np.sqrt(s2u), (D, reps))
    t_s = mean_s[:, None] + u[design.group] + rng.normal(0.0, np.sqrt(s2e), (design.n, reps))
    fit = fit_many(design, t_s, method, adjust)
    beta_b, u_hat, gamma = area_effects(design, t_s, fit, weights)
    s_area = np.sqrt(fit.s2e[None, :] + fit.s2u[None, :] * (1.0 - gamma))  # (D, B)
    direct = None
    if benchmark_weights is not None:
        below = (tr.inverse(t_s) < line).astype(float)
        direct = benchmark_weights @ below / benchmark_weights.sum()
    return SurveyReplicates(seed, float(s2e), beta, u, beta_b, u_hat, s_area, direct)


def census_errors(
    seed: int, group: np.ndarray, position: np.ndarray, block: int, k: int, sd: float
) -> np.ndarray:
    """The census errors e* of the rows (area ``group``, ``position`` in its area), (n, k).

    Row ``j`` of area ``d`` is row ``j`` of ``default_rng([seed, d, block])``'s
    ``normal(0, sd, (., k))`` stream (rows before the block's first are drawn and dropped).
    """
    out = np.empty((len(group), k))
    order = np.argsort(group, kind="stable")
    g_sorted = group[order]
    starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    ends = np.r_[starts[1:], len(g_sorted)]
    for a, b in zip(starts, ends, strict=True):
        rows = order[a:b]
        first, last = int(position[rows[0]]), int(position[rows[-1]])
        rng = np.random.default_rng([seed, int(g_sorted[a]), block])
        draws = rng.normal(0.0, sd, (last + 1, k))
        out[rows] = draws[first:]
    return out


class CensusAccumulator:
    """The census side: person-weighted area sums of predictions and truths, block by block.

    Call :meth:`add` with the census rows in census order (one file whole, or the
    partitions of a folder one after the other); :meth:`errors` gives prediction -
    truth of each measure's area sums, (D, B).
    """

    def __init__(
        self,
        rep: SurveyReplicates,
        tr: Transformation,
        line: float,
        extreme_line: float | None,
        n_areas: int,
    ):
        self.rep, self.tr, self.line, self.extreme_line = rep, tr, line, extreme_line
        self.D = n_areas
        self.seen = np.zeros(n_areas, dtype=np.int64)  # census rows of each area so far
        self.persons = np.zeros(n_areas)
        self.predicted: dict[str, np.ndarray] = {}
        self.truth: dict[str, np.ndarray] = {}

    def add(self, X: np.ndarray, group: np.ndarray, persons: np.ndarray) -> None:
        group = np.asarray(group, dtype=np.int64)
        rows = max(1, MAX_CELLS // REP_BLOCK)
        for start in range(0, len(group), rows):
            sl = slice(start, start + rows)
            self._add(X[sl], group[sl], np.asarray(persons, float)[sl])

    def _add(self, X: np.ndarray, g: np.ndarray, persons: np.ndarray) -> None:
        rep, tr, D, B = self.rep, self.tr, self.D, self.rep.reps
        # Each row's place in its area (census order), continuing the earlier blocks.
        order = np.argsort(g, kind="stable")
        counts = np.bincount(g, minlength=D)
        first_in_sorted = np.cumsum(counts) - counts
        position = np.empty(len(g), dtype=np.int64)
        position[order] = np.arange(len(g)) - first_in_sorted[g[order]] + self.seen[g[order]]
        self.seen += counts
        self.persons += np.bincount(g, persons, D)
        agg = AreaAggregator(area_indicator(g, D, persons), self.persons)
        mean_c = X @ rep.beta
        sd = np.sqrt(rep.s2e)
        for c, start in enumerate(range(0, B, REP_BLOCK)):
            cols = slice(start, min(B, start + REP_BLOCK))
            k = cols.stop - cols.start
            e = census_errors(rep.seed, g, position, c, k, sd)
            t_pop = mean_c[:, None] + rep.u[g, cols] + e
            del e
            truth = realised_measures(tr.inverse(t_pop), self.line, self.extreme_line)
            del t_pop
            mu = X @ rep.beta_b[:, cols] + rep.u_hat[g, cols]
            pred = area_predictions(mu, rep.s_area[g, cols], tr, self.line, self.extreme_line, agg)
            for m, v in pred.items():
                self.predicted.setdefault(m, np.zeros((D, B)))[:, cols] += v
                self.truth.setdefault(m, np.zeros((D, B)))[:, cols] += agg.sums(truth[m])

    def errors(self) -> dict[str, np.ndarray]:
        """Prediction - truth of every measure's area sums (benchmarked as the estimate is)."""
        out = {}
        for m, pred in self.predicted.items():
            if m == "poverty_rate" and self.rep.direct is not None:
                pred = pred * benchmark_ratio(pred, self.persons, self.rep.direct)
            out[m] = pred - self.truth[m]
        return out


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

    The whole census in memory: :func:`survey_replicates`, then one
    :class:`CensusAccumulator` pass. Divide by the area's persons for rate errors;
    the level above sums them. With ``benchmark_weights`` (survey weight x persons
    of each survey household) every replicate's poverty-rate predictions are
    benchmarked as the estimate is (:func:`benchmark_ratio`): to the replicate
    sample's own direct regency rate, so the MSE holds the benchmarking.
    """
    rep = survey_replicates(
        design, tr, beta, s2e, s2u, line, reps, seed, weights, method, adjust,
        benchmark_weights,
    )  # fmt: skip
    acc = CensusAccumulator(rep, tr, line, extreme_line, design.n_areas)
    persons = np.asarray(agg.indicator.sum(axis=0)).ravel()
    acc.add(X_census, group_census, persons)
    return acc.errors()


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
