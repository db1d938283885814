"""Honest validation: K-fold cross-validation grouped by cluster, every estimator, one winner.

Households are split into K folds that never split a cluster (a desa in the
Konsel survey), stratified so that each fold holds a similar share of poor
households (scikit-learn's ``StratifiedGroupKFold``). Each estimator is fitted
K times on K-1 folds, with survey weights, and predicts the held-out fold; the
pooled out-of-sample predictions are then judged with the same weights:

- ``r2``: weighted R² of log welfare (regressions only);
- ``auc``: weighted AUC of the ranking score for the poor flag;
- ``at_line``: select households whose predicted welfare is below the poverty
  line (classifiers: P(poor) >= 0.5);
- ``at_rate``: select the poorest weighted share equal to the poverty rate,
  ranked by predicted welfare (classifiers: by P(poor)).

The ``best`` estimator has the lowest exclusion error at the poverty rate (the
error that matters when a quota of beneficiaries is fixed), ties going to the
higher AUC. A cluster bootstrap of the out-of-sample predictions says whether
the winner's lead is larger than sampling noise.

One estimator that fails never takes the others down: every fit of every fold
is watched (:func:`cross_fit`), and an exception, a solver that does not
converge or a prediction that is not a finite number makes that estimator
``failed``, with the fold and a one-sentence reason; the best is chosen among
those that worked. Only when every estimator fails does the run stop.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedGroupKFold
from threadpoolctl import threadpool_limits

from konsel_analysis.datasets import Dataset, DatasetError
from konsel_analysis.pmt import metrics, sharing
from konsel_analysis.pmt.base import P_EXTREME, P_POOR
from konsel_analysis.pmt.classifiers import (
    BinaryPMT,
    BoostedClassPMT,
    ForestClassPMT,
    MultinomialPMT,
)
from konsel_analysis.pmt.estimators import (
    GradientBoostingPMT,
    LinearPMT,
    PovertyWeightedPMT,
    QuantilePMT,
    RandomForestPMT,
)

#: The linear model whose coefficients and scorecard are published.
LINEAR_MODEL = "wls"
BOOTSTRAP_REPLICATES = 200


def default_estimators(dataset: Dataset, random_state: int = 0) -> dict[str, BaseEstimator]:
    """The estimators validated for a dataset, by name, configured from its config."""
    squared = dataset.config.squared
    log1p = _log1p_setting(dataset)
    if dataset.mode == "class":
        classes = {
            "poor_classes": list(dataset.config.poor_classes),
            "extreme_classes": (
                list(dataset.config.extreme_poor_classes)
                if dataset.config.extreme_poor_classes
                else None
            ),
        }
        return {
            "logit": BinaryPMT("logit", squared=squared, log1p=log1p, **classes),
            "probit": BinaryPMT("probit", squared=squared, log1p=log1p, **classes),
            "multinomial_logit": MultinomialPMT(squared=squared, log1p=log1p, **classes),
            "gradient_boosting": BoostedClassPMT(
                squared=squared, random_state=random_state, **classes
            ),
            "random_forest": ForestClassPMT(squared=squared, random_state=random_state, **classes),
        }
    lines = {
        "poverty_line": dataset.poverty_line,
        "extreme_poverty_line": dataset.extreme_poverty_line,
    }
    linear = {"squared": squared, "log1p": log1p, **lines}
    return {
        "wls": LinearPMT(random_state=random_state, **linear),
        "wls_stepwise": LinearPMT(selection="stepwise", random_state=random_state, **linear),
        "wls_lasso": LinearPMT(selection="lasso", random_state=random_state, **linear),
        "quantile": QuantilePMT(residual_folds=3, random_state=random_state, **linear),
        "poverty_weighted": PovertyWeightedPMT(random_state=random_state, **linear),
        "logit": BinaryPMT("logit", **linear),
        "probit": BinaryPMT("probit", **linear),
        "gradient_boosting": GradientBoostingPMT(
            squared=squared, random_state=random_state, **lines
        ),
        "random_forest": RandomForestPMT(squared=squared, random_state=random_state, **lines),
    }


def _log1p_setting(dataset: Dataset) -> str | list[str] | None:
    """The config's ``transform`` as the linear estimators' ``log1p`` parameter (trees are
    unchanged by a monotone transform, so they take the proxies as they are)."""
    setting = dataset.config.log1p
    return list(setting) if isinstance(setting, tuple) else setting


def select_estimators(
    estimators: dict[str, BaseEstimator], left_out: Sequence[str] = ()
) -> tuple[dict[str, BaseEstimator], list[str]]:
    """The estimators to compare without those named in ``left_out``, and the names left out.

    Names in ``left_out`` that are not among ``estimators`` (e.g. ``quantile`` for a
    dataset with welfare classes) are ignored.

    >>> chosen, skipped = select_estimators({"wls": None, "quantile": None}, ["quantile"])
    >>> list(chosen), skipped
    (['wls'], ['quantile'])
    """
    skipped = [name for name in estimators if name in set(left_out)]
    chosen = {name: e for name, e in estimators.items() if name not in skipped}
    if not chosen:
        raise DatasetError(f"no PMT estimator left to compare after leaving out {skipped}")
    return chosen, skipped


def grouped_folds(
    is_poor: np.ndarray, cluster: np.ndarray, n_folds: int, random_state: int = 0
) -> np.ndarray:
    """Fold number (0..K-1) of each household; a cluster is never split between folds."""
    codes = pd.factorize(pd.Series(cluster, dtype=object))[0]
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    fold = np.full(len(codes), -1, dtype=np.int64)
    dummy = np.zeros((len(codes), 1))
    for k, (_, test) in enumerate(splitter.split(dummy, np.asarray(is_poor, dtype=int), codes)):
        fold[test] = k
    return fold


@dataclass
class OutOfSample:
    """Pooled out-of-sample predictions of one estimator."""

    name: str
    is_regression: bool
    p_poor: np.ndarray
    p_extreme: np.ndarray | None
    predicted_welfare: np.ndarray | None = None

    @property
    def ranking_score(self) -> np.ndarray:
        """Lower is poorer: predicted welfare for regressions, -P(poor) for classifiers."""
        return self.predicted_welfare if self.is_regression else -self.p_poor

    def selected_at_line(self, poverty_line: float | None) -> np.ndarray:
        if self.is_regression:
            return metrics.select_at_line(self.predicted_welfare, poverty_line)
        return self.p_poor >= 0.5


class EstimatorFailedError(Exception):
    """An estimator failed on one fold: it raised, did not converge or predicted non-numbers."""


def _one_sentence(err: BaseException) -> str:
    """An exception as one short sentence: its type and the first line of its text."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _fit_fold(estimator, dataset: Dataset, train: np.ndarray, test: np.ndarray):
    """Fit on ``train`` and predict ``test``; any failure becomes :class:`EstimatorFailedError`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("error", ConvergenceWarning)
            out = _fit_predict(estimator, dataset, train, test)
    except ConvergenceWarning as warning:
        why = f"its solver did not converge ({_one_sentence(warning)})"
        raise EstimatorFailedError(why) from None
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as err:  # noqa: BLE001 - any estimator error is that estimator's failure
        raise EstimatorFailedError(f"it raised {_one_sentence(err)}") from None
    for label, values in zip(("P(poor)", "P(extreme poor)", "predicted welfare"), out, strict=True):
        if values is not None and not np.all(np.isfinite(values)):
            bad = int(np.sum(~np.isfinite(values)))
            raise EstimatorFailedError(f"it predicted {bad:,} non-finite {label} value(s)")
    return out


def _fit_predict(estimator, dataset: Dataset, train: np.ndarray, test: np.ndarray):
    model = clone(estimator)
    model.fit(
        sharing.rows_of(dataset.X, train),
        dataset.y[train],
        sample_weight=dataset.weight[train],
        groups=dataset.cluster[train],
    )
    X_test = sharing.rows_of(dataset.X, test)
    proba = model.predict_poverty_proba(X_test)
    welfare = model.predict(X_test) if is_regressor(model) else None
    extreme = proba[P_EXTREME].to_numpy() if P_EXTREME in proba else None
    return proba[P_POOR].to_numpy(), extreme, welfare


def cross_fit(estimator, dataset: Dataset, fold: np.ndarray, name: str = "") -> OutOfSample:
    """Fit on all folds but one, predict the one left out, for every fold.

    Raises :class:`EstimatorFailedError` naming the first fold on which the estimator
    raised, did not converge or predicted a non-finite value: pooled predictions
    with a fold missing cannot be compared with the others'.
    """
    n = dataset.n
    regression = is_regressor(estimator)
    p_poor = np.full(n, np.nan)
    p_extreme = np.full(n, np.nan) if dataset.is_extreme_poor is not None else None
    welfare = np.full(n, np.nan) if regression else None
    for k in np.unique(fold):
        test, train = np.flatnonzero(fold == k), np.flatnonzero(fold != k)
        try:
            pp, pe, wf = _fit_fold(estimator, dataset, train, test)
        except EstimatorFailedError as failure:
            where = f"on fold {k + 1} of {len(np.unique(fold))}"
            raise EstimatorFailedError(f"{where} {failure}") from None
        p_poor[test] = pp
        if p_extreme is not None:
            p_extreme[test] = pe if pe is not None else np.nan
        if welfare is not None:
            welfare[test] = wf
    if p_extreme is not None and np.isnan(p_extreme).all():
        p_extreme = None
    return OutOfSample(name, regression, p_poor, p_extreme, welfare)


def estimator_metrics(oos: OutOfSample, dataset: Dataset) -> dict:
    """The validation.json entry of one estimator."""
    w, poor = dataset.weight, dataset.is_poor
    r2 = None
    if oos.is_regression and dataset.mode == "welfare":
        r2 = metrics.weighted_r2(np.log(dataset.y), np.log(oos.predicted_welfare), w)
    at_rate = metrics.select_at_rate(oos.ranking_score, w, dataset.poverty_rate)
    return {
        "status": "ok",
        "r2": r2,
        "auc": metrics.weighted_auc(poor, -oos.ranking_score, w),
        "at_line": metrics.targeting_errors(poor, oos.selected_at_line(dataset.poverty_line), w),
        "at_rate": metrics.targeting_errors(poor, at_rate, w),
    }


def diagnostics(oos: OutOfSample, dataset: Dataset, fold: np.ndarray) -> dict:
    """What the model card adds: AUC of P(poor), Brier score, calibration in the large, folds."""
    w, poor = dataset.weight, dataset.is_poor
    out = {
        "auc_p_poor": metrics.weighted_auc(poor, oos.p_poor, w),
        "brier_p_poor": metrics.weighted_mean((oos.p_poor - poor) ** 2, w),
        "mean_p_poor": metrics.weighted_mean(oos.p_poor, w),
        "fold_exclusion_error_at_rate": [],
    }
    if oos.p_extreme is not None and dataset.is_extreme_poor is not None:
        out["auc_p_extreme_poor"] = metrics.weighted_auc(dataset.is_extreme_poor, oos.p_extreme, w)
        out["mean_p_extreme_poor"] = metrics.weighted_mean(oos.p_extreme, w)
    for k in np.unique(fold):
        m = fold == k
        sel = metrics.select_at_rate(oos.ranking_score[m], w[m], dataset.poverty_rate)
        out["fold_exclusion_error_at_rate"].append(
            metrics.targeting_errors(poor[m], sel, w[m])["exclusion_error"]
        )
    return out


def _finite(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def rank_estimators(results: dict[str, dict]) -> list[str]:
    """Names from best to worst: exclusion error at the rate, then AUC, then name."""

    def key(name: str):
        excl = _finite(results[name]["at_rate"]["exclusion_error"])
        auc = _finite(results[name]["auc"])
        return (np.inf if excl is None else round(excl, 12), np.inf if auc is None else -auc, name)

    return sorted(results, key=key)


def choose_best(results: dict[str, dict]) -> tuple[str, str]:
    """The best estimator and why: lowest exclusion error at the poverty rate, ties by AUC."""
    ranked = rank_estimators(results)
    best = ranked[0]
    excl = _finite(results[best]["at_rate"]["exclusion_error"])
    reason = (
        f"{best} has the lowest out-of-sample exclusion error when the poorest share "
        f"of households equal to the poverty rate is selected "
        f"({'undefined' if excl is None else f'{excl:.3f}'})"
    )
    if len(ranked) > 1:
        runner = ranked[1]
        excl2 = _finite(results[runner]["at_rate"]["exclusion_error"])
        reason += f"; next is {runner} ({'undefined' if excl2 is None else f'{excl2:.3f}'})"
        if excl is not None and excl2 is not None and round(excl, 12) == round(excl2, 12):
            reason += ", a tie that the higher AUC breaks"
    return best, reason


def bootstrap_lead(
    best: OutOfSample,
    runner: OutOfSample,
    dataset: Dataset,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = 0,
) -> dict:
    """Cluster bootstrap of the runner-up's minus the winner's exclusion error at the rate.

    Clusters are drawn with replacement; a household's weight is multiplied by
    the number of times its cluster is drawn, and both selections are redone.
    """
    rng = np.random.default_rng(seed)
    codes, uniques = pd.factorize(pd.Series(dataset.cluster, dtype=object))
    diffs = np.empty(replicates)
    for b in range(replicates):
        times = np.bincount(rng.integers(0, len(uniques), len(uniques)), minlength=len(uniques))
        w = dataset.weight * times[codes]
        rate = metrics.weighted_mean(dataset.is_poor, w)
        errors = [
            metrics.targeting_errors(
                dataset.is_poor, metrics.select_at_rate(o.ranking_score, w, rate), w
            )["exclusion_error"]
            for o in (runner, best)
        ]
        diffs[b] = errors[0] - errors[1]
    diffs = diffs[np.isfinite(diffs)]
    return {
        "runner_up": runner.name,
        "replicates": int(len(diffs)),
        "lead_mean": float(np.mean(diffs)) if len(diffs) else None,
        "lead_std_err": float(np.std(diffs, ddof=1)) if len(diffs) > 1 else None,
        "share_replicates_best_ahead": float(np.mean(diffs > 0)) if len(diffs) else None,
    }


@dataclass
class ValidationResult:
    """Everything ``konsel validate-pmt`` writes."""

    dataset: Dataset
    folds: int
    seed: int
    fold: np.ndarray
    predictions: dict[str, OutOfSample]
    results: dict[str, dict]
    diagnostics: dict[str, dict]
    best: str
    best_reason: str
    bootstrap: dict | None
    error_curves: pd.DataFrame
    reliability: pd.DataFrame
    linear_model: LinearPMT | None
    failures: dict[str, str] = field(default_factory=dict)  # name: one-sentence reason
    left_out: list[str] = field(default_factory=list)  # default estimators not compared
    compared: list[str] = field(default_factory=list)  # every estimator tried, in order
    linear_failure: str | None = None  # why the published linear model could not be fitted
    estimators: dict[str, BaseEstimator] = field(default_factory=dict)  # as compared
    points_failure: str | None = None  # why there is no points scorecard, if none

    def estimator_entries(self) -> dict[str, dict]:
        """Every compared estimator in the order compared: the metrics of those that
        worked (``status`` "ok"), ``{"status": "failed", "reason": ...}`` for the others."""
        failed = {name: {"status": "failed", "reason": why} for name, why in self.failures.items()}
        order = self.compared or [*self.results, *failed]
        return {name: self.results.get(name) or failed[name] for name in order}

    def validation_json(self) -> dict:
        """The stable contract: n, poverty_line, poverty_rate, folds, estimators, best.

        ``estimators.NAME.status`` is "ok" or "failed" (then with ``reason``, one sentence).
        """
        return {
            "n": int(self.dataset.n),
            "poverty_line": self.dataset.poverty_line,
            "poverty_rate": self.dataset.poverty_rate,
            "folds": int(self.folds),
            "estimators": self.estimator_entries(),
            "best": self.best,
        }


def _curves_and_reliability(
    predictions: dict[str, OutOfSample], dataset: Dataset
) -> tuple[pd.DataFrame, pd.DataFrame]:
    curves, tables = [], []
    for name, oos in predictions.items():
        curve = metrics.error_curve(dataset.is_poor, oos.ranking_score, dataset.weight)
        curves.append(curve.assign(estimator=name))
        targets = [("poor", dataset.is_poor, oos.p_poor)]
        if oos.p_extreme is not None and dataset.is_extreme_poor is not None:
            targets.append(("extreme_poor", dataset.is_extreme_poor, oos.p_extreme))
        for target, event, p in targets:
            table = metrics.reliability_table(event, p, dataset.weight)
            tables.append(table.assign(estimator=name, target=target))
    curve_cols = ["estimator", "coverage_target", "coverage", "exclusion_error", "inclusion_error"]
    rel_cols = [
        "estimator",
        "target",
        "bin",
        "n",
        "weight_share",
        "mean_predicted",
        "observed_rate",
    ]
    return (
        pd.concat(curves, ignore_index=True)[curve_cols],
        pd.concat(tables, ignore_index=True)[rel_cols],
    )


def fit_linear_model(dataset: Dataset, random_state: int = 0) -> LinearPMT:
    """The published linear PMT: WLS on all households, cluster-robust SE when clustered."""
    model = LinearPMT(
        poverty_line=dataset.poverty_line,
        extreme_poverty_line=dataset.extreme_poverty_line,
        squared=dataset.config.squared,
        log1p=_log1p_setting(dataset),
        random_state=random_state,
        cov_type="cluster" if dataset.config.cluster else "HC1",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return model.fit(dataset.X, dataset.y, sample_weight=dataset.weight, groups=dataset.cluster)


def _linear_or_failure(dataset: Dataset, random_state: int) -> tuple[LinearPMT | None, str | None]:
    """The published linear model, or why it could not be fitted on all households."""
    if dataset.mode != "welfare":
        return None, None
    try:
        model = fit_linear_model(dataset, random_state)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as err:  # noqa: BLE001 - the validation stands without the linear model
        return None, f"the linear model on all households raised {_one_sentence(err)}"
    if not (np.isfinite(model.intercept_) and np.all(np.isfinite(model.coef_))):
        return None, "the linear model on all households has non-finite coefficients"
    return model, None


def _check_folds(dataset: Dataset, folds: int) -> None:
    if folds < 2:
        raise DatasetError(f"--folds must be at least 2, got {folds}")
    n_clusters = len(np.unique(dataset.cluster))
    unit = (
        f"clusters in column {dataset.config.cluster!r}" if dataset.config.cluster else "households"
    )
    if n_clusters < folds:
        raise DatasetError(
            f"{dataset.data_path}: only {n_clusters} {unit}, fewer than the "
            f"{folds} folds asked for; lower --folds"
        )
    if int(dataset.is_poor.sum()) < folds:
        raise DatasetError(
            f"{dataset.data_path}: only {int(dataset.is_poor.sum())} poor "
            f"household(s), fewer than the {folds} folds; lower --folds or "
            "give more data"
        )


def validate_pmt(
    dataset: Dataset,
    folds: int = 5,
    seed: int = 0,
    estimators: dict[str, BaseEstimator] | None = None,
    left_out: Sequence[str] = (),
) -> ValidationResult:
    """Cross-validate every estimator on a dataset and choose the best.

    ``estimators`` defaults to :func:`default_estimators`; those named in
    ``left_out`` are not compared, and the result says which they were. An
    estimator that fails on a fold (an exception, e.g. a fold without poor
    households; a solver that does not converge; a non-finite prediction) is
    reported in ``failures`` with a one-sentence reason and the best is chosen
    among the others; it is a :class:`DatasetError` (one line) if all fail.
    """
    _check_folds(dataset, folds)
    estimators = estimators if estimators is not None else default_estimators(dataset, seed)
    estimators, skipped = select_estimators(estimators, left_out)
    fold = grouped_folds(dataset.is_poor, dataset.cluster, folds, seed)
    predictions, failures = {}, {}
    # Small matrices: threaded BLAS only contends for cores (RF uses its own n_jobs).
    # The estimators share their design matrices and inner folds (pmt/sharing.py).
    with threadpool_limits(limits=1, user_api="blas"), sharing.shared_work():
        for name, estimator in estimators.items():
            try:
                predictions[name] = cross_fit(estimator, dataset, fold, name)
            except EstimatorFailedError as failure:
                failures[name] = f"{name} failed {failure}"
        if not predictions:
            first, why = next(iter(failures.items()))
            raise DatasetError(
                f"{dataset.data_path}: every PMT estimator failed on this table (e.g. {why}); "
                "check the proxies in the dataset config (constant or near-duplicate columns, "
                "extreme values) or lower --folds"
            )
        linear, linear_failure = _linear_or_failure(dataset, seed)
    results = {name: estimator_metrics(oos, dataset) for name, oos in predictions.items()}
    best, reason = choose_best(results)
    ranked = rank_estimators(results)
    runner = ranked[1] if len(ranked) > 1 else None
    boot = (
        bootstrap_lead(predictions[best], predictions[runner], dataset, seed=seed)
        if runner
        else None
    )
    curves, reliability = _curves_and_reliability(predictions, dataset)
    return ValidationResult(
        dataset=dataset,
        folds=folds,
        seed=seed,
        fold=fold,
        predictions=predictions,
        results=results,
        diagnostics={n: diagnostics(o, dataset, fold) for n, o in predictions.items()},
        best=best,
        best_reason=reason,
        bootstrap=boot,
        error_curves=curves,
        reliability=reliability,
        linear_model=linear,
        failures=failures,
        left_out=skipped,
        compared=list(estimators),
        linear_failure=linear_failure,
        estimators=estimators,
    )
