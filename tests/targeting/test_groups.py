"""Targeting errors by group (issue 18): groups, hand-worked metrics and the gap's interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from konsel_analysis.cli import main
from konsel_analysis.measured.groups import (
    CONTRACT_COLUMNS,
    MISSING,
    GroupLevels,
    form_groups,
    level_label,
    measure_group_targeting,
)
from konsel_analysis.measured.targeting import TargetingDesign
from konsel_analysis.parameters import load_parameters
from konsel_analysis.paths import CONFIGS_DIR

# --------------------------------------------------------------------------------------
# Groups from the dictionary's columns
# --------------------------------------------------------------------------------------


def test_default_groups_are_formed_from_the_dictionary_columns():
    frame = pd.DataFrame(
        {
            "is_head_female": [1, 0, True, "0"],
            "n_members_age_70_plus": [0, 2, 1, None],
            "n_members_severe_disability": [0, 0, 1, 0],
            "is_head_disabled": [0, 1, 0, None],
            "household_size": [1, 4, 6, 12],
            "is_urban": [0, 1, 0, 1],
            "head_education": ["none", "primary", "tertiary", "junior_secondary"],
        }
    )
    g = form_groups(frame)
    assert g.skipped == {}
    assert g.levels["is_head_female"].tolist() == ["1", "0", "1", "0"]
    assert g.levels["n_members_age_70_plus"].tolist() == ["0", "1+", "1+", MISSING]
    # member OR head: the head's flag alone makes household 2 a "yes"; household 4
    # has no disabled member and an unknown head: unknown
    assert g.levels["any_disability"].tolist() == ["0", "1", "1", MISSING]
    assert g.levels["household_size"].tolist() == ["1-2", "3-4", "5-6", "7+"]
    assert g.levels["head_education"].tolist() == [
        "primary_or_less",
        "primary_or_less",
        "senior_secondary_or_more",
        "junior_secondary",
    ]


def test_a_foreign_table_without_the_columns_skips_groups_with_a_note():
    frame = pd.DataFrame({"hh_size": [1, 2], "ethnic": ["a", "b"], "id": ["x", "y"]})
    g = form_groups(frame, configured=["ethnic", "religion", "id"])
    assert list(g.levels) == ["ethnic", "id"]
    assert "household_size not in the table" in g.skipped["household_size"]
    assert "religion not in the table" in g.skipped["religion"]


def test_personal_columns_never_become_groups():
    frame = pd.DataFrame({"name_head": ["Ani", "Budi"], "nama": ["Ani", "Budi"]})
    g = form_groups(frame, configured=["name_head", "nama"], personal=["nama"])
    assert g.levels == {}
    assert "personal data" in g.skipped["name_head"] and "personal data" in g.skipped["nama"]
    assert "Ani" not in " ".join(g.skipped.values())


def test_a_column_with_too_many_levels_is_skipped():
    frame = pd.DataFrame({"village": [f"v{i}" for i in range(20)]})
    g = form_groups(frame, requested=["village"])
    assert g.levels == {}
    assert "20 distinct values" in g.skipped["village"]


def test_level_words_in_both_languages():
    assert level_label("is_head_female", "1", "id") == "ya"
    assert level_label("household_size", "7+", "en") == "7+ persons"
    assert level_label("head_education", "primary_or_less", "id") == "SD ke bawah"
    assert level_label("is_urban", "0", "en") == "rural"


# --------------------------------------------------------------------------------------
# Hand-worked metrics and the gap's interval
# --------------------------------------------------------------------------------------
# One kecamatan, two villages A and B. A Rao-Wu replicate of an area with two
# villages draws one village and doubles it, so every replicate is "A twice" or
# "B twice": the percentile interval runs from the A-only to the B-only value.
#
#   village  weight  level  poor  beneficiary
#   A        1       1      1     0
#   A        1       1      1     1
#   A        1       0      1     1
#   A        1       0      0     1
#   B        3       1      1     0
#   B        3       1      1     0
#   B        3       0      1     0
#   B        3       0      1     0
_CLUSTER = np.array(["A"] * 4 + ["B"] * 4)
_WEIGHT = np.array([1.0] * 4 + [3.0] * 4)
_LEVEL = np.array(["1", "1", "0", "0", "1", "1", "0", "0"], dtype=object)
_POOR = np.array([1, 1, 1, 0, 1, 1, 1, 1], bool)
_BEN = np.array([0, 1, 1, 1, 0, 0, 0, 0], bool)


def _design(area=None):
    return TargetingDesign(
        is_poor=_POOR,
        is_extreme_poor=np.zeros(8, bool),
        weight=_WEIGHT,
        area=np.array(["a"] * 8) if area is None else area,
        cluster=_CLUSTER,
    )


@pytest.fixture(scope="module")
def hand_worked():
    regency, by_area = measure_group_targeting(
        _design(),
        {"p": _BEN},
        GroupLevels({"g": _LEVEL}, {}),
        ci=0.90,
        reps=400,
        min_households=1,
    )
    return regency.set_index("level"), by_area


def test_group_metrics_by_hand(hand_worked):
    table, _ = hand_worked
    one, zero = table.loc["1"], table.loc["0"]
    # level 1: poor weight 1 + 1 + 3 + 3 = 8, of which not covered 1 + 3 + 3 = 7
    assert one["exclusion_error"] == pytest.approx(7 / 8)
    assert one["households"] == pytest.approx(8)
    assert one["sampled_households"] == 4
    # level 0: poor weight 1 + 3 + 3 = 7, not covered 3 + 3 = 6
    assert zero["exclusion_error"] == pytest.approx(6 / 7)
    # the gap: the level against the rest of its group
    assert one["exclusion_gap"] == pytest.approx(7 / 8 - 6 / 7)  # 1/56
    assert zero["exclusion_gap"] == pytest.approx(6 / 7 - 7 / 8)
    # inclusion error: level 0 beneficiaries weigh 1 + 1, one of them not poor
    assert zero["inclusion_error"] == pytest.approx(1 / 2)
    assert one["inclusion_error"] == pytest.approx(0.0)
    assert one["coverage"] == pytest.approx(1 / 8)


def test_gap_interval_runs_between_the_one_village_replicates(hand_worked):
    table, _ = hand_worked
    one = table.loc["1"]
    # A alone: level 1 exclusion 1/2, level 0 exclusion 0/1 -> gap 1/2;
    # B alone: level 1 exclusion 1, level 0 exclusion 1 -> gap 0.
    assert (one["exclusion_gap_low"], one["exclusion_gap_high"]) == pytest.approx((0.0, 0.5))
    assert (one["exclusion_error_low"], one["exclusion_error_high"]) == pytest.approx((0.5, 1.0))
    # the interval touches 0: no flag
    assert not one["gap_excludes_zero"]


def test_a_gap_interval_away_from_zero_is_flagged():
    # make level 0 fully covered in both villages: the gap is positive in every replicate
    ben = _BEN | (_LEVEL == "0")
    regency, _ = measure_group_targeting(
        _design(), {"p": ben}, GroupLevels({"g": _LEVEL}, {}), ci=0.9, reps=200, min_households=1
    )
    one = regency.set_index("level").loc["1"]
    assert one["exclusion_gap"] == pytest.approx(7 / 8)
    assert (one["exclusion_gap_low"], one["exclusion_gap_high"]) == pytest.approx((0.5, 1.0))
    assert one["gap_excludes_zero"]


def test_a_group_with_no_poor_sampled_gives_an_empty_value_and_a_reason():
    level = np.where(_POOR, "poorish", "rich").astype(object)
    regency, _ = measure_group_targeting(
        _design(), {"p": _BEN}, GroupLevels({"g": level}, {}), reps=50, min_households=1
    )
    rich = regency.set_index("level").loc["rich"]
    assert np.isnan(rich["exclusion_error"]) and np.isnan(rich["exclusion_gap"])
    assert rich["inclusion_error"] == pytest.approx(1.0)  # its one beneficiary is not poor
    assert "no sampled poor households in this group" in rich["note"]


def test_kecamatan_figures_only_where_the_sample_allows():
    area = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    design = TargetingDesign(_POOR, np.zeros(8, bool), _WEIGHT, area, np.arange(8).astype(str))
    _, by_area = measure_group_targeting(
        design, {"p": _BEN}, GroupLevels({"g": _LEVEL}, {}), reps=50, min_households=2
    )
    rows = by_area.set_index(["area", "level"])
    # kecamatan b, level 1: two sampled poor, both excluded -> shown
    assert rows.loc[("b", "1"), "exclusion_error"] == pytest.approx(1.0)
    # kecamatan a, level 0: one sampled poor -> left out, and said so
    assert np.isnan(rows.loc[("a", "0"), "exclusion_error"])
    assert "too few for a group figure" in rows.loc[("a", "0"), "note"]


# --------------------------------------------------------------------------------------
# The command line contract
# --------------------------------------------------------------------------------------


def _config(path, **keys):
    """The default survey config, with fewer proxies (they play no part here)."""
    raw = yaml.safe_load((CONFIGS_DIR / "konsel_survey.yml").read_text())
    raw.update(proxies={"numeric": ["household_size"]}, programs=["is_pkh_recipient"], **keys)
    path.write_text(yaml.safe_dump(raw))
    return path


def test_targeting_writes_the_group_contract(tmp_path, konsel_small):
    data = tmp_path / "survey.csv"
    konsel_small.survey.assign(ethnic="x").to_csv(data, index=False)
    config = _config(tmp_path / "c.yml", groups=["ethnic", "religion"])
    out = tmp_path / "out"
    args = ["targeting", "--data", str(data), "--config", str(config), "--out", str(out)]
    assert main([*args, "--reps", "40"]) == 0
    table = pd.read_csv(out / "targeting_by_group.csv", keep_default_na=False, na_values=[""])
    assert tuple(table.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    groups = set(table["group"])
    assert {"is_head_female", "n_members_age_70_plus", "household_size", "ethnic"} <= groups
    religion = table[table["group"] == "religion"].iloc[0]
    assert "not in the table" in religion["note"] and np.isnan(religion["exclusion_error"])
    # the survey's own overall figure is recovered as a weighted mean of the levels
    female = table[table["group"] == "is_head_female"].set_index("level")
    s = konsel_small.survey
    poor = s["consumption_pc_month_idr"] < load_parameters().value("poverty_lines.poverty_line")
    w = s["design_weight"] * poor
    excluded = (
        (w * ~s["is_pkh_recipient"].astype(bool)).groupby(s["is_head_female"].astype(int)).sum()
    )
    expected = excluded / w.groupby(s["is_head_female"].astype(int)).sum()
    assert female.loc["1", "exclusion_error"] == pytest.approx(expected.loc[1])
    assert (out / "targeting_by_group_area.csv").exists()


def test_groups_option_naming_an_absent_column_fails_before_writing(tmp_path, konsel_small, capsys):
    data = tmp_path / "survey.csv"
    konsel_small.survey.to_csv(data, index=False)
    out = tmp_path / "out"
    code = main(
        [
            "targeting",
            "--data",
            str(data),
            "--config",
            str(_config(tmp_path / "c.yml")),
            "--out",
            str(out),
            "--groups",
            "is_urban,religion",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "'religion'" in err and "Traceback" not in err
    assert not out.exists() or not any(out.glob("*.csv"))
