"""The areas' bias of the expected-error model: residuals, Fay-Herriot posterior, flag."""

from __future__ import annotations

import numpy as np
import pytest

from konsel_analysis.targeting.area_bias import (
    AreaBias,
    apply_area_bias,
    area_residuals,
    estimate_area_bias,
    fay_herriot_posterior,
)

INCLUSION = "expected_inclusion_errors"


def test_area_residuals_by_hand():
    """Area A: weights 1, 1, 2 in two villages; errors 1, 0, 1; probabilities 0.1 each.

    Expected 0.1 + 0.1 + 0.2 = 0.4, errors 3: relative residual (3 - 0.4) / 0.4 = 6.5.
    Linearised, w (e - 7.5 p): 0.25, -0.75 (village 1, sum -0.5) and 2 x 0.25 = 0.5
    (village 2). Variance: 2 / 1 x (0.25 + 0.25) / 0.16 = 6.25 (above the binomial floor
    (0.09 + 0.09 + 4 x 0.09) / 0.16 = 3.375). Area B has no household of the group: none.
    """
    r, v = area_residuals(
        error=np.array([1.0, 0.0, 1.0, 1.0]),
        probability=np.full(4, 0.1),
        in_group=np.array([True, True, True, False]),
        weight=np.array([1.0, 1.0, 2.0, 1.0]),
        area=np.array(["A", "A", "A", "B"]),
        cluster=np.array(["1", "1", "2", "3"]),
        areas=("A", "B"),
    )
    assert r[0] == pytest.approx(6.5) and v[0] == pytest.approx(6.25)
    assert np.isnan(r[1]) and np.isnan(v[1])


def test_residual_variance_is_floored_at_the_binomial_one():
    """Every household an error with probability 0.9: linearised residuals are all zero,
    but four households cannot pin a count down: variance 4 x 0.09 / 3.6^2."""
    r, v = area_residuals(
        np.ones(4), np.full(4, 0.9), np.ones(4, bool), np.ones(4), np.array(["A"] * 4),
        np.array(["1", "1", "2", "2"]), ("A",),
    )  # fmt: skip
    assert r[0] == pytest.approx(0.4 / 3.6) and v[0] == pytest.approx(0.36 / 3.6**2)


