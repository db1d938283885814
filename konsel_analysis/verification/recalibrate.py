"""Learning from a round: the expected-error model recalibrated with verified outcomes.

The model's P(error) (:mod:`~konsel_analysis.targeting.expected`, taken as given)
ranks households by their proxies; what the survey tells it least well is the
level of errors per kecamatan (about 120 surveyed households each, and how each
village meeting chose its beneficiaries). A round's met households measure that
level directly. The update is a Bayesian logistic recalibration of the model's
log-odds, separately for beneficiaries (inclusion errors) and non-beneficiaries
(exclusion errors)::

    logit P'(error_i) = (1 + c_s) logit p_i + a_s + b_{k,s},
    b_{k,s} ~ N(0, tau^2),  a_s ~ N(0, 10^2),  c_s ~ N(0, 1)

with ``s`` the receipt status and ``k`` the kecamatan: the calibration intercept and
slope of Cox (1958) per status (priority visits sit at high ``p``, audit visits at
low ``p``, so both are identified), and kecamatan shifts partially pooled (a
kecamatan with few met households keeps nearly the regency shift; one without any
keeps it with the full prior spread ``tau``). ``tau`` is chosen on a grid by the
Laplace approximation to the marginal likelihood (empirical Bayes). Why not refit
the selection model on the survey plus the visits? The visits were chosen on the
model's P(error) and carry no consumption for most households; conditioning on
``p_i`` keeps the priority selection ignorable (the visits were chosen on ``p_i``
and kecamatan, both in the model), and intercept shifts leave the model's ranking
within a kecamatan as it was, which the priority lists rely on.

Uncertainty: coefficients are drawn from the Laplace posterior ``N(theta, H^-1)``;
each draw gives every unvisited household a probability, and a count per area is
drawn around their sum (normal approximation to the Poisson-binomial). Percentiles
over draws give the intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

#: Grid of kecamatan-shift spreads (log-odds) the marginal likelihood chooses from.
TAU_GRID = (0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
#: Prior spread of the regency shift per status (log-odds): weak.
SHIFT_SD = 10.0
#: Prior spread of the calibration slope's departure from 1 per status.
SLOPE_SD = 1.0
#: Columns before the kecamatan shifts: a_B, a_N, c_B, c_N.
_GLOBAL = 4
#: Probabilities are kept this far from 0 and 1 before taking log-odds.
_EPS = 1e-6
STATUSES = (True, False)  # beneficiary (inclusion), non-beneficiary (exclusion)


@dataclass(frozen=True)
class Recalibration:
    """Posterior of the shifts: mean and covariance, the areas, the chosen ``tau``."""

    areas: tuple[str, ...]
    mean: np.ndarray  # [a_B, a_N, c_B, c_N, b_(k,B) for k..., b_(k,N) for k...]
    cov: np.ndarray
    tau: float

    def index(self, area, is_beneficiary) -> tuple[np.ndarray, np.ndarray]:
        """Column of each household's regency shift and kecamatan shift in ``mean``
        (-1: an area the fit did not carry); the slope's column is the shift's + 2."""
        k = len(self.areas)
        lookup = {a: i for i, a in enumerate(self.areas)}
        a_idx = np.array([lookup.get(str(a), -1) for a in area], dtype=np.int64)
        status = np.where(np.asarray(is_beneficiary, bool), 0, 1)
        return status, np.where(a_idx >= 0, _GLOBAL + status * k + a_idx, -1)

    def log_odds(self, offset, area, is_beneficiary, theta: np.ndarray | None = None):
        """Each household's recalibrated log-odds from the model's (``offset``)."""
        theta = self.mean if theta is None else theta
        regency, local = self.index(area, is_beneficiary)
        local_shift = np.where(local >= 0, theta[np.maximum(local, 0)], 0.0)
        return (1 + theta[regency + 2]) * offset + theta[regency] + local_shift


def _design(area, is_beneficiary, offset, areas: tuple[str, ...]) -> np.ndarray:
    k = len(areas)
    lookup = {a: i for i, a in enumerate(areas)}
    benef = np.asarray(is_beneficiary, bool)
    X = np.zeros((len(benef), _GLOBAL + 2 * k))
    rows = np.arange(len(benef))
    status = np.where(benef, 0, 1)
    X[rows, status] = 1.0
    X[rows, 2 + status] = offset
    X[rows, _GLOBAL + status * k + np.array([lookup[str(a)] for a in area], dtype=np.int64)] = 1.0
    return X


def _fit_map(X, y, offset, prior_var) -> tuple[np.ndarray, np.ndarray, float]:
    """Posterior mode, Hessian of the negative log posterior, and the log posterior there."""
    theta = np.zeros(X.shape[1])
    for _ in range(100):
        p = expit(offset + X @ theta)
        grad = X.T @ (y - p) - theta / prior_var
        hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(1 / prior_var)
        step = np.linalg.solve(hess, grad)
        theta += step
        if np.max(np.abs(step)) < 1e-9:
            break
    eta = offset + X @ theta
    loglik = float(np.sum(y * eta - np.logaddexp(0, eta)))
    p = expit(eta)
    hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(1 / prior_var)
    return theta, hess, loglik - 0.5 * float(np.sum(theta**2 / prior_var))


def recalibrate(
    p_error, is_beneficiary, area, found_error, areas=None, tau_grid=TAU_GRID
) -> Recalibration:
    """Fit the shifts to the met households: their model P(error) and whether the visit
    found the error. ``areas``: every area to carry (default those of the visits).

    >>> r = recalibrate([0.2] * 40, [True] * 40, ["A"] * 40, [1] * 20 + [0] * 20)
    >>> # 20 errors in 40 visits predicted at 0.2: the (weakly held) regency shift moves
    >>> # the prediction to the rate found
    >>> round(float(expit(r.log_odds(logit(0.2), ["A"], [True])[0])), 2)
    0.5
    """
    areas = tuple(sorted({*map(str, area), *(map(str, areas) if areas is not None else ())}))
    y = np.asarray(found_error, float)
    offset = logit(np.clip(np.asarray(p_error, float), _EPS, 1 - _EPS))
    X = _design(area, is_beneficiary, offset, areas)
    best = None
    for tau in tau_grid:
        prior_var = np.r_[
            SHIFT_SD**2, SHIFT_SD**2, SLOPE_SD**2, SLOPE_SD**2, np.full(2 * len(areas), tau**2)
        ]
        theta, hess, log_post = _fit_map(X, y, offset, prior_var)
        _, logdet = np.linalg.slogdet(hess)
        evidence = log_post - 0.5 * np.sum(np.log(prior_var)) - 0.5 * logdet
        if best is None or evidence > best[0]:
            best = (evidence, tau, theta, hess)
    _, tau, theta, hess = best
    return Recalibration(areas, theta, np.linalg.inv(hess), float(tau))


def recalibrated_p(recal: Recalibration, p_error, is_beneficiary, area) -> np.ndarray:
    """Each household's P(error) after the update (posterior mode of the shifts)."""
    offset = logit(np.clip(np.asarray(p_error, float), _EPS, 1 - _EPS))
    return expit(recal.log_odds(offset, area, is_beneficiary))


