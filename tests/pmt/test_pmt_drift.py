"""Drift of a new wave against a saved PMT's training data: the measures by hand, and
``konsel drift`` on a changed wave and on a second draw of the same design."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pmt_helpers import KONSEL_CONFIG

from konsel_analysis.cli import main
from konsel_analysis.pmt.drift import (
    bin_shares,
    compare_proxy,
    mean_variance,
    population_stability_index,
    proxy_drift,
    proxy_profile,
    shift_wave,
)
from konsel_analysis.synth import generate_konsel


def test_bins_are_weighted_right_closed_with_missing_last():
    x = np.array([1.0, 2.0, 3.0, np.nan])
    # edges [2]: (-inf, 2] holds 1 and 2 (weights 1 + 1), (2, inf) holds 3 (2); missing 4
    assert bin_shares(x, np.array([1.0, 1.0, 2.0, 4.0]), [2.0]) == [0.25, 0.25, 0.5]


def test_psi_by_hand():
    # (0.25 - 0.5) ln(0.5) + (0.75 - 0.5) ln(1.5) = 0.17329 + 0.10137
    assert population_stability_index([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.27465, abs=1e-5)
    assert population_stability_index([0.2, 0.8], [0.2, 0.8]) == 0.0


def test_numeric_smd_and_noise_by_hand():
    train = proxy_profile(pd.DataFrame({"size": [1.0, 3.0, 1.0, 3.0]}))["size"]
    assert (train["mean"], train["sd"]) == (2.0, 1.0)
    # each row its own cluster: 4/3 * sum((x - 2)^2) / 4^2 = 4/3 * 4 / 16
    assert train["mean_var"] == pytest.approx(1 / 3)
    new = compare_proxy(train, pd.Series([3.0, 5.0, 3.0, 5.0]), np.ones(4))
    # means 2 -> 4, both sd 1: SMD 2; a register (no cluster) adds no variance: z = 2 / sqrt(1/3)
    assert new["smd"] == pytest.approx(2.0)
    assert new["z"] == pytest.approx(2 / np.sqrt(1 / 3))


def test_categorical_smd_is_the_largest_level_difference():
    train = proxy_profile(pd.DataFrame({"roof": ["tin", "tin", "leaf", "leaf"]}))["roof"]
    new = compare_proxy(train, pd.Series(["tin", "leaf", "leaf", "leaf"]), np.ones(4))
    # tin 0.5 -> 0.25: -0.25 / sqrt((0.25 + 0.1875) / 2); leaf +0.25 (same size, sorted first)
    assert abs(new["smd"]) == pytest.approx(0.25 / np.sqrt(0.21875))
    assert new["detail"] in ("level leaf: 0.500 -> 0.750", "level tin: 0.500 -> 0.250")


def test_clusters_widen_the_variance_of_a_mean():
    x, w = np.array([0.0, 0.0, 1.0, 1.0]), np.ones(4)
    # two clusters {0,0} and {1,1}: scores -1 and +1: 2/1 * 2 / 16 = 0.25 (0.0833 by household)
    assert mean_variance(x, w, ["a", "a", "b", "b"]) == pytest.approx(0.25)
    assert mean_variance(x, w) == pytest.approx(4 / 3 * 1 / 16)


def test_a_shift_within_sampling_noise_is_not_flagged():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 50)
    X = pd.DataFrame({"x": (x - x.mean()) / x.std()})  # mean 0, sd 1 exactly
    profile = proxy_profile(X)
    moved = pd.DataFrame({"x": X["x"] + 0.5})  # SMD 0.5, but only 50 households a side
    table = proxy_drift(profile, moved, weight=np.ones(50))
    assert table.loc[0, "smd"] == pytest.approx(0.5, abs=1e-9)
    assert table.loc[0, "psi"] > 0.1
    # each side's variance of the mean 50/49 * 50 / 50^2: z = 0.5 / sqrt(2 * 50/49 / 50)
    assert table.loc[0, "z"] == pytest.approx(0.5 / np.sqrt(2 / 49))
    assert not table.loc[0, "flagged"]
    assert proxy_drift(profile, moved).loc[0, "flagged"]  # a register: no noise on its side


def _drift(capsys, wave, data, tmp_path) -> dict:
    code = main(
        [
            "drift",
            "--model",
            str(wave / "model"),
            "--data",
            str(data),
            "--config",
            str(KONSEL_CONFIG),
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return json.loads((tmp_path / "drift.json").read_text())


@pytest.fixture(scope="module")
def next_wave(wave):
    """A second draw of the same design (another seed), and the same draw changed."""
    data = generate_konsel(households=4_000, seed=24, survey_households=400)
    data.survey.to_parquet(wave / "same_design.parquet")
    shift_wave(data.survey, seed=1).to_parquet(wave / "changed.parquet")
    shift_wave(data.register, seed=1).to_parquet(wave / "changed_register.parquet")
    return wave


def test_drift_flags_the_changed_proxies_of_a_shifted_wave(next_wave, saved, tmp_path, capsys):
    summary = _drift(capsys, next_wave, next_wave / "changed.parquet", tmp_path)
    changed = {"floor_area_m2", "has_gas_cylinder", "has_motorcycle", "cooking_fuel"}
    assert set(summary["flagged_proxies"]) == changed
    assert summary["refit"] and summary["verdict"].startswith("refit the PMT")
    assert summary["errors_on_new_data"]["at_line"]["exclusion_error"] is not None
    table = pd.read_csv(tmp_path / "drift_by_proxy.csv")
    assert set(table["proxy"]) == set(saved.dataset.X.columns)


def test_drift_on_a_changed_register_flags_the_same_proxies(next_wave, saved, tmp_path, capsys):
    summary = _drift(capsys, next_wave, next_wave / "changed_register.parquet", tmp_path)
    assert set(summary["flagged_proxies"]) == {
        "floor_area_m2",
        "has_gas_cylinder",
        "has_motorcycle",
        "cooking_fuel",
    }
    assert summary["errors_on_new_data"] is None and not summary["weighted"]


def test_drift_is_quiet_on_a_second_draw_of_the_same_design(next_wave, saved, tmp_path, capsys):
    summary = _drift(capsys, next_wave, next_wave / "same_design.parquet", tmp_path)
    assert summary["flagged_proxies"] == []
    assert not summary["refit"] and summary["verdict"].startswith("no need to refit")


def test_drift_refuses_a_table_without_a_model_proxy(next_wave, saved, tmp_path, capsys):
    frame = pd.read_parquet(next_wave / "same_design.parquet").drop(columns="has_car")
    frame.to_parquet(tmp_path / "short.parquet")
    code = main(
        [
            "drift",
            "--model",
            str(next_wave / "model"),
            "--data",
            str(tmp_path / "short.parquet"),
            "--config",
            str(KONSEL_CONFIG),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "has_car" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
