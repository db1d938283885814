"""Numerically sound fits (issue 14, item 3): solvers see standardised columns, users see
coefficients in the proxies' own units.

A real survey's asset values run to hundreds of thousands of rupiah (and their squares
to 1e14 and more) next to 0/1 dummies. scikit-learn's QuantileRegressor hands HiGHS
that matrix as it is, and the linear programme fails; the package's quantile PMT
solves it on standardised columns and maps the solution back.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import QuantileRegressor

from konsel_analysis.pmt.classifiers import BinaryPMT
from konsel_analysis.pmt.estimators import QuantilePMT, standardised_quantile_fit


def _assets_table(asset_scale: float, n: int = 1129, seed: int = 1):
    """Design matrix: an asset value (lognormal), land, the asset value squared, 30 dummies."""
    rng = np.random.default_rng(seed)
    assets = rng.lognormal(np.log(1e5), 1.5, n)
    land = rng.lognormal(0, 2, n) * 1e4
    dummies = (rng.random((n, 30)) < 0.2).astype(float)
    t = 6 + 0.3 * np.log(assets) + 0.1 * dummies[:, :5].sum(axis=1) + rng.normal(0, 0.4, n)
    w = rng.uniform(0.5, 3, n)
    assets = assets * asset_scale
    Z = np.column_stack([assets, land, assets**2, dummies])
    return Z, t, w * n / w.sum()


def test_standardised_quantile_fit_equals_the_raw_fit_where_both_converge():
    Z, t, w = _assets_table(1.0)
    columns = np.arange(Z.shape[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        raw = QuantileRegressor(quantile=0.2, alpha=0.0, solver="highs").fit(Z, t, sample_weight=w)
        fit = standardised_quantile_fit(Z, t, w, columns, 0.2)
    np.testing.assert_allclose(fit.coef, raw.coef_, rtol=1e-8)
    assert fit.intercept == pytest.approx(raw.intercept_, abs=1e-9)


def test_quantile_pmt_fits_where_the_raw_programme_fails():
    """Asset values x 100: the raw programme fails; the standardised one gives the same
    fitted values as on the original units (a linear model's fit does not depend on its
    columns' units), with the asset coefficient divided by 100 and its square's by 1e4."""
    Z1, t, w = _assets_table(1.0)
    Z100, _, _ = _assets_table(100.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="did not succeed"):
            QuantileRegressor(quantile=0.2, alpha=0.0, solver="highs").fit(Z100, t, sample_weight=w)
        names = ["assets", "land", "assets_sq", *(f"d{k}" for k in range(30))]
        fits = [
            QuantilePMT(quantile=0.2, min_count=1, residual_folds=2).fit(
                pd.DataFrame(Z, columns=names), np.exp(t), sample_weight=w
            )
            for Z in (Z1, Z100)
        ]
    np.testing.assert_allclose(fits[1].coef_[:3], fits[0].coef_[:3] / [100, 1, 1e4], rtol=1e-6)
    np.testing.assert_allclose(fits[1].coef_[3:], fits[0].coef_[3:], rtol=1e-6, atol=1e-9)
    fitted = [
        f.predict_log(pd.DataFrame(Z, columns=names)) for f, Z in zip(fits, (Z1, Z100), strict=True)
    ]
    np.testing.assert_allclose(fitted[1], fitted[0], atol=1e-7)


@pytest.mark.parametrize(("link", "family_link"), [("logit", "Logit"), ("probit", "Probit")])
def test_binary_pmt_coefficients_on_the_original_scale_match_an_unstandardised_fit(
    link, family_link
):
    """With a negligible ridge the index model is the weighted maximum-likelihood fit, which
    statsmodels computes on the raw columns (a land area in m², a dummy)."""
    rng = np.random.default_rng(4)
    n = 1500
    X = pd.DataFrame(
        {
            "land_m2": rng.lognormal(7, 1.2, n),
            "size": rng.integers(1, 9, n).astype(float),
            "car": (rng.random(n) < 0.3).astype(float),
        }
    )
    index = 1.0 - 0.0004 * X["land_m2"] + 0.25 * X["size"] - 1.2 * X["car"]
    poor = rng.random(n) < 1 / (1 + np.exp(-index))
    w = rng.uniform(0.5, 2.0, n)
    model = BinaryPMT(link, alpha=1e-10, max_iter=5000).fit(X, poor, sample_weight=w)
    intercept, coef = model.original_scale()
    link_cls = getattr(sm.families.links, family_link)
    reference = sm.GLM(
        poor.astype(float),
        sm.add_constant(X.to_numpy()),
        family=sm.families.Binomial(link_cls()),
        var_weights=w,
    ).fit()
    params = np.asarray(reference.params)
    # L-BFGS-B stops at its gradient tolerance: agreement to a few parts in 10,000
    np.testing.assert_allclose(coef, params[1:], rtol=5e-4)
    assert intercept == pytest.approx(params[0], rel=5e-4)
    # The index on the raw columns is the model's own decision function.
    np.testing.assert_allclose(
        intercept + X.to_numpy() @ coef, model.decision_function(X), atol=1e-9
    )
