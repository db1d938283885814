"""Expected errors in the register by group (issue 18): same model, same replicates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.cli import main
from konsel_analysis.datasets import load_dataset, load_register
from konsel_analysis.measured.groups import form_groups
from konsel_analysis.paths import CONFIGS_DIR
from konsel_analysis.synth import write_konsel
from konsel_analysis.targeting.expected import estimate_expected_errors
from konsel_analysis.targeting.expected_groups import cell_members, visit_shares
from konsel_analysis.targeting.score import register_households, survey_sample

CONFIG = CONFIGS_DIR / "konsel_survey.yml"
COUNTS = ("expected_inclusion_errors", "expected_exclusion_errors")


@pytest.fixture(scope="module")
def estimated(tmp_path_factory, konsel_small):
    folder = tmp_path_factory.mktemp("groups")
    write_konsel(konsel_small, folder)
    dataset = load_dataset(folder / "survey.parquet", CONFIG)
    register = load_register(folder / "register.parquet", CONFIG)
    levels = form_groups(register.frame).levels
    levels["everyone"] = np.full(register.n, "all", dtype=object)
    result = estimate_expected_errors(
        survey_sample(dataset),
        register_households(register),
        dataset.poverty_line,
        dataset.extreme_poverty_line,
        squared=dataset.config.squared,
        reps=60,
        groups=levels,
    )
    return result, register


def test_group_levels_add_up_to_the_kecamatan_figures(estimated):
    result, register = estimated
    by_group, by_area = result.by_group, result.by_area.set_index("area")
    for group in ("is_head_female", "household_size", "head_education"):
        sums = by_group[by_group["group"] == group].groupby("area")[[*COUNTS, "households"]].sum()
        for name in COUNTS:
            np.testing.assert_allclose(sums[name], by_area.loc[sums.index, name], rtol=1e-9)
        assert sums.loc["ALL", "households"] == register.n
    # intervals contain their point values
    for name in COUNTS:
        assert (by_group[f"{name}_low"] <= by_group[name] + 1e-9).all()
        assert (by_group[name] <= by_group[f"{name}_high"] + 1e-9).all()


def test_a_group_of_everyone_has_the_kecamatan_interval(estimated):
    """Same refits and village effects: only the household-chance part is drawn anew,
    a small share of the width at regency level."""
    result, _ = estimated
    everyone = result.by_group[result.by_group["group"] == "everyone"].set_index("area")
    by_area = result.by_area.set_index("area")
    for name in COUNTS:
        ours = everyone.loc["ALL", f"{name}_high"] - everyone.loc["ALL", f"{name}_low"]
        theirs = by_area.loc["ALL", f"{name}_high"] - by_area.loc["ALL", f"{name}_low"]
        assert ours == pytest.approx(theirs, rel=0.2)


def test_cell_members_by_hand():
    # Two groupings of four households: cells {0: h1, h3; 1: h0, h2} and {0: all; 1: none}.
    m = cell_members([np.array([1, 0, 1, 0]), np.zeros(4, np.int64)], [2, 2], 4)
    w = np.array([[1.0, -1.0], [2.0, 0.5], [4.0, 0.0], [8.0, 3.0]])
    assert (m @ w).tolist() == [[10.0, 3.5], [5.0, -1.0], [15.0, 2.5], [0.0, 0.0]]


def test_cell_members_add_as_bincount_does_to_the_last_bit():
    # Sums of many values of mixed magnitudes round differently in another order: the
    # product must add each cell's households in household order, as np.bincount does.
    rng = np.random.default_rng(7)
    n = 5000
    cells = [rng.integers(0, 12, n), rng.integers(0, 3, n)]
    w = rng.standard_normal((n, 3)) * 10.0 ** rng.integers(-8, 8, (n, 1))
    sums = cell_members(cells, [12, 3], n) @ w
    expected = np.vstack(
        [
            np.column_stack([np.bincount(c, weights=w[:, j], minlength=k) for j in range(3)])
            for c, k in zip(cells, [12, 3], strict=True)
        ]
    )
    assert np.array_equal(sums, expected)
    # ... and the order does matter here: the same households added backwards differ.
    backwards = np.bincount(cells[0][::-1], weights=w[::-1, 0], minlength=12)
    assert np.allclose(backwards, expected[:12, 0], rtol=1e-9, atol=1e-6)
    assert not np.array_equal(backwards, expected[:12, 0])


def test_visit_shares_by_hand():
    # two kecamatan; level a has 1 of 4 expected errors in x but 2 of its 3 visits
    table = pd.DataFrame(
        {
            "group": "g",
            "level": ["a", "b", "a", "b", "a", "b"],
            "area": ["x", "x", "y", "y", "ALL", "ALL"],
            "expected_inclusion_errors": [1.0, 1.0, 0.0, 2.0, 1.0, 3.0],
            "expected_exclusion_errors": [0.0, 2.0, 2.0, 0.0, 2.0, 2.0],
        }
    )
    levels = {"g": np.array(["a", "a", "b", "a", "b"])}
    area = np.array(["x", "x", "x", "y", "y"])
    visited = np.array([True, True, True, False, True])
    out = visit_shares(table, levels, area, visited).set_index(["level", "area"])
    assert out.loc[("a", "x"), "visits"] == 2 and out.loc[("a", "ALL"), "visits"] == 2
    assert out.loc[("a", "x"), "share_of_visits"] == pytest.approx(2 / 3)
    assert out.loc[("a", "x"), "share_of_expected_errors"] == pytest.approx(1 / 4)
    assert out.loc[("a", "x"), "visit_error_ratio"] == pytest.approx(8 / 3)
    # regency: a has 3 of 8 expected errors and 2 of 4 visits
    assert out.loc[("a", "ALL"), "visit_error_ratio"] == pytest.approx((2 / 4) / (3 / 8))
    assert out.loc[("b", "y"), "share_of_visits"] == pytest.approx(1.0)


def test_score_writes_expected_errors_by_group(tmp_path, konsel_small):
    write_konsel(konsel_small, tmp_path / "raw")
    out = tmp_path / "out"
    args = ["score", "--survey", str(tmp_path / "raw/survey.parquet")]
    args += ["--register", str(tmp_path / "raw/register.parquet"), "--config", str(CONFIG)]
    args += ["--budget", "300", "--min-per-area", "10", "--reps", "20", "--out", str(out)]
    args += ["--restricted-out", str(tmp_path / "restricted")]
    assert main(args) == 0
    table = pd.read_csv(out / "expected_errors_by_group.csv", dtype={"area": str, "level": str})
    regency = table[(table["area"] == "ALL") & (table["group"] == "is_urban")]
    assert set(regency["level"]) == {"1", "0"}
    assert regency["visits"].sum() == 270  # the priority list: 300 less the 10% audit share
    assert regency["share_of_expected_errors"].sum() == pytest.approx(1.0)
    assert not table.columns.str.contains("nik|name").any()
