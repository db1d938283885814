"""Checked tables shared between the processes of one run (build/shared_tables.py).

The main job checks the survey and the register once, in its driver; the steps,
in other processes, read the accepted rows from restricted/. What must hold: the
rows and the counts read back are the ones the checks gave; a changed file or
config is checked again (never an old table); a damaged copy is never unpickled;
the files are the owner's only; the intake alone writes nothing.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pandas as pd
import pytest
import yaml

from konsel_analysis.build.shared_tables import share_table
from konsel_analysis.datasets import load_dataset_config, read_checked
from konsel_analysis.intake import checked

CORPUS = Path(__file__).parent / "intake" / "corpus"


@pytest.fixture
def fresh_process():
    """No table checked in this process yet (as in a new worker)."""
    checked._CHECKED.clear()
    yield
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
    assert share_table(shared, survey, config, "survey")
    frame, report = read_checked(survey, config, "survey")  # remembered: not checked again
    rows = len(pd.read_csv(survey))
    assert (report.rows_read, report.accepted, report.rejected) == (rows, rows - 2, 2)
    (kept,) = shared.glob("*.pkl")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # the register's rows carry NIK
    assert stat.S_IMODE(shared.stat().st_mode) == 0o700
    record = json.loads((shared / "survey-survey.json").read_text(encoding="utf-8"))
    assert record["task"] == "checked survey table (survey.csv)"
    assert record["outputs"] == ["survey-survey.pkl"]

    checked._CHECKED.clear()  # as in a step's worker process
    monkeypatch.setattr(checked, "_read_checked", _no_checking)
    assert share_table(shared, survey, config, "survey")
    again, again_report = read_checked(survey, config, "survey", rejected_dir=tmp_path / "rej")
    pd.testing.assert_frame_equal(again, frame)
    assert again_report.reason_counts.to_dict() == report.reason_counts.to_dict()
    pd.testing.assert_frame_equal(again_report.rejected_rows, report.rejected_rows)
    assert again_report.rejected_path == tmp_path / "rej" / "survey.csv"  # the caller's


def test_a_changed_file_or_config_is_checked_again(
    fresh_process, tmp_path, survey, config, monkeypatch
):
    shared = tmp_path / "shared"
    share_table(shared, survey, config, "survey")
    first = json.loads((shared / "survey-survey.json").read_text(encoding="utf-8"))["key"]

    table = pd.read_csv(survey, dtype=str)
    table.loc[5, "household_size"] = "0"  # a third broken row
    table.to_csv(survey, index=False)
    checked._CHECKED.clear()
    share_table(shared, survey, config, "survey")
    _, report = read_checked(survey, config, "survey")
    assert report.rejected == 3
    assert [p.name for p in shared.glob("*.pkl")] == ["survey-survey.pkl"]  # replaced
    second = json.loads((shared / "survey-survey.json").read_text(encoding="utf-8"))["key"]
    assert second != first

    raw = yaml.safe_load(config.path.read_text(encoding="utf-8"))
    raw["max_rejected_share"] = 0.4
    config.path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    checked._CHECKED.clear()
    calls = []
    real = checked._read_checked
    monkeypatch.setattr(checked, "_read_checked", lambda *a, **k: calls.append(1) or real(*a, **k))
    share_table(shared, survey, load_dataset_config(config.path), "survey")
    assert calls == [1]


def test_copies_left_by_the_earlier_layout_are_removed(fresh_process, tmp_path, survey, config):
    shared = tmp_path / "shared"
    shared.mkdir()
    older = shared / f"survey-survey-{'0' * 24}.pkl"  # named by its key, before manifests
    older.write_bytes(b"rows with NIK")
    share_table(shared, survey, config, "survey")
    assert sorted(p.name for p in shared.glob("*.pkl")) == ["survey-survey.pkl"]


def test_the_intake_alone_writes_nothing(fresh_process, tmp_path, survey, config):
    read_checked(survey, config, "survey")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["config.yml", "survey.csv"]


@pytest.mark.parametrize("damage", ["not a pickle", "a flipped bit", "cut short"])
def test_a_damaged_copy_is_never_unpickled_and_is_named(
    fresh_process, tmp_path, survey, config, monkeypatch, caplog, damage
):
    """A copy replaced, with a bit flipped or cut short: the table is checked again from
    the raw file and the copy replaced; the damaged bytes are never unpickled."""
    import pickle

    shared = tmp_path / "shared"
    share_table(shared, survey, config, "survey")
    frame, _ = read_checked(survey, config, "survey")
    kept = shared / "survey-survey.pkl"
    good = kept.read_bytes()
    blob = bytearray(good)
    if damage == "not a pickle":
        blob = bytearray(b"not a pickle")
    elif damage == "a flipped bit":
        blob[len(blob) // 2] ^= 0x04
    else:
        blob = blob[: len(blob) // 2]
    kept.write_bytes(bytes(blob))
    checked._CHECKED.clear()
    monkeypatch.setattr(pickle, "loads", _no_checking)  # unpickling would fail the test
    with caplog.at_level("WARNING", logger="konsel_analysis.build.manifest"):
        assert share_table(shared, survey, config, "survey")
    assert "survey-survey.pkl changed since it was written (edited or damaged)" in caplog.text
    again, report = read_checked(survey, config, "survey")
    pd.testing.assert_frame_equal(again, frame)
    assert report.rejected == 2
    assert kept.read_bytes() == good  # checked again and kept again, whole


def test_a_folder_that_cannot_be_written_only_costs_the_sharing(
    fresh_process, tmp_path, survey, config
):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    assert not share_table(not_a_folder / "checked", survey, config, "survey")
    frame, report = read_checked(survey, config, "survey")
    assert report.accepted == len(frame) and report.rejected == 2
