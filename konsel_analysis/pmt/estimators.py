"""Welfare regressions: the PMT estimators that predict per-capita welfare.

All are scikit-learn regressors: ``__init__`` only stores settings, ``fit(X, y,
sample_weight=None, groups=None)`` returns ``self`` and learned values end in
``_``. ``X`` is a DataFrame of proxies (see :mod:`.features`), ``y`` per-capita
welfare in currency; every model works on ``log y`` with the survey weights.

- :class:`LinearPMT` weighted least squares (WLS) on log welfare, robust (HC1)
  standard errors, optional selection by forward stepwise BIC or weighted lasso;
- :class:`QuantilePMT` linear quantile regression at the poverty quantile;
- :class:`PovertyWeightedPMT` WLS that emphasises the bottom of the distribution;
- :class:`GradientBoostingPMT` and :class:`RandomForestPMT` tree ensembles.

``predict(X)`` returns predicted welfare in currency, ``exp`` of the predicted
log welfare (for WLS the geometric mean given the proxies, for quantile
regression the conditional quantile). ``predict_poverty_proba(X)`` returns
P(poor) and P(extreme poor) from the out-of-sample residual distribution
(:mod:`.probability`); it needs ``poverty_line`` (and ``extreme_poverty_line``).
``groups`` (the clusters) make the inner cross-fitting of residuals grouped.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import QuantileRegressor, lasso_path
from sklearn.model_selection import GroupKFold, KFold
from statsmodels.regression.linear_model import WLS  # not statsmodels.api: 0.2 s less to import
from threadpoolctl import threadpool_limits

from konsel_analysis.pmt import sharing
from konsel_analysis.pmt.base import PovertyModel, sample_weights, welfare_vector
from konsel_analysis.pmt.features import checked_frame
from konsel_analysis.pmt.probability import ResidualDistribution, weighted_standardize
from konsel_analysis.weighted import weighted_quantile

#: Below this many training rows per fold the residuals are in-sample (optimistic).
MIN_ROWS_PER_RESIDUAL_FOLD = 10
_COEF_COLUMNS = ["coef", "std_err", "t", "p_value", "ci_low", "ci_high"]


# --------------------------------------------------------------------------------------
# Linear algebra shared by the linear models
# --------------------------------------------------------------------------------------


def independent_columns(A: np.ndarray, tol: float = 1e-9) -> list[int]:
    """Columns of A, in order, that are not (near) linear combinations of earlier ones.

    Gram-Schmidt with re-orthogonalisation: a column is dropped when less than
    ``tol`` of its norm is left after projecting out the columns kept so far.
    """
    n, p = A.shape
    room = np.zeros((n, p), order="F")  # the basis fills its first columns: no copies
    keep: list[int] = []
    for j in range(p):
        v = A[:, j].astype(float)
        norm = np.linalg.norm(v)
        if norm == 0:
            continue
        basis = room[:, : len(keep)]
        for _ in range(2):
            v = v - basis @ (basis.T @ v)
        left = np.linalg.norm(v)
        if left > tol * norm and left > 1e-12:
            room[:, len(keep)] = v / left
            keep.append(j)
    return keep


def _normalised(w: np.ndarray) -> np.ndarray:
    """Weights with mean 1: likelihoods and BIC then count rows, not population."""
    return w * (len(w) / np.sum(w))


def forward_stepwise_bic(Z: np.ndarray, t: np.ndarray, w: np.ndarray) -> list[int]:
    """Columns chosen by forward selection on the weighted BIC (intercept always in).

    At each step the column that most reduces the weighted residual sum of
    squares enters, while ``n log(RSS / n) + k log(n)`` keeps falling.
    """
    n = len(t)
    sw = np.sqrt(_normalised(w))
    q0 = sw / np.linalg.norm(sw)
    r = sw * t - q0 * (q0 @ (sw * t))
    R = sw[:, None] * Z
    R = R - np.outer(q0, q0 @ R)
    rss, k, chosen = float(r @ r), 1, []
    bic = n * np.log(max(rss, 1e-300) / n) + k * np.log(n)
    while True:
        norms = np.einsum("ij,ij->j", R, R)
        usable = norms > 1e-9 * np.maximum(np.einsum("ij,ij->j", Z, Z) * np.mean(sw**2), 1e-300)
        usable[chosen] = False
        if not usable.any():
            return sorted(chosen)
        gain = np.where(usable, (R.T @ r) ** 2 / np.where(usable, norms, 1.0), -np.inf)
        j = int(np.argmax(gain))
        new_bic = n * np.log(max(rss - gain[j], 1e-300) / n) + (k + 1) * np.log(n)
        if new_bic >= bic:
            return sorted(chosen)
        q = R[:, j] / np.sqrt(norms[j])
        r = r - q * (q @ r)
        R = R - np.outer(q, q @ R)
        rss, k, bic = float(r @ r), k + 1, new_bic
        chosen.append(j)


def lasso_bic(Z: np.ndarray, t: np.ndarray, w: np.ndarray, n_alphas: int = 40) -> list[int]:
    """Columns with a non-zero weighted-lasso coefficient at the penalty of lowest BIC.

    The lasso runs on standardised columns with survey weights (rows scaled by
    the square root of the weight after weighted centring); the degrees of
    freedom of a lasso fit are its number of non-zero coefficients.
    """
    n = len(t)
    wn = _normalised(w)
    mean, scale = weighted_standardize(Z, wn)
    sw = np.sqrt(wn)
    Xw = sw[:, None] * (Z - mean) / scale
    tw = sw * (t - np.average(t, weights=wn))
    alpha_max = np.max(np.abs(Xw.T @ tw)) / n
    if alpha_max <= 0:
        return []
    alphas = alpha_max * np.logspace(0, -3, n_alphas)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # The column-major copy lasso_path's own input check would make, once: without
        # the check it does not validate its Gram matrix again at each of the alphas.
        _, coefs, _ = lasso_path(np.asfortranarray(Xw), tw, alphas=alphas, check_input=False)
    rss = np.sum((tw[:, None] - Xw @ coefs) ** 2, axis=0)
    df = np.count_nonzero(coefs, axis=0) + 1
    bic = n * np.log(np.maximum(rss, 1e-300) / n) + df * np.log(n)
    return [int(j) for j in np.flatnonzero(coefs[:, int(np.argmin(bic))])]


@dataclass(frozen=True)
class LinearFit:
    """A fitted linear predictor of log welfare on some design-matrix columns."""

    columns: np.ndarray
    intercept: float
    coef: np.ndarray

    def predict(self, Z: np.ndarray) -> np.ndarray:
        return self.intercept + Z[:, self.columns] @ self.coef


def _usable_columns(Z: np.ndarray, w: np.ndarray, candidates: Sequence[int]) -> np.ndarray:
    """Candidates that are linearly independent of the intercept and of each other."""
    sw = np.sqrt(_normalised(w))
    A = sw[:, None] * np.column_stack([np.ones(len(Z)), Z[:, list(candidates)]])
    kept = independent_columns(A)
    return np.asarray([candidates[j - 1] for j in kept if j > 0], dtype=np.int64)


def weighted_least_squares(
    Z: np.ndarray, t: np.ndarray, w: np.ndarray, candidates: Sequence[int]
) -> LinearFit:
    """WLS of t on an intercept and the usable candidate columns."""
    columns = _usable_columns(Z, w, candidates)
    sw = np.sqrt(_normalised(w))
    A = sw[:, None] * np.column_stack([np.ones(len(Z)), Z[:, columns]])
    beta = np.linalg.lstsq(A, sw * t, rcond=None)[0]
    return LinearFit(columns, float(beta[0]), beta[1:])


# --------------------------------------------------------------------------------------
# The common regression machinery
# --------------------------------------------------------------------------------------


class _WelfareRegressor(PovertyModel, RegressorMixin, BaseEstimator):
    """Fit on log welfare, cross-fit residuals, model their distribution."""

    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit on proxies X and per-capita welfare y (currency), with survey weights.

        ``groups`` (e.g. the villages) keep each group in one fold when the
        residuals are cross-fitted.
        """
        frame = checked_frame(self, X, reset=True, min_samples=2)
        y = welfare_vector(self, y, len(frame))
        w = sample_weights(sample_weight, len(frame))
        Z = self._fit_features(frame, w, source=X)
        t = np.log(y)
        self._prepare(t, w)
        self.model_ = self._fit_point(Z, t, w)
        oof = self._out_of_fold(Z, t, w, groups)
        self.residual_distribution_ = ResidualDistribution().fit(Z, t - oof, w)
        self._finish(Z, t, w, groups)
        return self

    # Hooks for the subclasses ----------------------------------------------------------
    def _prepare(self, t: np.ndarray, w: np.ndarray) -> None:
        """Learn what every fold's fit shares (e.g. the quantile to fit)."""

    def _fit_point(self, Z: np.ndarray, t: np.ndarray, w: np.ndarray):
        raise NotImplementedError

    def _predict_point(self, model, Z: np.ndarray) -> np.ndarray:
        return model.predict(Z)

    def _finish(self, Z, t, w, groups) -> None:
        """Anything to learn from the full fit (e.g. the coefficient table)."""

    # -----------------------------------------------------------------------------------
    def _splitter(self, n: int, groups) -> tuple[object, np.ndarray | None] | None:
        k = min(int(self.residual_folds), n // MIN_ROWS_PER_RESIDUAL_FOLD)
        if k < 2:
            return None
        if groups is not None:
            groups = np.asarray(groups)
            if len(groups) != n:
                raise ValueError(f"groups has {len(groups)} entries, expected {n}")
            if len(np.unique(groups)) >= k:
                return GroupKFold(k, shuffle=True, random_state=self.random_state), groups
        return KFold(k, shuffle=True, random_state=self.random_state), None

    def _out_of_fold(self, Z, t, w, groups) -> np.ndarray:
        """Log-welfare predictions for each row from a model fitted without its fold."""
        splitter = self._splitter(len(t), groups)
        if splitter is None:  # too few rows to cross-fit: in-sample residuals
            return self._predict_point(self.model_, Z)
        cv, g = splitter
        oof = np.empty(len(t))
        for train, test in sharing.splits(cv, len(t), g):
            oof[test] = self._predict_point(self._fit_point(Z[train], t[train], w[train]), Z[test])
        return oof

    def predict_log(self, X) -> np.ndarray:
        """Predicted log per-capita welfare."""
        Z, _ = self._design(X)
        return self._predict_point(self.model_, Z)

    def predict(self, X) -> np.ndarray:
        """Predicted per-capita welfare, in the currency of y."""
        return np.exp(self.predict_log(X))

    def _has_extreme(self) -> bool:
        return self.extreme_poverty_line is not None

    def _poverty_probabilities(self, Z):
        if self.poverty_line is None:
            raise ValueError(f"{type(self).__name__} needs poverty_line to predict P(poor)")
        m = self._predict_point(self.model_, Z)
        dist = self.residual_distribution_
        p_poor = dist.probability_below(Z, m, np.log(self.poverty_line))
        p_extreme = (
            dist.probability_below(Z, m, np.log(self.extreme_poverty_line))
            if self._has_extreme()
            else None
        )
        return p_poor, p_extreme

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


# --------------------------------------------------------------------------------------
# Linear PMT
# --------------------------------------------------------------------------------------


class LinearPMT(_WelfareRegressor):
    """Weighted least squares on log per-capita welfare: the classic PMT.

    Parameters
    ----------
    poverty_line, extreme_poverty_line : float, optional
        Lines in the currency of y, for :meth:`predict_poverty_proba`.
    selection : {None, "stepwise", "lasso"}, default None
        Keep all proxies, or select them by forward stepwise BIC or by a
        weighted lasso at the penalty of lowest BIC (then refit by WLS).
        Selection is redone inside every cross-fitting fold.
    cov_type : {"HC1", "cluster"}, default "HC1"
        Standard errors of ``coef_table_``: heteroskedasticity-robust, or
        clustered by the ``groups`` given to ``fit``.
    squared, min_count, log1p : see :class:`~konsel_analysis.pmt.features.ProxyFeatures`
        (``log1p="auto"``: skewed non-negative proxies enter as log(1 + value)).
    residual_folds : int, default 5
        Folds for the out-of-sample residuals behind P(poor).
    random_state : int, default 0

    Attributes
    ----------
    intercept_, coef_ : the fitted model on log welfare (``coef_`` has one entry
        per design-matrix column, 0 for columns not selected or collinear).
    coef_table_ : DataFrame
        Like a statsmodels summary: coef, std_err, t, p_value, ci_low, ci_high
        (95%), one row per term in the model, ``intercept`` first.
    r2_ : float
        Weighted in-sample R² on log welfare.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"size": rng.integers(1, 8, 200), "car": rng.random(200) < 0.2})
    >>> y = np.exp(13 - 0.1 * X["size"] + 0.5 * X["car"] + rng.normal(0, 0.3, 200))
    >>> model = LinearPMT(poverty_line=np.exp(12.6)).fit(X, y)
    >>> model.coef_table_.loc["size", "coef"].round(1)
    np.float64(-0.1)
    """

    def __init__(
        self,
        poverty_line: float | None = None,
        extreme_poverty_line: float | None = None,
        selection: str | None = None,
        cov_type: str = "HC1",
        squared: Sequence[str] = (),
        min_count: int = 10,
        log1p: str | Sequence[str] | None = None,
        residual_folds: int = 5,
        random_state: int = 0,
    ):
        self.poverty_line = poverty_line
        self.extreme_poverty_line = extreme_poverty_line
        self.selection = selection
        self.cov_type = cov_type
        self.squared = squared
        self.min_count = min_count
        self.log1p = log1p
        self.residual_folds = residual_folds
        self.random_state = random_state

    def _fit_weights(self, t: np.ndarray, w: np.ndarray) -> np.ndarray:
        return w

    def _candidates(self, Z, t, w) -> list[int]:
        if self.selection is None:
            return list(range(Z.shape[1]))
        if self.selection == "stepwise":
            return forward_stepwise_bic(Z, t, w)
        if self.selection == "lasso":
            return lasso_bic(Z, t, w)
        raise ValueError(f"selection must be None, 'stepwise' or 'lasso', got {self.selection!r}")

    def _fit_point(self, Z, t, w) -> LinearFit:
        w = self._fit_weights(t, w)
        return weighted_least_squares(Z, t, w, self._candidates(Z, t, w))

    def _finish(self, Z, t, w, groups) -> None:
        if self.cov_type not in ("HC1", "cluster"):
            raise ValueError(f"cov_type must be 'HC1' or 'cluster', got {self.cov_type!r}")
        fit_w = self._fit_weights(t, w)
        columns = self.model_.columns
        names = ["intercept", *self.feature_names_[columns]]
        design = pd.DataFrame(np.column_stack([np.ones(len(Z)), Z[:, columns]]), columns=names)
        wls = WLS(t, design, weights=_normalised(fit_w))
        if self.cov_type == "cluster" and groups is not None:
            result = wls.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(groups)[0]})
        else:
            result = wls.fit(cov_type="HC1")
        ci = result.conf_int(alpha=0.05)
        self.coef_table_ = pd.DataFrame(
            {
                "coef": result.params,
                "std_err": result.bse,
                "t": result.tvalues,
                "p_value": result.pvalues,
                "ci_low": ci[0],
                "ci_high": ci[1],
            },
            index=pd.Index(names, name="term"),
        )[_COEF_COLUMNS]
        params = result.params.to_numpy()
        self.model_ = LinearFit(columns, float(params[0]), params[1:])
        self.intercept_ = float(params[0])
        self.coef_ = np.zeros(Z.shape[1])
        self.coef_[columns] = params[1:]
        resid = t - self.model_.predict(Z)
        tbar = np.average(t, weights=w)
        self.r2_ = float(1 - np.sum(w * resid**2) / np.sum(w * (t - tbar) ** 2))


