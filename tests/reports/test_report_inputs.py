"""The shared computation: measures worked out by hand, suppression, the cache."""

from __future__ import annotations

import pandas as pd
import pytest

from konsel_analysis.paths import ProjectPaths
from konsel_analysis.reports import inputs as ri
from konsel_analysis.reports.text import number, percent, rupiah


def test_numbers_are_written_the_indonesian_way_by_default():
    assert number(83_000, "id") == "83.000"
    assert percent(0.118, "id") == "11,8%"
    assert percent(0.118, "en") == "11.8%"
    assert rupiah(462_710, "id") == "Rp 462.710"
    assert percent(float("nan"), "id") == "–"


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


def test_a_given_key_opens_the_tables_without_working_the_key_out(
    tmp_path, konsel_small, monkeypatch
):
    """The pages of ``konsel reports`` get the key the driver made the tables under."""
    from konsel_analysis.build import task as build_task
    from konsel_analysis.synth import write_konsel

    write_konsel(konsel_small, tmp_path / "data" / "raw")
    paths = ProjectPaths(tmp_path)
    made = ri.prepare_report_inputs(paths)

    def no_following(*modules):
        raise AssertionError("the key was worked out again")

    with monkeypatch.context() as m:
        m.setattr(build_task, "code_files", no_following)
        opened = ri.prepare_report_inputs(paths, key=made.key)
        assert opened.reused and opened.key == made.key and opened.tables == made.tables
        # A damaged table is not current under any key: the key is worked out, here
        # with no code to follow, and fails.
        (made.folder / "area_summary.csv").write_text("area_code\n")
        with pytest.raises(AssertionError, match="worked out again"):
            ri.prepare_report_inputs(paths, key=made.key)
        # A key the tables were not made under is not trusted either.
        with pytest.raises(AssertionError, match="worked out again"):
            ri.prepare_report_inputs(paths, key="0" * 64)
    again = ri.prepare_report_inputs(paths, key=made.key)  # remade, under the same key
    assert not again.reused and again.key == made.key
    assert (made.folder / "area_summary.csv").read_text() != "area_code\n"


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


def test_the_pages_quote_the_area_summary_steps_tables_as_they_are(built):
    """One source: the report tables copy the area summary step's tables byte for byte,
    and the register summary is that step's register counts (checked here against the
    raw register, counted independently)."""
    from konsel_analysis.describe.tables import TABLES as SUMMARY_TABLES

    processed = built.root / "data/processed"
    for name in SUMMARY_TABLES:
        step_table = (processed / "summary" / f"{name}.csv").read_bytes()
        assert (processed / "report_inputs" / f"{name}.csv").read_bytes() == step_table
    register = pd.read_parquet(built.root / "data/raw/register.parquet")
    by_hand = register.groupby("kecamatan_code").agg(
        households=("household_size", "size"),
        persons=("household_size", "sum"),
        villages=("village_code", "nunique"),
        share_pkh=("is_pkh_recipient", "mean"),
    )
    summary = pd.read_csv(
        processed / "register_summary_by_kecamatan.csv", dtype={"kecamatan_code": str}
    ).set_index("kecamatan_code")
    assert len(summary) == 25 and summary["households"].sum() == len(register)
    shown = summary.loc[by_hand.index]
    assert shown["households"].tolist() == by_hand["households"].tolist()
    assert shown["persons"].tolist() == by_hand["persons"].astype(float).tolist()
    assert shown["villages"].tolist() == by_hand["villages"].tolist()
    assert shown["share_pkh"].tolist() == by_hand["share_pkh"].round(4).tolist()


def test_the_report_tables_read_no_raw_table_when_every_step_ran(built, tmp_path, monkeypatch):
    """The main job's driver reads no raw table: every report table comes from a step."""
    paths = ProjectPaths(built.root)
    made = ri.prepare_report_inputs(paths)

    def no_raw(sources):
        raise AssertionError("a raw table was read")

    monkeypatch.setattr(ri, "_load_sources", no_raw)
    again = ri.prepare_report_inputs(paths, inputs_dir=tmp_path / "again", force=True)
    assert again.key == made.key and again.tables == made.tables
    for name in made.tables:
        assert (tmp_path / "again" / f"{name}.csv").read_bytes() == (
            made.folder / f"{name}.csv"
        ).read_bytes(), name


def test_the_desa_of_a_scored_household_comes_from_the_scores_or_else_the_register():
    from konsel_analysis.reports import step_tables

    scores = pd.DataFrame(
        {"household_id": ["h1", "h2"], "cluster": pd.array(["74.05.01.2001", "74.05.01.2002"])}
    )

    class NoRegister:
        @property
        def register(self):
            raise AssertionError("the register was read")

    assert step_tables._desa_of(scores, NoRegister()).tolist() == [
        "74.05.01.2001",
        "74.05.01.2002",
    ]

    class WithRegister:
        register = pd.DataFrame({"household_id": ["h2", "h1"], "village_code": ["B", "A"]})

    no_desa = scores.assign(cluster=pd.array([pd.NA, pd.NA], dtype="string"))
    assert step_tables._desa_of(no_desa, WithRegister()).tolist() == ["A", "B"]
