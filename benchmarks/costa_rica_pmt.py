"""Benchmark: the PMT estimators on the real Costa Rican household data (IDB challenge, 2018).

Not a test: the data are not in this repository. It builds the household table
with ``benchmarks/costa_rica_households.py``, reads it through the dataset config
(``konsel_analysis/configs/costa_rica.yml``, as ``konsel validate-pmt`` does),
and cross-validates the package's own estimators with the package's own
validation code (:mod:`konsel_analysis.pmt.validation`): the folds of
``grouped_folds`` (here one household per group, stratified by the poor flag),
``estimator_metrics`` for AUC and the targeting errors, ``diagnostics`` for the
per-fold errors. Per estimator, household level, pooled over the out-of-fold
predictions of one K-fold run:

- macro-F1 over the 4 welfare classes of the predicted class, the argmax of the
  class probabilities (n/a for the logit and probit of the poor flag, which have
  no class probabilities);
- exclusion error at coverage = the poverty rate (``at_rate``): the households
  with the highest out-of-fold P(poor) are selected until the selected share
  equals the poverty rate (664 of 2,988), and the error is the share of the poor
  (classes 1-2) not selected. Since as many are selected as are poor, it also
  equals the inclusion error;
- AUC of P(poor) for the poor flag.

The K-fold run is repeated with different shuffles (fold seeds 0, 1, ...);
the table gives the mean over repetitions ± its standard error. That standard
error measures the noise of the fold assignment only: the sampling uncertainty
of an exclusion error measured on 664 poor households is larger (about 0.02;
a household bootstrap of the best estimator's error is printed as well).

Nothing is tuned on the test folds: the ridge penalties of the logit, probit
and multinomial models are chosen inside each training fold by the estimators'
own cross-validated log loss. One exception is labelled as such:
``gradient_boosting_shallow`` uses settings that a colleague picked on this
same data (docs/costa_rica.md), so its figure is slightly optimistic.

    .venv/bin/python benchmarks/costa_rica_pmt.py [RAW_CSV] [--repeats 5] [--folds 5]
        [--out benchmarks/results/costa_rica_pmt.json]

RAW_CSV defaults to the first that exists of ``$KONSEL_COSTA_RICA_RAW``,
``data/raw/costa_rica/households_raw.csv`` (git-ignored) and
``../shared/data/costa_rica/households_raw.csv`` beside the checkout.

Threads are capped at one (threadpoolctl and the estimators' own settings):
the machine is shared. A full run takes about 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.metrics import f1_score
from threadpoolctl import threadpool_limits

from konsel_analysis.datasets import Dataset, load_dataset
from konsel_analysis.paths import CONFIGS_DIR, project_paths, project_root
from konsel_analysis.pmt import metrics
from konsel_analysis.pmt import validation as pmt_validation
from konsel_analysis.pmt.base import P_EXTREME, P_POOR

sys.path.insert(0, str(Path(__file__).resolve().parent))
from costa_rica_households import load_costa_rica_households  # noqa: E402

RAW_NAME = "households_raw.csv"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "costa_rica_pmt.json"
CONFIG = CONFIGS_DIR / "costa_rica.yml"
#: The published training file (docs/costa_rica.md, the data's README).
EXPECTED_MD5 = "a60e913ff4e84b121780c3b52a807ebe"
#: Issue 3: the best estimator's exclusion error at coverage = poverty rate.
TARGET_EXCLUSION_ERROR = 0.42
#: Household-bootstrap replicates for the sampling uncertainty of the best estimator.
BOOTSTRAP_REPLICATES = 500

#: Settings picked by a colleague on this same data (docs/costa_rica.md, "HGB tuned",
#: less its max_depth=4, which BoostedClassPMT does not take: 8 leaves keep trees small).
#: Not a nested choice, so the figure they give is slightly optimistic.
SHALLOW_BOOSTING = {
    "learning_rate": 0.03,
    "max_iter": 250,
    "max_leaf_nodes": 8,
    "min_samples_leaf": 40,
    "l2_regularization": 5.0,
}
#: The class models whose class probabilities the ensemble averages, equal weights.
ENSEMBLE_MEMBERS = ("multinomial_logit", "gradient_boosting", "random_forest")
ENSEMBLE = "ensemble_mean"

NOTES = {
    "logit": "poor flag only, ridge chosen by CV log loss in the training folds",
    "probit": "poor flag only, ridge chosen by CV log loss in the training folds",
    "multinomial_logit": "ridge chosen by CV log loss in the training folds",
    "gradient_boosting": "package defaults",
    "random_forest": "package defaults (n_jobs=1)",
    "gradient_boosting_shallow": "settings picked on this data by a colleague: optimistic",
    ENSEMBLE: "mean class probabilities of " + ", ".join(ENSEMBLE_MEMBERS) + " (no tuning)",
}


def raw_candidates() -> list[Path]:
    """Where the file is looked for, in order, as in tests/test_costa_rica.py, then issue 3's."""
    env = os.environ.get("KONSEL_COSTA_RICA_RAW")
    return [
        *([Path(env)] if env else []),
        project_paths().raw / "costa_rica" / RAW_NAME,  # git-ignored
        project_root().parent / "shared" / "data" / "costa_rica" / RAW_NAME,  # beside the checkout
    ]