class PovertyWeightedPMT(LinearPMT):
    """WLS on log welfare that emphasises households near and below the poverty line.

    Standard PMTs fit the whole distribution, so their errors are smallest
    around the mean, far from the poor. Following the poverty-focused
    estimators of Brown, Ravallion & van de Walle (2018, "A poor means test?
    Econometric targeting in Africa", J. Dev. Econ. 134) and the
    bottom-focused, out-of-sample-validated models of McBride & Nichols (2018,
    "Retooling poverty targeting using out-of-sample validation and machine
    learning", World Bank Econ. Rev. 32(3)), households with welfare above the
    weighted ``cutoff_quantile`` of the training data keep only
    ``upper_weight`` of their survey weight. ``upper_weight=0`` is OLS truncated
    at the cutoff; ``upper_weight=1`` is plain WLS. Down-weighting by the
    outcome biases predictions for the better-off downward; that trades more
    inclusion for less exclusion, which out-of-sample validation judges.

    Parameters
    ----------
    cutoff_quantile : float, default 0.5
    upper_weight : float, default 0.2
    Other parameters as :class:`LinearPMT`.
    """

    def __init__(
        self,
        poverty_line: float | None = None,
        extreme_poverty_line: float | None = None,
        cutoff_quantile: float = 0.5,
        upper_weight: float = 0.2,
        selection: str | None = None,
        cov_type: str = "HC1",
        squared: Sequence[str] = (),
        min_count: int = 10,
        log1p: str | Sequence[str] | None = None,
        residual_folds: int = 5,
        random_state: int = 0,
    ):
        self.poverty_line = poverty_line
        self.extreme_poverty_line = extreme_poverty_line
        self.cutoff_quantile = cutoff_quantile
        self.upper_weight = upper_weight
        self.selection = selection
        self.cov_type = cov_type
        self.squared = squared
        self.min_count = min_count
        self.log1p = log1p
        self.residual_folds = residual_folds
        self.random_state = random_state

    def _prepare(self, t, w) -> None:
        if not 0 < self.cutoff_quantile <= 1 or not 0 <= self.upper_weight <= 1:
            raise ValueError("cutoff_quantile must be in (0, 1] and upper_weight in [0, 1]")
        self.log_cutoff_ = weighted_quantile(t, w, self.cutoff_quantile)

    def _fit_weights(self, t, w) -> np.ndarray:
        return w * np.where(t <= self.log_cutoff_, 1.0, self.upper_weight)


