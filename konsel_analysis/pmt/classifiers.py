"""PMT classifiers: models of the poor flag and of an ordinal welfare class.

- :class:`BinaryPMT` logit or probit of the poor flag (and, separately, of the
  extreme-poor flag), weighted, with a ridge penalty (chosen by cross-validation)
  so that rare levels and separated classes do not blow up the coefficients;
- :class:`MultinomialPMT`, :class:`BoostedClassPMT` and :class:`ForestClassPMT`
  for data that carry an ordinal welfare class instead of consumption: they
  predict the probability of each class, and P(poor) is the sum over the
  classes in ``poor_classes``.

What ``predict`` returns: classifiers have no welfare in currency to predict.
``predict(X)`` returns the most probable class: for :class:`BinaryPMT` ``True``
(poor, P(poor) >= 0.5) or ``False`` when a poverty line or poor classes are
set, for the class models the predicted welfare class. Their ranking score is
P(poor) (:meth:`predict_poverty_proba`), which comes straight from the model.

The poor flag of :class:`BinaryPMT` is defined, in order, by ``poverty_line``
(y is welfare; poor means y below the line), by ``poor_classes`` (y is a class)
or, with neither, by y itself (two labels; the larger one means poor).

Survey weights enter as a weighted mean loss, ``sum(w * loss) / sum(w)``, so
multiplying all weights by a constant changes nothing and an integer weight is
the same as repeating the row. The ridge penalty of the logit, probit and
multinomial models is, by default, the one of :data:`ALPHA_GRID` with the lowest
cross-validated weighted log loss (folds grouped by ``groups`` when given):
too little penalty makes P(poor) over-confident out of sample.

The penalty acts on numeric proxies (and their squares) per standard deviation,
and on the 0/1 columns of the design matrix (categorical dummies, missing-value
flags) per unit, as they are (:func:`penalty_scaling`). Standardising a dummy
would divide it by its standard deviation, ``sqrt(p (1 - p))`` for a level held
by a share ``p`` of households, and so weaken the penalty on a rare level's
coefficient by the factor ``p (1 - p)``: the rare levels that the penalty is
there to hold back would be the ones it holds back least. On the Costa Rican
benchmark (``benchmarks/costa_rica_pmt.py``, docs/costa_rica.md) standardised
dummies gave an exclusion error of 0.444 for both the multinomial logit and the
logit, against 0.435 and 0.438 with dummies as they are; the multinomial's
penalty then sat at the end of the former grid (0.1), and widening the grid
alone did not help (0.443).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from konsel_analysis.pmt import sharing
from konsel_analysis.pmt.base import PovertyModel, sample_weights, target_vector
from konsel_analysis.pmt.features import ProxyFeatures, checked_frame
from konsel_analysis.pmt.probability import weighted_standardize

#: Ridge penalties tried when ``alpha=None``, per unit of mean weighted loss: 1-2-5
#: steps wide enough that the choice is not stopped by the end of the grid (a
#: model with no signal should be able to shrink to its intercept).
ALPHA_GRID = (1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1, 2e-1, 5e-1, 1.0, 2.0, 5.0, 10.0)
#: Folds of the penalty choice, and the fewest rows per fold to attempt it.
PENALTY_FOLDS = 3
MIN_ROWS_PER_PENALTY_FOLD = 20
#: The penalty when there are too few rows to choose one.
FALLBACK_ALPHA = 1e-2


def penalty_splits(n: int, groups, random_state) -> list | None:
    """Folds for choosing the penalty (grouped when groups are given), or None if too few rows."""
    k = min(PENALTY_FOLDS, n // MIN_ROWS_PER_PENALTY_FOLD)
    if k < 2:
        return None
    if groups is not None and len(np.unique(np.asarray(groups))) >= k:
        cv = GroupKFold(k, shuffle=True, random_state=random_state)
        return sharing.splits(cv, n, np.asarray(groups))
    return sharing.splits(KFold(k, shuffle=True, random_state=random_state), n, None)


def penalty_scaling(
    features: ProxyFeatures, Z: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale of each design column before the ridge: numeric ones by weighted SD.

    Numeric proxies and their squares are divided by their weighted standard
    deviation; dummies and missing-value flags keep scale 1 (see the module
    docstring for why). Every column is centred, which changes nothing but
    the intercept.

    >>> import pandas as pd
    >>> X = pd.DataFrame({"rooms": [0.0, 4.0, 0.0, 4.0], "floor": ["tile"] * 3 + ["earth"]})
    >>> f = ProxyFeatures(min_count=1).fit(X)
    >>> mean, scale = penalty_scaling(f, f.transform(X), np.ones(4))
    >>> mean.tolist(), scale.tolist()
    ([2.0, 0.25], [2.0, 1.0])
    """
    mean, scale = weighted_standardize(Z, w)
    # ProxyFeatures puts numeric proxies, then their squares, before any 0/1 column.
    n_numeric = len(features.numeric_) + len(features.squared_)
    scale = scale.copy()
    scale[n_numeric:] = 1.0
    return mean, scale


