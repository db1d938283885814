"""Dask scoring of a partitioned register against the single-process `konsel score`.

The same survey, the same register (whole, and one file per kecamatan), the same
seed: every number must agree to floating-point tolerance (sums are taken in a
different order, nothing else differs). Hand-worked cases check the pieces.
"""

from __future__ import annotations

from types import SimpleNamespace

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from scale_helpers import BUDGET, HOUSEHOLDS, MINIMUM

from konsel_analysis.scale.replicates import ReplicatedModel, expected_errors_from_sums
from konsel_analysis.scale.score import allocate_from_candidates, candidates
from konsel_analysis.targeting.verification import allocate_visits


def test_expected_errors_by_area_equal_the_single_process_table(both_paths):
    single = both_paths.single.expected_by_area
    dask = both_paths.dask.expected_by_area
    assert list(dask.columns) == list(single.columns)
    assert len(single) == 26 and dask["area"].tolist() == single["area"].tolist()
    # intervals included: the replicates' sums and the normal draws are the same
    pd.testing.assert_frame_equal(dask, single, check_exact=False, rtol=1e-9, atol=1e-9)
    assert dask.iloc[-1]["beneficiaries"] + dask.iloc[-1]["non_beneficiaries"] == HOUSEHOLDS


def test_every_household_gets_the_same_scores(both_paths):
    single = both_paths.single.scores
    dask = pd.read_parquet(both_paths.scores_folder)
    assert len(dask) == HOUSEHOLDS and dask["household_id"].is_unique
    both = single.merge(dask, on="household_id", suffixes=("", "_dask"), validate="1:1")
    assert len(both) == HOUSEHOLDS
    for column in ("p_poor", "p_extreme_poor", "priority", "p_error", "worth"):
        np.testing.assert_allclose(both[f"{column}_dask"], both[column], rtol=1e-9, atol=1e-12)
    assert (both["predicted_welfare_dask"] == both["predicted_welfare"]).all()
    assert (both["is_beneficiary_dask"] == both["is_beneficiary"]).all()
    assert (both["area_dask"] == both["area"]).all()


def test_the_allocation_and_the_households_to_visit_are_the_same(both_paths):
    single, dask = both_paths.single, both_paths.dask
    pd.testing.assert_frame_equal(dask.allocation, single.allocation, check_exact=False, rtol=1e-9)
    assert dask.allocation["visits"].sum() == BUDGET
    assert dask.allocation["visits"].min() >= MINIMUM
    visited = single.scores[single.scores["is_visited"]]
    expected = visited.sort_values(["area", "rank_in_area"], ignore_index=True)
    assert dask.visits["household_id"].tolist() == expected["household_id"].tolist()
    assert dask.visits["rank_in_area"].tolist() == expected["rank_in_area"].tolist()


def test_intervals_from_sums_by_hand():
    """Replicate sums of two areas, zero variance, no villages: the draws are the sums.

    Area A: point 12, replicates 10 and 14; B: point 2, replicates 1 and 3. With a
    50% interval (quartiles of two values, linear): A 11-13, B 1.5-2.5; the regency's
    replicates are 11 and 17, so 12.5-15.5 around 14. Exclusion errors: the same.
    """
    columns = {"households": [5.0, 3.0], "beneficiaries": [4.0, 1.0]}
    for name in ("expected_inclusion_errors", "expected_exclusion_errors"):
        columns |= {
            name: [12.0, 2.0],
            f"{name}|mean|0": [10.0, 1.0],
            f"{name}|mean|1": [14.0, 3.0],
            f"{name}|var|0": [0.0, 0.0],
            f"{name}|var|1": [0.0, 0.0],
        }
    sums = pd.DataFrame(columns, index=pd.Index(["A", "B"], name="area"))
    fitted = ReplicatedModel(
        model=SimpleNamespace(log_lines={"poor": 0.0}),  # no extreme line
        fits=(SimpleNamespace(village_sd=0.0),) * 2,
        rng_state=np.random.default_rng(0).bit_generator.state,
        ci=0.5,
    )
    table = expected_errors_from_sums(fitted, sums).set_index("area")
    assert table.loc["ALL", "beneficiaries"] == 5 and table.loc["ALL", "non_beneficiaries"] == 3
    for name in ("expected_inclusion_errors", "expected_exclusion_errors"):
        assert table[name].tolist() == [12.0, 2.0, 14.0]
        assert table[f"{name}_low"].tolist() == [11.0, 1.5, 12.5]
        assert table[f"{name}_high"].tolist() == [13.0, 2.5, 15.5]
    assert "expected_extreme_poor_not_covered" not in table


def _scores(priority, area) -> pd.DataFrame:
    n = len(priority)
    return pd.DataFrame(
        {
            "household_id": [f"H{i}" for i in range(n)],
            "area": area,
            "priority": np.asarray(priority, float),
            "p_error": np.full(n, 0.5),
            "position": np.arange(n, dtype=np.int64),
        }
    )


def test_candidates_keep_the_budget_and_each_area_s_best_by_hand():
    # budget 2: the two highest (H1: 9, H4: 8); per area 1: A's best H1, B's best H4,
    # C's only household H5 (priority 0): three areas, three candidates.
    scores = _scores([1, 9, 3, 2, 8, 0], ["A", "A", "A", "B", "B", "C"])
    kept = candidates(scores, budget=2, per_area=1)
    assert kept["household_id"].tolist() == ["H1", "H4", "H5"]


@pytest.mark.parametrize("npartitions", [1, 3, 6])
def test_candidates_over_partitions_give_the_whole_register_s_allocation(npartitions):
    rng = np.random.default_rng(3)
    area = np.repeat(["A", "B", "C"], [7, 2, 9])
    priority = rng.integers(0, 6, len(area))  # many ties: the tie-break matters
    scores = _scores(priority, area)
    whole = allocate_visits(area, priority, scores["p_error"], budget=6, minimum_per_area=2)
    frame = dd.from_pandas(scores, npartitions=npartitions, sort=False)
    kwargs = {"budget": 6, "per_area": 2}
    chosen = frame.reduction(
        candidates,
        aggregate=candidates,
        combine=candidates,
        chunk_kwargs=kwargs,
        aggregate_kwargs=kwargs,
        combine_kwargs=kwargs,
        meta=scores.iloc[:0],
        split_every=2,
    ).compute()
    households = scores.groupby("area").size().astype(float)
    by_area, visits = allocate_from_candidates(chosen, households, 6, 2)
    pd.testing.assert_frame_equal(by_area, whole.by_area)
    assert sorted(visits["household_id"]) == sorted(scores["household_id"][whole.is_visited])
