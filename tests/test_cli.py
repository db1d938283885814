"""The `konsel` command: synth and the main job, on a scratch project."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from konsel_analysis.cli import main
from konsel_analysis.privacy import find_personal_data
from konsel_analysis.synth import TABLE_FILES


def _hashes(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_synth_writes_the_three_tables(project_root, capsys):
    assert main(["synth", "--households", "1000", "--seed", "5"]) == 0
    raw = project_root / "data" / "raw"
    for name in TABLE_FILES.values():
        assert (raw / name).exists()
    register = pd.read_parquet(raw / "register.parquet")
    assert len(register) == 1000
    assert "1,000 register households" in capsys.readouterr().out


def test_synth_never_overwrites_raw_data(project_root, capsys):
    assert main(["synth", "--households", "1000"]) == 0
    before = _hashes(project_root / "data" / "raw")
    assert main(["synth", "--households", "2000"]) == 2
    err = capsys.readouterr().err
    assert "data/raw already holds register.parquet" in err
    assert "--force" in err
    assert "Traceback" not in err
    assert _hashes(project_root / "data" / "raw") == before
    assert main(["synth", "--households", "2000", "--force"]) == 0
    assert len(pd.read_parquet(project_root / "data/raw/register.parquet")) == 2000


def test_reports_without_data_says_how_to_make_it(project_root, capsys):
    assert main(["reports"]) == 2
    err = capsys.readouterr().err
    assert "konsel synth" in err and "register.parquet" in err


def test_reports_summarises_without_touching_raw_data(project_root, capsys):
    main(["synth", "--households", "4000", "--seed", "9"])
    raw = project_root / "data" / "raw"
    before = _hashes(raw)
    assert main(["reports", "--only", "74.05.11"]) == 0
    assert _hashes(raw) == before
    out = capsys.readouterr().out
    for step in (
        "area summary",
        "PMT validation",
        "survey-measured targeting errors",
        "register scoring",
        "impact simulation",
        "verification round",  # konsel synth wrote a completed first round
    ):
        assert f"[done] {step}" in out
    assert "not built yet" not in out
    summary = pd.read_csv(
        project_root / "data/processed/register_summary_by_kecamatan.csv",
        dtype={"kecamatan_code": str},
    )
    register = pd.read_parquet(raw / "register.parquet")
    assert len(summary) == 25
    assert summary["households"].sum() == 4000
    assert summary["persons"].sum() == register["household_size"].sum()
    laonti = summary.set_index("kecamatan_code").loc["74.05.11"]
    mine = register[register["kecamatan_code"] == "74.05.11"]
    assert laonti["share_pkh"] == pytest.approx(mine["is_pkh_recipient"].mean(), abs=1e-4)
    # Personal data leaves data/raw only for the restricted field lists.
    niks, names = register["nik_head"], register["name_head"]
    assert find_personal_data(project_root / "data/processed", niks, names) == []
    assert find_personal_data(project_root / "reports", niks, names) == []
    assert find_personal_data(project_root / "restricted", niks, names)


@pytest.mark.parametrize(
    ("flags", "left_out"),
    [
        ([], ("quantile", "gradient_boosting", "random_forest")),  # the main job's default
        (["--all-pmt-estimators"], ()),
    ],
)
def test_reports_says_which_pmt_estimators_to_leave_out(monkeypatch, flags, left_out):
    from konsel_analysis.build import steps as pipeline
    from konsel_analysis.reports import main_job

    seen = {}
    monkeypatch.setattr(main_job, "run_pipeline", lambda paths, **kw: seen.update(kw) or 0)
    assert main(["reports", *flags]) == 0
    settings = seen["settings"] or pipeline.PipelineSettings()
    assert settings.pmt_left_out == left_out