@dataclass
class Predictions:
    """Out-of-fold predictions of one estimator in one repetition."""

    p_poor: np.ndarray
    p_extreme: np.ndarray | None
    class_proba: np.ndarray | None  # columns = welfare classes, None without class probabilities
    alphas: list


def benchmark_estimators(dataset: Dataset, seed: int) -> dict:
    """The estimators ``konsel validate-pmt`` runs on class data, and the shallow booster."""
    estimators = pmt_validation.default_estimators(dataset, random_state=seed)
    estimators["random_forest"].set_params(n_jobs=1)  # same trees; the machine is shared
    estimators["gradient_boosting_shallow"] = clone(estimators["gradient_boosting"]).set_params(
        **SHALLOW_BOOSTING
    )
    return estimators


def cross_fit_classes(
    estimator, dataset: Dataset, fold: np.ndarray, classes: np.ndarray
) -> Predictions:
    """:func:`konsel_analysis.pmt.validation.cross_fit`, keeping the class probabilities too.

    Each fold's model is fitted exactly as ``cross_fit`` fits it (same clone,
    weights and groups), so P(poor) is the same; the class probabilities are
    kept for macro-F1, which ``cross_fit`` does not need.
    """
    n = dataset.n
    p_poor, p_extreme = np.full(n, np.nan), np.full(n, np.nan)
    proba = None
    alphas = []
    for k in np.unique(fold):
        test, train = np.flatnonzero(fold == k), np.flatnonzero(fold != k)
        model = clone(estimator)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model.fit(
                dataset.X.iloc[train],
                dataset.y[train],
                sample_weight=dataset.weight[train],
                groups=dataset.cluster[train],
            )
        X_test = dataset.X.iloc[test]
        table = model.predict_poverty_proba(X_test)
        p_poor[test] = table[P_POOR].to_numpy()
        if P_EXTREME in table:
            p_extreme[test] = table[P_EXTREME].to_numpy()
        alphas.append(getattr(model, "alpha_", None))
        if np.array_equal(np.asarray(model.classes_), classes):
            proba = np.full((n, len(classes)), np.nan) if proba is None else proba
            proba[test] = model.predict_proba(X_test)
    return Predictions(p_poor, None if np.isnan(p_extreme).all() else p_extreme, proba, alphas)


def ensemble(members: list[Predictions]) -> Predictions:
    """Equal-weight mean of the members' class probabilities (and so of their P(poor))."""
    extremes = [m.p_extreme for m in members]
    return Predictions(
        p_poor=np.mean([m.p_poor for m in members], axis=0),
        p_extreme=None if any(e is None for e in extremes) else np.mean(extremes, axis=0),
        class_proba=np.mean([m.class_proba for m in members], axis=0),
        alphas=[],
    )


def score(pred: Predictions, dataset: Dataset, fold: np.ndarray, classes: np.ndarray) -> dict:
    """The package's metrics of one repetition, and macro-F1 of the argmax class."""
    oos = pmt_validation.OutOfSample("", False, pred.p_poor, pred.p_extreme)
    entry = pmt_validation.estimator_metrics(oos, dataset)
    folds = pmt_validation.diagnostics(oos, dataset, fold)["fold_exclusion_error_at_rate"]
    macro_f1 = None
    if pred.class_proba is not None:
        predicted = classes[np.argmax(pred.class_proba, axis=1)]
        macro_f1 = float(
            f1_score(
                dataset.y, predicted, labels=classes, average="macro", sample_weight=dataset.weight
            )
        )
    return {
        "macro_f1": macro_f1,
        "exclusion_error": entry["at_rate"]["exclusion_error"],
        "inclusion_error": entry["at_rate"]["inclusion_error"],
        "coverage": entry["at_rate"]["coverage"],
        "auc": entry["auc"],
        "fold_exclusion_errors": folds,
        "alphas": pred.alphas,
    }


