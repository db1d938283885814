"""Helpers of the PMT tests (a module of its own: test files import it by name)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from konsel_analysis.paths import CONFIGS_DIR

KONSEL_CONFIG = CONFIGS_DIR / "konsel_survey.yml"


def write_config(path, config: dict):
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def small_config(numeric=("size", "car"), categorical=(), **extra) -> dict:
    """The dataset config of the small test tables: ids ``hh``, welfare ``cons``, one area,
    villages as clusters, no area effects, the poorest 30% poor."""
    return {
        "household_id": "hh",
        "welfare": "cons",
        "area": "area",
        "cluster": "village",
        "area_effects": False,
        "proxies": {"numeric": list(numeric), "categorical": list(categorical)},
        "poverty_line": {"quantile": 0.3},
        **extra,
    }


def survey_frame_for_models(survey: pd.DataFrame, config) -> pd.DataFrame:
    """The proxies (and area) of a synthetic survey as the PMT models read them."""
    X = pd.DataFrame({c: survey[c].astype(float) for c in config.numeric})
    for c in (*config.categorical, config.area):
        X[c] = survey[c].astype(str).astype(object)
    return X


def rng_table(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A tiny PMT world with a known log-linear welfare model.

    log y = 13 - 0.12 size + 0.4 car - 0.3 [floor == earth] + N(0, 0.3)
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "size": rng.integers(1, 9, n).astype(float),
            "car": (rng.random(n) < 0.25).astype(float),
            "floor": rng.choice(["earth", "cement", "tile"], n, p=[0.3, 0.5, 0.2]).astype(object),
        }
    )
    log_y = (
        13
        - 0.12 * X["size"]
        + 0.4 * X["car"]
        - 0.3 * (X["floor"] == "earth")
        + rng.normal(0, 0.3, n)
    )
    return X, np.exp(log_y.to_numpy())