def log_loss_sum(event: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    """Weighted sum of the binary log loss."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.sum(w * (event * np.log(p) + (1 - event) * np.log(1 - p))))


def choose_alpha(test_loss, splits) -> float:
    """The alpha of ALPHA_GRID with the lowest summed test loss over the splits."""
    if splits is None:
        return FALLBACK_ALPHA
    losses = [sum(test_loss(alpha, train, test) for train, test in splits) for alpha in ALPHA_GRID]
    return float(ALPHA_GRID[int(np.argmin(losses))])


def _in_classes(y: np.ndarray, classes: Sequence) -> np.ndarray:
    """Membership compared as text, so 1, 1.0 and '1' name the same class."""

    def text(v) -> str:
        return (
            str(int(v)) if isinstance(v, float | np.floating) and float(v).is_integer() else str(v)
        )

    wanted = {text(c) for c in classes}
    return np.array([text(v) in wanted for v in y], dtype=bool)


# --------------------------------------------------------------------------------------
# Binary index models (logit, probit)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexFit:
    """P(event) = F(intercept + Zs @ coef); ``constant`` when one class only was seen."""

    intercept: float
    coef: np.ndarray
    link: str
    constant: float | None = None
    n_iter: int = 0

    def probability(self, Zs: np.ndarray) -> np.ndarray:
        if self.constant is not None:
            return np.full(len(Zs), self.constant)
        eta = self.intercept + Zs @ self.coef
        return special.expit(eta) if self.link == "logit" else special.ndtr(eta)


def _loss_and_gradient(eta: np.ndarray, event: np.ndarray, link: str, is_event=None):
    """Negative log-likelihood per row and its derivative in the index.

    ``is_event`` (``event == 1`` where every event is 0 or 1) lets the probit take one
    log-CDF per row, of the side the row is on, instead of both sides; the result is
    the same to the bit (see :func:`_probit_loss_one_side`).
    """
    if link == "logit":
        return np.logaddexp(0.0, eta) - event * eta, special.expit(eta) - event
    if is_event is not None:
        return _probit_loss_one_side(eta, is_event)
    log_p, log_q = special.log_ndtr(eta), special.log_ndtr(-eta)
    log_pdf = -0.5 * eta**2 - 0.5 * np.log(2 * np.pi)
    loss = -(event * log_p + (1 - event) * log_q)
    grad = -event * np.exp(log_pdf - log_p) + (1 - event) * np.exp(log_pdf - log_q)
    return loss, grad


def _probit_loss_one_side(eta: np.ndarray, is_event: np.ndarray):
    """The probit's loss and gradient for 0/1 events, bit for bit as the two-sided form.

    With ``event`` 1 the two-sided loss is ``-(1 * log_p + 0 * log_q)``: ``0 * log_q``
    is a zero (log_q is finite) and adding it changes no bit, so the loss is
    ``-log_p``; with ``event`` 0 it is ``-log_q``, ``log_q`` being the log-CDF of
    ``-eta``. The gradient likewise is ``-m + 0.0`` (event) or ``m`` (no event), ``m``
    the row's own side's ``exp(log_pdf - log_cdf)``; ``+ 0.0`` keeps the sign of a
    zero as the two-sided sum leaves it.
    """
    log_cdf = special.log_ndtr(np.where(is_event, eta, -eta))
    log_pdf = -0.5 * eta**2 - 0.5 * np.log(2 * np.pi)
    ratio = np.exp(log_pdf - log_cdf)
    return -log_cdf, np.where(is_event, -ratio + 0.0, ratio)


def fit_index_model(
    Zs: np.ndarray,
    event: np.ndarray,
    w: np.ndarray,
    link: str,
    alpha: float,
    max_iter: int = 500,
    start: IndexFit | None = None,
) -> IndexFit:
    """Weighted logit/probit: minimise mean weighted loss + alpha/2 |coef|^2 (not intercept).

    ``start`` (a fit at a nearby penalty) warm-starts the optimiser.
    """
    wn = w / np.sum(w)
    share = float(np.sum(wn * event))
    if share <= 0 or share >= 1:
        return IndexFit(0.0, np.zeros(Zs.shape[1]), link, constant=share)

    zero_one = bool(np.all((event == 0) | (event == 1)))
    is_event = event == 1 if zero_one and link == "probit" else None

    def objective(beta):
        eta = beta[0] + Zs @ beta[1:]
        loss, d = _loss_and_gradient(eta, event, link, is_event)
        g = wn * d
        grad = np.empty_like(beta)  # [d/d intercept, d/d coef], without np.r_'s parsing
        grad[0] = g.sum()
        np.add(Zs.T @ g, alpha * beta[1:], out=grad[1:])
        return float(wn @ loss + 0.5 * alpha * beta[1:] @ beta[1:]), grad

    if start is not None and start.constant is None:
        beta0 = np.r_[start.intercept, start.coef]
    else:
        level = special.logit(share) if link == "logit" else special.ndtri(share)
        beta0 = np.r_[level, np.zeros(Zs.shape[1])]
    result = optimize.minimize(
        objective, beta0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter}
    )
    return IndexFit(float(result.x[0]), result.x[1:], link, n_iter=int(result.nit))


class BinaryPMT(PovertyModel, ClassifierMixin, BaseEstimator):
    """Weighted logit or probit of the poor flag on the proxies.

    Parameters
    ----------
    link : {"logit", "probit"}, default "logit"
    poverty_line, extreme_poverty_line : float, optional
        With a line, y is welfare and poor means y strictly below it.
    poor_classes, extreme_classes : list, optional
        With classes (and no line), y is a class and poor means a class in the list.
    alpha : float, optional
        Ridge penalty per unit of mean loss, on the coefficients of standardised
        numeric proxies and of 0/1 dummies (:func:`penalty_scaling`); by default
        chosen from :data:`ALPHA_GRID` by cross-validated log loss.
    squared, min_count, log1p : see :class:`~konsel_analysis.pmt.features.ProxyFeatures`.
    max_iter : int, default 500

    Attributes
    ----------
    classes_ : array
        ``[False, True]`` (True = poor) with a line or classes; else y's two labels.
    coef_, intercept_ : the poor-flag index on the design columns centred and
        scaled as in :func:`penalty_scaling`; :meth:`original_scale` gives them on
        the columns as they are.
    """

    def __init__(
        self,
        link: str = "logit",
        poverty_line: float | None = None,
        extreme_poverty_line: float | None = None,
        poor_classes: Sequence | None = None,
        extreme_classes: Sequence | None = None,
        alpha: float | None = None,
        squared: Sequence[str] = (),
        min_count: int = 10,
        log1p: str | Sequence[str] | None = None,
        max_iter: int = 500,
        random_state: int = 0,
    ):
        self.link = link
        self.poverty_line = poverty_line
        self.extreme_poverty_line = extreme_poverty_line
        self.poor_classes = poor_classes
        self.extreme_classes = extreme_classes
        self.alpha = alpha
        self.squared = squared
        self.min_count = min_count
        self.log1p = log1p
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit_flag(
        self, Zs: np.ndarray, event: np.ndarray, w: np.ndarray, groups
    ) -> tuple[IndexFit, float]:
        """The index model of one flag, at the given or the cross-validated penalty."""
        alpha = self.alpha
        if alpha is None:
            splits = penalty_splits(len(event), groups, self.random_state)
            alpha = FALLBACK_ALPHA if splits is None else self._cv_alpha(Zs, event, w, splits)
        return fit_index_model(Zs, event, w, self.link, alpha, self.max_iter), alpha

    def _cv_alpha(self, Zs, event, w, splits) -> float:
        """The penalty of lowest cross-validated log loss, warm-starting along the grid."""
        losses = np.zeros(len(ALPHA_GRID))
        for train, test in splits:
            fit = None
            Z_train, event_train, w_train = Zs[train], event[train], w[train]
            Z_test, event_test, w_test = Zs[test], event[test], w[test]
            for i in reversed(range(len(ALPHA_GRID))):  # strong to weak penalty
                fit = fit_index_model(
                    Z_train,
                    event_train,
                    w_train,
                    self.link,
                    ALPHA_GRID[i],
                    self.max_iter,
                    start=fit,
                )
                losses[i] += log_loss_sum(event_test, fit.probability(Z_test), w_test)
        return float(ALPHA_GRID[int(np.argmin(losses))])

    def _flags(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if self.poverty_line is not None:
            welfare = y.astype(float)
            if not np.all(np.isfinite(welfare)):
                raise ValueError("Input y contains NaN or infinity.")
            self.classes_ = np.array([False, True])
            extreme = (
                welfare < self.extreme_poverty_line
                if self.extreme_poverty_line is not None
                else None
            )
            return welfare < self.poverty_line, extreme
        if self.poor_classes is not None:
            self.classes_ = np.array([False, True])
            extreme = (
                _in_classes(y, self.extreme_classes) if self.extreme_classes is not None else None
            )
            return _in_classes(y, self.poor_classes), extreme
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            if len(self.classes_) < 2:
                raise ValueError(
                    "BinaryPMT needs y with 2 classes (poor or not), got 1 class; "
                    "or set poverty_line or poor_classes"
                )
            raise ValueError(
                f"Only binary classification is supported. BinaryPMT needs y with "
                f"2 classes (poor or not), got {len(self.classes_)}; or set "
                "poverty_line or poor_classes"
            )
        return y == self.classes_[1], None

    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit on proxies X; y is welfare, a class, or the poor flag (see the class doc).

        ``groups`` (e.g. villages) keep each group in one fold when the penalty is chosen.
        """
        if self.link not in ("logit", "probit"):
            raise ValueError(f"link must be 'logit' or 'probit', got {self.link!r}")
        frame = checked_frame(self, X, reset=True)
        y = target_vector(self, y, len(frame))
        w = sample_weights(sample_weight, len(frame))
        poor, extreme = self._flags(y)
        Z = self._fit_features(frame, w, source=X)
        self.mean_, self.scale_ = penalty_scaling(self.features_, Z, w)
        Zs = (Z - self.mean_) / self.scale_
        self.poor_model_, self.alpha_ = self._fit_flag(Zs, poor.astype(float), w, groups)
        self.extreme_model_, self.extreme_alpha_ = (
            (None, None)
            if extreme is None
            else self._fit_flag(Zs, extreme.astype(float), w, groups)
        )
        self.coef_ = self.poor_model_.coef
        self.intercept_ = self.poor_model_.intercept
        self.n_iter_ = max(self.poor_model_.n_iter, 1)
        return self

    def _p_poor(self, Z: np.ndarray) -> np.ndarray:
        return self.poor_model_.probability((Z - self.mean_) / self.scale_)

    def original_scale(self) -> tuple[float, np.ndarray]:
        """Intercept and coefficients of the poor-flag index on the design columns as they
        are (not centred or scaled): ``intercept + Z @ coef`` is the fitted index.

        The fit runs on centred numeric columns divided by their weighted SD (so the
        optimiser and the ridge see comparable scales); ``coef_`` is on that scale.
        This maps it back, ``coef / scale`` and ``intercept - (coef / scale) @ mean``,
        for coefficient tables, scorecards and reason codes in the proxies' own units.
        """
        check_is_fitted(self, "poor_model_")
        model = self.poor_model_
        if model.constant is not None:
            share = np.clip(model.constant, 1e-12, 1 - 1e-12)
            level = special.logit(share) if model.link == "logit" else special.ndtri(share)
            return float(level), np.zeros(len(self.scale_))
        coef = model.coef / self.scale_
        return float(model.intercept - coef @ self.mean_), coef

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of ``classes_``: [P(not poor), P(poor)]."""
        Z, _ = self._design(X)
        p = self._p_poor(Z)
        return np.column_stack([1 - p, p])

    def decision_function(self, X) -> np.ndarray:
        Z, _ = self._design(X)
        model = self.poor_model_
        if model.constant is not None:
            return np.full(len(Z), special.logit(np.clip(model.constant, 1e-12, 1 - 1e-12)))
        return model.intercept + ((Z - self.mean_) / self.scale_) @ model.coef

    def predict(self, X) -> np.ndarray:
        """The predicted class: poor (``classes_[1]``) when P(poor) >= 0.5."""
        poor = self.predict_proba(X)[:, 1] >= 0.5
        return self.classes_[poor.astype(int)]

    def _has_extreme(self) -> bool:
        return getattr(self, "extreme_model_", None) is not None

    def _poverty_probabilities(self, Z):
        p_extreme = (
            self.extreme_model_.probability((Z - self.mean_) / self.scale_)
            if self._has_extreme()
            else None
        )
        return self._p_poor(Z), p_extreme

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


# --------------------------------------------------------------------------------------
# Ordinal welfare classes
# --------------------------------------------------------------------------------------


class _ClassPMT(PovertyModel, ClassifierMixin, BaseEstimator):
    """Predict the welfare class; P(poor) sums the probabilities of the poor classes."""

    def _learner(self, Zin: np.ndarray, y: np.ndarray, w: np.ndarray, groups):
        """The unfitted learner (it may look at the training data to choose a penalty)."""
        raise NotImplementedError

    def _learner_weights(self, w: np.ndarray) -> np.ndarray:
        return w * (len(w) / np.sum(w))

    def _standardize(self) -> bool:
        return False

    def _threads(self):
        """A context that caps the learner's threads (none by default)."""
        return nullcontext()

    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit on proxies X and welfare classes y; ``groups`` group the penalty's folds."""
        frame = checked_frame(self, X, reset=True)
        y = target_vector(self, y, len(frame))
        check_classification_targets(y)
        w = sample_weights(sample_weight, len(frame))
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs y with at least 2 classes, "
                f"got {len(self.classes_)} class"
            )
        Z = self._fit_features(frame, w, source=X)
        self.mean_, self.scale_ = penalty_scaling(self.features_, Z, w)
        Zin = self._input(Z)
        with self._threads():
            learner = self._learner(Zin, y, w, groups)
            self.model_ = learner.fit(Zin, y, sample_weight=self._learner_weights(w))
        if "n_jobs" in self.model_.get_params():
            # Predict on one thread: a forest's threads add the trees up in whichever
            # order they finish, which changes the last bits and so the outputs' bytes.
            self.model_.set_params(n_jobs=1)
        if hasattr(self.model_, "n_iter_"):
            self.n_iter_ = self.model_.n_iter_
        return self

    def _input(self, Z: np.ndarray) -> np.ndarray:
        return (Z - self.mean_) / self.scale_ if self._standardize() else Z

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class in ``classes_``."""
        Z, _ = self._design(X)
        return self._proba(Z)

    def _proba(self, Z: np.ndarray) -> np.ndarray:
        with self._threads():
            return self.model_.predict_proba(self._input(Z))

    def predict(self, X) -> np.ndarray:
        """The most probable welfare class."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def _has_extreme(self) -> bool:
        return self.extreme_classes is not None

    def _poverty_probabilities(self, Z):
        if self.poor_classes is None:
            raise ValueError(f"{type(self).__name__} needs poor_classes to predict P(poor)")
        check_is_fitted(self, "model_")
        proba = self._proba(Z)
        p_poor = proba[:, _in_classes(self.classes_, self.poor_classes)].sum(axis=1)
        p_extreme = (
            proba[:, _in_classes(self.classes_, self.extreme_classes)].sum(axis=1)
            if self._has_extreme()
            else None
        )
        return p_poor, p_extreme

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


