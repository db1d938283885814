"""Expected targeting errors in the register: P(poor | proxies, programme receipt, area).

The register has no consumption, so each household's chance of being poor is
estimated on the survey, where consumption, proxies and receipt are all seen.
Receipt carries information the proxies miss (the village meeting saw more
than the proxies), so it enters the model; how much it says differs between
kecamatan, so its effect may vary by area. Two stages:

1. **PMT index.** Weighted least squares of log consumption on the proxies (and
   area effects): ``m(x)``. For surveyed households the index is
   out-of-fold (grouped by cluster), so that stage 2 sees errors as large as on
   households the model has not seen.
2. **Receipt-aware calibration.** A weighted logit of the poor flag on the gap
   ``log z - m(x)`` (and its square), each programme flag, any-receipt times the
   gap, area effects and any-receipt times area (the last two ridge-penalised:
   shrunk towards the regency, as small areas need). A logit fitted by maximum
   likelihood with an intercept and receipt terms reproduces, in the survey,
   the weighted number of poor among beneficiaries and among non-beneficiaries
   exactly, which is what expected-error counts add up. The same for the
   extreme-poverty line.

Uncertainty: both stages are refitted on Rao-Wu cluster-bootstrap replicates
of the survey (model uncertainty); within each replicate the count of errors in
an area is drawn as a sum of independent Bernoulli outcomes (household chance,
normal approximation to the Poisson-binomial). Percentiles over replicates give
the interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.model_selection import GroupKFold, KFold
from threadpoolctl import threadpool_limits

from konsel_analysis.pmt.features import ProxyFeatures
from konsel_analysis.targeting.measured import rao_wu_multiplicities, resampling_units

#: Ridge penalty on the area and receipt-by-area terms of the stage-2 logit, in
#: units of the survey's (mean-one) weights. Chosen on synthetic data of several
#: seeds (benchmarks/targeting_truth.py) between honest intervals and shrinkage.
AREA_PENALTY = 1.0
_TINY_PENALTY = 1e-4


def fit_penalized_logit(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    penalty: np.ndarray,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> np.ndarray:
    """Weighted logistic regression with a ridge penalty per coefficient (Newton-Raphson).

    Maximises ``sum w_i [y_i eta_i - log(1 + exp(eta_i))] - 0.5 sum penalty_j b_j^2``
    with the weights scaled to mean one. Unpenalised terms (penalty 0, plus a tiny
    floor against separation) keep the score equations of plain maximum
    likelihood: ``sum w (y - p) x_j = 0``.
    """
    wn = w / w.mean()
    pen = np.maximum(np.asarray(penalty, float), _TINY_PENALTY)
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        p = expit(X @ beta)
        grad = X.T @ (wn * (y - p)) - pen * beta
        hess = (X * (wn * p * (1 - p))[:, None]).T @ X + np.diag(pen)
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def _wls(Z: np.ndarray, t: np.ndarray, w: np.ndarray) -> np.ndarray:
    sw = np.sqrt(w / w.mean())
    return np.linalg.lstsq(Z * sw[:, None], t * sw, rcond=None)[0]


@dataclass(frozen=True)
class SurveySample:
    """What the receipt-aware model is fitted on (one row per surveyed household)."""

    X: pd.DataFrame  # proxies (and the area, as the PMT's area effect)
    log_welfare: np.ndarray
    weight: np.ndarray
    cluster: np.ndarray
    area: np.ndarray
    programs: dict[str, np.ndarray]


@dataclass(frozen=True)
class ReceiptAwareModel:
    """A fitted two-stage model; see the module docstring."""

    features: ProxyFeatures
    areas: tuple
    programs: tuple[str, ...]
    log_lines: dict[str, float]  # "poor" and, optionally, "extreme"
    pmt_beta: np.ndarray
    logit_beta: dict[str, np.ndarray] = field(default_factory=dict)

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
        rows = Stage2Rows.build(programs, self.programs, area, self.areas)
        return self.predict_rows(rows, index)

    def predict_rows(self, rows: Stage2Rows, index: np.ndarray) -> pd.DataFrame:
        out = {"log_welfare_index": index}
        for name, log_line in self.log_lines.items():
            out[f"p_{name}"] = expit(rows.linear_predictor(log_line - index, self.logit_beta[name]))
        return pd.DataFrame(out)


@dataclass(frozen=True)
class Stage2Rows:
    """The parts of the stage-2 design that do not depend on the PMT index.

    Built once per set of households, so that bootstrap replicates only
    recompute the gap ``log z - m(x)``.
    """

    fixed: np.ndarray  # intercept, programme flags, area dummies, area x any receipt
    any_receipt: np.ndarray
    n_flags: int
    n_areas: int

    @classmethod
    def build(
        cls, programs: dict[str, np.ndarray], names: tuple[str, ...], area: np.ndarray, areas: tuple
    ) -> Stage2Rows:
        n = len(area)
        flags = (
            np.column_stack([np.asarray(programs[p], float) for p in names])
            if names
            else np.zeros((n, 0))
        )
        any_receipt = flags.max(axis=1) if names else np.zeros(n)
        # Areas the model has not seen get no dummy: they take the regency level.
        dummies = (
            np.asarray(area, dtype=object)[:, None] == np.asarray(areas, dtype=object)[None, :]
        ).astype(float)
        fixed = np.column_stack([np.ones(n), flags, dummies, dummies * any_receipt[:, None]])
        return cls(fixed, any_receipt, flags.shape[1], len(areas))

    def design(self, gap: np.ndarray) -> np.ndarray:
        """Columns: gap, gap squared, any receipt x gap, then the fixed part."""
        return np.column_stack([gap, gap**2, self.any_receipt * gap, self.fixed])

    def penalty(self) -> np.ndarray:
        free = 3 + 1 + self.n_flags
        return np.r_[np.zeros(free), np.full(2 * self.n_areas, AREA_PENALTY)]

    def linear_predictor(self, gap: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """``design(gap) @ beta`` without building the design."""
        return (
            gap * (beta[0] + self.any_receipt * beta[2]) + gap**2 * beta[1] + self.fixed @ beta[3:]
        )


def _out_of_fold_index(Z: np.ndarray, t: np.ndarray, w: np.ndarray, folds) -> np.ndarray:
    oof = np.empty(len(t))
    for train, test in folds:
        train = train[w[train] > 0]
        oof[test] = Z[test] @ _wls(Z[train], t[train], w[train])
    return oof


def _fit_stages(
    Z: np.ndarray,
    sample: SurveySample,
    rows: Stage2Rows,
    w: np.ndarray,
    folds,
    log_lines: dict[str, float],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    keep = w > 0
    beta = _wls(Z[keep], sample.log_welfare[keep], w[keep])
    oof = _out_of_fold_index(Z, sample.log_welfare, w, folds)
    logit = {}
    for name, log_line in log_lines.items():
        design = rows.design(log_line - oof)
        event = (sample.log_welfare < log_line).astype(float)
        logit[name] = fit_penalized_logit(design[keep], event[keep], w[keep], rows.penalty())
    return beta, logit


def _folds(sample: SurveySample, n_folds: int, seed: int):
    groups = sample.cluster
    n_groups = len(np.unique(groups))
    if n_groups >= n_folds:
        return list(GroupKFold(n_splits=n_folds).split(sample.X, groups=groups))
    return list(KFold(n_splits=n_folds, shuffle=True, random_state=seed).split(sample.X))


def fit_receipt_model(
    sample: SurveySample,
    poverty_line: float,
    extreme_poverty_line: float | None = None,
    *,
    squared=(),
    n_folds: int = 5,
    seed: int = 0,
) -> ReceiptAwareModel:
    """Fit both stages on the full survey."""
    features = ProxyFeatures(squared=tuple(squared), min_count=5).fit(
        sample.X, sample_weight=sample.weight
    )
    model = _empty_model(features, sample, poverty_line, extreme_poverty_line)
    Z = model.pmt_design(sample.X)
    rows = Stage2Rows.build(sample.programs, model.programs, sample.area, model.areas)
    beta, logit = _fit_stages(
        Z, sample, rows, sample.weight, _folds(sample, n_folds, seed), model.log_lines
    )
    return ReceiptAwareModel(features, model.areas, model.programs, model.log_lines, beta, logit)


def _empty_model(features, sample, poverty_line, extreme_poverty_line) -> ReceiptAwareModel:
    lines = {"poor": float(np.log(poverty_line))}
    if extreme_poverty_line is not None:
        lines["extreme"] = float(np.log(extreme_poverty_line))
    areas = tuple(sorted(set(sample.area)))
    return ReceiptAwareModel(features, areas, tuple(sample.programs), lines, np.zeros(0))


@dataclass(frozen=True)
class RegisterHouseholds:
    """Register households to score: proxies, receipt and area."""

    X: pd.DataFrame
    programs: dict[str, np.ndarray]
    area: np.ndarray

    @property
    def is_beneficiary(self) -> np.ndarray:
        flags = [np.asarray(v, bool) for v in self.programs.values()]
        return np.logical_or.reduce(flags) if flags else np.zeros(len(self.area), bool)


@dataclass(frozen=True)
class ExpectedErrors:
    """Point probabilities per household and expected counts with intervals per area."""

    probabilities: pd.DataFrame  # log_welfare_index, p_poor, p_extreme
    by_area: pd.DataFrame


COUNTS = {
    # name -> (households counted, probability of the error)
    "expected_inclusion_errors": ("beneficiary", "not_poor"),
    "expected_exclusion_errors": ("non_beneficiary", "poor"),
    "expected_extreme_poor_not_covered": ("non_beneficiary", "extreme"),
}


def _error_probabilities(p: pd.DataFrame, beneficiary: np.ndarray) -> dict[str, np.ndarray]:
    out = {
        "expected_inclusion_errors": np.where(beneficiary, 1 - p["p_poor"], 0.0),
        "expected_exclusion_errors": np.where(~beneficiary, p["p_poor"], 0.0),
    }
    if "p_extreme" in p:
        out["expected_extreme_poor_not_covered"] = np.where(~beneficiary, p["p_extreme"], 0.0)
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
) -> ExpectedErrors:
    """Expected inclusion and exclusion errors per register area, with intervals.

    Returns the point probabilities of every register household (from the model
    fitted on the whole survey) and, per area and for ``ALL``: beneficiaries,
    non-beneficiaries, and for each count in :data:`COUNTS` the expected value
    with ``_low``/``_high`` bounds of the ``ci`` interval.
    """
    # Hundreds of small least-squares fits: one BLAS thread each is many times
    # faster than threads fighting over two shared cores.
    with threadpool_limits(limits=1):
        return _estimate_expected_errors(
            sample, register, poverty_line, extreme_poverty_line, squared, reps, ci, n_folds, seed
        )


def _estimate_expected_errors(
    sample, register, poverty_line, extreme_poverty_line, squared, reps, ci, n_folds, seed
) -> ExpectedErrors:
    model = fit_receipt_model(
        sample, poverty_line, extreme_poverty_line, squared=squared, n_folds=n_folds, seed=seed
    )
    Zr = model.pmt_design(register.X)
    register_rows = Stage2Rows.build(register.programs, model.programs, register.area, model.areas)
    beneficiary = register.is_beneficiary
    point = model.predict_rows(register_rows, Zr @ model.pmt_beta)
    expected = _error_probabilities(point, beneficiary)

    Zs = model.pmt_design(sample.X)
    sample_rows = Stage2Rows.build(sample.programs, model.programs, sample.area, model.areas)
    folds = _folds(sample, n_folds, seed)
    units = resampling_units(sample.area, sample.cluster)
    rng = np.random.default_rng(seed)
    mult = rao_wu_multiplicities(units.area_of_unit, reps, rng)[:, units.unit_of_household]
    areas, area_idx = np.unique(np.asarray(register.area, dtype=str), return_inverse=True)
    draws = {name: np.empty((reps, len(areas) + 1)) for name in expected}
    for r in range(reps):
        beta, logit = _fit_stages(
            Zs, sample, sample_rows, sample.weight * mult[r], folds, model.log_lines
        )
        replicate = ReceiptAwareModel(
            model.features, model.areas, model.programs, model.log_lines, beta, logit
        )
        p = replicate.predict_rows(register_rows, Zr @ beta)
        for name, q in _error_probabilities(p, beneficiary).items():
            mean = np.bincount(area_idx, weights=q, minlength=len(areas))
            var = np.bincount(area_idx, weights=q * (1 - q), minlength=len(areas))
            z = rng.standard_normal(len(areas))
            draws[name][r, :-1] = mean + np.sqrt(var) * z
            draws[name][r, -1] = draws[name][r, :-1].sum()

    by_area = pd.DataFrame({"area": [*areas, "ALL"]})
    counts = np.bincount(area_idx, weights=beneficiary, minlength=len(areas))
    by_area["beneficiaries"] = np.r_[counts, counts.sum()].astype(int)
    totals = np.bincount(area_idx, minlength=len(areas))
    by_area["non_beneficiaries"] = np.r_[totals - counts, (totals - counts).sum()].astype(int)
    alpha = (1 - ci) / 2
    for name, q in expected.items():
        mean = np.bincount(area_idx, weights=q, minlength=len(areas))
        by_area[name] = np.r_[mean, mean.sum()]
        by_area[f"{name}_low"] = np.maximum(np.quantile(draws[name], alpha, axis=0), 0.0)
        by_area[f"{name}_high"] = np.quantile(draws[name], 1 - alpha, axis=0)
    return ExpectedErrors(point, by_area)
