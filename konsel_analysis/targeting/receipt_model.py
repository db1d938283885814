"""The receipt-aware model: P(poor | proxies, programme receipt, area), fitted on the survey.

The register has no consumption, so each household's chance of being poor is
estimated on the survey, where consumption, proxies and receipt are all seen.
Receipt carries information the proxies miss (the village meeting saw more
than the proxies). The model says how: it describes welfare and, separately,
how receipt was decided, and Bayes' rule combines them (a selection model, as
in Heckman 1979; the welfare part is the location model of Elbers, Lanjouw &
Lanjouw 2003 poverty maps):

1. **Welfare.** Weighted least squares of log consumption on the proxies (and
   area effects) gives the PMT index ``m(x)``; out of fold (grouped by
   cluster), a weighted quadratic in the index gives the mean of log c and a
   log-linear regression of squared residuals its variance (a linear PMT's
   out-of-fold errors are neither centred nor equally spread at the ends of the
   index). So ``log c | x ~ N(mu(m), s(m)^2)``, with a village (cluster) part of
   the residual whose variance is estimated by one-way ANOVA.
2. **Receipt.** A weighted probit of any programme receipt on log consumption,
   ``mu(m)``, the area's survey mean log consumption and its interaction with
   log c, area effects and area-specific consumption slopes (the last two
   ridge-penalised: shrunk towards the regression on the area level, as small
   areas need): ``P(R = 1 | c, x) = Phi(a(x) + g_area log c)``, the village
   meeting seeing consumption through noise.
3. **Both together.** With a normal log c and a probit receipt rule,
   ``P(c < z, R = r | x)`` is a bivariate normal probability, so
   ``P(poor | x, R)`` has a closed form (Owen's T).

Why not a logit of the poor flag on the index and receipt (the first version)?
Maximum likelihood makes such a logit reproduce the survey's weighted count of
poor non-beneficiaries exactly, so its regency total inherits the sampling
error of about 110 surveyed poor non-beneficiaries (and 6-16 extreme-poor
ones). The selection model learns the same quantities from every surveyed
household's consumption and receipt: on synthetic data of eight seeds its
regency totals have about half the error (docs/targeting.md).

Uncertainty: every stage is refitted on Rao-Wu cluster-bootstrap replicates of
the survey (model uncertainty; the least-squares fits of all folds come from one
Gram matrix each, and register households are grouped into bins of the index so
that a replicate costs milliseconds). Within each replicate a village effect is
drawn for every register village (its effect on a count linearised), and the
count of errors in an area is drawn as a sum of independent Bernoulli outcomes
(normal approximation to the Poisson-binomial). Percentiles over replicates
give the interval.

Refits of the same model cannot see where the model itself is wrong (targeting
quality that differs by kecamatan in ways the probit does not follow, heavy
tails, receipt driven by things other than welfare). So each area's error of
the model is checked on the survey, out of bag, and its Fay-Herriot posterior
shifts the area's count and widens its draws (:mod:`.area_bias`); an area whose
survey sample cannot inform it is flagged (``is_uninformed``, ``interval_note``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.special import log_ndtr, ndtr, owens_t
from sklearn.model_selection import GroupKFold, KFold
from threadpoolctl import threadpool_limits

from konsel_analysis.measured.targeting import bootstrap_design, rao_wu_multiplicities
from konsel_analysis.pmt.features import ProxyFeatures
from konsel_analysis.targeting.area_bias import (
    AreaBias,
    estimate_area_bias,
)

#: Ridge penalty on the area terms of the receipt probit, in units of the
#: survey's (mean-one) weights. Compared on synthetic seeds 1-8 at 83,000 and
#: 20,000 households (benchmarks/targeting_truth.py) with 0.1, 0.3 and 10:
#: smaller penalties pulled the 20,000-household totals further below the truth
#: without removing the kecamatan leanings, 10 lowered the extreme-poor count.
AREA_PENALTY = 1.0
_TINY_PENALTY = 1e-4
#: Unpenalised terms of the receipt probit: intercept, log c, index, area level and
#: area level x log c (see :meth:`ReceiptRows.design`).
_FREE_RECEIPT_TERMS = 5
#: Width, in log consumption, of the bins register households are grouped into
#: when bootstrap replicates add up expected counts (far below the spread of
#: log consumption given the proxies, about 0.3).
REPLICATE_BIN = 0.01


def fit_penalized_probit(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    penalty: np.ndarray,
    max_iter: int = 100,
    tol: float = 1e-8,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Weighted probit regression with a ridge penalty per coefficient (Newton-Raphson).

    Maximises ``sum w_i log Phi(q_i eta_i) - 0.5 sum penalty_j b_j^2`` (``q = 2y - 1``)
    with the weights scaled to mean one; the probit log-likelihood is concave, so
    Newton steps with the observed Hessian converge. Unpenalised terms get a tiny
    floor against separation. ``start`` (e.g. the full-sample fit, for a bootstrap
    replicate) saves iterations.
    """
    wn = w / w.mean()
    q = 2.0 * np.asarray(y, float) - 1.0
    pen = np.maximum(np.asarray(penalty, float), _TINY_PENALTY)
    beta = np.zeros(X.shape[1]) if start is None else np.array(start, float)
    for _ in range(max_iter):
        t = q * (X @ beta)
        # lambda = phi(t) / Phi(t), the inverse Mills ratio, in logs for large |t|.
        mills = np.exp(-0.5 * t**2 - 0.5 * np.log(2 * np.pi) - log_ndtr(t))
        grad = X.T @ (wn * q * mills) - pen * beta
        curvature = wn * mills * (t + mills)
        hess = (X * curvature[:, None]).T @ X + np.diag(pen)
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def bivariate_normal_cdf(h, k, rho) -> np.ndarray:
    """``P(U < h, V < k)`` for standard normals with correlation ``rho`` (elementwise).

    Owen (1956): ``Phi2 = (Phi(h) + Phi(k)) / 2 - T(h, a_h) - T(k, a_k) - [h k < 0] / 2``.

    >>> round(float(bivariate_normal_cdf(0.0, 0.0, 0.5)), 6)  # 1/4 + asin(0.5) / (2 pi)
    0.333333
    """
    h, k, rho = np.broadcast_arrays(*(np.asarray(v, float) for v in (h, k, rho)))
    # Owen's formula divides by h and k; nudging an exact zero changes nothing visible.
    h = np.where(h == 0, 1e-300, h)
    k = np.where(k == 0, 1e-300, k)
    root = np.sqrt(np.maximum(1 - rho**2, 1e-300))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        a_h = np.clip((k - rho * h) / (h * root), -1e150, 1e150)
        a_k = np.clip((h - rho * k) / (k * root), -1e150, 1e150)
    below_h, below_k = ndtr(h), ndtr(k)
    out = 0.5 * (below_h + below_k) - owens_t(h, a_h) - owens_t(k, a_k) - 0.5 * (h * k < 0)
    return np.clip(out, 0.0, np.minimum(below_h, below_k))


