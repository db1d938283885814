"""The visit plan: priority visits, the audit share and its inclusion probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.errors import UserError
from konsel_analysis.targeting.visit_plan import (
    allocate_audit,
    audit_strata,
    error_band,
    plan_round,
)


def candidates(n_per_area=60, areas=("A", "B")):
    rng = np.random.default_rng(0)
    rows = []
    for a in areas:
        p = rng.uniform(0, 0.9, n_per_area)
        rows.append(
            pd.DataFrame(
                {
                    "household_id": [f"{a}{i:03d}" for i in range(n_per_area)],
                    "area": a,
                    "is_beneficiary": np.arange(n_per_area) % 3 == 0,
                    "priority": p,
                    "p_error": p,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_allocation_gives_two_each_then_by_size_and_spread_within_caps():
    # Sizes 2, 50, 100, spreads equal: 2 + 2 + 2 first; the 14 left go 50:100 with the
    # first stratum full (room 0): 14 * 50/150 = 4.67, 14 * 100/150 = 9.33 -> 4 and 9,
    # the one left to the largest remainder (4.67 -> 5): 2, 7, 11.
    assert allocate_audit(np.array([2, 50, 100]), np.ones(3), 20).tolist() == [2, 7, 11]
    # Fewer draws than twice the strata: one each, largest strata first.
    assert allocate_audit(np.array([5, 9, 7]), np.ones(3), 2).tolist() == [0, 1, 1]


def test_strata_fall_back_to_coarser_levels_when_the_audit_is_small():
    area = ["A", "A", "B", "B"]
    benef = [True, False, True, False]
    p = [0.05, 0.5, 0.05, 0.5]
    assert audit_strata(area, benef, p, 8).tolist() == ["A|B|b0", "A|N|b2", "B|B|b0", "B|N|b2"]
    assert audit_strata(area, benef, p, 4).tolist() == ["B|b0", "N|b2", "B|b0", "N|b2"]
    assert audit_strata(area, benef, p, 3).tolist() == ["B", "N", "B", "N"]
    assert error_band([0.05, 0.1, 0.31]).tolist() == [0, 1, 2]


def test_plan_has_the_audit_share_and_known_inclusion_probabilities():
    c = candidates()
    plan = plan_round(c, budget=40, minimum_per_area=5, audit_share=0.25, seed=3)
    assert len(plan) == 40 and plan["household_id"].is_unique
    audit = plan[plan["is_audit"]]
    assert len(audit) == 10
    assert (plan.loc[~plan["is_audit"], "inclusion_probability"] == 1).all()
    # Priority visits: the 30 highest priorities with at least 5 per area.
    top = c.sort_values("priority", ascending=False).head(30)["household_id"]
    assert set(plan.loc[~plan["is_audit"], "household_id"]) == set(top)
    # Each audit household's probability is n_h / N_h of its stratum among the others.
    rest = c[~c["household_id"].isin(top)]
    strata = audit_strata(rest["area"], rest["is_beneficiary"], rest["p_error"], 10)
    sizes = pd.Series(strata).value_counts()
    drawn = audit["stratum"].value_counts()
    expected = audit["stratum"].map(drawn / sizes)
    np.testing.assert_allclose(audit["inclusion_probability"], expected)
    # Visit ranks run 1..k in each area, audits among the priority visits.
    for _, rows in plan.groupby("area"):
        assert rows["visit_rank"].tolist() == list(range(1, len(rows) + 1))
    assert not plan.groupby("area")["is_audit"].apply(lambda s: s.iloc[-len(s[s]) :].all()).all()


def test_the_same_seed_gives_the_same_plan_and_another_seed_another_audit():
    c = candidates()
    first = plan_round(c, budget=40, minimum_per_area=5, audit_share=0.25, seed=3)
    again = plan_round(c, budget=40, minimum_per_area=5, audit_share=0.25, seed=3)
    other = plan_round(c, budget=40, minimum_per_area=5, audit_share=0.25, seed=4)
    pd.testing.assert_frame_equal(first, again)
    assert set(first["household_id"]) != set(other["household_id"])


def test_an_audit_share_outside_zero_to_one_is_refused():
    with pytest.raises(UserError, match="--audit-share 1.5"):
        plan_round(candidates(), budget=10, minimum_per_area=0, audit_share=1.5)