# --------------------------------------------------------------------------------------
# Quantile regression
# --------------------------------------------------------------------------------------


def standardised_quantile_fit(
    Z: np.ndarray, t: np.ndarray, w: np.ndarray, columns: np.ndarray, quantile: float
) -> LinearFit:
    """Weighted linear quantile regression of t on Z's ``columns``, solved on standardised
    columns and returned on the original scale.

    The check loss is minimised as a linear programme (HiGHS). With proxies on very
    different scales (asset values in hundreds of thousands of rupiah next to 0/1
    dummies) the programme's constraint matrix is badly scaled and HiGHS stops with
    "numerical difficulties" (issue 14, a real survey). Centring each column on its
    weighted mean and dividing by its weighted standard deviation changes no fitted
    value: the linear model's column space is the same, so the minimiser maps back
    exactly, ``coef = coef_s / scale`` and ``intercept = intercept_s - coef @ mean``.
    """
    mean, scale = weighted_standardize(Z[:, columns], w)
    model = QuantileRegressor(quantile=quantile, alpha=0.0, solver="highs")
    model.fit((Z[:, columns] - mean) / scale, t, sample_weight=_normalised(w))
    coef = np.asarray(model.coef_, dtype=float) / scale
    return LinearFit(columns, float(model.intercept_ - coef @ mean), coef)