def wls_with_folds(Z: np.ndarray, t: np.ndarray, w: np.ndarray, folds) -> tuple:
    """Weighted least squares on all rows and, out of fold, on each fold's complement.

    Returns ``(beta, oof)``: the coefficients from every row with positive weight,
    and for each row the prediction of the fit that left its fold out. One Gram
    matrix per fold, subtracted from the whole; a relative ridge of 1e-9 (and a
    floor for columns that are all zero in a fold) keeps every system solvable,
    as the minimum-norm least-squares solution would.
    """
    Zw = Z * w[:, None]
    gram, moment = Zw.T @ Z, Zw.T @ t
    parts = [(Zw[test].T @ Z[test], Zw[test].T @ t[test]) for _, test in folds]
    systems = np.stack([gram, *(gram - g for g, _ in parts)])
    rhs = np.stack([moment, *(moment - m for _, m in parts)])
    diagonal = np.diagonal(systems, axis1=1, axis2=2)
    ridge = 1e-9 * diagonal + 1e-12 * w.sum()
    systems = systems + ridge[:, :, None] * np.eye(Z.shape[1])
    betas = np.linalg.solve(systems, rhs[:, :, None])[:, :, 0]
    oof = np.empty(len(t))
    for (_, test), beta in zip(folds, betas[1:], strict=True):
        oof[test] = Z[test] @ beta
    return betas[0], oof


