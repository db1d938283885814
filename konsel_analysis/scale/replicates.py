"""The receipt-aware model and its bootstrap refits, fitted once on the survey.

The survey is small (a few thousand households), the register large. So the
model of :mod:`konsel_analysis.targeting.expected` is fitted once, with the same
Rao-Wu replicates, folds and seed as the single-process path, and the fitted
numbers (a few hundred per replicate) travel to every partition. A partition
then needs no survey. What it returns adds up across partitions to exactly what
the single-process path computes on the whole register:

- per area: households, beneficiaries, the expected errors, and for every
  replicate the expected count and Bernoulli variance of each error. The
  single-process path computes the latter from register households grouped in
  bins of the PMT index by (area, receipt), the bins starting at the lowest
  index of the register; a partition uses the same start (the lowest index of
  all partitions, computed in a first pass) and holds whole kecamatan, so its
  bins are the single-process path's bins;
- per village: the sum of its households' loadings (how a village effect moves
  each count).

:func:`expected_errors_from_sums` turns those sums into the same table, drawing
the same normal deviates in the same order (per replicate: one village effect
per village, then one deviate per area and count).

The fits and the areas' bias (:mod:`konsel_analysis.targeting.area_bias`) come from
``targeting.expected.fit_replicates_with_bias`` (shared), the table from
``targeting.expected.expected_table`` (shared, drawing the bias after the replicates);
the totals follow ``_estimate_expected_errors`` step by step (the private helpers imported here are
that function's pieces); the test
``tests/scale/test_scale_score.py`` compares the two paths number by number, so
a change to one without the other fails there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from konsel_analysis.targeting.area_bias import AreaBias
from konsel_analysis.targeting.expected import (
    ReceiptAwareModel,
    ReceiptRows,
    RegisterHouseholds,
    SurveySample,
    _error_probabilities,
    _RegisterBins,
    _village_loadings,
    _with_fit,
    expected_table,
    fit_receipt_model,
    fit_replicates_with_bias,
)

#: Replicates whose register indexes come from one matrix product (as in targeting.expected).
REPLICATES_AT_ONCE = 32

ERROR_NAMES = (
    "expected_inclusion_errors",
    "expected_exclusion_errors",
    "expected_extreme_poor_not_covered",
)


@dataclass(frozen=True)
class ReplicatedModel:
    """The model on the whole survey, the fit of each bootstrap replicate, and the random
    generator's state where the single-process path starts drawing its deviates."""

    model: ReceiptAwareModel
    fits: tuple  # targeting.expected._Fit, one per replicate
    rng_state: dict
    ci: float
    bias: AreaBias | None = None  # the areas' bias of the model (targeting.area_bias)

    @property
    def reps(self) -> int:
        return len(self.fits)

    @property
    def pmt_betas(self) -> np.ndarray:
        """PMT coefficients, one column per replicate."""
        return np.column_stack([fit.pmt_beta for fit in self.fits])

    @property
    def names(self) -> tuple[str, ...]:
        """The error counts computed (the extreme-poor one only with an extreme line)."""
        return ERROR_NAMES if "extreme" in self.model.log_lines else ERROR_NAMES[:2]


def fit_replicated_model(
    sample: SurveySample,
    poverty_line: float,
    extreme_poverty_line: float | None = None,
    *,
    squared=(),
    reps: int = 200,
    ci: float = 0.90,
    n_folds: int = 5,
    seed: int = 0,
) -> ReplicatedModel:
    """Fit the model and its ``reps`` Rao-Wu refits, as ``estimate_expected_errors`` does."""
    with threadpool_limits(limits=1):  # hundreds of small fits: one BLAS thread each
        model = fit_receipt_model(
            sample, poverty_line, extreme_poverty_line, squared=squared, n_folds=n_folds, seed=seed
        )
        fits, rng, bias = fit_replicates_with_bias(sample, model, reps, n_folds, seed)
    return ReplicatedModel(model, tuple(fits), rng.bit_generator.state, ci, bias)


def point_probabilities(fitted: ReplicatedModel, households: RegisterHouseholds) -> pd.DataFrame:
    """log_welfare_index, p_poor (and p_extreme) of each household, from the whole-survey fit."""
    return fitted.model.predict(households.X, households.programs, households.area)


def lowest_indexes(fitted: ReplicatedModel, households: RegisterHouseholds) -> np.ndarray:
    """The lowest PMT index of these households under each replicate (where bins start)."""
    return (fitted.model.pmt_design(households.X) @ fitted.pmt_betas).min(axis=0)


