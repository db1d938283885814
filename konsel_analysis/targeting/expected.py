"""Expected targeting errors in the register, per area, with intervals.

The model (:mod:`.receipt_model`: P(poor | proxies, programme receipt, area), fitted on
the survey, with its Rao-Wu bootstrap refits) applied to every register household:
the expected number of inclusion errors, exclusion errors and extreme-poor households
not covered per area and for the regency, their intervals from the replicates (each
drawing a village effect per register village and the household-chance part of each
count), shifted and widened by the areas' bias (:mod:`.area_bias`). The partitioned
register (:mod:`konsel_analysis.scale`) runs the same computation partition by
partition: :func:`~.receipt_model.replicate_totals` and
:func:`~.receipt_model.draw_area_counts` are shared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from konsel_analysis.targeting.area_bias import (
    MIN_SAMPLED_BENEFICIARIES,
    AreaBias,
    apply_area_bias,
)
from konsel_analysis.targeting.expected_groups import GroupDraws
from konsel_analysis.targeting.receipt_model import (
    COUNTS,
    ReceiptAwareModel,
    ReceiptRows,
    RegisterBins,
    RegisterHouseholds,
    SurveySample,
    draw_area_counts,
    error_probabilities,
    fit_with_replicates,
    replicate_totals,
    village_loadings,
)


@dataclass(frozen=True)
class ExpectedErrors:
    """Point probabilities per household and expected counts with intervals per area."""

    probabilities: pd.DataFrame  # log_welfare_index, p_poor, p_extreme
    by_area: pd.DataFrame
    model: ReceiptAwareModel | None = None  # fitted on the whole survey
    by_group: pd.DataFrame | None = None  # with ``groups``: per group level and area
    fits: list | None = None  # the bootstrap replicates' fits (the workbench reuses them)
    design: np.ndarray | None = None  # the register's PMT design matrix (model.pmt_design)


def estimate_expected_errors(
    sample: SurveySample,
    register: RegisterHouseholds,
    poverty_line: float,
    extreme_poverty_line: float | None = None,
    *,
    squared=(),
    reps: int = 200,
    ci: float = 0.90,
    n_folds: int = 5,
    seed: int = 0,
    groups: dict[str, np.ndarray] | None = None,
    area_bias: bool = True,
) -> ExpectedErrors:
    """Expected inclusion and exclusion errors per register area, with intervals.

    Returns the point probabilities of every register household (from the model
    fitted on the whole survey) and, per area and for ``ALL``: beneficiaries,
    non-beneficiaries, and for each count in :data:`COUNTS` the expected value
    with ``_low``/``_high`` bounds of the ``ci`` interval. With ``groups`` (group
    name -> level per register household), ``by_group`` holds the same per group
    level and area, from the same replicates
    (:class:`~konsel_analysis.targeting.expected_groups.GroupDraws`).
    """
    # Hundreds of small least-squares fits: one BLAS thread each is many times
    # faster than threads fighting over two shared cores.
    with threadpool_limits(limits=1):
        return _estimate_expected_errors(
            sample,
            register,
            poverty_line,
            extreme_poverty_line,
            squared,
            reps,
            ci,
            n_folds,
            seed,
            with_bias=area_bias,
            groups=groups,
        )


def _village_terms(register, area_idx, loadings):
    """Area of each register village and, per count, the sum of its households' loadings."""
    if register.cluster is None:
        return np.zeros(0, np.int64), {name: np.zeros(0) for name in COUNTS}
    villages, village_idx = np.unique(np.asarray(register.cluster, dtype=str), return_inverse=True)
    village_area = np.zeros(len(villages), np.int64)
    village_area[village_idx] = area_idx
    return village_area, {
        name: np.bincount(village_idx, weights=v, minlength=len(villages))
        for name, v in loadings.items()
    }