def check_against_cross_fit(estimator, dataset: Dataset, fold: np.ndarray, pred: Predictions):
    """Stop if this loop's P(poor) is not the package's ``cross_fit``'s."""
    reference = pmt_validation.cross_fit(estimator, dataset, fold)
    if not np.allclose(reference.p_poor, pred.p_poor, rtol=0, atol=1e-12):
        raise RuntimeError("cross_fit_classes no longer matches validation.cross_fit")


def run_repetition(dataset: Dataset, folds: int, seed: int, classes: np.ndarray) -> dict:
    """One K-fold run (fold seed ``seed``) of every estimator; per-estimator scores."""
    fold = pmt_validation.grouped_folds(dataset.is_poor, dataset.cluster, folds, seed)
    estimators = benchmark_estimators(dataset, seed)
    predictions, seconds = {}, {}
    for name, estimator in estimators.items():
        started = time.perf_counter()
        predictions[name] = cross_fit_classes(estimator, dataset, fold, classes)
        seconds[name] = time.perf_counter() - started
        if seed == 0 and name in ("logit", "multinomial_logit"):
            check_against_cross_fit(estimator, dataset, fold, predictions[name])
    predictions[ENSEMBLE] = ensemble([predictions[m] for m in ENSEMBLE_MEMBERS])
    seconds[ENSEMBLE] = sum(seconds[m] for m in ENSEMBLE_MEMBERS)
    scores = {name: score(p, dataset, fold, classes) for name, p in predictions.items()}
    for name in scores:
        scores[name]["seconds"] = seconds[name]
    return {"scores": scores, "predictions": predictions}


def mean_se(values: list) -> dict | None:
    """Mean and standard error (SD / sqrt(n)) over repetitions; None if undefined."""
    v = np.array([x for x in values if x is not None], dtype=float)
    if len(v) == 0:
        return None
    se = float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else None
    return {"mean": float(np.mean(v)), "se": se}


def bootstrap_exclusion_se(p_poor: np.ndarray, dataset: Dataset, seed: int = 0) -> float:
    """SD of the exclusion error at the poverty rate over household-bootstrap samples.

    A household drawn m times counts with weight m; the poverty rate and the
    selection are redone in each sample, with the fixed out-of-fold P(poor).
    """
    rng = np.random.default_rng(seed)
    n, errors = dataset.n, []
    for _ in range(BOOTSTRAP_REPLICATES):
        w = dataset.weight * np.bincount(rng.integers(0, n, n), minlength=n)
        rate = metrics.weighted_mean(dataset.is_poor, w)
        selected = metrics.select_at_rate(-p_poor, w, rate)
        errors.append(metrics.targeting_errors(dataset.is_poor, selected, w)["exclusion_error"])
    return float(np.std(errors, ddof=1))


def summarise(repetitions: list[dict], dataset: Dataset) -> dict:
    """Per estimator: mean ± SE over repetitions, ranked by exclusion error, best first."""
    names = list(repetitions[0]["scores"])
    summary = {}
    for name in names:
        reps = [r["scores"][name] for r in repetitions]
        all_folds = [e for r in reps for e in r["fold_exclusion_errors"]]
        alphas = [a for r in reps for a in r["alphas"] if a is not None]
        summary[name] = {
            "note": NOTES.get(name, ""),
            "macro_f1": mean_se([r["macro_f1"] for r in reps]),
            "exclusion_error_at_rate": mean_se([r["exclusion_error"] for r in reps]),
            "auc": mean_se([r["auc"] for r in reps]),
            "fold_mean_exclusion_error": float(np.mean(all_folds)),
            "fold_sd_exclusion_error": float(np.std(all_folds, ddof=1)),
            "chosen_alphas": (
                {str(a): alphas.count(a) for a in sorted(set(alphas))} if alphas else None
            ),
            "seconds_per_repetition": float(np.mean([r["seconds"] for r in reps])),
            "repetitions": [
                {k: r[k] for k in ("macro_f1", "exclusion_error", "inclusion_error", "auc")}
                for r in reps
            ],
        }
    ranked = sorted(names, key=lambda n: summary[n]["exclusion_error_at_rate"]["mean"])
    best, runner = ranked[0], ranked[1]
    first = repetitions[0]["predictions"]
    lead = pmt_validation.bootstrap_lead(
        pmt_validation.OutOfSample(best, False, first[best].p_poor, None),
        pmt_validation.OutOfSample(runner, False, first[runner].p_poor, None),
        dataset,
    )
    return {
        "ranked": ranked,
        "estimators": {name: summary[name] for name in ranked},
        "best": best,
        "best_bootstrap_se": bootstrap_exclusion_se(first[best].p_poor, dataset),
        "best_lead_over_runner_up": lead,
    }


