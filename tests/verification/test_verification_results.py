"""Reading returned results: every row check, and the message for a file that cannot be read."""

from __future__ import annotations

import pandas as pd
import pytest

from konsel_analysis.errors import UserError
from konsel_analysis.verification.results import REASONS, read_results

REGISTER = ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"]
PLAN = ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]

# (household_id, visit_date, outcome, measured consumption, expected reason or "")
CASES = [
    ("R1", "2024-10-02", "eligible", "", ""),
    ("R2", "2024-10-03", "Tidak layak (mampu)", "950000", ""),  # the Bahasa label
    ("R3", "", "", "", REASONS["not_visited"]),
    ("R4", "2024-10-04", "", "", REASONS["missing_outcome"]),
    ("R5", "2024-10-04", "gone fishing", "", REASONS["unknown_outcome"]),
    ("R6", "someday", "moved", "", REASONS["bad_date"]),
    ("X9", "2024-10-05", "refused", "", REASONS["unknown_household"]),
    ("R1", "2024-10-06", "not_eligible", "", REASONS["twice"]),
    ("R7", "2024-10-06", "poor_not_receiving", "-5", REASONS["bad_consumption"]),
    ("R8", "2024-10-07", "not_found", "", ""),  # not on the plan: kept, flagged
]


@pytest.fixture
def results_csv(tmp_path):
    frame = pd.DataFrame(
        CASES,
        columns=["household_id", "visit_date", "outcome", "measured_consumption", "expected"],
    )
    path = tmp_path / "results.csv"
    frame.drop(columns="expected").to_csv(path, index=False)
    return path


def test_every_rejected_row_reason(results_csv):
    read = read_results(results_csv, REGISTER, PLAN)
    assert read.rows_read == len(CASES) == len(read.visits) + len(read.rejected)
    expected = [(i + 2, c[0], c[4]) for i, c in enumerate(CASES) if c[4]]
    got = list(read.rejected[["row", "household_id", "reason"]].itertuples(index=False, name=None))
    assert got == expected
    assert set(REASONS.values()) == {c[4] for c in CASES if c[4]}  # every reason is tested
    visits = read.visits.set_index("household_id")
    assert visits["outcome"].to_dict() == {
        "R1": "eligible",
        "R2": "not_eligible",
        "R8": "not_found",
    }
    assert visits["on_plan"].to_dict() == {"R1": True, "R2": True, "R8": False}
    assert visits.loc["R2", "measured_consumption"] == 950000
    assert list(read.rejected.columns) == ["file", "row", "household_id", "reason"]


def test_a_returned_field_list_in_xlsx_with_corrections(tmp_path):
    frame = pd.DataFrame(
        {
            "Urutan kunjungan": [1, 2],
            "ID rumah tangga": ["R1", "R2"],
            "Nama kepala rumah tangga": ["Siti", "Budi"],
            "Tanggal kunjungan": ["2024-10-02", "2024-10-03"],
            "Hasil kunjungan": ["Pindah", "Miskin, belum menerima"],
            "Petugas": ["A", "B"],
            "Koreksi has_car": ["", "0"],
        }
    )
    path = tmp_path / "74.05.01-tinanggea.xlsx"
    frame.to_excel(path, index=False)
    read = read_results(path, REGISTER, PLAN)
    assert read.visits["outcome"].tolist() == ["moved", "poor_not_receiving"]
    assert read.corrections.to_dict("records") == [
        {"household_id": "R2", "column": "has_car", "value": "0"}
    ]


def test_a_missing_column_is_named_with_the_file(tmp_path):
    path = tmp_path / "r.csv"
    pd.DataFrame({"household_id": ["R1"], "visit_date": ["2024-10-01"]}).to_csv(path, index=False)
    with pytest.raises(UserError) as err:
        read_results(path, REGISTER, PLAN)
    message = str(err.value)
    assert str(path) in message and "'Hasil kunjungan' (or 'outcome')" in message
    assert message.count(".") <= 3 and "\n" not in message
