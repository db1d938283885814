"""Expected targeting errors in the register: P(poor | proxies, programme receipt, area).

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

from konsel_analysis.pmt.features import ProxyFeatures
from konsel_analysis.targeting.area_bias import (
    MIN_SAMPLED_BENEFICIARIES,
    AreaBias,
    apply_area_bias,
    estimate_area_bias,
)
from konsel_analysis.targeting.measured import bootstrap_design, rao_wu_multiplicities

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
_REPLICATE_BIN = 0.01


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
    out = 0.5 * (ndtr(h) + ndtr(k)) - owens_t(h, a_h) - owens_t(k, a_k) - 0.5 * (h * k < 0)
    return np.clip(out, 0.0, np.minimum(ndtr(h), ndtr(k)))


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


def _folds(sample: SurveySample, n_folds: int, seed: int):
    groups = sample.cluster
    n_groups = len(np.unique(groups))
    if n_groups >= n_folds:
        return list(GroupKFold(n_splits=n_folds).split(sample.X, groups=groups))
    return list(KFold(n_splits=n_folds, shuffle=True, random_state=seed).split(sample.X))


@dataclass(frozen=True)
class _Fit:
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
) -> _Fit:
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
    return _Fit(beta, location, spread, village_sd, receipt_beta)


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
    fit = _fit_stages(Z, sample, rows, sample.weight, _folds(sample, n_folds, seed), centre, level)
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


def _with_fit(model: ReceiptAwareModel, fit: _Fit) -> ReceiptAwareModel:
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


@dataclass(frozen=True)
class ExpectedErrors:
    """Point probabilities per household and expected counts with intervals per area."""

    probabilities: pd.DataFrame  # log_welfare_index, p_poor, p_extreme
    by_area: pd.DataFrame
    model: ReceiptAwareModel | None = None  # fitted on the whole survey
    by_group: pd.DataFrame | None = None  # with ``groups``: per group level and area
    fits: list | None = None  # the bootstrap replicates' fits (the workbench reuses them)


COUNTS = {
    # name -> (households counted, probability of the error)
    "expected_inclusion_errors": ("beneficiary", "not_poor"),
    "expected_exclusion_errors": ("non_beneficiary", "poor"),
    "expected_extreme_poor_not_covered": ("non_beneficiary", "extreme"),
}


def _error_probabilities(p, beneficiary: np.ndarray) -> dict[str, np.ndarray]:
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


def estimate_expected_errors(
    sample: SurveySample,
    register: RegisterHouseholds,
    poverty_line: float,
    extreme_poverty_line: float | None = None,
    *,
    squared=(),
    reps: int = 200,
    ci: float = 0.90,
    n_folds: int = 5,
    seed: int = 0,
    groups: dict[str, np.ndarray] | None = None,
    area_bias: bool = True,
) -> ExpectedErrors:
    """Expected inclusion and exclusion errors per register area, with intervals.

    Returns the point probabilities of every register household (from the model
    fitted on the whole survey) and, per area and for ``ALL``: beneficiaries,
    non-beneficiaries, and for each count in :data:`COUNTS` the expected value
    with ``_low``/``_high`` bounds of the ``ci`` interval. With ``groups`` (group
    name -> level per register household), ``by_group`` holds the same per group
    level and area, from the same replicates
    (:class:`~konsel_analysis.targeting.expected_groups.GroupDraws`).
    """
    # Hundreds of small least-squares fits: one BLAS thread each is many times
    # faster than threads fighting over two shared cores.
    with threadpool_limits(limits=1):
        return _estimate_expected_errors(
            sample,
            register,
            poverty_line,
            extreme_poverty_line,
            squared,
            reps,
            ci,
            n_folds,
            seed,
            with_bias=area_bias,
            groups=groups,
        )


@dataclass(frozen=True)
class _RegisterBins:
    """Register households grouped by (area, receipt) for fast replicate totals."""

    cell: np.ndarray  # per household: area index * 2 + receipt
    rows: ReceiptRows  # one row per cell
    n_areas: int

    @classmethod
    def build(cls, area_idx: np.ndarray, n_areas: int, rows: ReceiptRows) -> _RegisterBins:
        cell = area_idx * 2 + rows.any_receipt
        # Every household of a cell has the same area dummies: take any one's.
        member = np.zeros(2 * n_areas, np.int64)
        member[cell] = np.arange(len(cell))
        cell_rows = ReceiptRows(np.arange(2 * n_areas) % 2 == 1, rows.dummies[member])
        return cls(cell, cell_rows, n_areas)

    def totals(self, model: ReceiptAwareModel, index: np.ndarray, lo: float | None = None):
        """Per area: expected count and Bernoulli variance of each error, from binned indexes.

        Bins start at ``lo``, by default the lowest index (a partitioned register
        passes the lowest of all its partitions, so that its bins are these).
        """
        lo = index.min() if lo is None else lo
        bins = np.floor((index - lo) / _REPLICATE_BIN).astype(np.int64)
        n_bins = int(bins.max()) + 1
        key = self.cell * n_bins + bins
        size = len(self.rows.any_receipt) * n_bins
        counts = np.bincount(key, minlength=size)
        occupied = np.flatnonzero(counts)
        counts = counts[occupied]
        mean_index = np.bincount(key, weights=index, minlength=size)[occupied] / counts
        cells = occupied // n_bins
        rows = ReceiptRows(self.rows.any_receipt[cells], self.rows.dummies[cells])
        p = model.probabilities(rows, mean_index)
        errors = _error_probabilities({f"p_{k}": v for k, v in p.items()}, rows.any_receipt)
        area_of = cells // 2
        return {
            name: (
                np.bincount(area_of, weights=counts * q, minlength=self.n_areas),
                np.bincount(area_of, weights=counts * q * (1 - q), minlength=self.n_areas),
            )
            for name, q in errors.items()
        }


def _village_loadings(
    model: ReceiptAwareModel, rows: ReceiptRows, index: np.ndarray, beneficiary: np.ndarray
) -> dict[str, np.ndarray]:
    """d P(error) / d (village effect) per household, by central differences."""
    step = 0.01
    up = model.probabilities(rows, index, step)
    down = model.probabilities(rows, index, -step)
    hi = _error_probabilities({f"p_{k}": v for k, v in up.items()}, beneficiary)
    lo = _error_probabilities({f"p_{k}": v for k, v in down.items()}, beneficiary)
    return {name: (hi[name] - lo[name]) / (2 * step) for name in hi}


def _village_terms(model, register, rows, index, beneficiary, area_idx):
    """Area of each register village and, per count, the sum of its households' loadings."""
    if register.cluster is None:
        return np.zeros(0, np.int64), {name: np.zeros(0) for name in COUNTS}
    villages, village_idx = np.unique(np.asarray(register.cluster, dtype=str), return_inverse=True)
    village_area = np.zeros(len(villages), np.int64)
    village_area[village_idx] = area_idx
    loadings = _village_loadings(model, rows, index, beneficiary)
    return village_area, {
        name: np.bincount(village_idx, weights=v, minlength=len(villages))
        for name, v in loadings.items()
    }