def area_sums(
    fitted: ReplicatedModel, households: RegisterHouseholds, lows: np.ndarray
) -> pd.DataFrame:
    """Per area of these households (whole kecamatan): counts, expected errors, and per
    replicate each error's expected count and variance, bins starting at ``lows``."""
    model = fitted.model
    areas, area_idx = np.unique(np.asarray(households.area, dtype=str), return_inverse=True)
    Z = model.pmt_design(households.X)
    rows = ReceiptRows.build(households.programs, model.programs, households.area, model.areas)
    beneficiary = households.is_beneficiary
    point = model.predict(
        households.X, households.programs, households.area, index=Z @ model.pmt_beta
    )
    columns = {
        "households": np.bincount(area_idx, minlength=len(areas)).astype(float),
        "beneficiaries": np.bincount(area_idx, weights=beneficiary, minlength=len(areas)),
    }
    for name, q in _error_probabilities(point, beneficiary).items():
        columns[name] = np.bincount(area_idx, weights=q, minlength=len(areas))
    bins = _RegisterBins.build(area_idx, len(areas), rows)
    betas = fitted.pmt_betas
    for first in range(0, fitted.reps, REPLICATES_AT_ONCE):
        indexes = Z @ betas[:, first : first + REPLICATES_AT_ONCE]
        for j in range(indexes.shape[1]):
            r = first + j
            replicate = _with_fit(model, fitted.fits[r])
            for name, (mean, var) in bins.totals(replicate, indexes[:, j], lo=lows[r]).items():
                columns[f"{name}|mean|{r}"] = mean
                columns[f"{name}|var|{r}"] = var
    frame = pd.DataFrame(columns, index=pd.Index(areas, name="area"))
    frame["partitions"] = 1.0  # summed: an area found in two partitions shows 2
    return frame


def village_sums(fitted: ReplicatedModel, households: RegisterHouseholds) -> pd.DataFrame:
    """Per village: its area and, per error count, the sum of its households' loadings."""
    columns = ["village", "area", *fitted.names]
    if households.cluster is None:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns}).astype(
            {"village": "str", "area": "str"}
        )
    model = fitted.model
    rows = ReceiptRows.build(households.programs, model.programs, households.area, model.areas)
    index = model.pmt_design(households.X) @ model.pmt_beta
    loadings = _village_loadings(model, rows, index, households.is_beneficiary)
    frame = pd.DataFrame(
        {
            "village": np.asarray(households.cluster, dtype=str),
            "area": np.asarray(households.area, dtype=str),
            **{name: loadings[name] for name in fitted.names},
        }
    )
    # A village lies in one area; the single-process path keeps the last it meets.
    return (
        frame.groupby("village", sort=True)
        .agg({"area": "last", **dict.fromkeys(fitted.names, "sum")})
        .reset_index()
    )


def expected_errors_from_sums(
    fitted: ReplicatedModel, sums: pd.DataFrame, villages: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The ``expected_errors_by_area`` table from the summed columns of :func:`area_sums`
    and the villages of :func:`village_sums`.

    Same steps as the single-process path: within each replicate a village effect
    is drawn for every village (its effect on a count linearised by the loadings),
    an area's count is drawn as ``mean + sqrt(var) z`` plus its villages' effects,
    the regency (``ALL``) count is the sum of the areas' draws, and the interval is
    the replicates' percentiles. The deviates come from the same generator state
    in the same order.
    """
    sums = sums.sort_index()
    areas = sums.index.astype(str)
    n_areas = len(areas)
    if villages is None or len(villages) == 0:
        village_area, loads = np.zeros(0, np.int64), {n: np.zeros(0) for n in fitted.names}
    else:
        villages = villages.sort_values("village")
        village_area = areas.get_indexer(villages["area"].astype(str))
        loads = {n: villages[n].to_numpy(dtype=float) for n in fitted.names}
    rng = np.random.default_rng()
    rng.bit_generator.state = fitted.rng_state
    draws = {name: np.empty((fitted.reps, n_areas + 1)) for name in fitted.names}
    for r, fit in enumerate(fitted.fits):
        u = fit.village_sd * rng.standard_normal(len(village_area))
        for name in fitted.names:
            mean = sums[f"{name}|mean|{r}"].to_numpy()
            var = sums[f"{name}|var|{r}"].to_numpy()
            draw = mean + np.sqrt(var) * rng.standard_normal(n_areas)
            draw += np.bincount(village_area, weights=u * loads[name], minlength=n_areas)
            draws[name][r, :-1] = draw
            draws[name][r, -1] = draw.sum()
    counts = sums["beneficiaries"].to_numpy()
    others = sums["households"].to_numpy() - counts
    point = {name: sums[name].to_numpy() for name in fitted.names}
    return expected_table(areas, counts, others, point, draws, fitted.bias, rng, fitted.ci)
