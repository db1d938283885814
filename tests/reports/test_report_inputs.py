"""The shared computation: measures worked out by hand, suppression, the cache."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.paths import ProjectPaths
from konsel_analysis.reports import inputs as ri
from konsel_analysis.reports.text import number, percent, rupiah

# Four households, weights 1, 1, 2, 4: recipients are rows 0, 1 and 3; rows 0 and 2 are poor.
RECEIVES = np.array([True, True, False, True])
POOR = np.array([True, False, True, False])
WEIGHTS = np.array([1.0, 1.0, 2.0, 4.0])


def test_inclusion_error_by_hand():
    # Recipients weigh 1 + 1 + 4 = 6, of which the non-poor weigh 1 + 4 = 5.
    assert ri.inclusion_error(RECEIVES, POOR, WEIGHTS) == pytest.approx(5 / 6)


def test_exclusion_error_by_hand():
    # The poor weigh 1 + 2 = 3, of which the non-recipients weigh 2.
    assert ri.exclusion_error(RECEIVES, POOR, WEIGHTS) == pytest.approx(2 / 3)


def test_measures_do_not_depend_on_the_scale_of_the_weights():
    assert ri.inclusion_error(RECEIVES, POOR, 7 * WEIGHTS) == pytest.approx(5 / 6)
    assert ri.exclusion_error(RECEIVES, POOR, 0.1 * WEIGHTS) == pytest.approx(2 / 3)


def test_measures_without_a_denominator_are_missing_not_zero():
    nobody = np.zeros(4, dtype=bool)
    assert np.isnan(ri.inclusion_error(nobody, POOR, WEIGHTS))
    assert np.isnan(ri.exclusion_error(RECEIVES, nobody, WEIGHTS))


def test_numbers_are_written_the_indonesian_way_by_default():
    assert number(83_000, "id") == "83.000"
    assert percent(0.118, "id") == "11,8%"
    assert percent(0.118, "en") == "11.8%"
    assert rupiah(462_710, "id") == "Rp 462.710"
    assert percent(float("nan"), "id") == "–"


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
    settings = ri.resolve_settings()
    desa = ri.compose_desa(register, settings).set_index("village_code")
    assert desa.loc["74.05.01.1001", "share_pkh"] == pytest.approx(0.25)
    assert desa.loc["74.05.01.1001", "households"] == 40
    assert np.isnan(desa.loc["74.05.01.1002", "share_pkh"])
    assert desa.loc["74.05.01.1002", "share_pbi_jk"] == pytest.approx(1.0)
    small = desa.loc["74.05.01.2003"]
    assert small["is_suppressed"] and np.isnan(small["households"]) and np.isnan(small["share_pkh"])
    # No count of recipients is published, only shares.
    assert not [c for c in desa.columns if c.startswith("n_")]


def test_welfare_bands_of_each_group_add_up_to_one(konsel_default):
    settings = ri.resolve_settings()
    survey = ri._prepare_survey(konsel_default.survey, settings)
    bands = ri.tabulate_welfare_bands(survey, settings)
    regency = bands[bands["area_code"] == ri.REGENCY_CODE]
    for _, group in regency.groupby("group"):
        assert not group["is_suppressed"].any()
        assert group["share_households"].sum() == pytest.approx(1.0)
    # In a kecamatan, hidden bands leave the shown ones adding up to at most one.
    kecamatan = bands[bands["area_code"] == "74.05.11"]
    for _, group in kecamatan.groupby("group"):
        assert group["share_households"].sum() <= 1.0 + 1e-9
        assert group.loc[group["is_suppressed"], "share_households"].isna().all()


def test_cache_is_reused_until_an_input_or_a_setting_changes(tmp_path, konsel_small):
    from konsel_analysis.synth import write_konsel

    write_konsel(konsel_small, tmp_path / "data" / "raw")
    paths = ProjectPaths(tmp_path)
    first = ri.prepare_report_inputs(paths)
    assert not first.reused
    assert (tmp_path / "data/processed/report_inputs/manifest.json").is_file()
    again = ri.prepare_report_inputs(paths)
    assert again.reused and again.key == first.key
    other_line = ri.prepare_report_inputs(paths, settings=ri.resolve_settings(500_000))
    assert not other_line.reused and other_line.key != first.key
    survey = pd.read_parquet(tmp_path / "data/raw/survey.parquet")
    survey.iloc[:-1].to_parquet(tmp_path / "data/raw/survey.parquet")
    changed = ri.prepare_report_inputs(paths)
    assert not changed.reused and changed.key not in {first.key, other_line.key}


def test_the_tables_never_hold_personal_columns(tmp_path, konsel_small):
    from konsel_analysis.synth import write_konsel

    write_konsel(konsel_small, tmp_path / "data" / "raw")
    inputs = ri.prepare_report_inputs(ProjectPaths(tmp_path))
    for name in inputs.tables:
        text = (inputs.folder / f"{name}.csv").read_text()
        assert "nik" not in text.lower() and "name_head" not in text
        assert not any(nik in text for nik in konsel_small.register["nik_head"].head(500))


def test_missing_raw_data_is_a_user_error(tmp_path):
    from konsel_analysis.errors import UserError

    with pytest.raises(UserError, match="register.parquet not found.*konsel synth"):
        ri.prepare_report_inputs(ProjectPaths(tmp_path))


def test_tables_of_steps_that_have_not_run_are_left_out_with_the_reason(tmp_path, konsel_small):
    from konsel_analysis.synth import write_konsel

    write_konsel(konsel_small, tmp_path / "data" / "raw")
    inputs = ri.prepare_report_inputs(ProjectPaths(tmp_path))
    assert "area_summary" in inputs.tables
    for name in ("expected_errors", "priority_households", "impact_simulation", "pmt_summary"):
        assert name not in inputs.tables and inputs.why_missing(name) == "missing"
    # No pseudonymisation key is made for a report that lists no household.
    assert not (tmp_path / ".konsel_secret_key").exists()


def test_step_outputs_from_other_data_or_other_lines_are_not_used(built, tmp_path):
    paths = ProjectPaths(built.root)
    survey = pd.read_parquet(built.root / "data/raw/survey.parquet")
    survey.iloc[:-1].to_parquet(tmp_path / "survey.parquet")
    other_data = ri.prepare_report_inputs(
        paths, survey_path=tmp_path / "survey.parquet", inputs_dir=tmp_path / "a"
    )
    assert other_data.why_missing("targeting_intervals") == "other_data"
    assert other_data.why_missing("expected_errors") == "other_data"
    other_line = ri.prepare_report_inputs(
        paths, inputs_dir=tmp_path / "b", settings=ri.resolve_settings(500_000)
    )
    assert other_line.why_missing("pmt_summary") == "other_settings"
    assert set(other_line.tables) | set(other_line.unavailable) == set(ri.TABLE_BUILDERS)
    same = ri.prepare_report_inputs(paths, inputs_dir=tmp_path / "c")
    # The small regency has no verification round (its raw data holds none): only the
    # round's tables are missing.
    rounds = {"verification_results", "verification_calibration"}
    assert set(same.tables) == set(ri.TABLE_BUILDERS) - rounds
    assert same.unavailable == dict.fromkeys(rounds, "missing")
