"""Targeting metrics on tables small enough to check with a pencil."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import r2_score, roc_auc_score

from konsel_analysis.pmt import metrics
from konsel_analysis.weighted import weighted_quantile

# Five households: two poor (A, B), three not (C, D, E), weights 1, 3, 2, 2, 2 (total 10).
POOR = np.array([True, True, False, False, False])
WEIGHT = np.array([1.0, 3.0, 2.0, 2.0, 2.0])

# (selection, exclusion, inclusion, coverage, why)
TARGETING_CASES = [
    (
        [True, False, True, False, False],
        3 / 4,
        2 / 3,
        3 / 10,
        "A and C selected: poor weight 4, of which B (3) missed; selected weight 3, of which C (2) "
        "not poor; 3 of 10 covered",
    ),
    (
        [True, True, False, False, False],
        0.0,
        0.0,
        4 / 10,
        "exactly the poor: no error either way; 4 of 10 covered",
    ),
    (
        [False, True, True, True, False],
        1 / 4,
        4 / 7,
        7 / 10,
        "B, C, D: A (1 of 4) missed; C and D (4 of 7) wrongly in",
    ),
    (
        [True, True, True, True, True],
        0.0,
        6 / 10,
        1.0,
        "everybody: nobody excluded, the 6 non-poor of 10 included",
    ),
]


@pytest.mark.parametrize(
    ("selected", "exclusion", "inclusion", "coverage", "why"),
    TARGETING_CASES,
    ids=[c[-1][:30] for c in TARGETING_CASES],
)
def test_targeting_errors_hand_worked(selected, exclusion, inclusion, coverage, why):
    got = metrics.targeting_errors(POOR, np.array(selected), WEIGHT)
    assert got["exclusion_error"] == pytest.approx(exclusion), why
    assert got["inclusion_error"] == pytest.approx(inclusion), why
    assert got["coverage"] == pytest.approx(coverage), why


def test_targeting_errors_undefined_are_nan():
    nobody = metrics.targeting_errors(POOR, np.zeros(5, bool), WEIGHT)
    # Nobody selected: every poor household is excluded, inclusion has no denominator.
    assert nobody["exclusion_error"] == 1.0
    assert math.isnan(nobody["inclusion_error"])
    assert nobody["coverage"] == 0.0
    no_poor = metrics.targeting_errors(np.zeros(5, bool), POOR, WEIGHT)
    assert math.isnan(no_poor["exclusion_error"])
    assert no_poor["inclusion_error"] == 1.0


def test_targeting_errors_scale_invariant_and_duplication_equivalent():
    rng = np.random.default_rng(3)
    poor, sel = rng.random(50) < 0.3, rng.random(50) < 0.4
    w = rng.integers(1, 5, 50).astype(float)
    base = metrics.targeting_errors(poor, sel, w)
    scaled = metrics.targeting_errors(poor, sel, 1234.5 * w)
    repeated = metrics.targeting_errors(
        np.repeat(poor, w.astype(int)), np.repeat(sel, w.astype(int)), None
    )
    for key in base:
        assert scaled[key] == pytest.approx(base[key])
        assert repeated[key] == pytest.approx(base[key])


def test_weighted_auc_hand_worked_with_tie():
    # Scores (higher = more likely poor): A 0.9, B 0.4, C 0.4, D 0.2, E 0.1.
    # Pairs (poor, non-poor) with weight products: A beats C, D, E: 1*(2+2+2) = 6;
    # B ties C: 0.5 * 3*2 = 3; B beats D and E: 3*(2+2) = 12. Total pair weight 4*6 = 24.
    # AUC = (6 + 3 + 12) / 24 = 0.875.
    score = np.array([0.9, 0.4, 0.4, 0.2, 0.1])
    assert metrics.weighted_auc(POOR, score, WEIGHT) == pytest.approx(21 / 24)
    assert metrics.weighted_auc(POOR, score, WEIGHT) == pytest.approx(
        roc_auc_score(POOR, score, sample_weight=WEIGHT)
    )


def test_weighted_auc_matches_sklearn_and_repetition():
    rng = np.random.default_rng(0)
    y = rng.random(300) < 0.2
    s = np.round(rng.normal(size=300) + y, 1)  # rounding makes many ties
    w = rng.integers(1, 4, 300).astype(float)
    auc = metrics.weighted_auc(y, s, w)
    assert auc == pytest.approx(roc_auc_score(y, s, sample_weight=w))
    assert auc == pytest.approx(
        metrics.weighted_auc(np.repeat(y, w.astype(int)), np.repeat(s, w.astype(int)))
    )
    assert math.isnan(metrics.weighted_auc(np.zeros(3, bool), np.arange(3.0)))


def test_weighted_r2_hand_worked():
    # y = 1, 2, 3 with weights 1, 1, 2: weighted mean (1 + 2 + 6) / 4 = 2.25.
    # SST = 1*1.5625 + 1*0.0625 + 2*0.5625 = 2.75; prediction 1, 2, 2.5 gives
    # SSE = 2 * 0.25 = 0.5; R2 = 1 - 0.5 / 2.75 = 0.8181...
    y, p, w = np.array([1.0, 2, 3]), np.array([1.0, 2, 2.5]), np.array([1.0, 1, 2])
    assert metrics.weighted_r2(y, p, w) == pytest.approx(1 - 0.5 / 2.75)
    assert metrics.weighted_r2(y, p, w) == pytest.approx(r2_score(y, p, sample_weight=w))
    assert math.isnan(metrics.weighted_r2(np.ones(3), np.ones(3)))


def test_select_at_rate_hand_worked():
    # Scores 5, 1, 3, 2, 4 (lower = poorer), weights 1, 3, 2, 2, 2, total 10, rate 0.5:
    # in score order B (w 3), D (2), C (2), E (2), A (1). Midpoints of cumulative weight:
    # B 1.5, D 4.0, C 6.0 ... ; at most 5.0 selects B and D: coverage 5/10 exactly.
    score = np.array([5.0, 1.0, 3.0, 2.0, 4.0])
    got = metrics.select_at_rate(score, WEIGHT, 0.5)
    assert got.tolist() == [False, True, False, True, False]
    # Rate 0.35: B (midpoint 1.5 <= 3.5) in, D (midpoint 4.0 > 3.5) out.
    assert metrics.select_at_rate(score, WEIGHT, 0.35).tolist() == [
        False,
        True,
        False,
        False,
        False,
    ]


def test_select_at_rate_ties_are_deterministic_by_row_order():
    score = np.array([1.0, 1.0, 1.0, 1.0])
    assert metrics.select_at_rate(score, np.ones(4), 0.5).tolist() == [True, True, False, False]


def test_select_at_line_is_strictly_below():
    assert metrics.select_at_line(np.array([99.0, 100.0, 101.0]), 100.0).tolist() == [
        True,
        False,
        False,
    ]


def test_weighted_quantile_hand_worked():
    # Values 10, 20, 30 with weights 1, 1, 2 (total 4): cumulative 1, 2, 4.
    # q = 0.25 -> first with cumulative >= 1: 10; q = 0.5 -> >= 2: 20; q = 0.6 -> >= 2.4: 30.
    v, w = np.array([30.0, 10.0, 20.0]), np.array([2.0, 1.0, 1.0])
    assert [weighted_quantile(v, w, q) for q in (0.25, 0.5, 0.6)] == [10, 20, 30]


def test_error_curve_rows_and_monotone_coverage():
    rng = np.random.default_rng(1)
    y = rng.random(1000) < 0.2
    s = rng.normal(size=1000) - y
    curve = metrics.error_curve(y, s, np.ones(1000))
    assert curve["coverage_target"].tolist() == pytest.approx([0.05 * k for k in range(1, 13)])
    assert np.allclose(curve["coverage"], curve["coverage_target"], atol=1e-3)
    # Selecting more can only exclude fewer of the poor.
    assert np.all(np.diff(curve["exclusion_error"]) <= 0)


def test_reliability_table_hand_worked():
    # Ten households with P = 0.0, 0.1, ..., 0.9 in 2 bins of equal weight:
    # low bin P 0.0-0.4 (mean 0.2), 1 event of 5 -> 0.2; high bin mean 0.7, 3 of 5 -> 0.6.
    p = np.arange(10) / 10
    event = np.array([0, 0, 0, 1, 0, 1, 0, 1, 1, 0], bool)
    table = metrics.reliability_table(event, p, np.ones(10), bins=2)
    assert table["n"].tolist() == [5, 5]
    assert table["mean_predicted"].tolist() == pytest.approx([0.2, 0.7])
    assert table["observed_rate"].tolist() == pytest.approx([0.2, 0.6])
    assert table["weight_share"].tolist() == pytest.approx([0.5, 0.5])
