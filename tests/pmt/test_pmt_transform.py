"""Skewed proxies (issue 14, item 4): the config's ``transform`` takes long-tailed
non-negative proxies as log(1 + value) in the linear models.

The table below is the shape of the real survey in the issue: asset values in rupiah,
lognormal with a tenth at zero, and land in hectares, both entering welfare through
their logarithm. WLS on the raw values is driven by the few richest households.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pmt_helpers import write_config

from konsel_analysis.datasets import DatasetError, load_dataset, load_dataset_config
from konsel_analysis.pmt.estimators import LinearPMT
from konsel_analysis.pmt.features import ProxyFeatures, weighted_skewness
from konsel_analysis.pmt.model_card import build_model_card, render_markdown
from konsel_analysis.pmt.scorecard import apply_scorecard, scorecard_table
from konsel_analysis.pmt.validation import validate_pmt


def lognormal_assets(n: int = 1200, seed: int = 14) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    village = rng.integers(0, 100, n)
    size = rng.integers(1, 9, n)
    assets = np.round(rng.lognormal(np.log(400_000), 1.3, n), -3)  # rupiah
    assets[rng.random(n) < 0.1] = 0
    land = np.round(rng.lognormal(-1, 1.2, n), 2)  # hectares
    log_y = (
        11.5
        - 0.1 * size
        + 0.12 * np.log1p(assets / 1000)
        + 0.15 * np.log1p(land)
        + rng.normal(0, 0.35, n)
    )
    return pd.DataFrame(
        {
            "hh": np.arange(n),
            "area": [f"A{v // 10}" for v in village],
            "village": village,
            "wt": rng.uniform(20, 80, n).round(1),
            "cons": np.exp(log_y).round(0),
            "size": size,
            "assets": assets,
            "land": land,
        }
    )


CONFIG = {
    "household_id": "hh",
    "welfare": "cons",
    "weight": "wt",
    "area": "area",
    "cluster": "village",
    "area_effects": False,
    "proxies": {"numeric": ["size", "assets", "land"]},
    "poverty_line": {"quantile": 0.25},
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("lognormal")
    lognormal_assets().to_csv(root / "t.csv", index=False)
    return load_dataset(root / "t.csv", write_config(root / "t.yml", CONFIG))


def test_weighted_skewness_by_hand():
    # values 0, 0, 3 with weights 1, 1, 1 and 0, 3 with weights 2, 1: the same distribution
    assert weighted_skewness(np.array([0.0, 0.0, 3.0]), np.ones(3)) == pytest.approx(
        weighted_skewness(np.array([0.0, 3.0]), np.array([2.0, 1.0]))
    )
    # mean 1, variance 2, third moment (2 * (-1)^3 + 2^3) / 3 = 2: skewness 2 / 2^1.5
    assert weighted_skewness(np.array([0.0, 0.0, 3.0]), np.ones(3)) == pytest.approx(2**-0.5)


def test_auto_picks_the_long_tailed_amounts_only(dataset):
    X = dataset.X.assign(
        car=(dataset.X["assets"] > 2e6).astype(float),  # 0/1 and skewed: left alone
        debt=-dataset.X["assets"],  # negative: left alone
    )
    features = ProxyFeatures(log1p="auto").fit(X, sample_weight=dataset.weight)
    assert features.log1p_ == ["assets", "land"]
    assert features.skewness_["size"] < 0.1 and features.skewness_["assets"] > 10
    assert list(features.get_feature_names_out()[:3]) == ["size", "log1p(assets)", "log1p(land)"]
    Z = features.transform(X.iloc[:2])
    np.testing.assert_allclose(Z[:, 1], np.log1p(X["assets"].iloc[:2]))


def test_wls_gains_r2_and_exclusion_error_with_the_transform(dataset):
    """Five folds grouped by village, WLS alone: the numbers with and without the
    transform (fixed seed; the log-linear truth gives auto the advantage it should)."""
    entries = {}
    for setting in ("auto", None):
        model = LinearPMT(poverty_line=dataset.poverty_line, log1p=setting)
        entries[setting] = validate_pmt(dataset, folds=5, estimators={"wls": model}).results["wls"]
    auto, raw = entries["auto"], entries[None]
    assert auto["r2"] == pytest.approx(0.5084, abs=1e-4)
    assert raw["r2"] == pytest.approx(0.2739, abs=1e-4)
    assert auto["at_rate"]["exclusion_error"] == pytest.approx(0.3599, abs=1e-4)
    assert raw["at_rate"]["exclusion_error"] == pytest.approx(0.4614, abs=1e-4)


def test_scorecard_and_model_card_say_what_was_transformed(dataset):
    result = validate_pmt(
        dataset, folds=3, estimators={"wls": LinearPMT(poverty_line=dataset.poverty_line)}
    )
    model = result.linear_model
    table = scorecard_table(model)
    assert list(table.loc[table["kind"] == "log1p", "variable"]) == ["assets", "land"]
    np.testing.assert_allclose(apply_scorecard(table, dataset.X), model.predict_log(dataset.X))
    card = build_model_card(result)
    assert card["linear_model"]["transformed"]["log1p"] == ["assets", "land"]
    assert "log(1 + value) in the linear models: assets (skewness" in render_markdown(card)
    json.dumps(card, allow_nan=False)


@pytest.mark.parametrize(
    ("transform", "expected"),
    [("auto", "auto"), ("none", None), ({"log1p": ["land"]}, ("land",))],
)
def test_transform_key(tmp_path, transform, expected):
    path = write_config(tmp_path / "c.yml", {**CONFIG, "transform": transform})
    assert load_dataset_config(path).log1p == expected


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        ({"log1p": ["hh"]}, "transform.log1p names hh, which is not a numeric proxy"),
        ("sqrt", "'transform' must be auto"),
    ],
)
def test_bad_transform_is_named(tmp_path, transform, message):
    path = write_config(tmp_path / "c.yml", {**CONFIG, "transform": transform})
    with pytest.raises(DatasetError, match=message):
        load_dataset_config(path)