def village_variance(residual: np.ndarray, cluster: np.ndarray) -> float:
    """Between-cluster variance of residuals: the one-way ANOVA moment estimator.

    ``(MSB - MSW) / n0`` with ``n0`` the usual unbalanced-size constant, floored
    at zero (Searle, Casella & McCulloch 1992, ch. 3).

    >>> r = np.array([1.0, 1.2, 0.8, -1.0, -1.2, -0.8])
    >>> round(village_variance(r, np.array([0, 0, 0, 1, 1, 1])), 4)  # (6 - 0.04) / 3
    1.9867
    """
    codes = np.unique(np.asarray(cluster), return_inverse=True)[1]
    sizes = np.bincount(codes).astype(float)
    groups, n = len(sizes), len(residual)
    if groups < 2 or n <= groups:
        return 0.0
    means = np.bincount(codes, weights=residual) / sizes
    within = np.sum((residual - means[codes]) ** 2) / (n - groups)
    between = np.sum(sizes * (means - residual.mean()) ** 2) / (groups - 1)
    n0 = (n - np.sum(sizes**2) / n) / (groups - 1)
    return float(max((between - within) / n0, 0.0))


@dataclass(frozen=True)
class SurveySample:
    """What the receipt-aware model is fitted on (one row per surveyed household)."""

    X: pd.DataFrame  # proxies (and the area, as the PMT's area effect)
    log_welfare: np.ndarray
    weight: np.ndarray
    cluster: np.ndarray
    area: np.ndarray
    programs: dict[str, np.ndarray]
    strata: np.ndarray | None = None  # survey strata; None: the area is the stratum


@dataclass(frozen=True)
class ReceiptRows:
    """Any-receipt flags and area dummies of a set of households (built once)."""

    any_receipt: np.ndarray
    dummies: np.ndarray  # one column per area the model knows; unknown areas get none

    @classmethod
    def build(
        cls, programs: dict[str, np.ndarray], names: tuple[str, ...], area: np.ndarray, areas: tuple
    ) -> ReceiptRows:
        n = len(area)
        flags = [np.asarray(programs[p], bool) for p in names]
        any_receipt = np.logical_or.reduce(flags) if flags else np.zeros(n, bool)
        # Areas the model has not seen get no dummy: they take the regency level.
        dummies = (
            np.asarray(area, dtype=object)[:, None] == np.asarray(areas, dtype=object)[None, :]
        ).astype(float)
        return cls(any_receipt, dummies)

    def design(
        self, log_welfare: np.ndarray, index: np.ndarray, centre: float, area_level: np.ndarray
    ) -> np.ndarray:
        """Receipt probit columns (log c and levels centred): 1, log c, index, area level,
        area level x log c, area, area x log c."""
        c = log_welfare - centre
        level = self.dummies @ area_level
        return np.column_stack(
            [
                np.ones(len(c)),
                c,
                index - centre,
                level,
                level * c,
                self.dummies,
                self.dummies * c[:, None],
            ]
        )

    def penalty(self) -> np.ndarray:
        return np.r_[
            np.zeros(_FREE_RECEIPT_TERMS), np.full(2 * self.dummies.shape[1], AREA_PENALTY)
        ]

    def receipt_line(
        self, index: np.ndarray, beta: np.ndarray, centre: float, area_level: np.ndarray
    ):
        """``(a, g)`` such that ``P(R = 1 | log c, x) = Phi(a + g log c)``."""
        n_areas = self.dummies.shape[1]
        level = self.dummies @ area_level
        start = _FREE_RECEIPT_TERMS
        g = beta[1] + beta[4] * level + self.dummies @ beta[start + n_areas :]
        a = (
            beta[0]
            + beta[2] * (index - centre)
            + beta[3] * level
            + self.dummies @ beta[start : start + n_areas]
            - g * centre
        )
        return a, g