def fit_replicates(
    sample: SurveySample, model: ReceiptAwareModel, reps: int, n_folds: int, seed: int
) -> tuple[list[_Fit], np.random.Generator]:
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
    folds = _folds(sample, n_folds, seed)
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
) -> tuple[list[_Fit], np.random.Generator, AreaBias | None]:
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


def out_of_bag_errors(
    sample: SurveySample, model: ReceiptAwareModel, fits: list[_Fit], mult: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per count: each surveyed household's error flag (from its consumption) and its
    probability out of bag (the mean over the replicates whose resample left its
    village out; the whole-survey fit for a household never left out)."""
    rows = ReceiptRows.build(sample.programs, model.programs, sample.area, model.areas)
    Zs = model.pmt_design(sample.X)
    indexes = Zs @ np.column_stack([fit.pmt_beta for fit in fits])
    point = _error_probabilities(
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
        p = _with_fit(model, fit).probabilities(part, indexes[out, r])
        for name, q in _error_probabilities(
            {f"p_{k}": v for k, v in p.items()}, part.any_receipt
        ).items():
            sums[name][out] += q
        times[out] += 1
    oob = {
        name: np.where(times > 0, sums[name] / np.maximum(times, 1), point[name]) for name in point
    }
    flags = {k: sample.log_welfare < line for k, line in model.log_lines.items()}
    errors = _error_probabilities({"p_poor": flags["poor"].astype(float)}, rows.any_receipt)
    if "extreme" in flags:
        errors["expected_extreme_poor_not_covered"] = np.where(
            ~rows.any_receipt, flags["extreme"].astype(float), 0.0
        )
    return errors, oob


def _estimate_expected_errors(
    sample,
    register,
    poverty_line,
    extreme_poverty_line,
    squared,
    reps,
    ci,
    n_folds,
    seed,
    with_bias,
    groups,
) -> ExpectedErrors:
    model = fit_receipt_model(
        sample, poverty_line, extreme_poverty_line, squared=squared, n_folds=n_folds, seed=seed
    )
    Zr = model.pmt_design(register.X)
    register_rows = ReceiptRows.build(register.programs, model.programs, register.area, model.areas)
    beneficiary = register.is_beneficiary
    index = Zr @ model.pmt_beta
    point_probabilities = model.predict(register.X, register.programs, register.area, index=index)
    expected = _error_probabilities(point_probabilities, beneficiary)
    areas, area_idx = np.unique(np.asarray(register.area, dtype=str), return_inverse=True)

    # A village effect moves every household of the village together: per village,
    # the count moves by u_v times the sum of its households' loadings. Without
    # villages in the register there is no such term.
    village_area, village_load = _village_terms(
        model, register, register_rows, index, beneficiary, area_idx
    )
    if with_bias:
        fits, rng, bias = fit_replicates_with_bias(sample, model, reps, n_folds, seed)
    else:  # the intervals before the areas' bias was added (for benchmarks)
        (fits, rng), bias = fit_replicates(sample, model, reps, n_folds, seed), None
    bins = _RegisterBins.build(area_idx, len(areas), register_rows)
    group_draws = _group_draws(
        groups, model, register, register_rows, index, area_idx, areas, expected, reps, seed
    )
    draws = {name: np.empty((reps, len(areas) + 1)) for name in expected}
    chunk = 32  # replicates whose register indexes are computed in one matrix product
    for first in range(0, reps, chunk):
        batch = fits[first : first + chunk]
        indexes = Zr @ np.column_stack([fit.pmt_beta for fit in batch])
        for j, fit in enumerate(batch):
            r = first + j
            replicate = _with_fit(model, fit)
            u = fit.village_sd * rng.standard_normal(len(village_area))
            for name, (mean, var) in bins.totals(replicate, indexes[:, j]).items():
                draw = mean + np.sqrt(var) * rng.standard_normal(len(areas))
                draw += np.bincount(
                    village_area, weights=u * village_load[name], minlength=len(areas)
                )
                draws[name][r, :-1] = draw
                draws[name][r, -1] = draw.sum()
            if group_draws is not None:  # the groups move with the kecamatan
                group_draws.add(r, replicate, indexes[:, j], u)

    counts = np.bincount(area_idx, weights=beneficiary, minlength=len(areas))
    totals = np.bincount(area_idx, minlength=len(areas))
    point = {
        name: np.bincount(area_idx, weights=q, minlength=len(areas)) for name, q in expected.items()
    }
    moves: dict = {}  # the areas' bias moves, which the group levels follow
    by_area = expected_table(areas, counts, totals - counts, point, draws, bias, rng, ci, moves)
    return ExpectedErrors(
        point_probabilities,
        by_area,
        model,
        group_draws.table(ci, moves) if group_draws is not None else None,
        fits,
    )


def expected_table(
    areas,
    beneficiaries: np.ndarray,
    non_beneficiaries: np.ndarray,
    point: dict[str, np.ndarray],
    draws: dict[str, np.ndarray],
    bias: AreaBias | None,
    rng: np.random.Generator,
    ci: float,
    moves: dict | None = None,
) -> pd.DataFrame:
    """The ``expected_errors_by_area`` table from the model's area points and replicate
    draws (``reps x (areas + 1)``), after the areas' bias (:mod:`.area_bias`; drawn
    with ``rng``, after the replicates' deviates). Shared with the partitioned path."""
    by_area = pd.DataFrame({"area": [*areas, "ALL"]})
    by_area["beneficiaries"] = np.r_[beneficiaries, beneficiaries.sum()].round().astype(int)
    by_area["non_beneficiaries"] = np.r_[non_beneficiaries, non_beneficiaries.sum()].round()
    by_area["non_beneficiaries"] = by_area["non_beneficiaries"].astype(int)
    uninformed = np.zeros(len(areas), bool)
    if bias is not None:
        point, uninformed = apply_area_bias(bias, areas, point, draws, rng, moves)
    alpha = (1 - ci) / 2
    for name, mean in point.items():
        by_area[name] = np.r_[mean, mean.sum()]
        by_area[f"{name}_low"] = np.maximum(np.quantile(draws[name], alpha, axis=0), 0.0)
        by_area[f"{name}_high"] = np.quantile(draws[name], 1 - alpha, axis=0)
    by_area["is_uninformed"] = np.r_[uninformed, uninformed.any()]
    by_area["interval_note"] = [*(uninformed_note(u) for u in uninformed), ""]
    return by_area


def uninformed_note(uninformed: bool) -> str:
    """The ``interval_note`` of an area (English; reports word it in their language)."""
    if not uninformed:
        return ""
    return (
        f"survey sampled fewer than {MIN_SAMPLED_BENEFICIARIES} beneficiaries or one village "
        "here: targeting quality not measured, interval widened to the spread between areas"
    )


def _group_draws(groups, model, register, rows, index, area_idx, areas, expected, reps, seed):
    """The group-level draws of issue 18, fed from the replicate loop above (None
    without groups)."""
    if not groups:
        return None
    from konsel_analysis.targeting.expected_groups import GroupDraws

    return GroupDraws(
        groups,
        model=model,
        rows=rows,
        index=index,
        beneficiary=register.is_beneficiary,
        area_idx=area_idx,
        areas=areas,
        village=register.cluster,
        expected=expected,
        reps=reps,
        seed=seed,
    )
