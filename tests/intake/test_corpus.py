"""The corpus of broken inputs (tests/intake/corpus, written by make_corpus.py).

Whole-table problems: `konsel targeting` exits 2 with one line naming the file, the
column and the fix, writes nothing and shows no traceback. Row problems: the table
is accepted without exactly the listed rows, each with its reason, in
``rejected/<table>.csv``; accepted + rejected = rows read; no NIK or name appears
in a message or a rejected file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from konsel_analysis.cli import main
from konsel_analysis.datasets import load_dataset, load_register, write_rejected

CORPUS = Path(__file__).parent / "corpus"
CASES = yaml.safe_load((CORPUS / "cases.yml").read_text(encoding="utf-8"))["cases"]
STOPS = [c for c in CASES if c["expect"] == "stop"]
REJECTS = [c for c in CASES if c["expect"] == "reject"]
GOOD = pd.read_csv(CORPUS / "good.csv", dtype=str)
NIKS, NAMES = list(GOOD["nik"]), list(GOOD["nama"])


def test_the_corpus_has_at_least_twenty_kinds():
    assert len(STOPS) >= 15 and len(REJECTS) >= 10
    assert len({c["why"] for c in CASES}) == len(CASES) >= 20


def _no_personal_data(text: str) -> None:
    assert not any(nik in text for nik in NIKS)
    assert not any(name in text for name in NAMES)


@pytest.mark.parametrize("case", STOPS, ids=[c["file"] for c in STOPS])
def test_whole_table_problems_stop_with_one_message(tmp_path, capsys, case):
    out = tmp_path / "out"
    config = CORPUS / case.get("config", "config.yml")
    code = main(
        [
            "targeting",
            "--data",
            str(CORPUS / case["file"]),
            "--config",
            str(config),
            "--reps",
            "20",
            "--out",
            str(out),
        ]  # fmt: skip
    )
    captured = capsys.readouterr()
    assert code == 2, (case["why"], captured.out, captured.err)
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("konsel targeting: error: "), captured.err
    for word in case["words"]:
        assert word in lines[0], (case["why"], lines[0])
    assert "Traceback" not in captured.err
    _no_personal_data(captured.err + captured.out)
    # Nothing half-written: no output table; only a complete rejected-rows file when the
    # stop is the rejected-share limit (so that the rows can be fixed).
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    if "max_rejected_share" in case["words"]:
        assert written == [f"rejected/{Path(case['file']).stem}.csv"]
    else:
        assert written == []


@pytest.mark.parametrize("case", REJECTS, ids=[c["file"] for c in REJECTS])
def test_row_problems_set_exactly_those_rows_aside(tmp_path, case):
    data = CORPUS / case["file"]
    if case.get("role") == "register":
        table = load_register(data, CORPUS / "config.yml", rejected_dir=tmp_path)
        accepted = table.n
    else:
        table = load_dataset(data, CORPUS / "config.yml", rejected_dir=tmp_path)
        accepted = table.n
    assert write_rejected(table.intake) == tmp_path / f"{data.stem}.csv"
    rejected = pd.read_csv(tmp_path / f"{data.stem}.csv", dtype=str)
    expected = {int(line): reason for line, reason in case["rows"].items()}
    assert dict(zip(rejected["source_row"].astype(int), rejected["reasons"], strict=True)) == (
        expected
    )
    rows_read = len(pd.read_csv(data))
    assert accepted + len(rejected) == rows_read == table.intake.rows_read
    assert table.intake.rejected == len(expected)
    # The rejected file shows the row as read, without the personal columns.
    assert "nik" not in rejected.columns and "nama" not in rejected.columns
    _no_personal_data((tmp_path / f"{data.stem}.csv").read_text(encoding="utf-8"))
    _no_personal_data(table.intake.describe())


def _values(dataset) -> pd.DataFrame:
    frame = dataset.X.assign(y=dataset.y, w=dataset.weight, area=dataset.area)
    return frame.assign(cluster=dataset.cluster, pkh=dataset.programs["pkh"].to_numpy())


def test_formats_read_like_the_clean_table(tmp_path):
    good = _values(load_dataset(CORPUS / "good.csv", CORPUS / "config.yml"))
    # P3KE-style workbook: a title, a date and a blank row above the header (row 4).
    p3ke = load_dataset(CORPUS / "p3ke_title_rows.xlsx", CORPUS / "config.yml", tmp_path)
    pd.testing.assert_frame_equal(_values(p3ke), good)
    assert p3ke.intake.rejected == 0
    # ';' separated, "1.234.567,00" and "45,3" numbers, as declared in the config.
    comma = load_dataset(CORPUS / "decimal_comma.csv", CORPUS / "decimal_comma.yml")
    pd.testing.assert_frame_equal(_values(comma), good)
    # Codes as digits: BPS 7-digit kecamatan through the crosswalk, 10-digit desa.
    digits = load_dataset(CORPUS / "codes_as_digits.csv", CORPUS / "codes_as_digits.yml")
    pd.testing.assert_frame_equal(_values(digits), good)
    assert set(digits.area) == {"74.05.01", "74.05.07"}


def test_source_rows_count_the_title_rows(tmp_path):
    # A bad cell in the workbook is reported on the row a spreadsheet shows.
    frame = pd.read_excel(CORPUS / "p3ke_title_rows.xlsx", header=3)
    frame.loc[2, "bobot"] = -1
    with pd.ExcelWriter(tmp_path / "p3ke.xlsx") as writer:
        pd.DataFrame([["DATA P3KE"], ["Dicetak"], [None]]).to_excel(
            writer, index=False, header=False
        )
        frame.to_excel(writer, index=False, startrow=3)
    write_rejected(load_dataset(tmp_path / "p3ke.xlsx", CORPUS / "config.yml", tmp_path).intake)
    rejected = pd.read_csv(tmp_path / "p3ke.csv")
    # Header on row 4, data from row 5: the third household is on row 7.
    assert rejected["source_row"].tolist() == [7]
    assert rejected["reasons"].tolist() == ["'bobot': must be above zero"]