def _fmt(stat: dict | None) -> str:
    if stat is None:
        return "n/a"
    return (
        f"{stat['mean']:.3f} ± {stat['se']:.3f}"
        if stat["se"] is not None
        else f"{stat['mean']:.3f}"
    )


def markdown_table(result: dict) -> str:
    """The results as a Markdown table, best first."""
    lines = [
        "| estimator | macro-F1 (4 classes) | exclusion error at the poverty rate | AUC (poor) "
        "| note |",
        "|---|---|---|---|---|",
    ]
    for name, s in result["estimators"].items():
        label = f"**{name}**" if name == result["best"] else f"`{name}`"
        lines.append(
            f"| {label} | {_fmt(s['macro_f1'])} | {_fmt(s['exclusion_error_at_rate'])} "
            f"| {_fmt(s['auc'])} | {s['note']} |"
        )
    return "\n".join(lines)


def verdict(result: dict) -> str:
    best = result["best"]
    excl = result["estimators"][best]["exclusion_error_at_rate"]["mean"]
    lead = result["best_lead_over_runner_up"]
    reached = "reached" if excl <= TARGET_EXCLUSION_ERROR else "NOT reached"
    return (
        f"Best: {best}, exclusion error {excl:.3f} (household-bootstrap SE "
        f"{result['best_bootstrap_se']:.3f}); target <= {TARGET_EXCLUSION_ERROR} {reached}. "
        f"Lead over {lead['runner_up']} (repetition 0, bootstrap): "
        f"{lead['lead_mean']:.3f} ± {lead['lead_std_err']:.3f}, best ahead in "
        f"{lead['share_replicates_best_ahead']:.0%} of replicates."
    )


def file_md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # noqa: S324 - a checksum, not security


def load(raw: Path) -> Dataset:
    """The household table, read back through the dataset config like ``validate-pmt``."""
    table = load_costa_rica_households(raw)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "costa_rica_households.csv"
        table.to_csv(path, index=False)
        return load_dataset(path, CONFIG)


def run(raw: Path, folds: int, repeats: int) -> dict:
    started = time.perf_counter()
    md5 = file_md5(raw)
    if md5 != EXPECTED_MD5:
        print(f"warning: {raw} has md5 {md5}, not the published {EXPECTED_MD5}", file=sys.stderr)
    dataset = load(raw)
    classes = np.unique(dataset.y)
    with threadpool_limits(limits=1):
        repetitions = []
        for seed in range(repeats):
            repetitions.append(run_repetition(dataset, folds, seed, classes))
            print(f"  repetition {seed + 1}/{repeats} done", file=sys.stderr, flush=True)
        result = summarise(repetitions, dataset)
    return {
        "data": {"path": str(raw), "md5": md5, "config": str(CONFIG.name)},
        "households": int(dataset.n),
        "poor_households": int(dataset.is_poor.sum()),
        "poverty_rate": dataset.poverty_rate,
        "folds": folds,
        "repetitions": repeats,
        "fold_seeds": list(range(repeats)),
        "target_exclusion_error": TARGET_EXCLUSION_ERROR,
        **result,
        "target_reached": bool(
            result["estimators"][result["best"]]["exclusion_error_at_rate"]["mean"]
            <= TARGET_EXCLUSION_ERROR
        ),
        "seconds": time.perf_counter() - started,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        },
    }


def write_json(data: dict, path: Path) -> None:
    """Write atomically: a temporary file in the same folder, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, allow_nan=False)
        handle.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    candidates = raw_candidates()
    parser.add_argument(
        "raw",
        nargs="?",
        type=Path,
        default=next((c for c in candidates if c.is_file()), candidates[-1]),
        help="the challenge's person-level CSV (default: the first that exists of "
        f"$KONSEL_COSTA_RICA_RAW, data/raw/costa_rica/{RAW_NAME} and "
        f"../shared/data/costa_rica/{RAW_NAME} beside the checkout)",
    )
    parser.add_argument("--folds", type=int, default=5, help="folds per repetition (default 5)")
    parser.add_argument("--repeats", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON ({DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if not args.raw.is_file():
        parser.error(f"{args.raw} does not exist: pass the challenge's households_raw.csv")
    if args.repeats < 2 or args.folds < 2:
        parser.error("--repeats and --folds must be at least 2")
    result = run(args.raw, args.folds, args.repeats)
    write_json(result, args.out)
    print(
        f"{result['households']:,} households, {result['poor_households']:,} poor "
        f"(classes 1-2, {result['poverty_rate']:.1%}); {args.repeats} x {args.folds}-fold, "
        f"mean ± SE over repetitions; {result['seconds']:.0f} s\n"
    )
    print(markdown_table(result))
    print(f"\n{verdict(result)}\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
