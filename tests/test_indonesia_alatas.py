"""The Indonesian benchmark's load path (benchmarks/indonesia_alatas.py) on a small synthetic
file with the columns and codes of ../shared/data/indonesia_alatas/households.csv; the
errors by targeting method worked out by hand. Needs nothing from ../shared."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.datasets import load_dataset_config
from konsel_analysis.paths import CONFIGS_DIR

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "indonesia_alatas.py"


def _benchmark():
    name = "indonesia_alatas_benchmark"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCHMARK)
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


# The file's header, in its order (households.csv).
COLUMNS = tuple(
    [
        "hhid",
        "province",
        "district",
        "subdistrict",
        "village",
        "ea",
        "pmt",
        "community",
        "hybrid",
        "elite",
        "poorest10",
        "daymeeting",
        "treated",
        "rank",
        "consumption",
        "consumption_ae",
        "food",
        "nonfood",
        "nonstaple",
        "diversity",
        "pcfloor",
        "tfloor",
        "twall",
        "toilet",
        "water",
        "lighting",
        "troof",
        "fcook",
        "house",
        "credit",
        "hhsize",
        "hhsize2",
        "hhsize_ae",
        "hhage",
        "hhage2",
        "hhmale",
        "hhmarried",
        "hhmalemarr",
        "hhsector1",
        "hhsector2",
        "hhsector3",
        "connected",
        "formal",
        "informal",
        "hheduc2",
        "hheduc3",
        "hheduc4",
        "age04",
        "eschild",
        "jschild",
        "sschild",
        "higheduc2",
        "higheduc3",
        "higheduc4",
        "depratio",
        "ac",
        "computer",
        "radio",
        "tv",
        "dvd",
        "satellite",
        "gas",
        "refrigerator",
        "bicycle",
        "motorcycle",
        "auto",
        "hp",
        "jewelry",
        "chicken",
        "cow",
    ]
)


def synthetic_file(path: Path, villages: int = 12, seed: int = 0) -> pd.DataFrame:
    """9 households per village, methods by village in turn, the file's codes: 0/1 flags,
    provinces 12/33/73, hhid as zero-padded text, '.5'-style decimals, a few blanks."""
    rng = np.random.default_rng(seed)
    n = 9 * villages
    ea = np.repeat(np.arange(1, villages + 1), 9)
    method = (ea - 1) % 3  # 0 pmt, 1 community, 2 hybrid
    frame = pd.DataFrame(0.0, index=range(n), columns=COLUMNS)
    frame["hhid"] = [f"{i:06d}" for i in range(n)]
    frame["province"] = np.array([12, 33, 73])[(ea - 1) % 3]
    frame["district"] = frame["province"] * 10 + (ea % 2)
    frame["subdistrict"] = 100 + ea % 4
    frame["village"] = ea
    frame["ea"] = ea
    for k, name in enumerate(("pmt", "community", "hybrid")):
        frame[name] = (method == k).astype(int)
    frame["hhsize"] = rng.integers(1, 9, n)
    frame["hhsize2"] = frame["hhsize"] ** 2
    frame["hhage"] = rng.integers(20, 80, n)
    frame["hhage2"] = frame["hhage"] ** 2
    frame["pcfloor"] = rng.lognormal(2.9, 0.7, n).round(3)
    for col in ("tfloor", "twall", "toilet", "tv", "hp", "motorcycle", "chicken", "cow"):
        frame[col] = (rng.random(n) < 0.5).astype(int)
    frame["consumption"] = np.exp(
        6 - 0.08 * frame["hhsize"] + 0.3 * frame["tv"] + rng.normal(0, 0.3, n)
    ).round(4)
    frame["treated"] = (frame["consumption"] < frame["consumption"].quantile(0.3)).astype(int)
    frame.loc[3, "consumption"] = np.nan  # as 3 households of the real file
    frame.loc[5, ["pcfloor", "tv"]] = np.nan  # a household missing proxies (7% do)
    frame.to_csv(path, index=False, na_rep="")
    return frame


def test_config_names_the_study_columns():
    config = load_dataset_config(CONFIGS_DIR / "indonesia_alatas.yml")
    assert config.household_id == "hhid" and config.cluster == "ea"
    assert set(config.proxies) <= set(COLUMNS) and config.programs == ("treated",)
    assert config.dictionary is None  # the study's codes, not Konsel's


def test_load_path_on_a_synthetic_file(tmp_path):
    frame = synthetic_file(tmp_path / "households.csv")
    dataset = _benchmark().load(tmp_path / "households.csv")
    assert dataset.intake.rows_read == 108 and dataset.intake.rejected == 1
    assert dict(dataset.intake.reason_counts) == {"'consumption': missing (required)": 1}
    assert dataset.n == 107 and len(np.unique(dataset.cluster)) == 12
    five = (dataset.frame["hhid"].astype(str) == "000005").to_numpy()
    assert np.isnan(dataset.X.loc[five, "pcfloor"].item())  # kept: the models fill it
    method = _benchmark().targeting_method(dataset.frame)
    by_village = pd.Series(method).groupby(dataset.cluster).agg(set)
    assert by_village["1"] == {"pmt"} and by_village["2"] == {"community"}
    assert by_village["3"] == {"hybrid"} and by_village.map(len).max() == 1
    received = dataset.programs["treated"].to_numpy()
    kept = frame.drop(index=3)
    assert received.sum() == kept["treated"].sum()


def test_errors_by_method_worked_by_hand():
    """Two methods' villages of 4 households (P poor, R received):

    pmt: village a: P+R, P+R, R, -; village b: P, -, -, -   inclusion 1/3, exclusion 1/3
    community: village c: P+R, P, R, R; village d: P, P, -, - inclusion 2/3, exclusion 3/4
    hybrid: village e: P+R, -, -, -                         inclusion 0, exclusion 0
    """
    poor = np.array([1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0], dtype=bool)
    got = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0], dtype=bool)
    method = np.array(["pmt"] * 8 + ["community"] * 8 + ["hybrid"] * 4, dtype=object)
    village = np.repeat(list("abcde"), 4).astype(object)
    out = _benchmark().by_method(poor, got, method, village, reps=200, seed=1)
    pmt, community = out["methods"]["pmt"], out["methods"]["community"]
    assert pmt["inclusion_error"] == pytest.approx(1 / 3)
    assert pmt["exclusion_error"] == pytest.approx(1 / 3)
    assert community["inclusion_error"] == pytest.approx(2 / 3)
    assert community["exclusion_error"] == pytest.approx(3 / 4)
    assert out["methods"]["hybrid"]["villages"] == 1
    diff = out["differences"]["pmt - community: exclusion_error"]
    assert diff["estimate"] == pytest.approx(1 / 3 - 3 / 4)
    # Two villages per method: every replicate's errors are among the few values a
    # redraw of villages a/b (and c/d) can give, and the interval lies within them.
    low, high = pmt["exclusion_error_interval"]
    assert 0 <= low <= 1 / 3 <= high <= 1
    low, high = community["inclusion_error_interval"]
    assert 0.5 <= low <= 2 / 3 <= high <= 2 / 3 + 1e-12  # village d has no recipient


def test_a_household_without_a_method_is_refused():
    frame = pd.DataFrame({"pmt": [1, 0], "community": [0, 0], "hybrid": [0, 0]})
    with pytest.raises(ValueError, match="exactly one of pmt, community, hybrid"):
        _benchmark().targeting_method(frame)