def expected_counts_after(
    recal: Recalibration,
    households: pd.DataFrame,
    ci: float = 0.90,
    draws: int = 400,
    seed: int = 0,
) -> pd.DataFrame:
    """Per area and ``ALL``: expected inclusion errors among ``households`` after the
    update, with the ``ci`` interval (``households``: area, is_beneficiary, p_error).

    Returns area, expected_inclusion_errors_after(_low/_high) and the same for exclusion.
    """
    rng = np.random.default_rng([seed, 1617])
    area = households["area"].astype(str).to_numpy()
    benef = households["is_beneficiary"].to_numpy(bool)
    offset = logit(np.clip(households["p_error"].to_numpy(float), _EPS, 1 - _EPS))
    areas, area_idx = np.unique(area, return_inverse=True)
    regency, local = recal.index(area, benef)
    thetas = rng.multivariate_normal(recal.mean, recal.cov, size=draws, method="cholesky")
    point = expit(recal.log_odds(offset, area, benef))
    out = pd.DataFrame({"area": [*areas, "ALL"]})
    alpha = (1 - ci) / 2
    for kind, mask in (("inclusion", benef), ("exclusion", ~benef)):
        sims = np.zeros((draws, len(areas)))
        cells = pd.Series(np.arange(len(area))[mask]).groupby(
            [regency[mask], local[mask], area_idx[mask]]
        )
        for (reg, loc, a), members in cells:
            shift = thetas[:, reg] + (thetas[:, loc] if loc >= 0 else 0.0)
            slope = 1 + thetas[:, reg + 2]
            p = expit(slope[:, None] * offset[members.to_numpy()][None, :] + shift[:, None])
            mean, var = p.sum(axis=1), (p * (1 - p)).sum(axis=1)
            sims[:, a] += mean + np.sqrt(var) * rng.standard_normal(draws)
        sims = np.c_[sims, sims.sum(axis=1)]
        name = f"expected_{kind}_errors_after"
        totals = np.bincount(area_idx[mask], weights=point[mask], minlength=len(areas))
        out[name] = np.r_[totals, totals.sum()]
        out[f"{name}_low"] = np.maximum(np.quantile(sims, alpha, axis=0), 0.0)
        out[f"{name}_high"] = np.quantile(sims, 1 - alpha, axis=0)
    return out
