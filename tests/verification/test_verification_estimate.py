"""Design-based totals of a round, worked out by hand on a tiny plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.verification.estimate import (
    calibration_table,
    domain_total,
    estimate_by_area,
    visit_table,
)


def tiny_round():
    """Area A: 3 priority visits (beneficiaries, P(error) 0.5), all met, two not eligible;
    audit stratum A|b0: N = 20, 4 drawn (pi 0.2), all met: 3 non-beneficiaries (one poor)
    and a beneficiary still eligible; audit stratum A|b1: N = 10, 3 drawn (pi 0.3), one
    moved, two poor non-beneficiaries met."""
    plan = pd.DataFrame(
        {
            "household_id": [f"h{i}" for i in range(10)],
            "area": "A",
            "visit_rank": range(1, 11),
            "is_audit": [False] * 3 + [True] * 7,
            "inclusion_probability": [1.0] * 3 + [0.2] * 4 + [0.3] * 3,
            "p_error": [0.5] * 3 + [0.05] * 4 + [0.2] * 3,
            "stratum": ["priority"] * 3 + ["A|b0"] * 4 + ["A|b1"] * 3,
        }
    )
    outcomes = [
        "not_eligible", "eligible", "not_eligible",
        "poor_not_receiving", "not_eligible", "not_eligible", "eligible",
        "moved", "poor_not_receiving", "poor_not_receiving",
    ]  # fmt: skip
    visits = pd.DataFrame({"household_id": plan["household_id"], "outcome": outcomes})
    benef = pd.Series(
        [True, True, True, False, False, False, True, False, False, False],
        index=plan["household_id"],
    )
    return visit_table(plan, visits, benef)


def test_horvitz_thompson_totals_and_variances_by_hand():
    table = tiny_round()
    everyone = np.ones(len(table), bool)
    # Exclusion errors. Priority: none (all beneficiaries), known exactly.
    # A|b0: T = 20 * 1/4 = 5; p~ = (1 + .5)/5 = .3, s2 = 4/3 * .21 = .28,
    #       V = 20^2 (1 - 4/20) .28 / 4 = 22.4.
    # A|b1: T = 10 * 2/2 = 10; p~ = 2.5/3, s2 = 2 * (5/6)(1/6) = 5/18,
    #       V = 10^2 (1 - 2/10) (5/18) / 2 = 100/9.
    total, variance = domain_total(table, "y_exclusion", everyone)
    assert total == pytest.approx(15.0)
    assert variance == pytest.approx(22.4 + 100 / 9)
    # Inclusion errors. Priority: 2, exact. A|b0 has a met beneficiary without the
    # error: T = 0, p~ = .5/5 = .1, s2 = 4/3 * .09 = .12, V = 400 * .8 * .12 / 4 = 9.6.
    # A|b1 met no beneficiary: T = 0, V = 0.
    total, variance = domain_total(table, "y_inclusion", everyone)
    assert total == pytest.approx(2.0)
    assert variance == pytest.approx(9.6)


def test_area_rows_intervals_and_found_errors():
    by_area = estimate_by_area(tiny_round(), ci=0.90).set_index("area")
    a = by_area.loc["A"]
    assert (a["planned_visits"], a["visits_done"], a["audit_visits_done"]) == (10, 10, 7)
    assert (a["found_inclusion_errors"], a["found_exclusion_errors"]) == (2, 3)
    half = 1.6448536 * np.sqrt(22.4 + 100 / 9)
    assert a["estimated_exclusion_errors_high"] == pytest.approx(15 + half)
    assert a["estimated_exclusion_errors_low"] == pytest.approx(15 - half)
    # The lower bound never goes under the errors found: 2 - 1.645 * sqrt(9.6) < 2.
    assert a["estimated_inclusion_errors_low"] == 2
    assert by_area.loc["ALL", "estimated_exclusion_errors"] == pytest.approx(15.0)


def test_a_priority_class_with_a_household_not_met_is_reweighted():
    table = tiny_round()
    table.loc[0, ["outcome", "met", "y_inclusion"]] = ["refused", False, 0.0]
    # Priority class: N = 3, r = 2, one error met: T = 3 * 1/2 = 1.5;
    # p~ = 1.5/3 = .5, s2 = 2 * .25 = .5, V = 9 (1 - 2/3) .5 / 2 = .75; plus A|b0's 9.6.
    total, variance = domain_total(table, "y_inclusion", np.ones(len(table), bool))
    assert total == pytest.approx(1.5)
    assert variance == pytest.approx(0.75 + 9.6)


def test_calibration_table_counts_hits_by_band():
    calib = calibration_table(tiny_round()).set_index(["visit_kind", "band"])
    prio = calib.loc[("priority", "50-70%")]
    assert (prio["visits_met"], prio["found_errors"]) == (3, 2)
    assert prio["mean_predicted"] == pytest.approx(0.5)
    assert calib.loc[("audit", "5-10%"), "found_errors"] == 1  # p_error .05: band 5-10%
    assert calib.loc[("audit", "20-30%"), "hit_rate"] == 1.0


def test_a_class_met_once_borrows_its_pool_rate_by_hand():
    # A|N: N = 10, two drawn (pi .2), one met (poor), one refused. B|N: N = 20, four drawn
    # (pi .2), all met, two poor. Same band: one pool of five met households, three poor.
    plan = pd.DataFrame(
        {
            "household_id": [f"h{i}" for i in range(6)],
            "area": ["A", "A", "B", "B", "B", "B"],
            "visit_rank": [1, 2, 1, 2, 3, 4],
            "is_audit": True,
            "inclusion_probability": 0.2,
            "p_error": 0.05,
            "stratum": ["A|N", "A|N", "B|N", "B|N", "B|N", "B|N"],
        }
    )
    outcomes = ["poor_not_receiving", "refused", "poor_not_receiving", "poor_not_receiving",
                "not_eligible", "not_eligible"]  # fmt: skip
    visits = pd.DataFrame({"household_id": plan["household_id"], "outcome": outcomes})
    table = visit_table(plan, visits, pd.Series(False, index=plan["household_id"]))
    # B|N: T = 20 * 2/4 = 10; p~ = 2.5/5, s2 = 4/3 * .25, V = 400 * .8 * (1/3) / 4 = 80/3.
    # A|N: the one met counts (1); 9 unmet at the pool's 3/5: 5.4; p~ = 3.5/6,
    #      s2 = 5/4 p~(1-p~), V = 81 s2 / 5 + 9 * .6 * .4.
    p = 3.5 / 6
    pooled = 81 * (1.25 * p * (1 - p)) / 5 + 9 * 0.6 * 0.4
    total, variance = domain_total(table, "y_exclusion", np.ones(6, bool))
    assert total == pytest.approx(16.4)
    assert variance == pytest.approx(80 / 3 + pooled)
    total_a, variance_a = domain_total(table, "y_exclusion", (table["area"] == "A").to_numpy())
    assert (total_a, variance_a) == (pytest.approx(6.4), pytest.approx(pooled))
