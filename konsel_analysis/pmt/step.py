"""The PMT validation step: cross-validate the PMT estimators, write the model card.

The entry of ``konsel validate-pmt`` (:mod:`.cli` parses its arguments) and of the
main job's step (:mod:`konsel_analysis.build.steps`). On any table a dataset config
describes, :func:`run` writes, in ``out``:

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

Every file is first written under a temporary name and renamed only when all
are ready, so a failure leaves no half-written output.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from konsel_analysis.files import write_files_atomic

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


def run(
    data: Path,
    config: Path,
    *,
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
    written = write_files_atomic(validation_files(result), out)
    rejected = write_rejected(dataset.intake)
    return result, written + ([rejected] if rejected else [])