def _estimate_expected_errors(
    sample,
    register,
    poverty_line,
    extreme_poverty_line,
    squared,
    reps,
    ci,
    n_folds,
    seed,
    with_bias,
    groups,
) -> ExpectedErrors:
    fitted = fit_with_replicates(
        sample,
        poverty_line,
        extreme_poverty_line,
        squared=squared,
        reps=reps,
        n_folds=n_folds,
        seed=seed,
        with_bias=with_bias,
    )
    model, fits, rng, bias = fitted.model, fitted.fits, fitted.rng, fitted.bias
    Zr = model.pmt_design(register.X)
    register_rows = ReceiptRows.build(register.programs, model.programs, register.area, model.areas)
    beneficiary = register.is_beneficiary
    index = Zr @ model.pmt_beta
    point_probabilities = model.predict(register.X, register.programs, register.area, index=index)
    expected = error_probabilities(point_probabilities, beneficiary)
    areas, area_idx = np.unique(np.asarray(register.area, dtype=str), return_inverse=True)

    # A village effect moves every household of the village together: per village,
    # the count moves by u_v times the sum of its households' loadings. Without
    # villages in the register there is no such term.
    # (How each household's error moves with its village's effect: without villages,
    # not at all. The kecamatan and the groups share these.)
    loadings = (
        village_loadings(model, register_rows, index, beneficiary)
        if register.cluster is not None
        else None
    )
    village_area, village_load = _village_terms(register, area_idx, loadings)
    bins = RegisterBins.build(area_idx, len(areas), register_rows)
    group_draws = _group_draws(groups, register, loadings, area_idx, areas, expected, reps, seed)
    draws = {name: np.empty((reps, len(areas) + 1)) for name in expected}
    for r, replicate, _, binned in replicate_totals(model, fits, Zr, bins):
        drawn, u = draw_area_counts(
            rng, replicate.village_sd, binned.totals, village_area, village_load
        )
        for name, values in drawn.items():
            draws[name][r] = values
        if group_draws is not None:  # the groups move with the kecamatan
            group_draws.add(r, binned, u)

    counts = np.bincount(area_idx, weights=beneficiary, minlength=len(areas))
    totals = np.bincount(area_idx, minlength=len(areas))
    point = {
        name: np.bincount(area_idx, weights=q, minlength=len(areas)) for name, q in expected.items()
    }
    moves: dict = {}  # the areas' bias moves, which the group levels follow
    by_area = expected_table(areas, counts, totals - counts, point, draws, bias, rng, ci, moves)
    return ExpectedErrors(
        point_probabilities,
        by_area,
        model,
        group_draws.table(ci, moves) if group_draws is not None else None,
        fits,
        Zr,
    )


def expected_table(
    areas,
    beneficiaries: np.ndarray,
    non_beneficiaries: np.ndarray,
    point: dict[str, np.ndarray],
    draws: dict[str, np.ndarray],
    bias: AreaBias | None,
    rng: np.random.Generator,
    ci: float,
    moves: dict | None = None,
) -> pd.DataFrame:
    """The ``expected_errors_by_area`` table from the model's area points and replicate
    draws (``reps x (areas + 1)``), after the areas' bias (:mod:`.area_bias`; drawn
    with ``rng``, after the replicates' deviates). Shared with the partitioned path."""
    by_area = pd.DataFrame({"area": [*areas, "ALL"]})
    by_area["beneficiaries"] = np.r_[beneficiaries, beneficiaries.sum()].round().astype(int)
    by_area["non_beneficiaries"] = np.r_[non_beneficiaries, non_beneficiaries.sum()].round()
    by_area["non_beneficiaries"] = by_area["non_beneficiaries"].astype(int)
    uninformed = np.zeros(len(areas), bool)
    if bias is not None:
        point, uninformed = apply_area_bias(bias, areas, point, draws, rng, moves)
    alpha = (1 - ci) / 2
    for name, mean in point.items():
        by_area[name] = np.r_[mean, mean.sum()]
        by_area[f"{name}_low"] = np.maximum(np.quantile(draws[name], alpha, axis=0), 0.0)
        by_area[f"{name}_high"] = np.quantile(draws[name], 1 - alpha, axis=0)
    by_area["is_uninformed"] = np.r_[uninformed, uninformed.any()]
    by_area["interval_note"] = [*(uninformed_note(u) for u in uninformed), ""]
    return by_area


def uninformed_note(uninformed: bool) -> str:
    """The ``interval_note`` of an area (English; reports word it in their language)."""
    if not uninformed:
        return ""
    return (
        f"survey sampled fewer than {MIN_SAMPLED_BENEFICIARIES} beneficiaries or one village "
        "here: targeting quality not measured, interval widened to the spread between areas"
    )


def _group_draws(groups, register, loadings, area_idx, areas, expected, reps, seed):
    """The group-level draws of issue 18, fed from the replicate loop above (None
    without groups)."""
    if not groups:
        return None
    return GroupDraws(
        groups,
        beneficiary=register.is_beneficiary,
        area_idx=area_idx,
        areas=areas,
        village=register.cluster,
        loadings=loadings,
        expected=expected,
        reps=reps,
        seed=seed,
    )
