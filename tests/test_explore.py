"""The workbench's callbacks: worked by hand on tiny tables, and on a small regency."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from konsel_analysis import explore
from konsel_analysis.datasets import load_register
from konsel_analysis.errors import UserError
from konsel_analysis.paths import DEFAULT_DATASET_CONFIG
from konsel_analysis.synth import generate_konsel


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
        rows=None,
        model=None,
        index=None,
        replicates=[],
        survey=survey,
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


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("workbench")
    data = generate_konsel(households=3_000, seed=31, survey_households=400)
    data.survey.to_parquet(root / "survey.parquet")
    data.register.to_parquet(root / "register.parquet")
    wb = explore.load_workbench(root / "survey.parquet", root / "register.parquet", reps=8)
    return wb, load_register(root / "register.parquet", DEFAULT_DATASET_CONFIG)


def test_expected_errors_at_the_survey_lines_match_the_fitted_model(small):
    wb, register = small
    errors = explore.expected_errors(wb, wb.poverty_line, wb.extreme_line).set_index("area")
    # independent path: the model's own predict, at the lines it was fitted with
    p = wb.model.predict(register.X, register.programs, register.area)
    beneficiary = np.logical_or.reduce(list(register.programs.values()))
    assert errors.loc["ALL", "expected_exclusion_errors"] == pytest.approx(
        p["p_poor"].to_numpy()[~beneficiary].sum(), rel=1e-10
    )
    assert errors.loc["ALL", "expected_inclusion_errors"] == pytest.approx(
        (1 - p["p_poor"].to_numpy()[beneficiary]).sum(), rel=1e-10
    )
    assert errors.loc["ALL", "beneficiaries"] == beneficiary.sum()
    for name in ("expected_inclusion_errors", "expected_exclusion_errors"):
        # 8 replicates: the interval need not contain the point, but it has a width
        # between 2% and 300% of the expected count (a 400-household survey: wide)
        low, high, point = (errors.loc["ALL", f"{name}{s}"] for s in ("_low", "_high", ""))
        assert 0.02 * point < high - low < 3 * point


def test_a_higher_line_means_more_poor_left_out_and_answers_fast(small):
    wb, _ = small
    started = time.process_time()
    higher = explore.expected_errors(wb, 1.2 * wb.poverty_line, wb.extreme_line)
    assert time.process_time() - started < 1.0
    base = explore.expected_errors(wb, wb.poverty_line, wb.extreme_line)
    assert higher.iloc[-1]["expected_exclusion_errors"] > base.iloc[-1]["expected_exclusion_errors"]
    with pytest.raises(UserError, match="extreme line"):
        explore.expected_errors(wb, wb.poverty_line, 2 * wb.poverty_line)


def test_the_budget_slider_changes_the_visit_split(small):
    wb, _ = small
    box = explore.build_workbench(wb)
    sliders = {s.description: s for s in box.children if hasattr(s, "description")}
    status = next(c for c in box.children if type(c).__name__ == "HTML")
    budget = sliders["Anggaran kunjungan"]
    sliders["Porsi audit acak"].value = 0.1
    budget.value = 1000
    assert "900 prioritas + 100 audit" in status.value
    budget.value = 500
    assert "450 prioritas + 50 audit" in status.value


def test_binned_probabilities_are_the_exact_ones_to_a_bin(small):
    wb, _ = small
    codes = pd.factorize(pd.Series(wb.area, dtype=object), sort=True)[0]
    cell = codes * 2 + wb.rows.any_receipt.astype(int)
    exact = wb.model.probabilities(wb.rows, wb.index)
    p_poor, p_extreme = explore.binned_probabilities(wb.model, wb.rows, cell, wb.index)
    # a household moves at most half a bin (0.005 in log consumption)
    assert np.abs(p_poor - exact["poor"]).max() < 0.01
    assert p_poor.sum() == pytest.approx(exact["poor"].sum(), rel=2e-3)
    assert np.all(p_extreme <= p_poor)


def test_one_kecamatan_shows_next_to_the_regency_and_draws(small):
    import matplotlib

    matplotlib.use("Agg")
    wb, _ = small
    c = explore.default_controls(wb)
    c.area = wb.areas[0]
    tables = explore.summarise(wb, c)
    assert all(sorted(t["area"]) == sorted([wb.areas[0], explore.ALL]) for t in tables.values())
    fig = explore.draw(tables, c)
    # the report charts may set axes.titlelocation: read the title wherever it is
    title = "".join(fig.axes[0].get_title(loc=where) for where in ("left", "center", "right"))
    assert title.startswith(f"Kecamatan {wb.areas[0]}\n")
