"""``konsel drift``: has a new wave moved away from the data a saved PMT was trained on?

    konsel drift --model MODEL_DIR --data NEW --config DATASET.yml [--out DIR]

compares each proxy of NEW (a second survey round, or the register) with the
training survey's profile kept in MODEL_DIR (:mod:`.drift`: standardised
difference and population stability index), and, where NEW has welfare, the
saved model's errors on it (out of sample by construction) with its
cross-validated errors at training. It writes DIR/drift_by_proxy.csv and
DIR/drift.json (default DIR: data/processed/drift) and says whether to refit.

Refit when a proxy shifted significantly (PSI > 0.25 and |SMD| > 0.1), or when
the exclusion error on NEW (selecting the poorest share equal to the poverty
rate, or those predicted below the line) exceeds the training one by more than
:data:`ERROR_MARGIN` and by more than sampling noise (:func:`error_margin`).
Selecting at the rate ranks households, so a shift that raises every prediction
alike shows only at the line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from konsel_analysis.paths import project_paths

# numpy, pandas and the model code (scikit-learn, skops) are imported when the command runs.

#: Smallest rise of an exclusion error (share of the poor, absolute) on a new wave
#: above the cross-validated one that calls for a refit, however large the surveys.
ERROR_MARGIN = 0.05
#: ... and the rise must exceed this many standard errors of the difference (binomial
#: on Kish's effective number of poor households on each side; one-sided 2.3%).
ERROR_Z = 2.0
#: The two selection rules of validation.json whose exclusion errors are compared.
RULES = {"at_rate": "at the poverty rate", "at_line": "at the poverty line"}


def _new_wave(path: Path, config_path: Path):
    """(X, weight, cluster, dataset with welfare) of the new table; a register has no
    weight, cluster or dataset (None)."""
    from konsel_analysis.datasets import load_dataset, load_dataset_config, load_register
    from konsel_analysis.intake.read import read_raw_table

    config = load_dataset_config(config_path)
    columns = read_raw_table(path, config.read, expect=config.household_id).frame.columns
    if (config.welfare and config.welfare in columns) or (
        config.welfare_class and config.welfare_class in columns
    ):
        dataset = load_dataset(path, config)
        return dataset.X, dataset.weight, dataset.cluster, dataset
    register = load_register(path, config)
    return register.X, None, None, None


def errors_on_wave(saved, dataset) -> dict:
    """The saved model's validation.json entry on a new wave with welfare."""
    import numpy as np
    from sklearn.base import is_regressor

    from konsel_analysis.pmt.validation import OutOfSample, estimator_metrics

    proba = saved.poverty_proba(dataset.X)
    regression = is_regressor(saved.model)
    oos = OutOfSample(
        name=saved.manifest["estimator"],
        is_regression=regression,
        p_poor=proba["p_poor"].to_numpy(),
        p_extreme=proba["p_extreme_poor"].to_numpy() if "p_extreme_poor" in proba else None,
        predicted_welfare=np.exp(saved.log_welfare(dataset.X)) if regression else None,
    )
    return estimator_metrics(oos, dataset)


def error_margin(before: float, after: float, n_before: float, n_after: float) -> float:
    """The rise of an exclusion error that is more than sampling noise.

    >>> round(error_margin(0.2, 0.2, 400, 400), 4)  # 2 * sqrt(2 * 0.16 / 400)
    0.0566
    """
    var = before * (1 - before) / max(n_before, 1) + after * (1 - after) / max(n_after, 1)
    return max(ERROR_MARGIN, ERROR_Z * var**0.5)


