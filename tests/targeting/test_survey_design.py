"""Direct and model-based side by side; strata, lonely PSUs and person-level poverty rates.

The designs are small enough to work out with a pencil: two strata of two PSUs
(four equally likely Rao-Wu replicates), a lonely PSU, an area of one cluster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.measured.targeting import (
    ALL_AREAS,
    CONTRACT_COLUMNS,
    TargetingDesign,
    bootstrap_design,
    collapse_lonely_strata,
    measure_targeting,
    rao_wu_multiplicities,
    targeting_indicators,
)

# The contract: the direct estimate and its interval, and the direct value's weight.
DIRECT_COLUMNS = [
    f"{key}_direct{suffix}"
    for key in ("inclusion_error", "exclusion_error")
    for suffix in ("", "_low", "_high", "_weight")
]


def _design(frame: pd.DataFrame, strata=None, persons=None) -> TargetingDesign:
    return TargetingDesign(
        is_poor=frame["poor"].to_numpy(bool),
        is_extreme_poor=np.zeros(len(frame), bool),
        weight=frame["w"].to_numpy(float),
        area=frame["area"].to_numpy(object),
        cluster=frame["cluster"].to_numpy(object),
        strata=None if strata is None else frame[strata].to_numpy(object),
        persons=None if persons is None else frame[persons].to_numpy(float),
    )


# --- four PSUs in two strata: every household poor, receipt decides ------------------
#   stratum S1: PSU a (receives, not), PSU b (receives, receives)
#   stratum S2: PSU c (not, not),       PSU d (receives, not)
# Not covered per PSU: a 1, b 0, c 2, d 1 of 2 households; exclusion error 4/8 = 0.5.
# Rao-Wu with n = 2 PSUs per stratum draws one PSU and doubles it, so there are four
# equally likely replicates: (a,c) 6/8, (a,d) 4/8, (b,c) 4/8, (b,d) 2/8.
FOUR_PSUS = pd.DataFrame(
    {
        "stratum": ["S1"] * 4 + ["S2"] * 4,
        "cluster": list("aabbccdd"),
        "area": ["one"] * 8,
        "poor": [True] * 8,
        "pkh": [1, 0, 1, 1, 0, 0, 1, 0],
        "w": [1.0] * 8,
    }
)


def test_bootstrap_within_strata_has_the_four_hand_worked_replicates():
    table = measure_targeting(
        _design(FOUR_PSUS, strata="stratum"), {"pkh": FOUR_PSUS["pkh"]}, reps=2000, seed=1
    )
    regency = table.set_index("area").loc[ALL_AREAS]
    assert regency["exclusion_error_direct"] == pytest.approx(0.5)
    assert regency["exclusion_error_direct_low"] == pytest.approx(0.25)
    assert regency["exclusion_error_direct_high"] == pytest.approx(0.75)
    # Without strata the one area is the stratum: 3 of 4 PSUs drawn, a wider set of
    # replicates (e.g. c three times: 1.0) and not only the four values above.
    flat = measure_targeting(_design(FOUR_PSUS), {"pkh": FOUR_PSUS["pkh"]}, reps=2000, seed=1)
    flat_regency = flat.set_index("area").loc[ALL_AREAS]
    assert flat_regency["exclusion_error_direct"] == pytest.approx(0.5)
    assert flat_regency["exclusion_error_direct_high"] > 0.75


def test_rao_wu_within_strata_keeps_each_stratum_psu_count():
    boot = bootstrap_design(FOUR_PSUS["area"], FOUR_PSUS["cluster"], FOUR_PSUS["stratum"])
    assert list(boot.stratum_of_unit) == ["S1", "S1", "S2", "S2"]
    mult = rao_wu_multiplicities(boot.stratum_of_unit, 50, np.random.default_rng(0))
    np.testing.assert_allclose(mult[:, :2].sum(axis=1), 2.0)  # one draw, scaled 2/1
    np.testing.assert_allclose(mult[:, 2:].sum(axis=1), 2.0)
    assert set(np.unique(mult)) == {0.0, 2.0}


def test_psu_numbers_repeated_across_strata_are_different_psus():
    boot = bootstrap_design(["x"] * 4, ["1", "1", "1", "2"], ["A", "A", "B", "B"])
    assert len(set(boot.unit_of_household)) == 3  # (A,1), (B,1), (B,2)


# --- lonely PSUs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("psus", "groups", "why"),
    [
        ({"a": 2, "b": 2}, {"a": "a", "b": "b"}, "no lonely stratum: nothing collapsed"),
        ({"a": 3, "b": 1, "c": 2}, {"a": "a", "b": "a", "c": "c"}, "b joins the one before"),
        ({"a": 1, "b": 4}, {"a": "a", "b": "a"}, "the first joins the one after"),
        ({"a": 1, "b": 1, "c": 1}, {"a": "a", "b": "a", "c": "a"}, "lonely strata pool"),
        ({"a": 1}, {"a": "a"}, "one PSU in all: nothing to pool with"),
    ],
)
def test_collapse_lonely_strata(psus, groups, why):
    assert collapse_lonely_strata(psus) == groups, why


def test_a_lonely_psu_is_resampled_with_its_neighbour_and_said():
    frame = pd.concat(
        [
            FOUR_PSUS,
            pd.DataFrame(  # stratum S3: one PSU e, both households covered
                {
                    "stratum": ["S3", "S3"],
                    "cluster": ["e", "e"],
                    "area": ["two", "two"],
                    "poor": [True, True],
                    "pkh": [1, 1],
                    "w": [1.0, 1.0],
                }
            ),
        ],
        ignore_index=True,
    )
    boot = bootstrap_design(frame["area"], frame["cluster"], frame["stratum"])
    assert list(boot.stratum_of_unit) == ["S1", "S1", "S2", "S2", "S2"]  # e joins S2
    assert boot.collapsed == (("S3", ("S2",)),)
    table = measure_targeting(
        _design(frame, strata="stratum"), {"pkh": frame["pkh"]}, reps=400, seed=0
    )
    regency = table.set_index("area").loc[ALL_AREAS]
    assert regency["exclusion_error_direct"] == pytest.approx(4 / 10)
    # S1 doubles a (1 of 2 uncovered) or b (0); the pooled S2+S3 draws two of c (2),
    # d (1), e (0) and scales by 3/2. Lowest: b with e twice, 0 of 10 (chance 1/2 x 1/9,
    # above 2.5%); highest: a with c twice, (2 + 6) of 10 (the same chance).
    assert regency["exclusion_error_direct_low"] == pytest.approx(0.0)
    assert regency["exclusion_error_direct_high"] == pytest.approx(0.8)
    assert "stratum S3 has one PSU: resampled with S2" in regency["note"]


def test_one_psu_in_all_gives_an_empty_interval_and_says_why():
    frame = FOUR_PSUS[FOUR_PSUS["cluster"] == "a"].assign(stratum="S1")
    table = measure_targeting(_design(frame, strata="stratum"), {"pkh": frame["pkh"]}, reps=50)
    for _, row in table.iterrows():
        assert row["exclusion_error_direct"] == pytest.approx(0.5)
        assert np.isnan(row["exclusion_error_direct_low"])
        assert np.isnan(row["exclusion_error_direct_high"])
        assert "too few clusters to bootstrap" in row["note"]


def test_an_area_of_one_cluster_in_a_stratified_design_has_no_interval():
    # Area "two" is PSU d alone (stratum S2 has c and d): drawing d 0 or 2 times only
    # rescales the area's ratio, so every replicate would say 0.5: no interval.
    frame = FOUR_PSUS.assign(area=np.where(FOUR_PSUS["cluster"] == "d", "two", "one"))
    table = measure_targeting(
        _design(frame, strata="stratum"), {"pkh": frame["pkh"]}, reps=200, min_households=0
    ).set_index("area")
    assert table.loc["two", "exclusion_error_direct"] == pytest.approx(0.5)
    assert np.isnan(table.loc["two", "exclusion_error_direct_low"])
    assert "1 resampled cluster(s): too few clusters to bootstrap" in table.loc["two", "note"]
    assert np.isfinite(table.loc["one", "exclusion_error_direct_low"])
    shrunk = measure_targeting(
        _design(frame, strata="stratum"), {"pkh": frame["pkh"]}, reps=200, min_households=1000
    ).set_index("area")
    assert shrunk.loc["two", "is_shrunk"]  # a shrunk value, but still no interval
    assert np.isnan(shrunk.loc["two", "exclusion_error_low"])
    assert np.isnan(shrunk.loc["two", "exclusion_error_high"])
    assert np.isfinite(shrunk.loc["one", "exclusion_error_low"])


# --- direct and model-based side by side --------------------------------------------


@pytest.fixture(scope="module")
def two_areas():
    """Area "big": 40 villages of 10; area "small": 6 villages of 5 (few poor)."""
    rng = np.random.default_rng(5)
    cluster = np.r_[np.repeat(np.arange(40), 10), np.repeat(np.arange(40, 46), 5)]
    area = np.where(cluster < 40, "big", "small")
    poor = rng.random(len(cluster)) < np.where(area == "big", 0.3, 0.25)
    pkh = rng.random(len(cluster)) < np.where(poor, 0.6, 0.1)
    return pd.DataFrame(
        {
            "cluster": cluster.astype(str),
            "area": area,
            "poor": poor,
            "pkh": pkh.astype(int),
            "w": rng.uniform(5, 15, len(cluster)),
            "size": rng.integers(1, 8, len(cluster)).astype(float),
        }
    )


def test_direct_columns_sit_beside_the_shrunk_ones(two_areas):
    table = measure_targeting(_design(two_areas), {"pkh": two_areas["pkh"]}, reps=300, seed=2)
    assert list(table.columns[: len(CONTRACT_COLUMNS)]) == list(CONTRACT_COLUMNS)
    assert set(DIRECT_COLUMNS) <= set(CONTRACT_COLUMNS)
    rows = table.set_index("area")
    regency = rows.loc[ALL_AREAS]
    for area in ("big", "small"):
        part = two_areas[two_areas["area"] == area]
        by_hand = targeting_indicators(part["pkh"], part["poor"], part["w"])
        row = rows.loc[area]
        for key in ("inclusion_error", "exclusion_error"):
            assert row[f"{key}_direct"] == pytest.approx(by_hand[key])
            assert row[f"{key}_direct_low"] <= row[f"{key}_direct"] <= row[f"{key}_direct_high"]
            gamma = row[f"{key}_direct_weight"]
            # The quoted value is the direct value weighted gamma, the regency 1 - gamma.
            assert row[key] == pytest.approx(
                gamma * row[f"{key}_direct"] + (1 - gamma) * regency[key]
            )
    small = rows.loc["small"]
    assert small["is_shrunk"] and 0 < small["exclusion_error_direct_weight"] < 1
    assert small["small_sample"]
    assert "leakage, undercoverage, cgh, targeting_differential" in small["note"]
    big = rows.loc["big"]  # >= 30 poor and beneficiaries: the direct value is quoted
    assert big["exclusion_error_direct_weight"] == 1.0
    assert big["exclusion_error"] == big["exclusion_error_direct"]
    assert not big["small_sample"]


def test_undefined_direct_values_are_empty_with_a_reason(two_areas):
    nobody = two_areas.assign(pkh=np.where(two_areas["area"] == "small", 0, two_areas["pkh"]))
    nobody_poor = nobody.assign(poor=nobody["poor"] & (nobody["area"] == "big"))
    table = measure_targeting(
        _design(nobody_poor), {"pkh": nobody_poor["pkh"]}, reps=100
    ).set_index("area")
    small = table.loc["small"]
    for key in ("inclusion_error", "exclusion_error"):
        for suffix in ("", "_direct", "_direct_low", "_direct_high", "_direct_weight"):
            assert np.isnan(small[key + suffix]), key + suffix
    assert "no sampled beneficiaries: inclusion error undefined" in small["note"]
    assert "no sampled poor households" in small["note"]


def test_poverty_rate_counts_persons_when_household_sizes_are_given(two_areas):
    table = measure_targeting(
        _design(two_areas, persons="size"), {"pkh": two_areas["pkh"]}, reps=50
    ).set_index("area")
    w, m, p = (two_areas[c].to_numpy(float) for c in ("w", "size", "poor"))
    assert table.loc[ALL_AREAS, "poverty_rate"] == pytest.approx(np.sum(w * m * p) / np.sum(w * m))
    assert table.loc[ALL_AREAS, "poverty_rate_households"] == pytest.approx(
        np.sum(w * p) / np.sum(w)
    )
    # The errors still count households (the unit a programme enrols).
    plain = measure_targeting(_design(two_areas), {"pkh": two_areas["pkh"]}, reps=50)
    assert table.loc[ALL_AREAS, "exclusion_error"] == pytest.approx(
        plain.set_index("area").loc[ALL_AREAS, "exclusion_error"]
    )


def test_a_degenerate_interval_is_emptied_with_a_reason():
    from konsel_analysis.measured.targeting import _drop_degenerate

    table = pd.DataFrame(
        {
            "cgh": [1.2, 1.0, 0.8],
            "cgh_low": [1.5, 1.0, 0.7],
            "cgh_high": [1.5, 1.0, 0.9],
            "note": ["", "", ""],
        }
    )
    _drop_degenerate(table, "cgh")
    assert np.isnan(table.loc[0, "cgh_low"]) and np.isnan(table.loc[0, "cgh_high"])
    assert "every bootstrap replicate gave one value" in table.loc[0, "note"]
    assert table.loc[1, "cgh_low"] == 1.0 and table.loc[1, "note"] == ""  # holds its estimate
    assert table.loc[2, "cgh_low"] == 0.7  # a real interval is kept


# --- the dataset config keys, end to end ----------------------------------------------


@pytest.fixture(scope="module")
def foreign(tmp_path_factory):
    import foreign_survey

    return foreign_survey.write_files(tmp_path_factory.mktemp("foreign"))


def test_config_keys_strata_and_persons(foreign):
    from konsel_analysis.datasets import load_dataset, load_dataset_config
    from konsel_analysis.paths import CONFIGS_DIR

    config = load_dataset_config(foreign["config"])
    assert (config.strata, config.persons) == ("strat", "hh_members")
    assert load_dataset_config(CONFIGS_DIR / "konsel_survey.yml").persons == "household_size"
    dataset = load_dataset(foreign["survey"], config)
    raw = pd.read_csv(foreign["survey"])
    np.testing.assert_array_equal(dataset.persons, raw["hh_members"])
    assert list(dataset.strata[:2]) == ["S1", "S1"]


def test_a_household_without_its_size_is_rejected_when_persons_is_named(foreign, tmp_path):
    from konsel_analysis.datasets import load_dataset

    raw = pd.read_csv(foreign["survey"])
    raw.loc[3, "hh_members"] = np.nan  # also a proxy, where a gap would be allowed
    raw.to_csv(tmp_path / "gap.csv", index=False)
    dataset = load_dataset(tmp_path / "gap.csv", foreign["config"])
    assert dataset.n == len(raw) - 1
    assert dataset.intake.reason_counts.index[0].startswith("'hh_members': missing")


@pytest.mark.parametrize("config", ["config", "config_class", "config_flat"])
def test_targeting_on_the_foreign_survey(foreign, tmp_path, config, capsys):
    from konsel_analysis.cli import main

    out = tmp_path / "out"
    code = main(
        ["targeting", "--data", str(foreign["survey"]), "--config", str(foreign[config]),
         "--reps", "100", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    table = pd.read_csv(out / "targeting_by_area.csv", dtype={"area": str}).set_index("area")
    cash = table[table["program"] == "prog_cash"].fillna({"note": ""})
    assert "no sampled poor households" in cash.loc["A6", "note"]  # A6: no poor
    assert "no sampled beneficiaries" in cash.loc["A5", "note"]  # A5: no programme
    assert cash.loc["A5", "exclusion_error_direct"] == 1.0
    # Lonely PSU: named where the design has strata, otherwise the area is the stratum.
    said = "stratum S4 has one PSU: resampled with S3" in cash.loc[ALL_AREAS, "note"]
    assert said == (config != "config_flat")
    survey = pd.read_csv(foreign["survey"])
    poor = survey["cons_pc"] < 100_000 if config != "config_class" else survey["welfare_cls"] <= 2
    w, m = survey["wgt"], survey["hh_members"]
    assert cash.loc[ALL_AREAS, "poverty_rate"] == pytest.approx(
        np.sum(w * m * poor) / np.sum(w * m)
    )
