"""The PMT estimators: what they learn, how weights enter, and calibrated P(poor)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from pmt_helpers import rng_table
from sklearn.base import clone

from konsel_analysis.pmt.classifiers import (
    ALPHA_GRID,
    BinaryPMT,
    BoostedClassPMT,
    MultinomialPMT,
)
from konsel_analysis.pmt.estimators import (
    GradientBoostingPMT,
    LinearPMT,
    PovertyWeightedPMT,
    QuantilePMT,
    RandomForestPMT,
    forward_stepwise_bic,
    independent_columns,
    lasso_bic,
)
from konsel_analysis.pmt.features import ProxyFeatures
from konsel_analysis.pmt.metrics import reliability_table

LINE, EXTREME = 462_710.0, 351_957.0  # parameters.yml, as in the Konsel config
SQUARED = ("household_size", "head_age_years")

# --------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------


def test_features_reference_level_squares_missing_and_unseen():
    X = pd.DataFrame(
        {
            "size": [1.0, 2.0, np.nan, 4.0, 5.0],
            "floor": ["earth", "tile", "tile", "earth", "tile"],
        }
    )
    # Weights make earth (1 + 5 = 6) more common than tile (3): earth is the reference.
    f = ProxyFeatures(squared=["size"], min_count=1).fit(X, sample_weight=[1, 1, 1, 5, 1])
    assert f.reference_ == {"floor": "earth"}
    assert list(f.get_feature_names_out()) == ["size", "size^2", "size__missing", "floor=tile"]
    # The missing size is filled with the median of 1, 2, 4, 5 = 3 and flagged.
    assert f.transform(X)[2].tolist() == [3.0, 9.0, 1.0, 1.0]
    unseen = pd.DataFrame({"size": [2.0], "floor": ["bamboo"]})
    assert f.transform(unseen).tolist() == [[2.0, 4.0, 0.0, 0.0]]  # scored as the reference


def test_features_pool_rare_levels_with_the_reference():
    X = pd.DataFrame({"floor": ["earth"] * 6 + ["tile"] * 5 + ["gold"]})
    f = ProxyFeatures(min_count=5).fit(X)
    assert f.levels_ == {"floor": ["tile"]}
    assert f.pooled_levels_ == {"floor": ["gold"]}


# --------------------------------------------------------------------------------------
# Linear PMT
# --------------------------------------------------------------------------------------


def test_linear_pmt_matches_statsmodels_wls_hc1():
    X, y = rng_table(500, seed=1)
    w = np.random.default_rng(2).uniform(0.5, 3.0, 500)
    model = LinearPMT(min_count=1).fit(X, y, sample_weight=w)
    ref = LinearPMT(min_count=1).fit(X, y, sample_weight=w).features_
    design = sm.add_constant(pd.DataFrame(ref.transform(X), columns=ref.get_feature_names_out()))
    expected = sm.WLS(np.log(y), design, weights=w).fit(cov_type="HC1")
    table = model.coef_table_
    assert table["coef"].to_numpy() == pytest.approx(expected.params.to_numpy())
    assert table["std_err"].to_numpy() == pytest.approx(expected.bse.to_numpy())
    assert table["p_value"].to_numpy() == pytest.approx(expected.pvalues.to_numpy())
    # And it recovers the world rng_table draws from.
    assert table.loc["size", "coef"] == pytest.approx(-0.12, abs=0.02)
    assert table.loc["car", "coef"] == pytest.approx(0.4, abs=0.06)
    assert list(table.columns) == ["coef", "std_err", "t", "p_value", "ci_low", "ci_high"]


def test_linear_pmt_weights_scale_and_duplication():
    X, y = rng_table(300, seed=4)
    w = np.random.default_rng(5).integers(1, 4, 300).astype(float)
    a = LinearPMT(min_count=1).fit(X, y, sample_weight=w)
    b = LinearPMT(min_count=1).fit(X, y, sample_weight=1000 * w)
    rows = np.repeat(np.arange(300), w.astype(int))
    c = LinearPMT(min_count=1).fit(X.iloc[rows], y[rows])
    assert a.predict(X) == pytest.approx(b.predict(X), rel=1e-9)
    assert a.predict(X) == pytest.approx(c.predict(X), rel=1e-9)


def test_collinear_columns_are_dropped_not_fatal():
    X, y = rng_table(200, seed=6)
    X["size_again"] = X["size"] * 2.0
    model = LinearPMT(min_count=1).fit(X, y)
    assert "size_again" not in model.coef_table_.index
    assert model.coef_[list(model.feature_names_).index("size_again")] == 0.0
    assert independent_columns(
        np.column_stack([np.ones(5), np.arange(5.0), 2 * np.arange(5.0)])
    ) == [0, 1]


@pytest.mark.parametrize("select", [forward_stepwise_bic, lasso_bic])
def test_selection_keeps_signal_and_drops_noise(select):
    rng = np.random.default_rng(7)
    Z = rng.normal(size=(800, 12))
    t = 1.0 + 0.5 * Z[:, 0] - 0.4 * Z[:, 3] + rng.normal(0, 0.5, 800)
    chosen = select(Z, t, np.ones(800))
    assert {0, 3} <= set(chosen)
    assert len(chosen) <= 5


def test_linear_selection_inside_the_estimator():
    X, y = rng_table(600, seed=8)
    rng = np.random.default_rng(9)
    for k in range(6):
        X[f"noise{k}"] = rng.normal(size=600)
    for selection in ("stepwise", "lasso"):
        model = LinearPMT(selection=selection, min_count=1).fit(X, y)
        kept = set(model.coef_table_.index)
        assert {"size", "car"} <= kept, selection
        assert len([k for k in kept if k.startswith("noise")]) <= 2, selection


# --------------------------------------------------------------------------------------
# Other regressions
# --------------------------------------------------------------------------------------


def test_quantile_pmt_fits_the_poverty_quantile():
    X, y = rng_table(800, seed=10)
    line = float(np.quantile(y, 0.2))
    model = QuantilePMT(poverty_line=line, min_count=1).fit(X, y)
    assert model.quantile_ == pytest.approx(np.mean(y < line))
    # About a fifth of households lie below their predicted conditional 20% quantile.
    assert np.mean(y < model.predict(X)) == pytest.approx(model.quantile_, abs=0.03)


def test_quantile_pmt_weights_equal_repetition():
    X, y = rng_table(200, seed=11)
    w = np.random.default_rng(12).integers(1, 4, 200).astype(float)
    rows = np.repeat(np.arange(200), w.astype(int))
    a = QuantilePMT(quantile=0.3, min_count=1).fit(X, y, sample_weight=w)
    b = QuantilePMT(quantile=0.3, min_count=1).fit(X.iloc[rows], y[rows])

    # The weighted check loss is the repeated-row loss: the same minimum.
    def loss(m):
        r = np.log(y) - m.predict_log(X)
        return np.sum(w * np.where(r >= 0, 0.3 * r, -0.7 * r))

    assert loss(a) == pytest.approx(loss(b), rel=1e-6)


def test_poverty_weighted_pmt_emphasises_the_bottom():
    X, y = rng_table(1000, seed=13)
    X["noise"] = np.random.default_rng(14).normal(size=1000)
    wls = LinearPMT(min_count=1).fit(X, y)
    pw = PovertyWeightedPMT(cutoff_quantile=0.4, upper_weight=0.0, min_count=1).fit(X, y)
    bottom = np.log(y) <= pw.log_cutoff_
    # Truncated at the cutoff, the fit is closer (in squared error) for the bottom 40%...
    err_pw = np.mean((np.log(y) - pw.predict_log(X))[bottom] ** 2)
    err_wls = np.mean((np.log(y) - wls.predict_log(X))[bottom] ** 2)
    assert err_pw < err_wls
    # ...and predicts the better-off lower, the price of that focus.
    assert np.mean(pw.predict_log(X)[~bottom]) < np.mean(wls.predict_log(X)[~bottom])


@pytest.mark.parametrize(
    "estimator", [GradientBoostingPMT(max_iter=50), RandomForestPMT(n_estimators=30, n_jobs=1)]
)
def test_tree_pmts_use_weights_and_predict_currency(estimator):
    X, y = rng_table(400, seed=15)
    w = np.where(X["car"] == 1, 5.0, 1.0)
    model = clone(estimator).set_params(poverty_line=float(np.median(y)), min_count=1)
    model.fit(X, y, sample_weight=w)
    pred = model.predict(X)
    assert np.all(pred > 0)
    assert np.corrcoef(np.log(pred), np.log(y))[0, 1] > 0.6
    p = model.predict_poverty_proba(X)["p_poor"]
    assert p.between(0, 1).all()
    assert p.corr(pd.Series(np.log(y) < np.log(np.median(y)), dtype=float)) > 0.4


def test_predict_poverty_proba_needs_a_line_and_keeps_the_index():
    X, y = rng_table(200, seed=16)
    X.index = [f"h{i}" for i in range(200)]
    model = LinearPMT(min_count=1).fit(X, y)
    with pytest.raises(ValueError, match="needs poverty_line"):
        model.predict_poverty_proba(X)
    model = LinearPMT(
        poverty_line=float(np.median(y)),
        extreme_poverty_line=float(np.quantile(y, 0.1)),
        min_count=1,
    ).fit(X, y)
    p = model.predict_poverty_proba(X)
    assert list(p.columns) == ["p_poor", "p_extreme_poor"]
    assert list(p.index) == list(X.index)
    assert (p["p_extreme_poor"] <= p["p_poor"]).all()


# --------------------------------------------------------------------------------------
# Classifiers
# --------------------------------------------------------------------------------------


def test_binary_pmt_definitions_of_poor_agree():
    X, y = rng_table(500, seed=17)
    line = float(np.quantile(y, 0.3))
    by_line = BinaryPMT(poverty_line=line, alpha=0.01, min_count=1).fit(X, y)
    flag = (y < line).astype(int)
    by_flag = BinaryPMT(alpha=0.01, min_count=1).fit(X, flag)
    by_class = BinaryPMT(poor_classes=["poor"], alpha=0.01, min_count=1).fit(
        X, np.where(flag == 1, "poor", "rich")
    )
    p = by_line.predict_poverty_proba(X)["p_poor"].to_numpy()
    assert p == pytest.approx(by_flag.predict_proba(X)[:, 1])
    assert p == pytest.approx(by_class.predict_poverty_proba(X)["p_poor"].to_numpy())
    assert by_line.predict(X).tolist() == (p >= 0.5).tolist()
    assert by_flag.predict(X).tolist() == (p >= 0.5).astype(int).tolist()


def test_binary_probit_and_chosen_penalty():
    X, y = rng_table(600, seed=18)
    model = BinaryPMT(link="probit", poverty_line=float(np.quantile(y, 0.3)), min_count=1).fit(X, y)
    assert model.alpha_ in ALPHA_GRID
    # Probit index: a bigger household is more likely poor, a car less.
    names = list(model.feature_names_)
    assert model.coef_[names.index("size")] > 0 > model.coef_[names.index("car")]


@pytest.mark.parametrize("estimator", [BinaryPMT(), MultinomialPMT()], ids=["logit", "multinomial"])
def test_penalty_on_numeric_proxies_per_sd_and_on_dummies_per_unit(estimator):
    # rooms: weighted mean 2, SD 2. floor=earth: 1 row in 4, a dummy left as 0/1.
    X = pd.DataFrame({"rooms": [0.0, 4.0, 0.0, 4.0] * 5, "floor": ["tile"] * 15 + ["earth"] * 5})
    y = np.array([1, 4, 2, 3] * 5)
    model = clone(estimator).set_params(poor_classes=[1, 2], alpha=0.1, min_count=1).fit(X, y)
    assert list(model.feature_names_) == ["rooms", "floor=earth"]
    assert model.mean_.tolist() == pytest.approx([2.0, 0.25])
    assert model.scale_.tolist() == pytest.approx([2.0, 1.0])


@pytest.mark.parametrize("estimator", [BinaryPMT(), MultinomialPMT()], ids=["logit", "multinomial"])
def test_penalty_search_can_shrink_a_model_without_signal(estimator):
    """20 proxies of pure noise: the chosen penalty goes past 0.1, where the old grid ended."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 20)), columns=[f"x{i}" for i in range(20)])
    y = rng.integers(1, 5, 200)
    model = clone(estimator).set_params(poor_classes=[1, 2]).fit(X, y)
    assert model.alpha_ in ALPHA_GRID
    assert model.alpha_ > 0.1