class MultinomialPMT(_ClassPMT):
    """Multinomial logit of the welfare class on the proxies (weighted, ridge).

    ``alpha`` is the ridge penalty per unit of mean weighted loss, on the
    coefficients of standardised numeric proxies and of 0/1 dummies, as in
    :class:`BinaryPMT` (scikit-learn's ``C`` is ``1 / alpha`` with weights that
    sum to one, or ``1 / (alpha n)`` with unit weights on ``n`` rows); by
    default it is chosen from :data:`ALPHA_GRID` by cross-validated weighted
    log loss, learned as ``alpha_``.
    """

    def __init__(
        self,
        poor_classes: Sequence | None = None,
        extreme_classes: Sequence | None = None,
        alpha: float | None = None,
        squared: Sequence[str] = (),
        min_count: int = 10,
        log1p: str | Sequence[str] | None = None,
        max_iter: int = 1000,
        random_state: int = 0,
    ):
        self.poor_classes = poor_classes
        self.extreme_classes = extreme_classes
        self.alpha = alpha
        self.squared = squared
        self.min_count = min_count
        self.log1p = log1p
        self.max_iter = max_iter
        self.random_state = random_state

    def _standardize(self) -> bool:
        return True

    def _learner_weights(self, w):
        return w / np.sum(w)

    def _logistic(self, alpha: float) -> LogisticRegression:
        return LogisticRegression(C=1.0 / alpha, max_iter=self.max_iter)

    def _learner(self, Zin, y, w, groups):
        alpha = self.alpha
        if alpha is None:

            def test_loss(a, train, test):
                model = self._logistic(a).fit(
                    Zin[train], y[train], sample_weight=self._learner_weights(w[train])
                )
                p = np.clip(model.predict_proba(Zin[test]), 1e-12, 1.0)
                column = np.searchsorted(model.classes_, y[test])
                seen = np.isin(y[test], model.classes_)
                p_true = np.where(
                    seen,
                    p[np.arange(len(test)), np.minimum(column, len(model.classes_) - 1)],
                    1e-12,
                )
                return float(-np.sum(w[test] * np.log(p_true)))

            alpha = choose_alpha(test_loss, penalty_splits(len(y), groups, self.random_state))
        self.alpha_ = alpha
        return self._logistic(alpha)


