"""The area summary's tables: measures worked out by hand, suppression, the register summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.describe import tables as dt

SETTINGS = dt.SummarySettings(
    poverty_line_idr=462_710.0, extreme_poverty_line_idr=351_957.0, eligible_desil_max=4
)

# Four households, weights 1, 1, 2, 4: recipients are rows 0, 1 and 3; rows 0 and 2 are poor.
RECEIVES = np.array([True, True, False, True])
POOR = np.array([True, False, True, False])
WEIGHTS = np.array([1.0, 1.0, 2.0, 4.0])


def test_inclusion_error_by_hand():
    # Recipients weigh 1 + 1 + 4 = 6, of which the non-poor weigh 1 + 4 = 5.
    assert dt.inclusion_error(RECEIVES, POOR, WEIGHTS) == pytest.approx(5 / 6)


def test_exclusion_error_by_hand():
    # The poor weigh 1 + 2 = 3, of which the non-recipients weigh 2.
    assert dt.exclusion_error(RECEIVES, POOR, WEIGHTS) == pytest.approx(2 / 3)


def test_measures_do_not_depend_on_the_scale_of_the_weights():
    assert dt.inclusion_error(RECEIVES, POOR, 7 * WEIGHTS) == pytest.approx(5 / 6)
    assert dt.exclusion_error(RECEIVES, POOR, 0.1 * WEIGHTS) == pytest.approx(2 / 3)


def test_measures_without_a_denominator_are_missing_not_zero():
    nobody = np.zeros(4, dtype=bool)
    assert np.isnan(dt.inclusion_error(nobody, POOR, WEIGHTS))
    assert np.isnan(dt.exclusion_error(RECEIVES, nobody, WEIGHTS))


def _register(village_code: str, n: int, n_pkh: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kecamatan_code": village_code[:8],
            "village_code": village_code,
            "household_size": 4,
            "is_pkh_recipient": np.arange(n) < n_pkh,
            "is_bpnt_recipient": False,
            "is_pbi_jk_recipient": True,
            "is_blt_dd_recipient": False,
            "desil": 3,
        }
    )


def test_desa_cells_from_fewer_than_five_households_are_hidden():
    register = pd.concat(
        [
            _register("74.05.01.1001", 40, 10),  # 10 PKH of 40: shown, 25%
            _register("74.05.01.1002", 40, 3),  # 3 PKH: hidden
            _register("74.05.01.2003", 4, 4),  # a desa of 4 households: everything hidden
        ]
    )
    settings = SETTINGS
    desa = dt.compose_desa(register, settings).set_index("village_code")
    assert desa.loc["74.05.01.1001", "share_pkh"] == pytest.approx(0.25)
    assert desa.loc["74.05.01.1001", "households"] == 40
    assert np.isnan(desa.loc["74.05.01.1002", "share_pkh"])
    assert desa.loc["74.05.01.1002", "share_pbi_jk"] == pytest.approx(1.0)
    small = desa.loc["74.05.01.2003"]
    assert small["is_suppressed"] and np.isnan(small["households"]) and np.isnan(small["share_pkh"])
    # No count of recipients is published, only shares.
    assert not [c for c in desa.columns if c.startswith("n_")]


def test_welfare_bands_of_each_group_add_up_to_one(konsel_default):
    settings = SETTINGS
    survey = dt.prepare_survey(konsel_default.survey, settings)
    bands = dt.tabulate_welfare_bands(survey, settings)
    regency = bands[bands["area_code"] == dt.REGENCY_CODE]
    for _, group in regency.groupby("group"):
        assert not group["is_suppressed"].any()
        assert group["share_households"].sum() == pytest.approx(1.0)
    # In a kecamatan, hidden bands leave the shown ones adding up to at most one.
    kecamatan = bands[bands["area_code"] == "74.05.11"]
    for _, group in kecamatan.groupby("group"):
        assert group["share_households"].sum() <= 1.0 + 1e-9
        assert group.loc[group["is_suppressed"], "share_households"].isna().all()


def test_register_summary_is_the_area_summarys_register_columns_to_four_decimals():
    # Two kecamatan: 74.05.01 with 3 households in 2 desa, 74.05.02 with one; the other
    # 23 kecamatan have none and are left empty.
    register = pd.DataFrame(
        {
            "kecamatan_code": ["74.05.01", "74.05.01", "74.05.01", "74.05.02"],
            "village_code": ["74.05.01.2001", "74.05.01.2001", "74.05.01.2002", "74.05.02.2001"],
            "household_size": [4, 2, 3, 5],
            "is_pkh_recipient": [True, False, False, True],
            "is_bpnt_recipient": [True, True, False, False],
            "is_pbi_jk_recipient": [False, False, False, False],
            "is_blt_dd_recipient": [True, True, True, True],
            "desil": [1, 2, 7, 3],
        }
    )
    survey = pd.DataFrame(
        {
            "kecamatan_code": ["74.05.01", "74.05.02"],
            "village_code": ["74.05.01.2001", "74.05.02.2001"],
            "design_weight": [10.0, 30.0],
            "household_size": [4, 5],
            "consumption_pc_month_idr": [300_000.0, 900_000.0],
            "is_pkh_recipient": [True, False],
            "is_bpnt_recipient": [False, False],
            "is_pbi_jk_recipient": [False, False],
            "is_blt_dd_recipient": [True, False],
        }
    )
    tables = dt.describe_areas(register, survey, SETTINGS)
    area = tables["area_summary"].set_index("area_code")
    assert area.loc["74.05.01", ["households", "persons", "villages"]].tolist() == [3, 9, 2]
    assert area.loc["74.05", "households"] == 4
    # Survey: the poor household (Rp 300,000 < both lines) stands for 10 of 40 households
    # and 40 of 190 persons (10 x 4, 30 x 5).
    assert area.loc["74.05", "poverty_rate_households"] == pytest.approx(10 / 40)
    assert area.loc["74.05", "poverty_rate_persons"] == pytest.approx(40 / 190)
    summary = dt.register_summary_by_kecamatan(tables["area_summary"])
    assert len(summary) == 25
    first = summary.set_index("kecamatan_code").loc["74.05.01"]
    assert first["share_pkh"] == 0.3333 and first["share_bpnt"] == 0.6667
    assert first["persons"] == 9.0 and first["villages"] == 2
    assert summary.set_index("kecamatan_code").loc["74.05.25"].drop("kecamatan_name").isna().all()