@dataclass(frozen=True)
class ReceiptAwareModel:
    """A fitted selection model; see the module docstring."""

    features: ProxyFeatures
    areas: tuple
    programs: tuple[str, ...]
    log_lines: dict[str, float]  # "poor" and, optionally, "extreme"
    pmt_beta: np.ndarray
    location: np.ndarray  # log c | index: mean centre + l0 + l1 d + l2 d^2, d = index - centre
    spread: np.ndarray  # log variance of log c | index: s0 + s1 (mean - centre)
    village_sd: float  # of the village part of the residual
    receipt_beta: np.ndarray | None  # None without programmes
    centre: float  # mean log consumption, to centre the receipt probit
    area_level: np.ndarray  # per area: survey mean log consumption minus ``centre``

    def pmt_design(self, X: pd.DataFrame) -> np.ndarray:
        return np.column_stack([np.ones(len(X)), self.features.transform(X)])

    def log_welfare_index(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted log welfare from the proxies alone (stage 1)."""
        return self.pmt_design(X) @ self.pmt_beta

    def predict(
        self,
        X: pd.DataFrame,
        programs: dict[str, np.ndarray],
        area: np.ndarray,
        index: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """P(poor) and P(extreme poor) given proxies, receipt and area."""
        index = self.log_welfare_index(X) if index is None else index
        rows = ReceiptRows.build(programs, self.programs, area, self.areas)
        out = {"log_welfare_index": index}
        for name, p in self.probabilities(rows, index).items():
            out[f"p_{name}"] = p
        return pd.DataFrame(out)

    def welfare(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of log c given the PMT index, before receipt is seen."""
        return welfare_given_index(index, self.location, self.spread, self.centre)

    def probabilities(
        self, rows: ReceiptRows, index: np.ndarray, shift: float | np.ndarray = 0.0
    ) -> dict[str, np.ndarray]:
        """P(log c < line | receipt) when log c ~ N(mean + shift, sd^2) before receipt is seen.

        ``mean`` and ``sd`` come from the index (:meth:`welfare`); ``shift`` is a
        village effect (the receipt rule still sees the household's own index).
        With ``P(R = 1 | c) = Phi(a + g c)``: ``R = 1`` exactly when a standard normal
        ``S`` correlated ``-g sd / sqrt(1 + g^2 sd^2)`` with the standardised
        consumption lies below ``(a + g mean) / sqrt(1 + g^2 sd^2)``.
        """
        terms = self.line_free_terms(rows, index, shift)
        return {name: terms.below(line) for name, line in self.log_lines.items()}

    def line_free_terms(
        self, rows: ReceiptRows, index: np.ndarray, shift: float | np.ndarray = 0.0
    ) -> LineFreeTerms:
        """Everything :meth:`probabilities` computes before it meets a poverty line.

        The workbench (:mod:`konsel_analysis.explore`) keeps these and asks
        :meth:`LineFreeTerms.below` for every line a slider picks.
        """
        mu, sd = self.welfare(index)
        mean = mu + shift
        if self.receipt_beta is None:
            return LineFreeTerms(mean, sd)
        a, g = rows.receipt_line(mu, self.receipt_beta, self.centre, self.area_level)
        root = np.sqrt(1 + (g * sd) ** 2)
        s = np.where(rows.any_receipt, 1.0, -1.0)  # R = 0: the complementary event
        k = s * (a + g * mean) / root
        return LineFreeTerms(mean, sd, k, -s * g * sd / root, np.maximum(ndtr(k), 1e-300))


@dataclass(frozen=True)
class LineFreeTerms:
    """log c ~ N(mean, sd^2) before receipt is seen, and receipt as the event ``S < k``
    for a standard normal ``S`` correlated ``rho`` with the standardised consumption
    (``k`` None: the model has no receipt part)."""

    mean: np.ndarray
    sd: np.ndarray
    k: np.ndarray | None = None
    rho: np.ndarray | None = None
    denominator: np.ndarray | None = None  # P(S < k)

    def below(self, log_line: float) -> np.ndarray:
        """P(log c < ``log_line`` | receipt) of each row."""
        h = (log_line - self.mean) / self.sd
        if self.k is None:
            return ndtr(h)
        joint = bivariate_normal_cdf(h, self.k, self.rho)
        return np.clip(joint / self.denominator, 0.0, 1.0)


def welfare_given_index(index, location, spread, centre) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of log c given the PMT index (see :func:`calibrate_index`).

    >>> mu, sd = welfare_given_index(np.array([1.0]), np.array([0.1, 0.9, 0.0]), np.zeros(2), 0.0)
    >>> float(mu[0]), float(sd[0])
    (1.0, 1.0)
    """
    d = np.asarray(index, float) - centre
    mean = centre + location[0] + location[1] * d + location[2] * d**2
    log_var = spread[0] + spread[1] * (mean - centre)
    return mean, np.exp(0.5 * np.clip(log_var, spread[0] - 1.5, spread[0] + 1.5))


def calibrate_index(log_welfare, oof, w, centre) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and spread of log c given an out-of-fold index: ``(location, spread, residual)``.

    A linear PMT is fitted to everyone, so at the ends of the index its
    out-of-fold predictions are too extreme and its errors not equally spread
    (the poorest predicted households are both richer on average and more
    varied than predicted). A weighted quadratic in the index fixes the mean,
    a weighted log-linear regression of squared residuals on it the variance
    (its intercept set so that the weighted mean of standardised squared
    residuals is one).
    """
    d = oof - centre
    A = np.column_stack([np.ones(len(d)), d, d**2])
    sw = np.sqrt(w)
    location = np.linalg.lstsq(A * sw[:, None], (log_welfare - centre) * sw, rcond=None)[0]
    mean = centre + A @ location
    residual = log_welfare - mean
    B = np.column_stack([np.ones(len(d)), mean - centre])
    slope = np.linalg.lstsq(B * sw[:, None], np.log(residual**2 + 1e-12) * sw, rcond=None)[0][1]
    level = np.log(np.average(residual**2 / np.exp(slope * (mean - centre)), weights=w))
    return location, np.array([level, slope]), residual


def cluster_folds(sample: SurveySample, n_folds: int, seed: int):
    """Folds of the survey's households, grouped by cluster (shuffled households when
    there are fewer clusters than folds): the out-of-fold fits of the model."""
    groups = sample.cluster
    n_groups = len(np.unique(groups))
    if n_groups >= n_folds:
        return list(GroupKFold(n_splits=n_folds).split(sample.X, groups=groups))
    return list(KFold(n_splits=n_folds, shuffle=True, random_state=seed).split(sample.X))


@dataclass(frozen=True)
class Fit:
    """The learned numbers of one fit (the full survey or a bootstrap replicate)."""

    pmt_beta: np.ndarray
    location: np.ndarray
    spread: np.ndarray
    village_sd: float
    receipt_beta: np.ndarray | None


def _fit_stages(
    Z: np.ndarray,
    sample: SurveySample,
    rows: ReceiptRows,
    w: np.ndarray,
    folds,
    centre: float,
    area_level: np.ndarray,
    start: np.ndarray | None = None,
) -> Fit:
    keep = w > 0
    t = sample.log_welfare
    beta, oof = wls_with_folds(Z, t, w / w.mean(), folds)
    location, spread, residual = calibrate_index(t[keep], oof[keep], w[keep], centre)
    village_sd = float(np.sqrt(village_variance(residual, sample.cluster[keep])))
    receipt_beta = None
    if sample.programs:
        mean, _ = welfare_given_index(oof, location, spread, centre)
        design = rows.design(t, mean, centre, area_level)
        receipt_beta = fit_penalized_probit(
            design[keep], rows.any_receipt[keep].astype(float), w[keep], rows.penalty(), start=start
        )
    return Fit(beta, location, spread, village_sd, receipt_beta)


def fit_receipt_model(
    sample: SurveySample,
    poverty_line: float,
    extreme_poverty_line: float | None = None,
    *,
    squared=(),
    n_folds: int = 5,
    seed: int = 0,
) -> ReceiptAwareModel:
    """Fit every stage on the full survey."""
    features = ProxyFeatures(squared=tuple(squared), min_count=5).fit(
        sample.X, sample_weight=sample.weight
    )
    lines = {"poor": float(np.log(poverty_line))}
    if extreme_poverty_line is not None:
        lines["extreme"] = float(np.log(extreme_poverty_line))
    areas = tuple(sorted(set(sample.area)))
    programs = tuple(sample.programs)
    centre = float(np.average(sample.log_welfare, weights=sample.weight))
    Z = np.column_stack([np.ones(len(sample.X)), features.transform(sample.X)])
    rows = ReceiptRows.build(sample.programs, programs, sample.area, areas)
    level = area_levels(sample, rows, centre)
    fit = _fit_stages(
        Z, sample, rows, sample.weight, cluster_folds(sample, n_folds, seed), centre, level
    )
    return ReceiptAwareModel(
        features,
        areas,
        programs,
        lines,
        fit.pmt_beta,
        fit.location,
        fit.spread,
        fit.village_sd,
        fit.receipt_beta,
        centre,
        level,
    )


def area_levels(sample: SurveySample, rows: ReceiptRows, centre: float) -> np.ndarray:
    """Survey-weighted mean log consumption of each area, minus ``centre``.

    An area covariate of the receipt probit: how sharply a village meeting
    tells the poor apart differs between richer and poorer kecamatan, and the
    area terms are shrunk towards this regression rather than towards one
    regency value (the synthetic-plus-shrinkage idea of Fay & Herriot 1979).
    """
    w = sample.weight[:, None] * rows.dummies
    return (w.T @ (sample.log_welfare - centre)) / np.maximum(w.sum(axis=0), 1e-300)


def with_fit(model: ReceiptAwareModel, fit: Fit) -> ReceiptAwareModel:
    return replace(
        model,
        pmt_beta=fit.pmt_beta,
        location=fit.location,
        spread=fit.spread,
        village_sd=fit.village_sd,
        receipt_beta=fit.receipt_beta,
    )


@dataclass(frozen=True)
class RegisterHouseholds:
    """Register households to score: proxies, receipt, area and, when known, village."""

    X: pd.DataFrame
    programs: dict[str, np.ndarray]
    area: np.ndarray
    cluster: np.ndarray | None = None  # village; without it intervals omit village effects

    @property
    def is_beneficiary(self) -> np.ndarray:
        flags = [np.asarray(v, bool) for v in self.programs.values()]
        return np.logical_or.reduce(flags) if flags else np.zeros(len(self.area), bool)


COUNTS = {
    # name -> (households counted, probability of the error)
    "expected_inclusion_errors": ("beneficiary", "not_poor"),
    "expected_exclusion_errors": ("non_beneficiary", "poor"),
    "expected_extreme_poor_not_covered": ("non_beneficiary", "extreme"),
}


def error_probabilities(p, beneficiary: np.ndarray) -> dict[str, np.ndarray]:
    p_poor = np.asarray(p["p_poor"])
    out = {
        "expected_inclusion_errors": np.where(beneficiary, 1 - p_poor, 0.0),
        "expected_exclusion_errors": np.where(~beneficiary, p_poor, 0.0),
    }
    if "p_extreme" in p:
        out["expected_extreme_poor_not_covered"] = np.where(
            ~beneficiary, np.asarray(p["p_extreme"]), 0.0
        )
    return out


@dataclass(frozen=True)
class RegisterBins:
    """Register households grouped by (area, receipt) for fast replicate totals."""

    cell: np.ndarray  # per household: area index * 2 + receipt
    rows: ReceiptRows  # one row per cell
    n_areas: int

    @classmethod
    def build(cls, area_idx: np.ndarray, n_areas: int, rows: ReceiptRows) -> RegisterBins:
        cell = area_idx * 2 + rows.any_receipt
        # Every household of a cell has the same area dummies: take any one's.
        member = np.zeros(2 * n_areas, np.int64)
        member[cell] = np.arange(len(cell))
        cell_rows = ReceiptRows(np.arange(2 * n_areas) % 2 == 1, rows.dummies[member])
        return cls(cell, cell_rows, n_areas)

    def binned(
        self, model: ReceiptAwareModel, index: np.ndarray, lo: float | None = None
    ) -> BinnedReplicate:
        """The households binned by (area, receipt, index), each bin evaluated at its mean
        index: the bins' error probabilities and the areas' totals.

        Bins start at ``lo``, by default the lowest index (a partitioned register
        passes the lowest of all its partitions, so that its bins are these).
        """
        lo = index.min() if lo is None else lo
        bins = np.floor((index - lo) / REPLICATE_BIN).astype(np.int64)
        n_bins = int(bins.max()) + 1
        key = self.cell * n_bins + bins
        size = len(self.rows.any_receipt) * n_bins
        counts = np.bincount(key, minlength=size)
        occupied = counts > 0
        slot = (np.cumsum(occupied) - 1)[key]
        occupied = np.flatnonzero(occupied)
        counts = counts[occupied]
        mean_index = np.bincount(key, weights=index, minlength=size)[occupied] / counts
        cells = occupied // n_bins
        rows = ReceiptRows(self.rows.any_receipt[cells], self.rows.dummies[cells])
        p = model.probabilities(rows, mean_index)
        errors = error_probabilities({f"p_{k}": v for k, v in p.items()}, rows.any_receipt)
        area_of = cells // 2
        totals = {
            name: (
                np.bincount(area_of, weights=counts * q, minlength=self.n_areas),
                np.bincount(area_of, weights=counts * q * (1 - q), minlength=self.n_areas),
            )
            for name, q in errors.items()
        }
        return BinnedReplicate(slot, errors, totals)


@dataclass(frozen=True)
class BinnedReplicate:
    """One replicate's register households in bins (:meth:`RegisterBins.binned`)."""

    slot: np.ndarray  # per household: its bin's position among the occupied bins
    errors: dict[str, np.ndarray]  # per occupied bin: each error's probability
    totals: dict[str, tuple[np.ndarray, np.ndarray]]  # per area: expected count, variance


def village_loadings(
    model: ReceiptAwareModel, rows: ReceiptRows, index: np.ndarray, beneficiary: np.ndarray
) -> dict[str, np.ndarray]:
    """d P(error) / d (village effect) per household, by central differences."""
    step = 0.01
    up = model.probabilities(rows, index, step)
    down = model.probabilities(rows, index, -step)
    hi = error_probabilities({f"p_{k}": v for k, v in up.items()}, beneficiary)
    lo = error_probabilities({f"p_{k}": v for k, v in down.items()}, beneficiary)
    return {name: (hi[name] - lo[name]) / (2 * step) for name in hi}


#: Replicates whose register indexes come from one matrix product.
REPLICATES_AT_ONCE = 32


def replicate_totals(
    model: ReceiptAwareModel,
    fits: list[Fit],
    Z: np.ndarray,
    bins: RegisterBins,
    lows: np.ndarray | None = None,
):
    """Per bootstrap replicate of the model, in order: ``(r, the replicate's model, the
    households' PMT index under it, the households binned by ``bins``)``, a
    :class:`BinnedReplicate` whose ``totals`` are ``{count: (expected count, Bernoulli
    variance) per area}`` (``Z``: the households' design matrix).

    Bins start at ``lows[r]`` when given, else at the lowest index of these households.
    Shared by the single-process path (:mod:`.expected`) and the partitioned register
    (:mod:`konsel_analysis.scale.replicates`), which passes the lowest index of all
    partitions so that each partition's bins are the single-process path's.
    """
    for first in range(0, len(fits), REPLICATES_AT_ONCE):
        batch = fits[first : first + REPLICATES_AT_ONCE]
        indexes = Z @ np.column_stack([fit.pmt_beta for fit in batch])
        for j, fit in enumerate(batch):
            r = first + j
            replicate = with_fit(model, fit)
            lo = None if lows is None else lows[r]
            yield r, replicate, indexes[:, j], bins.binned(replicate, indexes[:, j], lo=lo)


def draw_area_counts(
    rng: np.random.Generator,
    village_sd: float,
    totals: dict[str, tuple[np.ndarray, np.ndarray]],
    village_area: np.ndarray,
    village_load: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One replicate's draw of each count per area, the regency's (their sum) last.

    First a village effect for every village (``village_sd`` times a standard normal),
    then, count by count, one deviate per area: ``expected + sqrt(variance) z`` (the
    normal approximation to a sum of independent Bernoulli outcomes) plus the effects
    of the area's villages, each times the sum of its households' loadings. Returns the
    draws and the village effects (the groups of issue 18 move with them).
    """
    u = village_sd * rng.standard_normal(len(village_area))
    draws = {}
    for name, (mean, var) in totals.items():
        n_areas = len(mean)
        draw = mean + np.sqrt(var) * rng.standard_normal(n_areas)
        draw += np.bincount(village_area, weights=u * village_load[name], minlength=n_areas)
        draws[name] = np.r_[draw, draw.sum()]
    return draws, u


def fit_replicates(
    sample: SurveySample, model: ReceiptAwareModel, reps: int, n_folds: int, seed: int
) -> tuple[list[Fit], np.random.Generator]:
    """Every stage refitted on ``reps`` Rao-Wu cluster-bootstrap replicates of the survey
    (within its strata, or areas), and the random generator after drawing them (it goes
    on to draw the counts).

    Shared with the partitioned path (:mod:`konsel_analysis.scale.replicates`), which
    fits once and scores the register partition by partition.
    """
    fits, rng, _ = _fit_replicates(sample, model, reps, n_folds, seed)
    return fits, rng


def _fit_replicates(sample, model, reps, n_folds, seed):
    """:func:`fit_replicates` and the multiplicities (reps x households) of each replicate."""
    Zs = model.pmt_design(sample.X)
    sample_rows = ReceiptRows.build(sample.programs, model.programs, sample.area, model.areas)
    folds = cluster_folds(sample, n_folds, seed)
    units = bootstrap_design(sample.area, sample.cluster, sample.strata)
    rng = np.random.default_rng(seed)
    mult = rao_wu_multiplicities(units.stratum_of_unit, reps, rng)[:, units.unit_of_household]
    fits = [
        _fit_stages(
            Zs,
            sample,
            sample_rows,
            sample.weight * m,
            folds,
            model.centre,
            model.area_level,
            model.receipt_beta,
        )
        for m in mult
    ]
    return fits, rng, mult


def fit_replicates_with_bias(
    sample: SurveySample, model: ReceiptAwareModel, reps: int, n_folds: int, seed: int
) -> tuple[list[Fit], np.random.Generator, AreaBias | None]:
    """:func:`fit_replicates` and the areas' bias of the model, checked out of bag on the
    survey (:mod:`.area_bias`); ``None`` without programmes or replicates.

    Shared with the partitioned path, as :func:`fit_replicates`.
    """
    fits, rng, mult = _fit_replicates(sample, model, reps, n_folds, seed)
    if model.receipt_beta is None or not fits:
        return fits, rng, None
    errors, oob = out_of_bag_errors(sample, model, fits, mult)
    rows = ReceiptRows.build(sample.programs, model.programs, sample.area, model.areas)
    bias = estimate_area_bias(
        errors, oob, rows.any_receipt, sample.weight, sample.area, sample.cluster
    )
    return fits, rng, bias


@dataclass(frozen=True)
class ReplicatedFit:
    """The model fitted on the whole survey, its bootstrap refits, the random generator
    after drawing them (it goes on to draw the counts) and the areas' bias (``None``
    without programmes, replicates, or when not asked for)."""

    model: ReceiptAwareModel
    fits: list[Fit]
    rng: np.random.Generator
    bias: AreaBias | None


def fit_with_replicates(
    sample: SurveySample,
    poverty_line: float,
    extreme_poverty_line: float | None = None,
    *,
    squared=(),
    reps: int = 200,
    n_folds: int = 5,
    seed: int = 0,
    with_bias: bool = True,
) -> ReplicatedFit:
    """:func:`fit_receipt_model` on the whole survey, then its ``reps`` Rao-Wu refits
    (:func:`fit_replicates_with_bias`, or :func:`fit_replicates` without the areas' bias),
    one BLAS thread each (hundreds of small fits: faster than threads fighting over
    the cores). The one fit of both the single-process path (:mod:`.expected`) and the
    partitioned register (:mod:`konsel_analysis.scale.replicates`)."""
    with threadpool_limits(limits=1):
        model = fit_receipt_model(
            sample, poverty_line, extreme_poverty_line, squared=squared, n_folds=n_folds, seed=seed
        )
        if with_bias:
            fits, rng, bias = fit_replicates_with_bias(sample, model, reps, n_folds, seed)
        else:  # the intervals before the areas' bias was added (for benchmarks)
            (fits, rng), bias = fit_replicates(sample, model, reps, n_folds, seed), None
    return ReplicatedFit(model, fits, rng, bias)


def out_of_bag_errors(
    sample: SurveySample, model: ReceiptAwareModel, fits: list[Fit], mult: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per count: each surveyed household's error flag (from its consumption) and its
    probability out of bag (the mean over the replicates whose resample left its
    village out; the whole-survey fit for a household never left out)."""
    rows = ReceiptRows.build(sample.programs, model.programs, sample.area, model.areas)
    Zs = model.pmt_design(sample.X)
    indexes = Zs @ np.column_stack([fit.pmt_beta for fit in fits])
    point = error_probabilities(
        {f"p_{k}": v for k, v in model.probabilities(rows, Zs @ model.pmt_beta).items()},
        rows.any_receipt,
    )
    sums = {name: np.zeros(len(Zs)) for name in point}
    times = np.zeros(len(Zs))
    for r, fit in enumerate(fits):
        out = mult[r] == 0
        if not out.any():
            continue
        part = ReceiptRows(rows.any_receipt[out], rows.dummies[out])
        p = with_fit(model, fit).probabilities(part, indexes[out, r])
        for name, q in error_probabilities(
            {f"p_{k}": v for k, v in p.items()}, part.any_receipt
        ).items():
            sums[name][out] += q
        times[out] += 1
    oob = {
        name: np.where(times > 0, sums[name] / np.maximum(times, 1), point[name]) for name in point
    }
    flags = {k: sample.log_welfare < line for k, line in model.log_lines.items()}
    errors = error_probabilities({"p_poor": flags["poor"].astype(float)}, rows.any_receipt)
    if "extreme" in flags:
        errors["expected_extreme_poor_not_covered"] = np.where(
            ~rows.any_receipt, flags["extreme"].astype(float), 0.0
        )
    return errors, oob
