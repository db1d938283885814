import numpy as np
import pytest

from konsel_analysis.targeting.verification import allocate_visits, priority_scores


def test_priority_weights_extreme_poverty_and_benefit_worth():
    p_error, priority = priority_scores(
        is_beneficiary=[1, 1, 0, 0],
        p_poor=[0.1, 0.9, 0.5, 0.5],
        p_extreme_poor=[0.0, 0.5, 0.0, 0.5],
        worth=[200, 200, 100, 100],
    )
    np.testing.assert_allclose(p_error, [0.9, 0.1, 0.5, 0.5])
    # Beneficiaries: (1 - P(poor)) x worth. Non-beneficiaries, extreme weight 2:
    # worth x (P(poor) + P(extreme)).
    np.testing.assert_allclose(priority, [180, 20, 50, 100])


def test_budget_gives_each_area_its_minimum_then_follows_priority():
    area = np.array(["a", "a", "a", "b", "b"])
    priority = np.array([10.0, 9.0, 1.0, 8.0, 2.0])
    alloc = allocate_visits(area, priority, priority / 10, budget=3, minimum_per_area=1)
    # Minimum: a's 10 and b's 8; the third visit goes to the best left, a's 9.
    assert alloc.is_visited.tolist() == [True, True, False, True, False]
    by_area = alloc.by_area.set_index("area")
    assert by_area["visits"].tolist() == [2, 1]
    assert by_area.loc["a", "expected_corrections"] == pytest.approx(1.9)
    assert by_area.loc["b", "expected_value"] == pytest.approx(8.0)


def test_minimum_beats_priority_and_small_areas_give_all_they_have():
    area = np.array(["a"] * 5 + ["b"])
    priority = np.array([9.0, 8, 7, 6, 5, 0.1])
    alloc = allocate_visits(area, priority, priority, budget=4, minimum_per_area=2)
    # b has one household: it gets it despite its low priority; a gets the other 3.
    assert alloc.is_visited.tolist() == [True, True, True, False, False, True]


def test_budget_larger_than_the_register_visits_everyone():
    alloc = allocate_visits(np.array(["a", "b"]), np.array([1.0, 2.0]), np.ones(2), 10, 5)
    assert alloc.is_visited.all()
