"""What the workbench reads: tables the score and impact steps leave beside their outputs.

The workbench (:mod:`konsel_analysis.explore`) fits nothing when it opens; it
reads what ``make reports`` already fitted. These files carry no household
identifier, name or NIK (rows are households in the order of the step's own
tables), and are written with the step's other outputs (atomic writers):

score/ (register scoring, :func:`write_register_tables`)
    ``workbench_register.parquet``: per register household: area, one flag per
    programme, worth of a correction (Rp per month), PMT index (log consumption);
    ``workbench_replicates.parquet``: per bootstrap replicate of the step, the
    register households grouped by (area, any receipt, the replicate's PMT index
    to :data:`REPLICATE_BIN`): households and, per programme, recipients in the
    group, and the group's mean index;
    ``workbench_models.json``: the numbers of the receipt-aware model fitted on
    the whole survey and of every replicate (not a pickle: plain numbers).

impact/ (impact simulation, :func:`konsel_analysis.impact.write_workbench_survey_tables`)
    ``workbench_survey.parquet``: per surveyed household: area, cluster, welfare,
    weight, persons, programme flags, benefit per programme (Rp per month), the
    cross-fitting fold and the PMT index of the model that did not see it;
    ``workbench_folds.json``: the numbers of each fold's model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from konsel_analysis.errors import UserError
from konsel_analysis.files import write_parquet_atomic, write_text_atomic

REGISTER_FILE = "workbench_register.parquet"
REPLICATES_FILE = "workbench_replicates.parquet"
MODELS_FILE = "workbench_models.json"
SURVEY_FILE = "workbench_survey.parquet"
FOLDS_FILE = "workbench_folds.json"
#: Width (log consumption) of the PMT-index groups a replicate is evaluated on. A
#: group is evaluated at its mean index, so the error is of second order: on the
#: default data at most 0.08% of a kecamatan's expected count (docs/workbench.md).
REPLICATE_BIN = 0.02
FORMAT_VERSION = 1
_MODEL_ARRAYS = ("pmt_beta", "location", "spread", "receipt_beta", "area_level")


def model_numbers(model) -> dict:
    """The numbers of a fitted :class:`~konsel_analysis.targeting.expected.ReceiptAwareModel`
    that its probabilities need (the proxies' encoder is left out: indexes are stored)."""
    out = {
        name: None if getattr(model, name) is None else np.asarray(getattr(model, name)).tolist()
        for name in _MODEL_ARRAYS
    }
    return out | {
        "areas": [str(a) for a in model.areas],
        "programs": list(model.programs),
        "log_lines": dict(model.log_lines),
        "village_sd": float(model.village_sd),
        "centre": float(model.centre),
    }


def model_from_numbers(numbers: dict):
    """A model that computes probabilities (not indexes) from :func:`model_numbers`."""
    from konsel_analysis.targeting.receipt_model import ReceiptAwareModel

    arrays = {
        name: None if numbers[name] is None else np.asarray(numbers[name], float)
        for name in _MODEL_ARRAYS
    }
    return ReceiptAwareModel(
        features=None,
        areas=tuple(numbers["areas"]),
        programs=tuple(numbers["programs"]),
        log_lines=dict(numbers["log_lines"]),
        village_sd=float(numbers["village_sd"]),
        centre=float(numbers["centre"]),
        **arrays,
    )


def write_json(payload: dict, path: Path) -> Path:
    return write_text_atomic(path, json.dumps(payload))


# --------------------------------------------------------------------------------------
# Written by the score step
# --------------------------------------------------------------------------------------


def replicate_groups(
    index: np.ndarray, area: np.ndarray, programs: dict[str, np.ndarray], any_receipt: np.ndarray
) -> pd.DataFrame:
    """Households grouped by (area, any receipt, index to :data:`REPLICATE_BIN`).

    >>> g = replicate_groups(np.array([1.001, 1.005, 1.5]), np.array(["A", "A", "A"]),
    ...                      {"p": np.array([True, False, False])}, np.array([True, True, False]))
    >>> g[["area", "any_receipt", "households", "p"]].values.tolist()
    [['A', False, 1, 0], ['A', True, 2, 1]]
    >>> round(float(g["index"].iloc[1]), 3)  # the mean of 1.001 and 1.005
    1.003
    """
    names, area_idx = np.unique(np.asarray(area, dtype=str), return_inverse=True)
    return _grouped(index, names, area_idx, programs, np.asarray(any_receipt, bool))


def _grouped(index, names, area_idx, programs, any_receipt) -> pd.DataFrame:
    """:func:`replicate_groups` with the areas already coded (``names[area_idx]``)."""
    columns = _grouped_columns(index, area_idx, len(names), programs, any_receipt)
    return pd.DataFrame({"area": names[columns.pop("area")], **columns})


def _grouped_columns(index, area_idx, n_areas, programs, any_receipt) -> dict[str, np.ndarray]:
    """The columns of :func:`replicate_groups`, the area as its position in the areas."""
    step = np.floor(np.asarray(index, float) / REPLICATE_BIN).astype(np.int64)
    step -= step.min() if len(step) else 0
    n_bins = int(step.max()) + 1 if len(step) else 1
    key = (area_idx * 2 + any_receipt) * n_bins + step
    size = 2 * n_areas * n_bins
    households = np.bincount(key, minlength=size)
    kept = np.flatnonzero(households)
    count = {"households": households[kept]}
    count |= {
        name: np.bincount(key, weights=np.asarray(flags, bool), minlength=size)[kept]
        for name, flags in programs.items()
    }
    cell = kept // n_bins
    return {
        "area": cell // 2,
        "any_receipt": cell % 2 == 1,
        **{name: values.astype(np.int32) for name, values in count.items()},
        "index": np.bincount(key, weights=index, minlength=size)[kept] / households[kept],
    }


def write_register_tables(register, expected, worth: np.ndarray, out: Path) -> list[Path]:
    """The register-side files (see the module docstring) from ``konsel score``'s fit.

    ``register`` is the :class:`~konsel_analysis.datasets.RegisterTable` scored,
    ``expected`` the :class:`~konsel_analysis.targeting.expected.ExpectedErrors` of
    :func:`~konsel_analysis.targeting.expected.estimate_expected_errors`.
    """
    from konsel_analysis.targeting.receipt_model import ReceiptRows, with_fit

    model, fits = expected.model, expected.fits or []
    index = expected.probabilities["log_welfare_index"].to_numpy()
    programs = {p: np.asarray(register.programs[p], bool) for p in model.programs}
    households = pd.DataFrame(
        {
            "area": np.asarray(register.area, dtype=str),
            **programs,
            "worth": np.asarray(worth, float),
            "log_welfare_index": index,
        }
    )
    any_receipt = ReceiptRows.build(programs, model.programs, register.area, model.areas)
    names, area_idx = np.unique(np.asarray(register.area, dtype=str), return_inverse=True)
    Z = expected.design if expected.design is not None else model.pmt_design(register.X)
    groups = []
    # One BLAS thread: each product is a set of row-by-coefficient dot products (the
    # same numbers on any number of threads), too small to gain from threads that
    # would fight the build's other worker for two cores.
    with threadpool_limits(limits=1):
        for r, fit in enumerate(fits):
            columns = _grouped_columns(
                Z @ fit.pmt_beta, area_idx, len(names), programs, any_receipt.any_receipt
            )
            columns["replicate"] = np.full(len(columns["index"]), r, np.int32)
            groups.append(columns)
    if groups:  # one table of every replicate's columns, as pd.concat of each would give
        stacked = {name: np.concatenate([g[name] for g in groups]) for name in groups[0]}
        replicates = pd.DataFrame({"area": names[stacked.pop("area")], **stacked})
    else:
        replicates = replicate_groups(
            index[:0], index[:0], {p: index[:0] for p in programs}, index[:0]
        )
    replicates["area"] = replicates["area"].astype(str)
    payload = {
        "format": FORMAT_VERSION,
        "model": model_numbers(model),
        "replicates": [model_numbers(with_fit(model, fit)) for fit in fits],
    }
    return [
        write_parquet_atomic(households, out / REGISTER_FILE),
        write_parquet_atomic(replicates, out / REPLICATES_FILE),
        write_json(payload, out / MODELS_FILE),
    ]


# --------------------------------------------------------------------------------------
# Read by the workbench
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedTables:
    """Everything :func:`read_cached_tables` found."""

    register: pd.DataFrame
    replicates: pd.DataFrame
    model: object
    replicate_models: list
    survey: pd.DataFrame
    fold_models: list
    poverty_line: float
    extreme_line: float


def read_cached_tables(score: Path, impact: Path) -> CachedTables:
    """The workbench's tables from the score and impact folders of ``make reports``.

    Raises :class:`UserError` naming the first file missing (or of another format)
    and the fix: run ``make reports``.
    """
    files = [score / REGISTER_FILE, score / REPLICATES_FILE, score / MODELS_FILE]
    files += [impact / SURVEY_FILE, impact / FOLDS_FILE]
    for path in files:
        if not path.is_file():
            raise UserError(
                f"{path} not found: the workbench reads the tables `make reports` leaves in "
                "data/processed; run `make reports` first (a few minutes on the default data)"
            )
    models = json.loads(files[2].read_text(encoding="utf-8"))
    folds = json.loads(files[4].read_text(encoding="utf-8"))
    for path, payload in ((files[2], models), (files[4], folds)):
        if payload.get("format") != FORMAT_VERSION:
            raise UserError(
                f"{path}: written by another version of the toolkit (format "
                f"{payload.get('format')}, this one reads {FORMAT_VERSION}); run `make reports`"
            )
    text = {"area": str, "cluster": str}
    return CachedTables(
        register=pd.read_parquet(files[0]).astype({"area": str}),
        replicates=pd.read_parquet(files[1]).astype({"area": str}),
        model=model_from_numbers(models["model"]),
        replicate_models=[model_from_numbers(m) for m in models["replicates"]],
        survey=pd.read_parquet(files[3]).astype(text),
        fold_models=[model_from_numbers(m) for m in folds["folds"]],
        poverty_line=float(folds["poverty_line"]),
        extreme_line=float(folds["extreme_poverty_line"]),
    )
