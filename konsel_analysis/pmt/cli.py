"""``konsel validate-pmt``: cross-validate the PMT estimators on any described household table.

    konsel validate-pmt --data FILE --config DATASET.yml [--folds 5] [--out DIR]
                        [--leave-out NAME,NAME] [--save MODEL_DIR]

writes, in DIR (default ``data/processed/pmt``):

the files of :mod:`konsel_analysis.pmt.step` (``validation.json``, the model card,
the scorecards, the error curves); this module parses the arguments, calls
:func:`konsel_analysis.pmt.step.run` and says what it found.

With ``--save MODEL_DIR`` the chosen model is also refitted on the whole table and
saved (see :mod:`konsel_analysis.pmt.artifact`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from konsel_analysis.paths import project_paths
from konsel_analysis.pmt.step import run

#: Estimators whose R2 is not a least-squares R2 of the mean: (name, what it measures).
QUANTILE_R2 = {
    "quantile": "R2 of quantile: its predictions are a low conditional quantile of log "
    "welfare, not the mean, so it sits below the others by construction; compare AUC "
    "and the exclusion errors instead"
}


def _r2_caveats(results: dict) -> list[str]:
    """A note under the table for each printed R2 that is not comparable with the others.

    >>> _r2_caveats({"wls": {"r2": 0.4}, "quantile": {"r2": 0.1}})[0][:23]
    '  note: R2 of quantile:'
    """
    return [
        f"  note: {QUANTILE_R2[name]}"
        for name, e in results.items()
        if name in QUANTILE_R2 and e.get("r2") is not None
    ]


def _summary(result, seconds: float) -> str:
    ds = result.dataset
    line = (
        f"poverty line {ds.poverty_line:,.0f}"
        if ds.poverty_line is not None
        else f"poor classes {list(ds.config.poor_classes)}"
    )
    unit = f"grouped by {ds.config.cluster}" if ds.config.cluster else "by household"
    lines = [
        f"{ds.n:,} households, {line}, weighted poverty rate {ds.poverty_rate:.3f}; "
        f"{result.folds}-fold cross-validation ({unit}) in {seconds:.1f} s",
        f"  {'estimator':<18} {'R2':>6} {'AUC':>6} {'excl@line':>9} {'excl@rate':>9}",
    ]
    for name, e in result.estimator_entries().items():
        if e["status"] != "ok":
            lines.append(f"  {name:<18} {'failed (see below)':>33}")
            continue
        lines.append(
            f"  {name:<18} {_number(e['r2'], 6)} {_number(e['auc'], 6)} "
            f"{_number(e['at_line']['exclusion_error'], 9)} "
            f"{_number(e['at_rate']['exclusion_error'], 9)}"
        )
    lines += _r2_caveats(result.results)
    if result.left_out:
        lines.append(f"  not compared (--leave-out): {', '.join(result.left_out)}")
    lines.append(f"  best: {result.best_reason}")
    lines += [f"  failed: {v}" for v in result.failures.values()]
    if result.linear_failure:
        lines.append(f"  no scorecard: {result.linear_failure}")
    return "\n".join(lines)


def _number(value: float | None, width: int) -> str:
    """A metric right-aligned in ``width`` with 3 decimals; ``-`` where undefined."""
    if value is None or value != value:
        return "-".rjust(width)
    return f"{value:{width}.3f}"


def _cmd_validate_pmt(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else project_paths().pmt
    started = time.perf_counter()
    left_out = [name.strip() for name in args.leave_out.split(",") if name.strip()]
    result, written = run(
        args.data,
        args.config,
        folds=args.folds,
        seed=args.seed,
        out=out,
        rejected_dir=out / "rejected",
        left_out=left_out,
        strict=True,
    )
    if args.save:
        from konsel_analysis.pmt.artifact import save_model

        written += save_model(result, Path(args.save))
    print(_summary(result, time.perf_counter() - started))
    for path in written:
        print(f"  wrote {path}")
    return 0


def register_validate_pmt(sub) -> None:
    """Add ``validate-pmt`` to the ``konsel`` sub-commands."""
    parser = sub.add_parser(
        "validate-pmt",
        help="cross-validate the proxy-means test on a household table",
        description="Cross-validate every PMT estimator (folds grouped by cluster, survey "
        "weights) on a household table described by a dataset config YAML.",
    )
    parser.add_argument("--data", required=True, help="household table (.csv, .parquet, .xlsx)")
    parser.add_argument("--config", required=True, help="dataset config YAML")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--out", default=None, help="output folder (default data/processed/pmt)")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the fold assignment and the estimators (default 0)",
    )
    parser.add_argument(
        "--leave-out",
        default="",
        metavar="NAME,NAME",
        help="estimators not to compare, e.g. quantile,gradient_boosting,random_forest "
        "(the slowest; default: compare every estimator)",
    )
    parser.add_argument(
        "--save",
        default=None,
        metavar="MODEL_DIR",
        help="also refit the chosen model on the whole table and save it in MODEL_DIR "
        "(skops file, model card, training proxy profiles, software versions) for "
        "konsel score --model and konsel drift",
    )
    parser.set_defaults(handler=_cmd_validate_pmt)