def verdict(by_proxy, training: dict, new: dict | None, sizes=(0.0, 0.0)) -> tuple[bool, str]:
    """Whether to refit, and why, in one sentence; ``sizes`` are the effective numbers
    of poor households at training and in the new wave."""
    from konsel_analysis.pmt.drift import PSI_REFIT

    significant = by_proxy.loc[by_proxy["shift"] == "significant", "proxy"].tolist()
    moderate = by_proxy.loc[by_proxy["shift"] == "moderate", "proxy"].tolist()
    reasons = []
    if significant:
        reasons.append(f"{', '.join(significant)} shifted significantly (PSI > {PSI_REFIT})")
    rises = {}
    for rule, label in RULES.items():
        before = training[rule]["exclusion_error"]
        after = new[rule]["exclusion_error"] if new is not None else None
        if before is None or after is None:
            continue
        rises[rule] = after - before
        if rises[rule] > error_margin(before, after, *sizes):
            reasons.append(f"the exclusion error {label} rose from {before:.3f} to {after:.3f}")
    if reasons:
        return True, "refit the PMT: " + "; ".join(reasons)
    text = "no need to refit: no proxy shifted significantly"
    if rises:
        text += " and the exclusion errors moved by " + " and ".join(
            f"{rise:+.3f} {RULES[rule]}" for rule, rise in rises.items()
        )
    if moderate:
        text += f" (watch {', '.join(moderate)}: a moderate shift)"
    return False, text


def run_drift(model_dir: Path, data: Path, config: Path, out: Path) -> tuple[dict, list[Path]]:
    """Compare the new table with the saved model's training data; the summary and paths."""
    from konsel_analysis.files import write_csv_atomic, write_text_atomic
    from konsel_analysis.pmt.artifact import load_model, poor_effective_n
    from konsel_analysis.pmt.drift import proxy_drift
    from konsel_analysis.pmt.model_card import to_jsonable

    saved = load_model(model_dir)
    X, weight, cluster, dataset = _new_wave(data, config)
    saved.check_columns(X.columns, data)
    by_proxy = proxy_drift(saved.profile["proxies"], X, weight, cluster)
    training = saved.profile["training_errors"]
    new = errors_on_wave(saved, dataset) if dataset is not None else None
    sizes = (
        saved.profile.get("poor_effective_n", 0.0),
        poor_effective_n(dataset) if dataset is not None else 0.0,
    )
    refit, reason = verdict(by_proxy, training, new, sizes)
    summary = to_jsonable(
        {
            "model": str(model_dir),
            "estimator": saved.manifest["estimator"],
            "data": data.name,
            "n": len(X),
            "weighted": weight is not None,
            "flagged_proxies": by_proxy.loc[by_proxy["flagged"], "proxy"].tolist(),
            "errors_at_training": training,
            "errors_on_new_data": new,
            "refit": refit,
            "verdict": reason,
        }
    )
    text = json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    written = [
        write_csv_atomic(by_proxy.round(6), out / "drift_by_proxy.csv"),
        write_text_atomic(out / "drift.json", text),
    ]
    return summary, written


def _cmd_drift(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else project_paths().processed / "drift"
    summary, written = run_drift(Path(args.model), Path(args.data), Path(args.config), out)
    flagged = summary["flagged_proxies"]
    print(
        f"{summary['n']:,} households of {summary['data']} against the training data of "
        f"{summary['estimator']}: {len(flagged)} proxies flagged"
        + (f" ({', '.join(flagged)})" if flagged else "")
    )
    if summary["errors_on_new_data"] is not None:
        for rule, label in RULES.items():
            before = summary["errors_at_training"][rule]["exclusion_error"]
            after = summary["errors_on_new_data"][rule]["exclusion_error"]
            print(f"  exclusion error {label}: {before:.3f} at training, {after:.3f} now")
    print(f"  {summary['verdict']}")
    for path in written:
        print(f"  wrote {path}")
    return 0


def register_drift(sub) -> None:
    """Add ``drift`` to the ``konsel`` sub-commands."""
    parser = sub.add_parser(
        "drift",
        help="compare a new wave's proxies (and errors) with a saved PMT's training data",
        description="Standardised differences and population stability index of each proxy "
        "of a new survey round or register against the data a saved PMT was trained on; "
        "where the new table has welfare, the model's errors on it; whether to refit.",
    )
    parser.add_argument("--model", required=True, help="folder written by validate-pmt --save")
    parser.add_argument("--data", required=True, help="new table (.csv, .parquet, .xlsx)")
    parser.add_argument("--config", required=True, help="dataset config YAML of the new table")
    parser.add_argument("--out", default=None, help="output folder (default data/processed/drift)")
    parser.set_defaults(handler=_cmd_drift)
