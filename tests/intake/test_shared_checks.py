"""Checked tables shared between the processes of one run (datasets.share_checked_tables).

The main job checks the survey and the register once, in its driver; the steps,
in other processes, read the accepted rows from restricted/. What must hold: the
rows and the counts read back are the ones the checks gave; a changed file or
config is checked again (never an old table); the files are the owner's only;
nothing is written unless a run asks for sharing.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd
import pytest
import yaml

from konsel_analysis.datasets import load_dataset_config, read_checked, share_checked_tables
from konsel_analysis.intake import checked

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def fresh_process():
    """No table checked in this process yet, and no sharing left over from another test."""
    checked._CHECKED.clear()
    yield
    share_checked_tables(None)
    checked._CHECKED.clear()


@pytest.fixture
def survey(tmp_path) -> Path:
    """The corpus's good survey with two broken rows (rejected, so the counts matter)."""
    table = pd.read_csv(CORPUS / "good.csv", dtype=str)
    table.loc[3, "household_size"] = "0"
    table.loc[7, "pengeluaran"] = "-5"
    path = tmp_path / "survey.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture
def config(tmp_path):
    raw = yaml.safe_load((CORPUS / "config.yml").read_text(encoding="utf-8"))
    raw["max_rejected_share"] = 0.5
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_dataset_config(path)


def _no_checking(*args, **kwargs):
    raise AssertionError("checked again although another process had checked this table")


def test_another_process_reads_the_accepted_rows_instead_of_checking(
    fresh_process, tmp_path, survey, config, monkeypatch
):
    shared = tmp_path / "restricted" / "checked_tables"
    share_checked_tables(shared)
    frame, report = read_checked(survey, config, "survey")
    assert (report.rows_read, report.accepted, report.rejected) == (
        len(pd.read_csv(survey)),
        len(pd.read_csv(survey)) - 2,
        2,
    )
    (kept,) = shared.glob("*.pkl")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # the register's rows carry NIK
    assert stat.S_IMODE(shared.stat().st_mode) == 0o700

    checked._CHECKED.clear()  # as in a step's worker process
    monkeypatch.setattr(checked, "_read_checked", _no_checking)
    again, again_report = read_checked(survey, config, "survey", rejected_dir=tmp_path / "rej")
    pd.testing.assert_frame_equal(again, frame)
    assert again_report.reason_counts.to_dict() == report.reason_counts.to_dict()
    pd.testing.assert_frame_equal(again_report.rejected_rows, report.rejected_rows)
    assert again_report.rejected_path == tmp_path / "rej" / "survey.csv"  # the caller's


def test_a_changed_file_or_config_is_checked_again(
    fresh_process, tmp_path, survey, config, monkeypatch
):
    shared = tmp_path / "shared"
    share_checked_tables(shared)
    read_checked(survey, config, "survey")
    (first,) = shared.glob("*.pkl")

    table = pd.read_csv(survey, dtype=str)
    table.loc[5, "household_size"] = "0"  # a third broken row
    table.to_csv(survey, index=False)
    checked._CHECKED.clear()
    _, report = read_checked(survey, config, "survey")
    assert report.rejected == 3
    (second,) = shared.glob("*.pkl")  # the old table's rows are gone, not kept beside
    assert second != first

    raw = yaml.safe_load(config.path.read_text(encoding="utf-8"))
    raw["max_rejected_share"] = 0.4
    config.path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    checked._CHECKED.clear()
    calls = []
    real = checked._read_checked
    monkeypatch.setattr(checked, "_read_checked", lambda *a, **k: calls.append(1) or real(*a, **k))
    read_checked(survey, load_dataset_config(config.path), "survey")
    assert calls == [1]


def test_nothing_is_written_unless_a_run_shares(fresh_process, tmp_path, survey, config):
    share_checked_tables(None)
    read_checked(survey, config, "survey")
    assert not list(tmp_path.rglob("*.pkl"))


def test_a_damaged_copy_is_checked_again(fresh_process, tmp_path, survey, config):
    shared = tmp_path / "shared"
    share_checked_tables(shared)
    frame, _ = read_checked(survey, config, "survey")
    (kept,) = shared.glob("*.pkl")
    kept.write_bytes(b"not a pickle")
    checked._CHECKED.clear()
    again, report = read_checked(survey, config, "survey")
    pd.testing.assert_frame_equal(again, frame)
    assert report.rejected == 2


@pytest.mark.parametrize("where", ["payload", "digest", "truncated"])
def test_a_copy_with_a_flipped_bit_is_never_unpickled(
    fresh_process, tmp_path, survey, config, monkeypatch, caplog, where
):
    """A bit flipped in the shared copy (the payload or its digest) or a copy cut short:
    the table is checked again from the raw file; the damaged bytes are never unpickled."""
    import pickle

    shared = tmp_path / "shared"
    share_checked_tables(shared)
    frame, _ = read_checked(survey, config, "survey")
    (kept,) = shared.glob("*.pkl")
    blob = bytearray(kept.read_bytes())
    if where == "truncated":
        blob = blob[: len(blob) // 2]
    else:
        blob[len(blob) // 2 if where == "payload" else 5] ^= 0x04
    kept.write_bytes(bytes(blob))
    checked._CHECKED.clear()
    monkeypatch.setattr(pickle, "loads", _no_checking)  # unpickling would fail the test
    with caplog.at_level("WARNING", logger="konsel_analysis.intake.checked"):
        again, report = read_checked(survey, config, "survey")
    pd.testing.assert_frame_equal(again, frame)
    assert report.rejected == 2
    assert "is damaged (its digest differs); checking the table again" in caplog.text


def test_a_folder_that_cannot_be_written_only_costs_the_sharing(
    fresh_process, tmp_path, survey, config
):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    share_checked_tables(not_a_folder / "checked")
    frame, report = read_checked(survey, config, "survey")
    assert report.accepted == len(frame) and report.rejected == 2


def test_the_driver_removes_damaged_copies_before_any_step_reads_them(
    fresh_process, tmp_path, survey, config, caplog
):
    from konsel_analysis.intake.checked import remove_damaged_shared_tables

    shared = tmp_path / "shared"
    share_checked_tables(shared)
    read_checked(survey, config, "survey")
    (kept,) = shared.glob("*.pkl")
    assert remove_damaged_shared_tables(shared) == []  # an intact copy stays
    blob = bytearray(kept.read_bytes())
    blob[-3] ^= 0x01
    kept.write_bytes(bytes(blob))
    with caplog.at_level("WARNING"):
        assert remove_damaged_shared_tables(shared) == [kept.name]
    assert not kept.exists() and "is damaged (its digest differs): removed" in caplog.text
