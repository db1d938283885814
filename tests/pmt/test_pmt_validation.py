"""Grouped cross-validation, the choice of the best model, the scorecard and the model card."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pmt_helpers import KONSEL_CONFIG, rng_table

from konsel_analysis.datasets import DatasetError, load_dataset
from konsel_analysis.pmt import SLOW_ESTIMATORS, metrics
from konsel_analysis.pmt.estimators import LinearPMT
from konsel_analysis.pmt.fairness import pmt_exclusion_by_group
from konsel_analysis.pmt.model_card import build_model_card, render_markdown
from konsel_analysis.pmt.scorecard import apply_scorecard, scorecard_table
from konsel_analysis.pmt.validation import (
    choose_best,
    default_estimators,
    grouped_folds,
    rank_estimators,
    validate_pmt,
)


def test_grouped_folds_never_split_a_cluster():
    rng = np.random.default_rng(0)
    cluster = rng.integers(0, 57, 2000).astype(str)
    poor = rng.random(2000) < 0.1
    fold = grouped_folds(poor, cluster, 5, random_state=3)
    assert set(fold) == {0, 1, 2, 3, 4}
    assert pd.Series(fold).groupby(cluster).nunique().max() == 1
    # Stratified: every fold holds poor households, at a rate near the overall 10%.
    rates = pd.Series(poor).groupby(fold).mean()
    assert rates.between(0.05, 0.15).all()


@pytest.fixture(scope="module")
def survey_dataset(tmp_path_factory, small_survey):
    path = tmp_path_factory.mktemp("survey") / "survey.parquet"
    small_survey.to_parquet(path)
    return load_dataset(path, KONSEL_CONFIG)


@pytest.fixture(scope="module")
def survey_result(survey_dataset):
    return validate_pmt(survey_dataset, folds=3, seed=1)


def test_validation_folds_follow_villages(survey_result, survey_dataset):
    fold = survey_result.fold
    villages = pd.Series(fold).groupby(survey_dataset.cluster).nunique()
    assert villages.max() == 1
    assert len(set(fold)) == 3


def test_every_estimator_has_sane_out_of_sample_metrics(survey_result, survey_dataset):
    assert set(survey_result.results) == set(default_estimators(survey_dataset))
    assert not survey_result.failures
    for name, entry in survey_result.results.items():
        assert 0.75 < entry["auc"] <= 1.0, name
        for rule in ("at_line", "at_rate"):
            for value in entry[rule].values():
                assert 0.0 <= value <= 1.0, (name, rule)
        # At the rate the coverage is the poverty rate, to within one household's weight.
        assert entry["at_rate"]["coverage"] == pytest.approx(survey_dataset.poverty_rate, abs=0.01)
    for name in (
        "wls",
        "wls_stepwise",
        "wls_lasso",
        "poverty_weighted",
        "gradient_boosting",
        "random_forest",
    ):
        assert 0.3 < survey_result.results[name]["r2"] < 0.9, name
    assert survey_result.results["logit"]["r2"] is None


def test_metrics_are_recomputable_from_the_predictions(survey_result, survey_dataset):
    # The validation entry of wls, recomputed by hand from its pooled predictions.
    oos = survey_result.predictions["wls"]
    ds = survey_dataset
    selected = oos.predicted_welfare < ds.poverty_line
    w = ds.weight
    exclusion = w[ds.is_poor & ~selected].sum() / w[ds.is_poor].sum()
    assert survey_result.results["wls"]["at_line"]["exclusion_error"] == pytest.approx(exclusion)


def test_best_is_the_lowest_exclusion_at_rate(survey_result):
    best = survey_result.best
    lowest = min(e["at_rate"]["exclusion_error"] for e in survey_result.results.values())
    assert survey_result.results[best]["at_rate"]["exclusion_error"] == lowest
    assert best in survey_result.best_reason


def test_choose_best_breaks_ties_by_auc():
    def entry(excl, auc):
        return {"auc": auc, "at_rate": {"exclusion_error": excl}}

    results = {"a": entry(0.40, 0.80), "b": entry(0.40, 0.85), "c": entry(0.45, 0.99)}
    best, reason = choose_best(results)
    assert best == "b"
    assert "tie" in reason
    assert choose_best({"a": entry(float("nan"), 0.9), "b": entry(0.5, 0.5)})[0] == "b"


def test_a_fold_count_above_the_clusters_is_a_user_error(survey_dataset):
    with pytest.raises(DatasetError, match="fewer than the 500 folds"):
        validate_pmt(survey_dataset, folds=500)


def test_scorecard_reproduces_predict_on_the_log_scale(survey_result, survey_dataset):
    model = survey_result.linear_model
    table = scorecard_table(model)
    by_hand = apply_scorecard(table, survey_dataset.X)
    assert by_hand == pytest.approx(model.predict_log(survey_dataset.X), abs=1e-9)
    # One reference row per categorical proxy, named, with weight 0.
    refs = table[table["kind"] == "reference"]
    assert sorted(refs["variable"]) == sorted(survey_dataset.categorical)
    assert (refs["weight"] == 0).all()
    assert table.iloc[0]["term"] == "intercept"


def test_scorecard_handles_missing_values_pooled_and_unseen_levels():
    X, y = rng_table(300, seed=2)
    X.loc[:9, "size"] = np.nan
    X.loc[10, "floor"] = "marble"  # seen once: pooled with the reference
    model = LinearPMT(selection="lasso", min_count=5).fit(X, y)
    table = scorecard_table(model)
    assert set(table["kind"]) >= {"intercept", "numeric", "missing", "reference", "pooled"}
    new = pd.DataFrame({"size": [np.nan, 3.0], "car": [1.0, 0.0], "floor": ["gold", "tile"]})
    both = pd.concat([X, new], ignore_index=True)
    assert apply_scorecard(table, both) == pytest.approx(model.predict_log(both), abs=1e-9)


def test_model_card_sections(survey_result):
    card = build_model_card(survey_result)
    assert card["data"]["n"] == survey_result.dataset.n
    assert card["best"]["name"] == survey_result.best
    assert card["linear_model"]["coefficients"][0]["term"] == "intercept"
    assert len(card["calibration"]["table"]) == 20  # poor and extreme poor, 10 deciles each
    assert set(card["programs"]) == set(survey_result.dataset.config.programs)
    boot = card["best"]["bootstrap_lead_over_runner_up"]
    assert boot["replicates"] > 100 and boot["lead_std_err"] > 0
    text = render_markdown(card)
    assert f"**{survey_result.best}**" in text
    assert "| intercept |" in text


def test_leaving_out_estimators_keeps_the_others_numbers(survey_result, survey_dataset):
    # Each estimator is fitted on the same folds with its own seed: leaving the slow ones
    # out (the main job's default) changes nothing for the estimators still compared.
    fast = validate_pmt(survey_dataset, folds=3, seed=1, left_out=SLOW_ESTIMATORS)
    assert fast.left_out == list(SLOW_ESTIMATORS)
    assert set(fast.results) == set(survey_result.results) - set(SLOW_ESTIMATORS)
    for name, entry in fast.results.items():
        assert entry == survey_result.results[name], name
    card = build_model_card(fast)
    assert card["left_out_estimators"] == list(SLOW_ESTIMATORS)
    assert "Not compared in this run" in render_markdown(card)
    assert "Not compared" not in render_markdown(build_model_card(survey_result))


def test_leaving_out_every_estimator_is_a_user_error(survey_dataset):
    with pytest.raises(DatasetError, match="no PMT estimator left"):
        validate_pmt(survey_dataset, folds=3, left_out=list(default_estimators(survey_dataset)))


# Issue 18: the PMT's own exclusion error at the quota per group


def test_exclusion_at_the_quota_per_group_for_the_best_and_the_runner_up(survey_result):
    table = pmt_exclusion_by_group(survey_result, reps=50)
    best, runner = rank_estimators(survey_result.results)[:2]
    assert list(dict.fromkeys(table["estimator"])) == [best, runner]
    ds = survey_result.dataset
    # recompute one level with the PMT metrics, independently of the group module
    elderly = ds.frame["n_members_age_70_plus"].to_numpy() >= 1
    for name in (best, runner):
        selected = metrics.select_at_rate(
            survey_result.predictions[name].ranking_score, ds.weight, ds.poverty_rate
        )
        expected = metrics.targeting_errors(
            ds.is_poor[elderly], selected[elderly], ds.weight[elderly]
        )["exclusion_error"]
        row = table[
            (table["estimator"] == name)
            & (table["group"] == "n_members_age_70_plus")
            & (table["level"] == "1+")
        ].iloc[0]
        assert row["exclusion_error"] == pytest.approx(expected)
        assert row["exclusion_error_low"] <= row["exclusion_error"] <= row["exclusion_error_high"]


def test_model_card_carries_the_group_table(survey_result):
    card = build_model_card(survey_result)
    rows = pd.DataFrame(card["exclusion_by_group"])
    assert {"is_head_female", "household_size", "is_urban"} <= set(rows["group"])
    text = render_markdown(card)
    assert "## Exclusion error at the quota by group" in text
    assert "| household_size | 7+ |" in text