class QuantilePMT(_WelfareRegressor):
    """Linear quantile regression of log welfare at the poverty quantile, with survey weights.

    Fits the conditional ``quantile`` of log welfare (by default the weighted
    share of training households below ``poverty_line``), so the fit is
    anchored where poor and non-poor are separated. statsmodels' ``QuantReg``
    takes no weights, so this uses scikit-learn's ``QuantileRegressor`` with
    ``sample_weight`` (weighted check loss, solved exactly as a linear
    programme by HiGHS, on standardised columns: :func:`standardised_quantile_fit`)
    and no penalty; ``coef_`` and ``intercept_`` are on the original scale.
    ``predict`` returns the conditional quantile in currency, which lies below
    the conditional median: the at-line rule then selects many more households
    than the poverty rate.

    Parameters
    ----------
    quantile : float, optional
        The quantile to fit; default the poverty rate of the training data.
    Other parameters as :class:`LinearPMT`.
    """

    def __init__(
        self,
        poverty_line: float | None = None,
        extreme_poverty_line: float | None = None,
        quantile: float | None = None,
        squared: Sequence[str] = (),
        min_count: int = 10,
        log1p: str | Sequence[str] | None = None,
        residual_folds: int = 5,
        random_state: int = 0,
    ):
        self.poverty_line = poverty_line
        self.extreme_poverty_line = extreme_poverty_line
        self.quantile = quantile
        self.squared = squared
        self.min_count = min_count
        self.log1p = log1p
        self.residual_folds = residual_folds
        self.random_state = random_state

    def _prepare(self, t, w) -> None:
        if self.quantile is not None:
            q = float(self.quantile)
        elif self.poverty_line is not None:
            q = float(np.sum(w * (t < np.log(self.poverty_line))) / np.sum(w))
        else:
            raise ValueError("QuantilePMT needs quantile or poverty_line")
        if not 0 < q < 1:
            raise ValueError(f"the quantile to fit must be strictly between 0 and 1, got {q:g}")
        self.quantile_ = q

    def _fit_point(self, Z, t, w) -> LinearFit:
        columns = _usable_columns(Z, w, list(range(Z.shape[1])))
        return standardised_quantile_fit(Z, t, w, columns, self.quantile_)

    def _finish(self, Z, t, w, groups) -> None:
        self.intercept_ = self.model_.intercept
        self.coef_ = np.zeros(Z.shape[1])
        self.coef_[self.model_.columns] = self.model_.coef


