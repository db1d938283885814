"""Dataset configs and tables: what is read, what is derived, and every user error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pmt_helpers import KONSEL_CONFIG, write_config

from konsel_analysis.datasets import (
    DatasetError,
    load_dataset,
    load_dataset_config,
    parse_dataset_config,
)
from konsel_analysis.dictionary import (
    PROXY_BOOLEAN,
    PROXY_CATEGORICAL,
    PROXY_NUMERIC,
    REVERIFIED_PROGRAM_FLAGS,
)
from konsel_analysis.errors import UserError
from konsel_analysis.parameters import load_parameters
from konsel_analysis.weighted import weighted_quantile

TINY = pd.DataFrame(
    {
        "hh": ["a", "b", "c", "d", "e", "f"],
        "spend": [100.0, 250.0, 80.0, 400.0, 300.0, 90.0],
        "w": [1.0, 2.0, 1.0, 1.0, 3.0, 2.0],
        "region": ["N", "N", "S", "S", "S", "N"],
        "village": ["v1", "v1", "v2", "v2", "v3", "v3"],
        "size": [5, 3, 6, 2, 3, 7],
        "has_tv": [False, True, False, True, True, False],
        "floor": ["earth", "tile", "earth", "tile", "cement", None],
        "pkh": [1, 0, 1, 0, 0, 1],
    }
)
TINY_CONFIG = {
    "household_id": "hh",
    "welfare": "spend",
    "weight": "w",
    "area": "region",
    "cluster": "village",
    "programs": ["pkh"],
    "proxies": {"numeric": ["size", "has_tv"], "categorical": ["floor"]},
    "poverty_line": 120,
}


@pytest.fixture
def tiny(tmp_path):
    data = tmp_path / "tiny.csv"
    TINY.to_csv(data, index=False)
    return data, write_config(tmp_path / "tiny.yml", TINY_CONFIG)


def test_konsel_config_matches_the_dictionary(konsel_config):
    # The config lists exactly the dictionary's proxies and programmes, nothing typed twice.
    assert set(konsel_config.numeric) == set(PROXY_NUMERIC + PROXY_BOOLEAN)
    assert set(konsel_config.categorical) == set(PROXY_CATEGORICAL)
    assert set(konsel_config.programs) == set(REVERIFIED_PROGRAM_FLAGS)
    assert konsel_config.welfare == "consumption_pc_month_idr"
    assert konsel_config.poverty_line.kind == "parameter"


def test_konsel_lines_come_from_parameters(tmp_path, small_survey):
    data = tmp_path / "survey.parquet"
    small_survey.to_parquet(data)
    ds = load_dataset(data, KONSEL_CONFIG)
    params = load_parameters()
    assert ds.poverty_line == params.value("poverty_lines.poverty_line")
    assert ds.extreme_poverty_line == params.value("poverty_lines.extreme_poverty_line")
    assert (
        ds.is_poor.tolist() == (small_survey["consumption_pc_month_idr"] < ds.poverty_line).tolist()
    )
    assert ds.X.shape[1] == len(PROXY_NUMERIC + PROXY_BOOLEAN + PROXY_CATEGORICAL) + 1  # + area


def test_tiny_dataset_derivations(tiny):
    ds = load_dataset(*tiny)
    # Poor: spend < 120 -> a (100), c (80), f (90); weights 1 + 1 + 2 = 4 of 10.
    assert ds.is_poor.tolist() == [True, False, True, False, False, True]
    assert ds.poverty_rate == pytest.approx(0.4)
    assert ds.weight.tolist() == [1.0, 2.0, 1.0, 1.0, 3.0, 2.0]
    assert ds.cluster.tolist() == ["v1", "v1", "v2", "v2", "v3", "v3"]
    # Booleans become 0/1 numbers, categoricals text, a missing level its own category.
    assert ds.X["has_tv"].tolist() == [0.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    assert ds.X["floor"].tolist()[-1] == "(missing)"
    assert ds.X["region"].tolist() == TINY["region"].tolist()  # area effects on by default
    assert ds.extreme_poverty_line is None and ds.is_extreme_poor is None
    assert ds.programs["pkh"].tolist() == [True, False, True, False, False, True]


def test_yes_no_text_reads_as_numbers(tmp_path):
    frame = TINY.assign(
        has_tv=["yes", "no", "No", "YES", "1", "0"],
        pkh=["true", "false", "true", "false", "false", "true"],
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    ds = load_dataset(tmp_path / "t.csv", write_config(tmp_path / "c.yml", TINY_CONFIG))
    assert ds.X["has_tv"].tolist() == [1.0, 0.0, 0.0, 1.0, 1.0, 0.0]
    assert ds.programs["pkh"].tolist() == [True, False, True, False, False, True]


def test_quantile_line_and_no_weight_no_cluster(tmp_path):
    config = {**TINY_CONFIG, "poverty_line": {"quantile": 0.5}}
    del config["weight"], config["cluster"]
    data = tmp_path / "t.parquet"
    TINY.to_parquet(data)
    ds = load_dataset(data, write_config(tmp_path / "c.yml", config))
    # Unweighted lower median of 80, 90, 100, 250, 300, 400 is 100: poor are 80 and 90.
    assert ds.poverty_line == weighted_quantile(TINY["spend"].to_numpy(), np.ones(6), 0.5) == 100
    assert ds.is_poor.sum() == 2
    assert ds.weight.tolist() == [1.0] * 6
    assert len(set(ds.cluster)) == 6  # each household its own cluster


def test_xlsx_and_csv_read_alike(tmp_path):
    TINY.to_excel(tmp_path / "t.xlsx", index=False)
    TINY.to_csv(tmp_path / "t.csv", index=False)
    config = write_config(tmp_path / "c.yml", TINY_CONFIG)
    a, b = load_dataset(tmp_path / "t.xlsx", config), load_dataset(tmp_path / "t.csv", config)
    pd.testing.assert_frame_equal(a.X, b.X)
    assert a.is_poor.tolist() == b.is_poor.tolist()


def test_class_mode(tmp_path):
    frame = TINY.assign(level=[1, 3, 1, 4, 2, 2])
    config = {k: v for k, v in TINY_CONFIG.items() if k not in ("welfare", "poverty_line")}
    config.update(welfare_class="level", poor_classes=[1, 2], extreme_poor_classes=[1])
    frame.to_csv(tmp_path / "t.csv", index=False)
    ds = load_dataset(tmp_path / "t.csv", write_config(tmp_path / "c.yml", config))
    assert ds.mode == "class"
    assert ds.poverty_line is None
    assert ds.is_poor.tolist() == [True, False, True, False, True, True]
    assert ds.is_extreme_poor.tolist() == [True, False, True, False, False, False]
    # Weights of the poor: 1 + 1 + 3 + 2 = 7 of 10.
    assert ds.poverty_rate == pytest.approx(0.7)


# (change to the table or config, words the message must contain, why)
def _drop(key):
    return lambda frame, config: (frame, {k: v for k, v in config.items() if k != key})


def _set(key, value):
    return lambda frame, config: (frame, {**config, key: value})


def _column(name, values):
    return lambda frame, config: (frame.assign(**{name: values}), config)


BAD = [
    (_drop("household_id"), ["'household_id' is missing"], "missing key"),
    (_set("welfare", "spending"), ["'spending'", "welfare", "does not have"], "absent column"),
    (
        _set("proxies", {"numeric": ["size", "rooms"], "categorical": []}),
        ["'rooms'", "proxies.numeric"],
        "absent proxy",
    ),
    (
        _column("spend", ["100", "lots", "80", "400", "300", "90"]),
        ["1 of 6 rows", "'spend': not a number", "max_rejected_share"],
        "non-numeric welfare, one row of six",
    ),
    (
        _set("poverty_line", 50),
        ["no household has welfare", "below the poverty line"],
        "no poor households: line below every welfare",
    ),
    (_column("village", ["v"] * 6), ["single cluster", "'village'"], "single cluster"),
    (
        _column("spend", ["x", "lots", "80", "banyak", "sedikit", "90"]),
        ["'spend'", "4 of 6 cells are not numbers", "config names the right column"],
        "welfare column mostly text",
    ),
    (_column("pkh", [1, 0, 2, 0, 0, 1]), ["'pkh': must be 0 or 1"], "programme not 0/1"),
    (_column("spend", [100.0, -5, 80, 400, 300, 90]), ["'spend': must be above zero"], "negative"),
    (
        _column("hh", ["a", "a", "c", "d", "e", "f"]),
        ["2 of 6 rows", "'hh': household id also used by another row"],
        "duplicate ids",
    ),
    (_set("poverty_line", {"quantile": 2}), ["quantile must be between 0 and 1"], "bad q"),
    (_set("poverty_line", {"parameter": "no.such.key"}), ["'no.such.key'"], "bad parameter"),
    (_set("weigth", "w"), ["unknown key(s) weigth"], "typo in a key"),
    (
        _set("poor_classes", [1]),
        ["'poor_classes' applies only with 'welfare_class'"],
        "classes with welfare",
    ),
]


@pytest.mark.parametrize(("change", "words", "why"), BAD, ids=[b[-1] for b in BAD])
def test_user_errors_name_the_problem(tmp_path, change, words, why):
    frame, config = change(TINY.copy(), dict(TINY_CONFIG))
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DatasetError) as info:
        load_dataset(tmp_path / "t.csv", write_config(tmp_path / "c.yml", config))
    message = str(info.value)
    assert isinstance(info.value, UserError)
    for word in words:
        assert word in message, (why, message)
    assert "\n" not in message
    assert str(tmp_path) in message  # names the file


def test_missing_files_and_unknown_suffix(tmp_path, tiny):
    data, config = tiny
    with pytest.raises(DatasetError, match="dataset config not found"):
        load_dataset(data, tmp_path / "nope.yml")
    with pytest.raises(DatasetError, match="data file not found"):
        load_dataset(tmp_path / "nope.csv", config)
    (tmp_path / "t.json").write_text("{}")
    with pytest.raises(DatasetError, match="unknown table type '.json'"):
        load_dataset(tmp_path / "t.json", config)
    (tmp_path / "bad.yml").write_text("household_id: [unclosed\n")
    with pytest.raises(DatasetError, match="not valid YAML"):
        load_dataset_config(tmp_path / "bad.yml")


def test_messages_never_quote_cells(tmp_path):
    # A NIK-like value in a broken welfare column must not appear in the message.
    frame = TINY.assign(spend=["7405011203990001", "x", "80", "400", "300", "90"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DatasetError) as info:
        load_dataset(tmp_path / "t.csv", write_config(tmp_path / "c.yml", TINY_CONFIG))
    assert "7405011203990001" not in str(info.value)


def test_parse_rejects_squares_of_non_numeric(tmp_path):
    config = {
        **TINY_CONFIG,
        "proxies": {"numeric": ["size"], "categorical": ["floor"], "squared": ["floor"]},
    }
    with pytest.raises(DatasetError, match="proxies.squared names floor"):
        parse_dataset_config(config, tmp_path / "c.yml")
