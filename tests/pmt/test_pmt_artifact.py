"""A saved PMT: save, load and ``konsel score --model`` give the refit's scores; a
folder of another version or a changed file is refused with one sentence."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from pmt_helpers import KONSEL_CONFIG

from konsel_analysis.cli import main
from konsel_analysis.datasets import load_register
from konsel_analysis.pmt.artifact import (
    MANIFEST,
    MODEL_FILE,
    TABLES_FILE,
    fit_chosen_model,
    load_model,
)


def test_folder_holds_the_model_card_profiles_and_versions(wave, saved):
    files = {p.name for p in (wave / "model").iterdir()}
    assert files == {
        MANIFEST,
        MODEL_FILE,
        TABLES_FILE,
        "model_card.json",
        "training_profile.json",
        "scorecard.csv",
    }
    meta = json.loads((wave / "model" / MANIFEST).read_text())
    assert meta["estimator"] == "wls" and meta["estimator_class"].endswith("LinearPMT")
    assert {"python", "numpy", "scikit-learn", "skops", "konsel-analysis"} <= set(meta["software"])
    assert set(meta["sha256"]) == files - {MANIFEST}
    profile = json.loads((wave / "model" / "training_profile.json").read_text())
    size = profile["proxies"]["household_size"]
    survey = saved.dataset
    expected_mean = np.average(survey.X["household_size"], weights=survey.weight)
    assert size["mean"] == pytest.approx(expected_mean, rel=1e-12)
    assert sum(size["shares"]) == pytest.approx(1.0)


def test_loaded_model_predicts_what_a_refit_predicts(wave, saved):
    loaded = load_model(wave / "model")
    refit = fit_chosen_model(saved)
    register = load_register(wave / "register.parquet", saved.dataset.config)
    X = register.X
    np.testing.assert_allclose(loaded.log_welfare(X), refit.predict_log(X), rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(loaded.poverty_proba(X), refit.predict_poverty_proba(X))
    pd.testing.assert_frame_equal(
        loaded.model.coef_table_, refit.coef_table_, check_exact=False, rtol=1e-13
    )


def test_score_with_model_gives_the_refit_scores(wave, saved, tmp_path, capsys):
    code = main(
        [
            "score",
            "--model",
            str(wave / "model"),
            "--register",
            str(wave / "register.parquet"),
            "--config",
            str(KONSEL_CONFIG),
            "--out",
            str(tmp_path / "score"),
            "--restricted-out",
            str(tmp_path / "r"),
        ]
    )
    capsys.readouterr()
    assert code == 0
    scores = pd.read_parquet(tmp_path / "score" / "register_scores.parquet")
    register = load_register(wave / "register.parquet", saved.dataset.config)
    refit = fit_chosen_model(saved).predict_poverty_proba(register.X)
    assert list(scores["household_id"]) == list(register.household_id)
    np.testing.assert_allclose(scores["p_poor"], refit["p_poor"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(scores["p_extreme_poor"], refit["p_extreme_poor"], atol=1e-12)
    by_area = pd.read_csv(tmp_path / "score" / "expected_errors_by_area.csv")
    total = by_area.set_index("area").loc["ALL"]
    beneficiary = scores["is_beneficiary"].to_numpy()
    assert total["expected_exclusion_errors"] == pytest.approx(
        refit["p_poor"].to_numpy()[~beneficiary].sum()
    )
    assert total["beneficiaries"] == beneficiary.sum()
    assert scores["reasons"].str.len().gt(0).all()


def _refused(capsys, model_dir, tmp_path) -> str:
    register = tmp_path / "register.parquet"  # exists (the path check), never read
    register.touch()
    code = main(
        [
            "score",
            "--model",
            str(model_dir),
            "--register",
            str(register),
            "--config",
            str(KONSEL_CONFIG),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert not (tmp_path / "out").exists()
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_model_of_another_version_is_refused(wave, saved, tmp_path, capsys):
    copy = shutil.copytree(wave / "model", tmp_path / "old")
    meta = json.loads((copy / MANIFEST).read_text())
    meta["model_version"] = 0
    (copy / MANIFEST).write_text(json.dumps(meta))
    err = _refused(capsys, copy, tmp_path)
    assert "model version 0" in err and "save the model again" in err


@pytest.mark.parametrize("name", [MODEL_FILE, TABLES_FILE])
def test_tampered_file_is_refused(wave, saved, tmp_path, capsys, name):
    copy = shutil.copytree(wave / "model", tmp_path / "tampered")
    with open(copy / name, "ab") as f:
        f.write(b" ")
    err = _refused(capsys, copy, tmp_path)
    assert f"{name}: changed since it was saved" in err


def test_folder_without_manifest_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert "not a saved PMT" in _refused(capsys, tmp_path / "empty", tmp_path)


def test_score_wants_a_survey_or_a_model(tmp_path, capsys):
    (tmp_path / "r.parquet").touch()
    register = str(tmp_path / "r.parquet")
    code = main(["score", "--register", register, "--config", str(KONSEL_CONFIG)])
    assert code == 2 and "--model MODEL_DIR" in capsys.readouterr().err
