"""Fixtures of the PMT tests: synthetic surveys made once per session, tables on disk."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from pmt_helpers import KONSEL_CONFIG, survey_frame_for_models
from threadpoolctl import threadpool_limits

from konsel_analysis.datasets import load_dataset, load_dataset_config
from konsel_analysis.pmt.artifact import save_model
from konsel_analysis.pmt.validation import default_estimators, validate_pmt
from konsel_analysis.synth import generate_konsel


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread():
    """Small matrices: threaded BLAS only contends for the cores (and is 10x slower)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="session")
def konsel_20k():
    """A 20,000-household regency: its survey (~3,000 rows) trains, its register checks."""
    return generate_konsel(households=20_000, seed=11)


@pytest.fixture(scope="session")
def small_survey() -> pd.DataFrame:
    """A small survey (~600 households in 40 villages) for fast end-to-end runs."""
    return generate_konsel(households=8_000, seed=5, survey_households=600).survey


@pytest.fixture(scope="session")
def konsel_config_dict() -> dict:
    return yaml.safe_load(KONSEL_CONFIG.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def konsel_config():
    return load_dataset_config(KONSEL_CONFIG)


@pytest.fixture(scope="session")
def training(konsel_20k, konsel_config):
    """(X, welfare, weight, village) of the 20k survey."""
    s = konsel_20k.survey
    return (
        survey_frame_for_models(s, konsel_config),
        s["consumption_pc_month_idr"].to_numpy(),
        s["design_weight"].to_numpy(),
        s["village_code"].to_numpy(),
    )


@pytest.fixture(scope="session")
def population(konsel_20k, konsel_config):
    """(X, is_poor, is_extreme_poor) of the whole 20k register, from the truth table."""
    reg = konsel_20k.register.merge(konsel_20k.register_truth, on="household_id")
    return (
        survey_frame_for_models(reg, konsel_config),
        reg["is_poor"].to_numpy(),
        reg["is_extreme_poor"].to_numpy(),
    )


@pytest.fixture(scope="session")
def wave(tmp_path_factory):
    """A small regency (4,000 register households, a ~400-household survey) on disk,
    for the saved-PMT and drift tests; its seed 23 is not used elsewhere."""
    root = tmp_path_factory.mktemp("wave")
    data = generate_konsel(households=4_000, seed=23, survey_households=400)
    data.survey.to_parquet(root / "survey.parquet")
    data.register.to_parquet(root / "register.parquet")
    return root


@pytest.fixture(scope="session")
def saved(wave):
    """The WLS PMT validated (3 folds, WLS against logit) and saved; the validation result."""
    dataset = load_dataset(wave / "survey.parquet", KONSEL_CONFIG)
    every = default_estimators(dataset)
    result = validate_pmt(dataset, folds=3, estimators={k: every[k] for k in ("wls", "logit")})
    result.best = "wls"  # the linear model whatever won: its scorecard and reasons exist
    save_model(result, wave / "model")
    return result
