"""The points scorecard (issue 14, item 7): the chosen PMT when linear, else the best
linear one; whole points; cut-offs at the quota and the poverty line; two languages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pmt_helpers import rng_table

from konsel_analysis.pmt.estimators import LinearPMT
from konsel_analysis.pmt.points import (
    choose_scorecard_estimator,
    points_table,
    quota_cutoff,
    total_points,
)


@pytest.fixture(scope="module")
def fitted():
    X, y = rng_table(n=400, seed=2)
    X["land"] = np.random.default_rng(2).lognormal(0, 1, 400).round(2)  # 400 values: bands
    model = LinearPMT(min_count=1).fit(X, y)
    return model, X


def test_points_are_100_times_each_contribution_rounded(fitted):
    model, X = fitted
    table = points_table(model, "wls", X, np.ones(len(X)))
    coef = dict(zip(model.feature_names_, model.coef_, strict=True))
    base = table[table["row"] == "base"]["points"].item()
    assert base == round(100 * model.intercept_)
    size = table[table["variable"] == "size"].set_index("low")["points"]
    assert list(size.index) == [1, 2, 3, 4, 5, 6, 7, 8]  # one row per household size
    assert size[5.0] == round(100 * coef["size"] * 5)
    floor = table[table["variable"] == "floor"].set_index("level")["points"]
    assert floor[model.features_.reference_["floor"]] == 0
    assert floor["earth"] == round(100 * coef["floor=earth"])
    land = table[table["variable"] == "land"]
    assert len(land) == 5 and set(land["row"]) == {"band"}  # weighted quintile bands
    assert table["points"].map(lambda v: isinstance(v, int | np.integer)).all()


def test_hand_added_totals_follow_the_table_and_track_the_model(fitted):
    model, X = fitted
    table = points_table(model, "wls", X, np.ones(len(X)))
    totals = total_points(table, X)
    # household 0 by hand: the base, its size's row, its floor's row, its car's row, land band
    row = X.iloc[0]
    by_hand = table[table["row"] == "base"]["points"].item()
    for col in ("size", "car"):
        rows = table[table["variable"] == col]
        by_hand += rows.loc[rows["low"] == row[col], "points"].item()
    floor = table[(table["variable"] == "floor") & (table["level"] == row["floor"])]
    by_hand += floor["points"].item()
    land = table[table["variable"] == "land"]
    inside = (land["low"] <= row["land"]) & (row["land"] < land["high"])
    by_hand += land.loc[inside, "points"].item()
    assert totals[0] == by_hand
    # rounding and banding: within a few points of 100 x the predicted log welfare
    gap = np.abs(totals - 100 * model.predict_log(X))
    assert np.corrcoef(totals, model.predict_log(X))[0, 1] > 0.99 and np.median(gap) < 5


def test_quota_cutoff_selects_the_share_by_weight():
    totals = np.array([5, 1, 3, 9, 7])
    w = np.array([1.0, 1.0, 2.0, 1.0, 1.0])
    # sorted 1 (w 1), 3 (w 2), 5, 7, 9: below 4 holds 3/6 = 50% of the weight
    assert quota_cutoff(totals, w, 0.5) == 4
    assert quota_cutoff(totals, w, 0.1) == 2


def test_which_estimator_the_scorecard_is():
    name, why_id, why_en = choose_scorecard_estimator("quantile", ["quantile", "wls"])
    assert name == "quantile" and "is linear" in why_en and "linier" in why_id
    name, _, why_en = choose_scorecard_estimator(
        "random_forest", ["random_forest", "gradient_boosting", "wls_lasso", "wls"]
    )
    assert name == "wls_lasso"
    assert why_en == (
        "the chosen PMT (random_forest) is not linear; this scorecard is the best linear "
        "one, wls_lasso"
    )
    assert choose_scorecard_estimator("random_forest", ["random_forest"])[0] is None


def test_validate_pmt_writes_the_points_scorecard(tmp_path):
    """End to end on a small table: the file, its cut-offs and the model card's words."""
    import json

    from pmt_helpers import small_config, write_config

    from konsel_analysis.pmt.step import run as run_validate_pmt

    X, y = rng_table(n=300, seed=5)
    frame = X.assign(hh=np.arange(300), village=np.arange(300) % 30, area="A", cons=y.round(0))
    frame.to_csv(tmp_path / "t.csv", index=False)
    config = small_config(categorical=["floor"])
    result, _ = run_validate_pmt(
        tmp_path / "t.csv",
        write_config(tmp_path / "t.yml", config),
        folds=3,
        seed=0,
        out=tmp_path / "pmt",
        left_out=["gradient_boosting", "random_forest", "quantile"],
    )
    points = pd.read_csv(tmp_path / "pmt" / "scorecard_points.csv", keep_default_na=False)
    cuts = points.set_index("row")["points"]
    assert cuts["cutoff_poverty_line"] == round(100 * np.log(result.dataset.poverty_line))
    card = json.loads((tmp_path / "pmt" / "model_card.json").read_text(encoding="utf-8"))
    assert card["scorecard"]["estimator"] == result.best  # every compared one is linear
    assert card["scorecard"]["cutoff_quota"] == cuts["cutoff_quota"]
    assert card["scorecard"]["log1p"] == []  # size, car: nothing skewed enough
    assert {"label_id", "label_en", "value_id", "value_en"} <= set(points.columns)