def test_posterior_intervals_cover_simulated_area_biases():
    """400 areas, biases b ~ N(0, 0.05^2), residuals b + N(0, v_a) with v_a from tiny to
    four times the between-area variance: the between-area variance is recovered and the
    90% posterior intervals hold the true biases about 90% of the time, also in the
    thinly sampled areas."""
    rng = np.random.default_rng(5)
    n = 400
    bias = 0.05 * rng.standard_normal(n)
    variance = np.geomspace(0.0001, 0.01, n)
    residual = bias + np.sqrt(variance) * rng.standard_normal(n)
    shift, sd, between = fay_herriot_posterior(residual, variance, np.ones(n, bool))
    assert between == pytest.approx(0.05, rel=0.15)
    inside = np.abs(bias - shift) <= 1.645 * sd
    assert 0.86 <= inside.mean() <= 0.94
    assert 0.82 <= inside[n // 2 :].mean() <= 0.98  # the noisier half
    # the noisiest areas keep little of their own residual: sd close to the prior's
    assert sd[-1] == pytest.approx(between * np.sqrt(0.01 / (between**2 + 0.01)), rel=1e-9)


def test_uninformed_areas_take_the_prior():
    """Areas B (two beneficiaries sampled) and C (one village) cannot inform: they get no
    shift and the between-area sd whatever their residual; A and D inform."""
    rng = np.random.default_rng(0)
    areas = np.repeat(["A", "B", "C", "D"], 40)
    cluster = np.repeat([f"v{i}" for i in range(16)], 10)
    cluster[80:120] = "c-one"  # all of C in one village
    beneficiary = rng.random(160) < 0.5
    beneficiary[40:80] = False
    beneficiary[40:42] = True  # B: two sampled beneficiaries
    probability = np.full(160, 0.4)
    error = (rng.random(160) < 0.4).astype(float)
    error[40:80] = 1.0  # B's residual would be large if it were used
    errors = {INCLUSION: np.where(beneficiary, error, 0.0)}
    oob = {INCLUSION: np.where(beneficiary, probability, 0.0)}
    bias = estimate_area_bias(errors, oob, beneficiary, np.ones(160), areas, cluster)
    assert bias.uninformed.tolist() == [False, True, True, False]
    assert bias.sampled_beneficiaries[1] == 2 and bias.sampled_villages[2] == 1
    between = bias.between_sd[INCLUSION]
    assert between > 0
    assert bias.shift[INCLUSION][[1, 2]].tolist() == [0.0, 0.0]
    assert bias.sd[INCLUSION][[1, 2]] == pytest.approx([between, between])
    assert (bias.sd[INCLUSION][[0, 3]] < between).all()
    # a register area the survey never visited: the prior too, and flagged
    shift, sd, flag = bias.for_areas(["A", "E"])
    assert flag.tolist() == [False, True]
    assert (shift[INCLUSION][1], sd[INCLUSION][1]) == (0.0, pytest.approx(between))


def test_apply_area_bias_by_hand():
    """Area A biased by +10% of its count, B by 0, no spread: A's point 10 becomes 11 and its
    draws move by 1 (10% of the model's count), B's stay, the regency draw is the sum; C
    (not surveyed) takes the prior (no shift, no spread here) and is flagged."""
    bias = AreaBias(
        areas=("A", "B"),
        shift={INCLUSION: np.array([0.1, 0.0])},
        sd={INCLUSION: np.zeros(2)},
        between_sd={INCLUSION: 0.0},
        uninformed=np.array([False, False]),
        sampled_beneficiaries=np.array([20, 9]),
        sampled_villages=np.array([3, 2]),
    )
    draws = {INCLUSION: np.array([[8.0, 4.0, 1.0, 13.0], [12.0, 5.0, 2.0, 19.0]])}
    points, flag = apply_area_bias(
        bias,
        ["A", "B", "C"],
        {INCLUSION: np.array([10.0, 4.0, 1.5])},
        draws,
        np.random.default_rng(0),
    )
    assert points[INCLUSION] == pytest.approx([11.0, 4.0, 1.5])
    assert draws[INCLUSION] == pytest.approx(np.array([[9, 4, 1, 14], [13, 5, 2, 20]]))
    assert flag.tolist() == [False, False, True]


def test_thin_survey_areas_are_flagged_and_their_intervals_widened(tmp_path):
    """On a register of the family's thin-survey variant: the kecamatan where the survey
    visited one village are flagged, with a note, and their inclusion-error intervals are
    wider, relative to the count, than those of the informed kecamatan."""
    import sys
    from pathlib import Path

    from konsel_analysis.datasets import load_dataset, load_register
    from konsel_analysis.paths import CONFIGS_DIR
    from konsel_analysis.synth import write_konsel
    from konsel_analysis.targeting.expected import estimate_expected_errors
    from konsel_analysis.targeting.score import register_households, survey_sample

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from targeting_family import generate_variant

    config = CONFIGS_DIR / "konsel_survey.yml"
    data = generate_variant("thin_survey", 8_000, seed=2)
    write_konsel(data, tmp_path)
    dataset = load_dataset(tmp_path / "survey.parquet", config)
    register = register_households(load_register(tmp_path / "register.parquet", config))
    table = estimate_expected_errors(
        survey_sample(dataset), register, dataset.poverty_line, reps=20
    ).by_area.set_index("area")
    thin = set(data.register.loc[data.register_truth["is_thin_survey_area"], "kecamatan_code"])
    areas = table.drop("ALL")
    flagged = set(areas.index[areas["is_uninformed"]])
    assert thin <= flagged and len(flagged) < 25
    assert areas.loc[sorted(flagged), "interval_note"].str.contains("one village").all()
    assert (areas.loc[~areas["is_uninformed"], "interval_note"] == "").all()
    width = (areas[f"{INCLUSION}_high"] - areas[f"{INCLUSION}_low"]) / areas[INCLUSION]
    assert width[sorted(thin)].median() > width[~areas["is_uninformed"]].median()
