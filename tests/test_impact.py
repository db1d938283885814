import numpy as np
import pandas as pd
import pytest

from konsel_analysis.benefits import pkh_benefit_per_month
from konsel_analysis.impact import fgt, reallocate, simulate_impact


@pytest.mark.parametrize(("alpha", "expected"), [(0, 1 / 3), (1, 0.5 / 3), (2, 0.25 / 3)])
def test_fgt_by_hand(alpha, expected):
    # Welfare 50, 100, 200 at line 100: only 50 is poor (100 is not strictly below),
    # its gap is 0.5.
    assert fgt([50, 100, 200], 100, alpha) == pytest.approx(expected)


def test_fgt_uses_weights():
    assert fgt([50, 100, 200, 300], 100, 0, weight=[2, 1, 1, 0]) == pytest.approx(2 / 4)


def test_pkh_benefit_keeps_the_four_largest_components():
    family = pd.DataFrame(
        {
            "has_pregnant_member": [True, False],
            "n_members_age_0_6": [2, 0],
            "n_members_primary_school": [1, 1],
            "n_members_junior_secondary": [0, 0],
            "n_members_senior_secondary": [1, 0],
            "n_members_severe_disability": [0, 0],
            "n_members_age_70_plus": [1, 0],
        }
    )
    # Family 1: 3.0M (pregnancy) + 2 x 3.0M (children) + 0.9M + 2.0M + 2.4M a year;
    # the four largest: 3 + 3 + 3 + 2.4 = 11.4M a year = 950,000 a month.
    # Family 2: one primary pupil, 900,000 a year = 75,000 a month.
    np.testing.assert_allclose(pkh_benefit_per_month(family), [950_000, 75_000])


def test_reallocation_is_budget_neutral():
    now = [100, 100, 0, 0]
    if_given = [100, 100, 60, 80]
    weight = [1, 1, 1, 1]
    p_not_eligible = [0.9, 0.2, 0.0, 0.0]
    p_poor = [0.1, 0.8, 0.8, 0.7]
    r = reallocate(now, if_given, weight, p_not_eligible, p_poor)
    # A (P not eligible 0.9) loses 100; C (most likely poor) gets its full 60,
    # D the remaining 40 of its 80: half a package.
    assert r.removed.tolist() == [True, False, False, False]
    np.testing.assert_allclose(r.added, [0, 0, 1, 0.5])
    assert r.budget_freed == r.budget_given == 100


def test_simulated_impact_by_hand():
    # Two areas, one person per household, lines 100 (poverty) and 60 (extreme).
    welfare = [40, 150, 90, 55]
    r = reallocate(
        [0, 100, 0, 0], [30, 100, 30, 30], [1, 1, 1, 1], [0, 0.9, 0, 0], [0.9, 0.1, 0.2, 0.5]
    )
    # 100 freed from household 2: households 1 and 4 get 30 each, household 3 gets 30.
    table = simulate_impact(
        welfare,
        [1, 1, 1, 1],
        [1, 1, 1, 1],
        ["a", "a", "b", "b"],
        r,
        [0, 100, 0, 0],
        [30, 100, 30, 30],
        100,
        60,
    ).set_index("area")
    regency = table.loc["ALL"]
    assert regency["poverty_fgt0_before"] == pytest.approx(3 / 4)  # 40, 90, 55
    assert regency["poverty_fgt0_after"] == pytest.approx(3 / 4)  # 70, 50, 120, 85 -> 3 poor
    assert regency["extreme_fgt0_before"] == pytest.approx(2 / 4)  # 40, 55
    assert regency["extreme_fgt0_after"] == pytest.approx(1 / 4)  # 50 (was 150)
    assert regency["extreme_poor_lifted_persons"] == 2  # 40 -> 70, 55 -> 85
    assert regency["extreme_poor_added_persons"] == 1  # 150 -> 50
    # The sample counts behind them (what published tables suppress below five).
    assert regency["sampled_households"] == 4
    assert regency["sampled_households_changed"] == 4
    assert (regency["sampled_extreme_poor_lifted"], regency["sampled_extreme_poor_added"]) == (2, 1)
    assert table.loc["a", "sampled_households_changed"] == 2
    assert table.loc["b", "poverty_fgt1_after"] == pytest.approx((1 - 85 / 100) / 2)


def test_verified_correction_round_on_the_synthetic_survey(tmp_path):
    from konsel_analysis.datasets import load_dataset
    from konsel_analysis.impact import simulate_correction_round
    from konsel_analysis.paths import CONFIGS_DIR
    from konsel_analysis.synth import generate_konsel, write_konsel

    write_konsel(generate_konsel(households=20_000, seed=8), tmp_path)
    dataset = load_dataset(tmp_path / "survey.parquet", CONFIGS_DIR / "konsel_survey.yml")
    table = simulate_correction_round(dataset, budget_visits=1_000)
    regency = table[table["area"] == "ALL"].set_index("scenario")
    verified = regency.loc["verified"]
    # Budget neutral, and a visit only removes benefits from households that stay
    # above the line without them: nobody is pushed into extreme poverty.
    assert verified["budget_given_rp_per_month"] == pytest.approx(verified["budget_rp_per_month"])
    assert verified["extreme_poor_added_persons"] == 0
    assert verified["extreme_fgt0_after"] <= verified["extreme_fgt0_before"]
    assert verified["poverty_fgt1_after"] < verified["poverty_fgt1_before"]
    assert verified["households_removed"] > 0
    # Acting on predictions alone removes benefits from some who need them.
    assert regency.loc["model only", "extreme_poor_added_persons"] > 0
    assert set(table["area"]) == {"ALL", *dataset.area}