class BoostedClassPMT(_ClassPMT):
    """Histogram gradient-boosted classifier of the welfare class, survey weights in fit.

    ``n_threads`` caps the OpenMP threads, as in
    :class:`~konsel_analysis.pmt.estimators.GradientBoostingPMT`.
    """

    def __init__(
        self,
        poor_classes: Sequence | None = None,
        extreme_classes: Sequence | None = None,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        squared: Sequence[str] = (),
        min_count: int = 10,
        n_threads: int | None = 1,
        random_state: int = 0,
    ):
        self.poor_classes = poor_classes
        self.extreme_classes = extreme_classes
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.squared = squared
        self.min_count = min_count
        self.n_threads = n_threads
        self.random_state = random_state

    def _threads(self):
        return threadpool_limits(limits=self.n_threads, user_api="openmp")

    def _learner(self, Zin, y, w, groups):
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )


class ForestClassPMT(_ClassPMT):
    """Random-forest classifier of the welfare class, survey weights in fit."""

    def __init__(
        self,
        poor_classes: Sequence | None = None,
        extreme_classes: Sequence | None = None,
        n_estimators: int = 200,
        max_depth: int | None = 12,
        min_samples_leaf: int = 5,
        max_features: float | str = "sqrt",
        squared: Sequence[str] = (),
        min_count: int = 10,
        n_jobs: int | None = 2,
        random_state: int = 0,
    ):
        self.poor_classes = poor_classes
        self.extreme_classes = extreme_classes
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.squared = squared
        self.min_count = min_count
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _learner(self, Zin, y, w, groups):
        return RandomForestClassifier(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )
