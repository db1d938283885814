"""P(poor) for welfare regressions, from the out-of-sample residual distribution.

A regression PMT predicts log welfare ``m(x)``. The probability that a household
with proxies ``x`` is poor is the probability that its residual falls below
``log z - m(x)``. We estimate that probability honestly and let it vary with x:

1. cross-fitting: the training households are split into folds; each fold's
   residuals ``r = log y - m(x)`` come from a model fitted without that fold,
   so they are as large as the errors on households the model has not seen;
2. location: the residuals are regressed (ridge, survey weights, penalty
   chosen by generalised cross-validation) on the standardised features,
   giving ``mu(x)``. For WLS it is close to zero; for models that are biased by
   design (quantile regression, poverty-weighted OLS) or that shrink towards
   the mean (forests) it corrects the centre of the residuals;
3. scale: ``log((r - mu(x))^2)`` is regressed the same way, giving a spread
   ``sigma(x)`` that may differ between, say, farmers and civil servants;
4. shape: the standardised residuals ``e = (r - mu(x)) / sigma(x)`` keep their
   empirical distribution ``F`` (weighted), with no normality assumption;
5. ``P(poor | x) = F((log z - m(x) - mu(x)) / sigma(x))``, the weighted share
   of standardised residuals strictly below the household's distance to the line.

The constant in ``sigma`` does not matter: it cancels between steps 4 and 5.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import RidgeCV

_ALPHAS = tuple(10.0 ** np.arange(-2, 5))


def weighted_standardize(Z: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and standard deviation of each column (1 where a column is constant)."""
    mean = np.average(Z, axis=0, weights=w) if Z.shape[1] else np.zeros(0)
    var = np.average((Z - mean) ** 2, axis=0, weights=w) if Z.shape[1] else np.zeros(0)
    scale = np.sqrt(var)
    return mean, np.where(scale > 1e-12, scale, 1.0)


class ResidualDistribution:
    """Covariate-dependent scale and empirical shape of out-of-sample log residuals.

    Not an estimator of its own: the regression PMTs fit one inside ``fit``.
    """

    def fit(self, Z: np.ndarray, residuals: np.ndarray, w: np.ndarray) -> ResidualDistribution:
        r = np.asarray(residuals, dtype=float)
        self.mean_, self.scale_ = weighted_standardize(Z, w)
        self.location_ = self._ridge(Z, r, w)
        centred = r - self._apply(self.location_, Z)
        r2 = centred**2
        # A small floor keeps log(r^2) finite for residuals that are exactly zero.
        floor = 1e-6 * max(float(np.average(r2, weights=w)), 1e-12)
        self.log_variance_ = self._ridge(Z, np.log(r2 + floor), w)
        standardized = centred / self.sigma(Z)
        order = np.argsort(standardized, kind="stable")
        self.sorted_residuals_ = standardized[order]
        self.cumulative_weight_ = np.cumsum(w[order]) / np.sum(w)
        return self

    def _ridge(self, Z: np.ndarray, target: np.ndarray, w: np.ndarray) -> RidgeCV | float:
        """A weighted ridge of target on the standardised features (a constant if too few rows)."""
        if Z.shape[1] and len(target) > 2:
            return RidgeCV(alphas=_ALPHAS).fit(self._standard(Z), target, sample_weight=w)
        return float(np.average(target, weights=w))

    def _apply(self, model: RidgeCV | float, Z: np.ndarray) -> np.ndarray:
        if isinstance(model, float):
            return np.full(len(Z), model)
        return model.predict(self._standard(Z))

    def _standard(self, Z: np.ndarray) -> np.ndarray:
        return (Z - self.mean_) / self.scale_

    def location(self, Z: np.ndarray) -> np.ndarray:
        """The expected out-of-sample residual at each row (the model's local bias)."""
        return self._apply(self.location_, Z)

    def sigma(self, Z: np.ndarray) -> np.ndarray:
        """The residual spread at each row of the design matrix (up to a constant)."""
        return np.exp(0.5 * np.clip(self._apply(self.log_variance_, Z), -50, 50))

    def cdf(self, t: np.ndarray) -> np.ndarray:
        """Weighted share of standardised residuals strictly below ``t``."""
        idx = np.searchsorted(self.sorted_residuals_, np.asarray(t, dtype=float), side="left")
        cum = np.r_[0.0, self.cumulative_weight_]
        return np.clip(cum[idx], 0.0, 1.0)

    def probability_below(
        self, Z: np.ndarray, log_prediction: np.ndarray, log_line: float
    ) -> np.ndarray:
        """P(log welfare < log_line) for each row, given the predicted log welfare."""
        return self.cdf((log_line - log_prediction - self.location(Z)) / self.sigma(Z))
