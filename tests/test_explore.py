"""The workbench's callbacks worked by hand on tiny tables (on a build: tests/reports/)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from konsel_analysis import explore
from konsel_analysis.errors import UserError


def test_split_visits_by_hand():
    # Six households, two kecamatan; worth 100 each, extreme-poor weight k = 2.
    # priority: beneficiary (1 - p) x 100; non-beneficiary 100 (p + p_extreme)
    area = ["A", "A", "A", "B", "B", "B"]
    beneficiary = [True, False, False, True, False, False]
    p_poor = [0.1, 0.6, 0.2, 0.7, 0.3, 0.05]
    p_extreme = [0.0, 0.3, 0.0, 0.2, 0.1, 0.0]
    # priorities: 90, 90, 20, 30, 40, 5; p_error: 0.9, 0.6, 0.2, 0.3, 0.3, 0.05
    out = explore.split_visits(
        area,
        p_poor,
        p_extreme,
        beneficiary,
        np.full(6, 100.0),
        budget=4,
        minimum_per_area=1,
        audit_share=0.25,
        seed=3,
    ).set_index("area")
    # 3 listed: A's best (first of the tied 90s) and B's best (40), then the other 90
    assert out.loc["ALL", "priority_visits"] == 3 and out.loc["ALL", "audit_visits"] == 1
    assert out.loc["A", "priority_visits"] == 2 and out.loc["B", "priority_visits"] == 1
    listed = 0.9 + 0.6 + 0.3  # households 0, 1 and 4
    audit = out.loc["ALL", "expected_corrections"] - listed
    assert audit == pytest.approx(0.2) or audit in (pytest.approx(0.3), pytest.approx(0.05))
    assert out.loc["ALL", "visits"] == 4


def test_split_visits_all_by_priority_without_audit_share():
    out = explore.split_visits(
        ["A", "B"],
        [0.5, 0.5],
        [0.0, 0.0],
        [False, False],
        [1.0, 1.0],
        budget=1,
        minimum_per_area=0,
        audit_share=0.0,
    ).set_index("area")
    assert (out.loc["ALL", "priority_visits"], out.loc["ALL", "audit_visits"]) == (1, 0)
    with pytest.raises(UserError, match="audit share"):
        explore.split_visits(["A"], [0.5], [0.0], [False], [1.0], 1, 0, 1.0)


def test_coverage_by_hand():
    survey = pd.DataFrame(
        {
            "area": ["A", "A", "B", "B"],
            "welfare": [100.0, 300.0, 150.0, 50.0],
            "weight": [1.0, 1.0, 2.0, 1.0],
            "persons": [4.0, 2.0, 1.0, 3.0],
            "is_pkh_recipient": [True, False, False, True],
        }
    )
    wb = explore.Workbench(
        area=np.array(["A"]),
        programs={"is_pkh_recipient": np.array([True])},
        worth=np.ones(1),
        terms=None,
        groups=pd.DataFrame(),
        group_terms=None,
        survey=survey,
        survey_terms=None,
        poverty_line=200.0,
        extreme_line=120.0,
    )
    out = explore.coverage(wb, 200.0, 120.0, "is_pkh_recipient").set_index("area")
    # poor (welfare < 200): households 0 (w1, 4 persons), 2 (w2, 1), 3 (w1, 3); reached 0 and 3
    assert out.loc["ALL", "coverage_poor_households"] == pytest.approx(2 / 4)
    assert out.loc["ALL", "coverage_poor_persons"] == pytest.approx((4 + 3) / (4 + 2 + 3))
    # extreme (< 120): households 0 and 3, both reached; in B only 3
    assert out.loc["ALL", "coverage_extreme_poor_households"] == 1.0
    assert out.loc["A", "coverage_poor_households"] == 1.0 and out.loc["A", "sampled_poor"] == 1
    assert out.loc["B", "coverage_poor_persons"] == pytest.approx(3 / (2 + 3))


# correction_round by hand: one kecamatan, four surveyed households of weight 10 and two
# persons each; lines 300 (poor) and 100 (extreme); extreme-poor weight k = 2
# (parameters.yml). Priorities (worth x P(error), non-beneficiaries x (p + p_extreme)):
#   h0 beneficiary, gets 100, welfare 500, P(poor) 0.1        -> 0.9 x 100 = 90
#   h1 not, would get 100, welfare 80 (extreme), 0.9 / 0.6    -> 100 x 1.5 = 150
#   h2 not, would get 100, welfare 250 (poor), 0.5 / 0.1      -> 100 x 0.6 = 60
#   h3 beneficiary, gets 100, welfare 200 (poor), P(poor) 0.8 -> 0.2 x 100 = 20
ROUND = {
    "area": ["A"] * 4,
    "welfare": [500.0, 80.0, 250.0, 200.0],
    "weight": [10.0] * 4,
    "persons": [2.0] * 4,
    "p_poor": [0.1, 0.9, 0.5, 0.8],
    "p_extreme": [0.0, 0.6, 0.1, 0.0],
    "benefit_now": [100.0, 0.0, 0.0, 100.0],
    "benefit_if_given": [100.0] * 4,
}


def _round(**settings):
    from konsel_analysis.explore_impact import correction_round

    settings = {"minimum_per_area": 0, "poverty_line": 300.0, "extreme_line": 100.0} | settings
    return correction_round(*ROUND.values(), **settings).set_index("area").loc["ALL"]


def test_correction_round_by_hand():
    # 20 visits = h1 and h0 (weights 10 + 10). h0 stays above 300 without its 100 / 2
    # persons: removed, 10 x 100 freed; h1 (visited, poor) gets it all: 80 + 50 = 130,
    # above the extreme line. 10 x 2 = 20 persons lifted of 20 extreme poor (of 80).
    r = _round(budget=20, audit_share=0.0)
    assert r["extreme_before_persons"] == 20 and r["extreme_after_persons"] == 0
    assert r["extreme_poor_lifted_persons"] == 20 and r["extreme_poor_added_persons"] == 0
    assert r["extreme_before_share"] == pytest.approx(0.25)
    assert r["poor_before_persons"] == r["poor_after_persons"] == 60  # h1, h2, h3 stay poor
    assert r["visits"] == 20 and r["sampled_extreme_poor_lifted"] == 1
    # 10 visits: h1 alone; no beneficiary visited, no money freed, nobody lifted
    assert _round(budget=10, audit_share=0.0)["extreme_poor_lifted_persons"] == 0


def test_correction_round_audit_visits_are_expected_values():
    # 30 visits, a third audit: the list is 20 (h1, h0); 10 audit visits among the 20
    # weight of h2 and h3: each is half visited (q = 0.5). h3 would fall below 300
    # without its benefit (200 - 50): kept. Visits add up to 30; four sample households.
    r = _round(budget=30, audit_share=1 / 3)
    assert r["visits"] == pytest.approx(30)
    assert r["sampled_households"] == 4
    assert r["extreme_poor_lifted_persons"] == 20
    assert r["persons"] == pytest.approx(80)


def test_weighted_priority_list_keeps_the_minimum_per_kecamatan():
    from konsel_analysis.explore_impact import weighted_priority_list

    # B's best (priority 2) comes in by the minimum ahead of A's second (3)
    listed = weighted_priority_list(["A", "A", "B"], [4, 3, 2], [1, 1, 1], size=2, minimum=1)
    assert listed.tolist() == [True, False, True]
    # without a minimum: by priority alone
    listed = weighted_priority_list(["A", "A", "B"], [4, 3, 2], [1, 1, 1], size=2, minimum=0)
    assert listed.tolist() == [True, True, False]
