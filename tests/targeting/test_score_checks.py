"""`konsel score` on a survey no one here wrote: budget, ids, comparability, field lists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.cli import main
from konsel_analysis.errors import UserError
from konsel_analysis.targeting.score_checks import check_budget, warn_overlapping_ids

AREAS = np.array(["a"] * 3 + ["b"] * 10 + ["c"] * 12)  # 25 households in three areas


@pytest.mark.parametrize(
    ("budget", "minimum", "given", "expected", "why"),
    [
        (20, 5, True, 20, "3 + 5 + 5 = 13 needed: enough"),
        (13, 5, True, 13, "exactly the minimum (area a gives all its 3)"),
        (25, 0, True, 25, "the whole register"),
        (3000, 5, False, 25, "parameters.yml's budget above the register: capped, said"),
        (10, 5, False, 10, "parameters.yml's numbers short of the minimum: said, kept"),
    ],
)
def test_check_budget_accepts(budget, minimum, given, expected, why, caplog):
    got = check_budget(
        budget, minimum, AREAS, Path("r.csv"), budget_given=given, minimum_given=given
    )
    assert got == expected, why
    assert ("warning:" in caplog.text) == (not given), why


@pytest.mark.parametrize(
    ("budget", "minimum", "message"),
    [
        (26, 5, "--budget 26 is more than the 25 households of r.csv; give at most 25"),
        (12, 5, "minimum of 5 visits (--min-per-area; 13 visits needed); raise --budget to 13"),
    ],
)
def test_check_budget_refuses_given_numbers_that_cannot_hold(budget, minimum, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_budget(budget, minimum, AREAS, Path("r.csv"), budget_given=True, minimum_given=False)


def test_overlapping_ids_are_counted_and_said(caplog):
    assert warn_overlapping_ids(["1", "2", "3"], [3, 4, 2], Path("s.csv"), Path("r.csv")) == 2
    assert "2 household id(s) of r.csv also appear in the survey s.csv" in caplog.text
    assert warn_overlapping_ids(["1"], ["2"], Path("s.csv"), Path("r.csv")) == 0


@pytest.fixture(scope="module")
def foreign(tmp_path_factory):
    import foreign_survey

    return foreign_survey.write_files(tmp_path_factory.mktemp("foreign"))


def _score(foreign, tmp_path, *extra, register=None):
    return main(
        ["score", "--survey", str(foreign["survey"]),
         "--register", str(register or foreign["register"]),
         "--config", str(foreign["config"]), "--reps", "20",
         "--out", str(tmp_path / "out"), "--restricted-out", str(tmp_path / "restricted"),
         *extra]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--min-per-area", "-5"], "--min-per-area -5: give zero or more visits per area"),
        (["--budget", "10000000"], "--budget 10,000,000 is more than the 900 households"),
        (["--budget", "100"], "each of the 6 areas its minimum of 40 visits"),
    ],
)
def test_score_refuses_contradicting_options(
    foreign, tmp_path, project_root, capsys, extra, message
):
    assert _score(foreign, tmp_path, *extra) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_missing_register_is_named_by_its_option(foreign, tmp_path, project_root, capsys):
    assert _score(foreign, tmp_path, register="/nonexistent.csv") == 2
    assert "check the path given to --register" in capsys.readouterr().err


def test_score_on_the_foreign_survey_warns_and_lists_pseudonyms(
    foreign, tmp_path, project_root, capsys
):
    assert _score(foreign, tmp_path, "--budget", "300", "--min-per-area", "20") == 0
    out = capsys.readouterr().out
    # The generator's register draws land and roof anew: the comparability check sees it.
    assert "warning: the register differs from the survey" in out
    assert "household id(s)" not in out  # the register's ids are its own
    lists = sorted((tmp_path / "restricted" / "verification_lists").glob("*.csv"))
    assert len(lists) == 6
    first = pd.read_csv(lists[0])
    assert "Kode samaran (di laporan)" in first.columns
    assert first["Kode samaran (di laporan)"].str.fullmatch(r"RT-[0-9a-f]{10}").all()
    allocation = pd.read_csv(tmp_path / "out" / "verification_allocation.csv")
    # The allocation holds the priority visits: 300 less the 10% audit share
    # (parameters.yml); the plan holds all 300.
    assert allocation["visits"].sum() == 270 and (allocation["visits"] >= 20).all()
    plan = pd.read_csv(tmp_path / "out" / "verification_plan.csv")
    assert len(plan) == 300 and plan["is_audit"].sum() == 30


def test_score_with_the_survey_as_register_warns_of_shared_ids(
    foreign, tmp_path, project_root, capsys
):
    code = _score(foreign, tmp_path, "--budget", "300", "--min-per-area", "10",
                  register=foreign["survey"])  # fmt: skip
    assert code == 0
    assert "300 household id(s) of" in capsys.readouterr().out


# --- other commands found wanting on the same tables ----------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--households", "0"], "--households 0: give at least 1 household"),
        (["--survey-households", "-5"], "--survey-households -5: give a positive target"),
        (["--households", "0", "--partitioned"], "--households 0: give at least 1 household"),
    ],
)
def test_synth_refuses_sizes_below_one(tmp_path, capsys, args, message):
    assert main(["synth", *args, "--out", str(tmp_path / "raw")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "raw").exists()


def test_check_names_the_table_option_when_given_the_other_table(tmp_path, capsys):
    from konsel_analysis.paths import CONFIGS_DIR
    from konsel_analysis.synth import generate_konsel

    data = generate_konsel(households=600, seed=2)
    data.survey.to_parquet(tmp_path / "survey.parquet")
    data.register.to_parquet(tmp_path / "register.parquet")
    config = str(CONFIGS_DIR / "konsel_survey.yml")
    out = ["--out", str(tmp_path / "out")]
    # A survey with the default --table register: the fix is --table survey.
    assert (
        main(["check", "--data", str(tmp_path / "survey.parquet"), "--config", config, *out]) == 2
    )
    err = capsys.readouterr().err
    assert "it is a survey; check it with --table survey" in err
    assert len(err.strip().splitlines()) == 1
    register = ["--data", str(tmp_path / "register.parquet"), "--config", config]
    assert main(["check", *register, "--table", "survey", *out]) == 2
    assert "it is a register; check it with --table register" in capsys.readouterr().err
    assert main(["check", "--data", str(tmp_path / "survey.parquet"), "--config", config,
                 "--table", "survey", *out]) == 0  # fmt: skip


def test_score_refuses_a_class_survey_before_any_warning(foreign, tmp_path, project_root, capsys):
    code = main(
        ["score", "--survey", str(foreign["survey"]), "--register", str(foreign["register"]),
         "--config", str(foreign["config_class"]), "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert code == 2
    captured = capsys.readouterr()
    assert "need a continuous per-capita 'welfare' column" in captured.err
    assert "warning:" not in captured.out  # the default budget's warning would be noise here