@pytest.mark.parametrize("estimator", [MultinomialPMT(), BoostedClassPMT(max_iter=50)])
def test_class_pmts_sum_poor_classes(estimator):
    X, y = rng_table(600, seed=19)
    classes = np.digitize(np.log(y), np.quantile(np.log(y), [0.15, 0.3, 0.6])) + 1  # 1..4
    model = clone(estimator).set_params(poor_classes=[1, 2], extreme_classes=[1], min_count=1)
    model.fit(X, classes)
    proba = model.predict_proba(X)
    p = model.predict_poverty_proba(X)
    assert p["p_poor"].to_numpy() == pytest.approx(proba[:, :2].sum(axis=1))
    assert p["p_extreme_poor"].to_numpy() == pytest.approx(proba[:, 0])
    assert set(model.predict(X)) <= {1, 2, 3, 4}


# --------------------------------------------------------------------------------------
# Calibration of P(poor) on synthetic Konsel: fitted on the survey, checked on the register
# --------------------------------------------------------------------------------------

CALIBRATION_TOLERANCE = 0.05  # absolute, per decile of predicted P(poor)


@pytest.mark.parametrize(
    "estimator",
    [
        LinearPMT(LINE, EXTREME, squared=SQUARED),
        PovertyWeightedPMT(LINE, EXTREME, squared=SQUARED),
        GradientBoostingPMT(LINE, EXTREME, squared=SQUARED),
        BinaryPMT("logit", LINE, EXTREME, squared=SQUARED),
    ],
    ids=["wls", "poverty_weighted", "gradient_boosting", "logit"],
)
def test_p_poor_is_calibrated_by_decile(estimator, training, population):
    X, y, w, village = training
    XR, is_poor, is_extreme = population
    model = clone(estimator).fit(X, y, sample_weight=w, groups=village)
    p = model.predict_poverty_proba(XR)
    for event, column in ((is_poor, "p_poor"), (is_extreme, "p_extreme_poor")):
        table = reliability_table(event, p[column].to_numpy())
        gap = (table["mean_predicted"] - table["observed_rate"]).abs()
        assert gap.max() < CALIBRATION_TOLERANCE, (column, table)
    # The deciles separate: the top decile holds far more poor than the bottom five.
    table = reliability_table(is_poor, p["p_poor"].to_numpy())
    assert table["observed_rate"].iloc[-1] > 0.35
    assert table["observed_rate"].iloc[:5].max() < 0.03


def test_in_sample_residuals_would_be_caught(training, population):
    """Negative control: the decile check above does catch a miscalibrated P(poor).

    A deep booster judged by its in-sample residuals (``residual_folds=1``)
    believes it fits far better than it does, so its P(poor) is too extreme.
    """
    X, y, w, village = training
    XR, is_poor, _ = population
    overfit = GradientBoostingPMT(
        LINE,
        squared=SQUARED,
        residual_folds=1,
        max_leaf_nodes=63,
        min_samples_leaf=5,
        max_iter=150,
        learning_rate=0.2,
    )
    p = overfit.fit(X, y, sample_weight=w).predict_poverty_proba(XR)["p_poor"].to_numpy()
    table = reliability_table(is_poor, p)
    assert (table["mean_predicted"] - table["observed_rate"]).abs().max() > 0.08
