"""A table coded its own way (issue 14, item 1): the data dictionary checks only the columns
a dataset config says follow it.

The table below shares column names with the Konsel data dictionary (``roof_material``,
``floor_material``, ``household_size``) but codes them its own way: roofs 1..5, floors
1..3, and households of up to 30 persons (the dictionary allows 1..25). It must load
through every command; the same table under ``dictionary: konsel`` must not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from konsel_analysis.datasets import DatasetError, load_dataset, load_dataset_config
from konsel_analysis.intake.cli import run_check
from konsel_analysis.pmt.step import run as run_validate_pmt
from konsel_analysis.targeting import step as targeting_step
from konsel_analysis.targeting.score import run_score
from konsel_analysis.targeting.score_settings import ScoreSettings

N = 480


def foreign_table(n: int = N, seed: int = 3, offset: int = 0) -> pd.DataFrame:
    """Households of 8 districts and 48 villages; welfare falls with size and poor roofs."""
    rng = np.random.default_rng(seed)
    village = rng.integers(0, 48, n)
    size = rng.integers(1, 9, n)
    size[:3] = [27, 30, 26]  # large households: outside the dictionary's 1..25
    roof = rng.integers(1, 6, n)  # 1 thatch ... 5 concrete, in this survey's own coding
    floor = rng.integers(1, 4, n)
    log_y = 7.0 - 0.08 * size + 0.15 * roof + 0.1 * floor + rng.normal(0, 0.35, n)
    return pd.DataFrame(
        {
            "hh": [f"H{offset + i:05d}" for i in range(n)],
            "district": [f"D{v // 6}" for v in village],
            "village": [f"V{v:02d}" for v in village],
            "wt": rng.uniform(50, 150, n).round(1),
            "cons": np.exp(log_y).round(2),
            "household_size": size,
            "roof_material": roof,
            "floor_material": floor,
            "tv": (rng.random(n) < 0.4).astype(int),
            "aid": (rng.random(n) < 0.3).astype(int),
        }
    )


def config_dict(**extra) -> dict:
    return {
        "household_id": "hh",
        "welfare": "cons",
        "weight": "wt",
        "area": "district",
        "cluster": "village",
        "programs": ["aid"],
        "proxies": {
            "numeric": ["household_size", "tv"],
            "categorical": ["roof_material", "floor_material"],
        },
        "poverty_line": {"quantile": 0.25},
        **extra,
    }


@pytest.fixture
def files(tmp_path):
    data = tmp_path / "survey.csv"
    foreign_table().to_csv(data, index=False)
    register = tmp_path / "register.csv"
    foreign_table(n=300, seed=4, offset=50_000).drop(columns=["cons", "wt"]).to_csv(
        register, index=False
    )

    def config(name: str = "foreign.yml", **extra):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(config_dict(**extra)), encoding="utf-8")
        return path

    return data, register, config


def test_foreign_codes_load_whole_without_a_dictionary_key(files):
    data, _, config = files
    dataset = load_dataset(data, config())
    assert dataset.intake.rejected == 0 and dataset.n == N
    assert sorted(set(dataset.X["roof_material"])) == ["1", "2", "3", "4", "5"]
    assert dataset.X["household_size"].max() == 30


def test_the_same_table_under_the_konsel_dictionary_is_rejected(files, tmp_path):
    data, _, config = files
    with pytest.raises(DatasetError, match="not one of the data dictionary's codes"):
        load_dataset(data, config("konsel.yml", dictionary="konsel"), tmp_path / "rejected")


def test_a_list_names_the_columns_that_follow_the_dictionary(files, tmp_path):
    """Only household_size follows the dictionary: its 3 rows above 25 are set aside."""
    data, _, config = files
    dataset = load_dataset(data, config("some.yml", dictionary=["household_size"]), tmp_path)
    assert dataset.intake.rejected == 3
    assert dict(dataset.intake.reason_counts) == {"'household_size': above the maximum": 3}


def test_declared_codes_are_checked_against_the_config(files, tmp_path):
    """`codes:` lists 1..4 for roofs: the rows with roof 5 are set aside, with the config named."""
    data, _, config = files
    roof5 = int((foreign_table()["roof_material"] == 5).sum())
    path = config("codes.yml", codes={"roof_material": [1, 2, 3, 4]}, max_rejected_share=0.5)
    dataset = load_dataset(data, path, tmp_path)
    assert dataset.intake.rejected == roof5 > 0
    assert dict(dataset.intake.reason_counts) == {
        "'roof_material': not one of the codes its dataset config lists": roof5
    }


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"dictionary": "bps"}, "'dictionary' must be konsel"),
        ({"dictionary": ["tv"]}, "'dictionary' lists tv, which the Konsel data dictionary"),
        ({"codes": {"roof_material": []}}, "'codes' of 'roof_material' must be a non-empty"),
        ({"codes": ["roof_material"]}, "'codes' must map columns"),
    ],
)
def test_bad_dictionary_and_codes_keys_are_named(files, extra, message):
    _, _, config = files
    with pytest.raises(DatasetError, match=message):
        load_dataset_config(config("bad.yml", **extra))


def test_default_configs_follow_the_dictionary():
    from konsel_analysis.paths import CONFIGS_DIR

    konsel = load_dataset_config(CONFIGS_DIR / "konsel_survey.yml")
    assert konsel.dictionary == "konsel" and konsel.follows_dictionary("roof_material")
    costa_rica = load_dataset_config(CONFIGS_DIR / "costa_rica.yml")
    assert costa_rica.dictionary is None and not costa_rica.follows_dictionary("roof_material")


def test_every_command_reads_the_foreign_table(files, tmp_path):
    data, register, config = files
    path = config()
    checked, written = run_check(data, path, "survey", tmp_path / "check")
    assert checked == 1 and len(pd.read_csv(written[0])) == 0  # no row set aside
    result, _ = run_validate_pmt(
        data,
        path,
        folds=3,
        seed=0,
        out=tmp_path / "pmt",
        left_out=["quantile", "gradient_boosting", "random_forest", "wls_stepwise", "wls_lasso"],
    )
    assert result.dataset.n == N and result.results["wls"]["status"] == "ok"
    written = targeting_step.run(data, path, ci=0.9, reps=50, out=tmp_path / "targeting")
    by_area = pd.read_csv(written[0])
    assert set(by_area["area"].astype(str)) >= {f"D{k}" for k in range(8)}
    scored = run_score(
        data,
        register,
        path,
        ScoreSettings(budget=200, minimum_per_area=10, reps=20),
        out=tmp_path / "score",
    )
    scores = pd.read_parquet(scored[0])
    assert len(scores) == 300


def test_text_missing_codes_and_declared_sentinels_are_empty_cells(tmp_path):
    """'tidak tahu', 'NA', '-' in a number column and a sentinel the config lists
    (99999999) are missing values, not rejected rows; a required column with a missing code
    is 'missing (required)'."""
    table = foreign_table(n=120)
    table["land"] = np.round(np.random.default_rng(1).lognormal(10, 1.5, 120), 0).astype(object)
    table.loc[[0, 1, 2], "land"] = ["tidak tahu", "NA", "-"]
    table.loc[3, "land"] = 99999999
    table["cons"] = table["cons"].astype(object)
    table.loc[4, "cons"] = "Tidak Tahu"
    data = tmp_path / "survey.csv"
    table.to_csv(data, index=False)
    raw = config_dict(read={"missing": [99999999]})
    raw["proxies"]["numeric"].append("land")
    config = tmp_path / "c.yml"
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    ds = load_dataset(data, config)
    assert ds.intake.rows_read == 120 and ds.intake.rejected == 1  # row 4: welfare missing
    assert list(ds.intake.reason_counts.index) == ["'cons': missing (required)"]
    land = ds.frame.set_index(ds.config.household_id)["land"]
    assert land.loc[["H00000", "H00001", "H00002", "H00003"]].isna().all()
    assert land.notna().sum() == 115  # 120 read, 1 rejected, 4 missing
    # Without the sentinel declared, 99999999 is a value like any other.
    raw.pop("read")
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    land = load_dataset(data, config).frame.set_index("hh")["land"]
    assert land.loc["H00003"] == 99999999


def test_a_bad_missing_key_stops_with_one_sentence(tmp_path):
    data = tmp_path / "survey.csv"
    foreign_table(n=60).to_csv(data, index=False)
    config = tmp_path / "c.yml"
    config.write_text(yaml.safe_dump(config_dict(read={"missing": [{"a": 1}]})), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"'read.missing' must list codes"):
        load_dataset(data, config)
