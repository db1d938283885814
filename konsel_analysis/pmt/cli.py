"""``konsel validate-pmt``: cross-validate the PMT estimators on any described household table.

    konsel validate-pmt --data FILE --config DATASET.yml [--folds 5] [--out DIR]
                        [--leave-out NAME,NAME] [--save MODEL_DIR]

writes, in DIR (default ``data/processed/pmt``):

- ``validation.json``: ``{"n", "poverty_line", "poverty_rate", "folds",
  "estimators": {NAME: {"status": "ok", "r2", "auc", "at_line": {"exclusion_error",
  "inclusion_error", "coverage"}, "at_rate": {...}}}, "best"}`` (the stable
  contract; weighted rates in [0, 1], ``null`` where undefined). An estimator
  that failed (an exception, no convergence, non-finite predictions, on any
  fold) is ``{"status": "failed", "reason": ONE SENTENCE}``; ``best`` is among
  those that worked. When every one fails, nothing is written;
- ``model_card.json`` and ``model_card.md``;
- ``scorecard.csv``: the linear PMT as a table of weights (welfare data only);
- ``scorecard_points.csv``: the scorecard a field office adds by hand: whole
  points per proxy value, labels in Bahasa Indonesia and English, cut-offs at
  the quota and the poverty line; the chosen PMT when it is linear, else the
  best linear one (the model card says which, and why;
  :mod:`konsel_analysis.pmt.points`);
- ``error_curves.csv`` and ``reliability.csv``.

With ``--save MODEL_DIR`` the chosen model is also refitted on the whole table and
saved (see :mod:`konsel_analysis.pmt.artifact`).

Every file is first written under a temporary name and renamed only when all
are ready, so a failure leaves no half-written output.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from konsel_analysis.paths import project_paths

OUTPUT_FILES = (
    "validation.json",
    "model_card.json",
    "model_card.md",
    "scorecard.csv",
    "scorecard_points.csv",
    "error_curves.csv",
    "reliability.csv",
)


def _json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_outputs(files: dict[str, Callable[[Path], None]], out: Path) -> list[Path]:
    """Write each file to a temporary name in ``out``, then rename them all."""
    out.mkdir(parents=True, exist_ok=True)
    umask = os.umask(0)
    os.umask(umask)
    temporary: dict[str, Path] = {}
    try:
        for name, write in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
            os.close(fd)
            temporary[name] = Path(tmp)
            write(Path(tmp))
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        for name, tmp in temporary.items():
            os.replace(tmp, out / name)
    finally:
        for tmp in temporary.values():
            tmp.unlink(missing_ok=True)
    return [out / name for name in files]


def validation_files(result) -> dict[str, Callable[[Path], None]]:
    """Writers of every output file of a validation result, by file name."""
    from konsel_analysis.pmt.model_card import build_model_card, render_markdown, to_jsonable
    from konsel_analysis.pmt.scorecard import scorecard_table

    points = _points_scorecard(result)
    card = build_model_card(result)
    card["scorecard"] = to_jsonable(points.summary()) if points is not None else None
    contract = to_jsonable(result.validation_json())
    files: dict[str, Callable[[Path], None]] = {
        "validation.json": lambda p: p.write_text(_json(contract), encoding="utf-8"),
        "model_card.json": lambda p: p.write_text(_json(card), encoding="utf-8"),
        "model_card.md": lambda p: p.write_text(render_markdown(card), encoding="utf-8"),
        "error_curves.csv": lambda p: result.error_curves.to_csv(
            p, index=False, float_format="%.6g"
        ),
        "reliability.csv": lambda p: result.reliability.to_csv(p, index=False, float_format="%.6g"),
    }
    if result.linear_model is not None:
        table = scorecard_table(result.linear_model)
        files["scorecard.csv"] = lambda p: table.to_csv(p, index=False, float_format="%.12g")
    if points is not None:
        points_csv = points.csv_table()
        files["scorecard_points.csv"] = lambda p: points_csv.to_csv(
            p, index=False, float_format="%.6g"
        )
    return files


def _points_scorecard(result):
    """The points scorecard, or None (no linear estimator worked, or its refit failed:
    the model card then says why)."""
    from konsel_analysis.pmt.points import build_points_scorecard

    try:
        return build_points_scorecard(result)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as err:  # noqa: BLE001 - the validation stands without the scorecard
        result.points_failure = f"the points scorecard could not be built ({type(err).__name__})"
        return None


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


def run_validate_pmt(
    data: Path,
    config: Path,
    folds: int,
    seed: int,
    out: Path,
    rejected_dir: Path | None = None,
    left_out: Sequence[str] = (),
    strict: bool = False,
):
    """Cross-validate the PMT estimators on ``data`` and write every output file to ``out``.

    Rows that fail the row checks go to ``rejected_dir`` (the command: ``out/rejected``).
    Estimators named in ``left_out`` are not compared (the model card lists them);
    with ``strict`` a name that is not an estimator for this data is an error,
    without it such a name is ignored. Returns the validation result and the paths written.
    """
    from konsel_analysis.datasets import DatasetError, load_dataset, write_rejected
    from konsel_analysis.pmt.validation import default_estimators, validate_pmt

    dataset = load_dataset(data, config, rejected_dir)
    unknown = sorted(set(left_out) - set(default_estimators(dataset)))
    if strict and unknown:
        raise DatasetError(
            f"--leave-out {','.join(unknown)}: not an estimator for {dataset.data_path.name}; "
            f"use names among {', '.join(default_estimators(dataset))}"
        )
    result = validate_pmt(dataset, folds=folds, seed=seed, left_out=left_out)
    written = write_outputs(validation_files(result), out)
    rejected = write_rejected(dataset.intake)
    return result, written + ([rejected] if rejected else [])


def _cmd_validate_pmt(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else project_paths().pmt
    started = time.perf_counter()
    left_out = [name.strip() for name in args.leave_out.split(",") if name.strip()]
    result, written = run_validate_pmt(
        args.data,
        args.config,
        args.folds,
        args.seed,
        out,
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