# --------------------------------------------------------------------------------------
# Tree ensembles
# --------------------------------------------------------------------------------------


class GradientBoostingPMT(_WelfareRegressor):
    """Histogram gradient boosting of log welfare, survey weights in every split and leaf.

    Small by default (200 shallow trees, learning rate 0.05, no early stopping,
    so the fit is deterministic) to run in seconds on a survey. ``n_threads``
    caps the OpenMP threads (default 1: on small data, threads contending with
    other work slow boosting down by an order of magnitude).
    """

    def __init__(
        self,
        poverty_line: float | None = None,
        extreme_poverty_line: float | None = None,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        squared: Sequence[str] = (),
        min_count: int = 10,
        residual_folds: int = 3,
        n_threads: int | None = 1,
        random_state: int = 0,
    ):
        self.poverty_line = poverty_line
        self.extreme_poverty_line = extreme_poverty_line
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.squared = squared
        self.min_count = min_count
        self.residual_folds = residual_folds
        self.n_threads = n_threads
        self.random_state = random_state

    def _fit_point(self, Z, t, w):
        model = HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            return model.fit(Z, t, sample_weight=_normalised(w))

    def _finish(self, Z, t, w, groups) -> None:
        self.n_iter_ = self.model_.n_iter_

    def _predict_point(self, model, Z):
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            return model.predict(Z)


