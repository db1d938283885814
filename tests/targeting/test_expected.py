"""The receipt-aware model behind expected errors in the register."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from konsel_analysis.datasets import load_dataset, load_register
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.synth import generate_konsel, write_konsel
from konsel_analysis.targeting.expected import (
    Stage2Rows,
    SurveySample,
    estimate_expected_errors,
    fit_penalized_logit,
    fit_receipt_model,
)
from konsel_analysis.targeting.score import register_households, survey_sample

CONFIG = CONFIGS_DIR / "konsel_survey.yml"


def test_unpenalized_logit_matches_scikit_learn():
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(400), rng.normal(size=(400, 2))])
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.5 + X[:, 1] - 2 * X[:, 2])))).astype(float)
    w = rng.uniform(0.5, 3, 400)
    ours = fit_penalized_logit(X, y, w, penalty=np.zeros(3))
    theirs = LogisticRegression(C=np.inf, tol=1e-12, max_iter=1000).fit(
        X[:, 1:], y, sample_weight=w / w.mean()
    )
    np.testing.assert_allclose(ours, np.r_[theirs.intercept_, theirs.coef_[0]], atol=1e-3)


def test_penalty_shrinks_only_the_penalised_terms():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(300), rng.normal(size=300), rng.integers(0, 2, 300)])
    y = (rng.random(300) < 0.3 + 0.4 * X[:, 2]).astype(float)
    free = fit_penalized_logit(X, y, np.ones(300), np.zeros(3))
    shrunk = fit_penalized_logit(X, y, np.ones(300), np.array([0.0, 0.0, 1e4]))
    assert abs(shrunk[2]) < 0.05 * abs(free[2])
    # The intercept is free: mean calibration still holds.
    p = 1 / (1 + np.exp(-(X @ shrunk)))
    assert p.mean() == pytest.approx(y.mean(), abs=1e-6)


def test_stage2_linear_predictor_equals_the_design():
    rows = Stage2Rows.build(
        {"a": np.array([1, 0, 0]), "b": np.array([0, 0, 1])},
        ("a", "b"),
        np.array(["x", "y", "z"], dtype=object),
        ("x", "y"),
    )
    gap = np.array([0.1, -0.4, 0.3])
    beta = np.arange(rows.design(gap).shape[1], dtype=float) / 7
    np.testing.assert_allclose(rows.linear_predictor(gap, beta), rows.design(gap) @ beta)
    # Area z is unknown to the model: no area dummy is set for it.
    assert rows.fixed[2, 3:5].sum() == 0


@pytest.fixture(scope="module")
def konsel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("k")
    data = generate_konsel(households=20_000, seed=13)
    write_konsel(data, folder)
    dataset = load_dataset(folder / "survey.parquet", CONFIG)
    register = load_register(folder / "register.parquet", CONFIG)
    return data, dataset, register


def test_model_reproduces_the_poor_among_beneficiaries_and_others(konsel):
    _, dataset, _ = konsel
    sample = survey_sample(dataset)
    model = fit_receipt_model(
        sample, dataset.poverty_line, dataset.extreme_poverty_line, squared=dataset.config.squared
    )
    p = model.predict(sample.X, sample.programs, sample.area)["p_poor"].to_numpy()
    poor = dataset.is_poor
    w = dataset.weight
    ben = np.logical_or.reduce(list(sample.programs.values()))
    # Maximum-likelihood score equations, in-sample (the index is out-of-fold, so the
    # full-sample index differs slightly): within 3% of the weighted count.
    for group in (ben, ~ben):
        assert np.sum(w * p * group) == pytest.approx(np.sum(w * poor * group), rel=0.03)


def test_receipt_lowers_expected_inclusion_errors_towards_the_truth(konsel):
    data, dataset, register = konsel
    sample = survey_sample(dataset)
    households = register_households(register)
    with_receipt = estimate_expected_errors(
        sample, households, dataset.poverty_line, squared=dataset.config.squared, reps=20
    )
    blind = SurveySample(
        sample.X, sample.log_welfare, sample.weight, sample.cluster, sample.area, {}
    )
    p_blind = fit_receipt_model(
        blind, dataset.poverty_line, squared=dataset.config.squared
    ).predict(households.X, {}, households.area)["p_poor"]
    ben = households.is_beneficiary
    truth = int((ben & ~data.register_truth["is_poor"].to_numpy()).sum())
    from_proxies_only = float(((1 - p_blind.to_numpy()) * ben).sum())
    from_receipt = float(
        with_receipt.by_area.set_index("area").loc["ALL", "expected_inclusion_errors"]
    )
    # P(poor | proxies) alone overstates inclusion errors among beneficiaries.
    assert from_proxies_only > from_receipt
    assert abs(from_receipt - truth) < abs(from_proxies_only - truth)


def test_expected_error_table_shape_and_intervals(konsel):
    _, dataset, register = konsel
    result = estimate_expected_errors(
        survey_sample(dataset),
        register_households(register),
        dataset.poverty_line,
        dataset.extreme_poverty_line,
        squared=dataset.config.squared,
        reps=30,
    )
    table = result.by_area
    assert list(table["area"])[-1] == "ALL" and len(table) == 26
    for name in (
        "expected_inclusion_errors",
        "expected_exclusion_errors",
        "expected_extreme_poor_not_covered",
    ):
        assert (table[f"{name}_low"] <= table[name] + 1e-9).all()
        assert (table[name] <= table[f"{name}_high"] + 1e-9).all()
        assert table[name].iloc[-1] == pytest.approx(table[name].iloc[:-1].sum())
    assert table["beneficiaries"].iloc[-1] == register_households(register).is_beneficiary.sum()
    assert (table["expected_inclusion_errors"] <= table["beneficiaries"]).all()
    probabilities = result.probabilities
    assert probabilities["p_extreme"].le(probabilities["p_poor"] + 0.05).mean() > 0.99
    assert isinstance(probabilities, pd.DataFrame) and len(probabilities) == register.n
