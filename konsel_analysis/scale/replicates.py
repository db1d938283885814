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

Nothing of the computation is repeated here: the fits and the areas' bias
(:mod:`konsel_analysis.targeting.area_bias`) come from
:func:`~konsel_analysis.targeting.receipt_model.fit_replicates_with_bias`, each
replicate's binned totals from :func:`~konsel_analysis.targeting.receipt_model.replicate_totals`,
its draws from :func:`~konsel_analysis.targeting.receipt_model.draw_area_counts` and the
table from :func:`~konsel_analysis.targeting.expected.expected_table`, as in the
single-process path; only the sums across partitions are this module's. The test
``tests/scale/test_scale_score.py`` compares the two paths number by number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from konsel_analysis.targeting import receipt_model as single
from konsel_analysis.targeting.area_bias import AreaBias
from konsel_analysis.targeting.expected import expected_table
from konsel_analysis.targeting.receipt_model import (
    ReceiptAwareModel,
    RegisterHouseholds,
    SurveySample,
)

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
    fits: tuple  # targeting.receipt_model.Fit, one per replicate
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
    ci: float = 0.90,
    **fit_options,
) -> ReplicatedModel:
    """Fit the model and its Rao-Wu refits as the single-process path does
    (:func:`~konsel_analysis.targeting.receipt_model.fit_with_replicates`, whose
    ``squared``, ``reps``, ``n_folds`` and ``seed`` ``fit_options`` are), keeping the
    generator's state where the single-process path starts drawing its deviates."""
    fitted = single.fit_with_replicates(sample, poverty_line, extreme_poverty_line, **fit_options)
    state = fitted.rng.bit_generator.state
    return ReplicatedModel(fitted.model, tuple(fitted.fits), state, ci, fitted.bias)


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
    rows = single.ReceiptRows.build(
        households.programs, model.programs, households.area, model.areas
    )
    beneficiary = households.is_beneficiary
    point = model.predict(
        households.X, households.programs, households.area, index=Z @ model.pmt_beta
    )
    columns = {
        "households": np.bincount(area_idx, minlength=len(areas)).astype(float),
        "beneficiaries": np.bincount(area_idx, weights=beneficiary, minlength=len(areas)),
    }
    for name, q in single.error_probabilities(point, beneficiary).items():
        columns[name] = np.bincount(area_idx, weights=q, minlength=len(areas))
    bins = single.RegisterBins.build(area_idx, len(areas), rows)
    for r, _, _, binned in single.replicate_totals(model, list(fitted.fits), Z, bins, lows):
        for name, (mean, var) in binned.totals.items():
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
    rows = single.ReceiptRows.build(
        households.programs, model.programs, households.area, model.areas
    )
    index = model.pmt_design(households.X) @ model.pmt_beta
    loadings = single.village_loadings(model, rows, index, households.is_beneficiary)
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
        totals = {
            name: (sums[f"{name}|mean|{r}"].to_numpy(), sums[f"{name}|var|{r}"].to_numpy())
            for name in fitted.names
        }
        drawn, _ = single.draw_area_counts(rng, fit.village_sd, totals, village_area, loads)
        for name, values in drawn.items():
            draws[name][r] = values
    counts = sums["beneficiaries"].to_numpy()
    others = sums["households"].to_numpy() - counts
    point = {name: sums[name].to_numpy() for name in fitted.names}
    return expected_table(areas, counts, others, point, draws, fitted.bias, rng, fitted.ci)