class RandomForestPMT(_WelfareRegressor):
    """Random forest of log welfare with survey weights (no row duplication).

    The residuals behind P(poor) are the forest's out-of-bag errors: each
    household is predicted by the trees whose bootstrap sample left it out, so
    no extra fits are needed. They are not grouped by cluster.
    """

    def __init__(
        self,
        poverty_line: float | None = None,
        extreme_poverty_line: float | None = None,
        n_estimators: int = 200,
        max_depth: int | None = 12,
        min_samples_leaf: int = 5,
        max_features: float = 0.33,
        squared: Sequence[str] = (),
        min_count: int = 10,
        n_jobs: int | None = 2,
        random_state: int = 0,
    ):
        self.poverty_line = poverty_line
        self.extreme_poverty_line = extreme_poverty_line
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.squared = squared
        self.min_count = min_count
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit_point(self, Z, t, w):
        model = RandomForestRegressor(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            oob_score=True,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Some inputs do not have OOB scores")
            model.fit(Z, t, sample_weight=_normalised(w))
        # Predict on one thread: threads add the trees up in whichever order they
        # finish, which changes the last bits and so the bytes of every output.
        return model.set_params(n_jobs=1)

    def _out_of_fold(self, Z, t, w, groups) -> np.ndarray:
        oob = np.asarray(self.model_.oob_prediction_, dtype=float)
        # Rows that every tree drew (only in tiny samples) fall back to in-sample.
        return np.where(np.isfinite(oob), oob, self.model_.predict(Z))
