"""The survey-measured step's faster paths give the same numbers and notes.

The bootstrap computes only the indicators it gives intervals to, both percentiles
in one call, and the notes one column write per reason (docs/speed_tricks.md,
"Step CPU, session 7"); none of it may move a bit of targeting_by_*.csv.
"""

from __future__ import annotations

import numpy as np
import pytest

from konsel_analysis.measured.targeting import (
    INDICATORS,
    SUMS,
    TargetingDesign,
    _percentile_interval,
    indicators_from_sums,
    measure_targeting,
)


def test_indicators_asked_for_alone_are_those_of_the_full_set_bit_for_bit():
    rng = np.random.default_rng(3)
    sums = rng.gamma(2.0, 50.0, size=(200, len(SUMS)))
    sums[rng.random(sums.shape) < 0.1] = 0.0  # no beneficiaries, no poor: NaN ratios
    full = indicators_from_sums(sums)
    for key in INDICATORS:
        alone = indicators_from_sums(sums, keys=(key,))
        assert list(alone) == [key]
        assert alone[key].tobytes() == full[key].tobytes(), key
    # By hand: 2 poor not receiving of 5 poor.
    s = np.array([10.0, 4.0, 5.0, 1.0, 3.0, 1.0, 1.0, 2.0, 5.0, 40.0, 25.0])
    assert float(indicators_from_sums(s, ("exclusion_error",))["exclusion_error"]) == 0.4


@pytest.mark.parametrize("n", [3, 9, 50, 500])
@pytest.mark.parametrize("alpha", [0.025, 0.05, 0.1])
def test_both_percentiles_in_one_call_are_the_two_single_ones(n, alpha):
    values = np.random.default_rng(n).normal(0.3, 0.1, n)
    values[::7] = np.nan  # replicates with an undefined ratio are left out
    finite = values[np.isfinite(values)]
    low, high = _percentile_interval(values, alpha)
    assert low == float(np.quantile(finite, alpha))
    assert high == float(np.quantile(finite, 1 - alpha))


def test_interval_of_three_values_by_hand():
    # Linear interpolation: the 5th percentile of (1, 2, 4) sits 0.1 of the way from
    # 1 to 2, the 95th 0.9 of the way from 2 to 4.
    low, high = _percentile_interval(np.array([4.0, 1.0, np.nan, 2.0]), 0.05)
    assert low == pytest.approx(1.1, abs=1e-15)
    assert high == pytest.approx(3.8, abs=1e-15)


def test_each_row_keeps_its_reasons_in_order():
    # Area A: 4 villages of 10 households; B: one village of 6 where nobody receives;
    # C: 2 villages of 3. B collects four reasons, in the order the steps add them.
    area = np.array(["A"] * 40 + ["B"] * 6 + ["C"] * 6)
    cluster = np.array([f"A{i // 10}" for i in range(40)] + ["B0"] * 6 + ["C0"] * 3 + ["C1"] * 3)
    poor = np.array([i % 3 == 0 for i in range(40)] + [True, False] * 3 + [True] * 6)
    pkh = np.array([i % 4 == 0 for i in range(40)] + [False] * 6 + [True, False] * 3)
    design = TargetingDesign(poor, np.zeros(52, bool), np.ones(52), area, cluster)
    table = measure_targeting(design, {"pkh": pkh}, reps=50).set_index("area")
    unshrunk = "leakage, undercoverage, cgh, targeting_differential are direct estimates"
    assert table.loc["B", "note"] == (
        "exclusion_error shrunk towards the regency value (3 sampled; direct value in "
        "exclusion_error_direct); no sampled beneficiaries: inclusion error undefined; "
        "one sampled village: interval ignores variation between villages; "
        f"small sample (0 beneficiaries, 3 poor sampled): {unshrunk}, read with care"
    )
    assert table.loc["ALL", "note"] == (
        f"small sample (13 beneficiaries, 23 poor sampled): {unshrunk}, read with care"
    )
    assert table.loc["C", "note"].startswith(
        "inclusion_error shrunk towards the regency value (3 sampled; "
    )
