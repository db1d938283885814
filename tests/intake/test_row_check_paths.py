"""The row checks' fast paths give what the slow ones give.

Two shortcuts keep the row checks of an 83,000-row register under a second
(docs/speed_tricks.md, "Step CPU, session 7"): categorical and text columns are
stripped as whole arrays (``rows._text``), and pandera's schema report runs only
when a whole-column test (``rows._cells_pass``) finds a cell that may fail. Here
both are checked against the slow paths: the cell-by-cell text conversion, and
pandera's report on every table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from konsel_analysis.intake import rows
from konsel_analysis.intake.read import RawTable, ReadOptions
from konsel_analysis.intake.rows import AreaCodes, Rule, check_rows


def _text_cell_by_cell(series: pd.Series) -> list:
    """The stripped text of each cell, one cell at a time (NaN for missing or empty)."""
    out = []
    for value in series.astype(object):
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            out.append(np.nan)
            continue
        text = str(value).strip()
        out.append(text if text else np.nan)
    return out


@pytest.mark.parametrize("dtype", ["str", "string", "category"])
def test_text_of_text_and_categorical_columns_is_stripped_cell_by_cell(dtype):
    series = pd.Series([" kayu", "semen ", "", None, "  ", "kayu", "tanah"], dtype=dtype)
    got = rows._text(series)
    assert got.dtype == object
    expected = ["kayu", "semen", np.nan, np.nan, np.nan, "kayu", "tanah"]
    assert [repr(v) for v in got] == [repr(v) for v in expected]
    assert [type(v) for v in got] == [type(v) for v in expected]  # str, not numpy strings


def test_text_of_categorical_numbers_reads_as_the_cells_do():
    # Categories keep their own spelling: 1.0 stays "1.0" (as astype(str) writes a cell).
    series = pd.Series([2.0, None, 1.5, 2.0]).astype("category")
    assert [repr(v) for v in rows._text(series)] == ["'2.0'", "nan", "'1.5'", "'2.0'"]
    codes = pd.Series([7405, 7405, None], dtype="Int64").astype("category")
    assert [repr(v) for v in rows._text(codes)] == ["'7405'", "'7405'", "nan"]


RULES = [
    Rule("id", "household_id", "id", True),
    Rule("welfare", "welfare", "positive", True),
    Rule("pkh", "programs", "flag", True),
    Rule("size", "proxies.numeric", "number", False, minimum=1, maximum=25),
    Rule("floor", "proxies.categorical", "category", False, allowed=("tanah", "semen")),
    Rule("roof", "proxies.categorical", "category", False, allowed=("seng",), allowed_by="config"),
    Rule("nik", "nik", "nik", True),
]


@pytest.mark.parametrize(
    ("column", "value", "passes"),
    [
        ("welfare", 0.0, False),  # not_positive
        ("welfare", np.nan, False),  # missing (required)
        ("pkh", 2.0, False),  # not_flag
        ("size", 0.0, False),  # below_minimum
        ("size", 26.0, False),  # above_maximum
        ("size", np.nan, True),  # an optional proxy may be empty
        ("floor", "marmer", False),  # unknown_category
        ("floor", np.nan, True),
        ("roof", "genteng", False),  # undeclared_code
        ("nik", "74050112345", False),  # nik_format: 11 digits
        ("nik", np.nan, False),  # missing (required)
    ],
)
def test_whole_column_test_finds_each_kind_of_failing_cell(column, value, passes):
    table = pd.DataFrame(
        {
            "id": ["a", "b"],
            "welfare": [1.0, 2.5],
            "pkh": [0.0, 1.0],
            "size": [1.0, 25.0],
            "floor": ["tanah", "semen"],
            "roof": ["seng", np.nan],
            "nik": ["7405011234567890", "7405011234567891"],
        }
    )
    rule = next(r for r in RULES if r.column == column)
    assert rows._cells_pass(table[column], rule)  # the clean column passes
    table[column] = table[column].astype(object)
    table.loc[1, column] = value
    assert rows._cells_pass(table[column], rule) is passes


GOOD_CELLS = {
    "id": ["a", "b", "c", "d", "e", "f"],
    "welfare": ["1500000", "250000", "1e6", "750000", "980000", "1200000"],
    "pkh": ["0", "1", "ya", "tidak", "1", "0"],
    "size": ["1", "25", "4", None, "tidak tahu", "3.5"],
    "floor": ["tanah", "semen", " tanah ", None, "", "semen"],
    "roof": ["seng", None, "seng", " seng", "seng", None],
    "nik": [f"74050112345678{i:02d}" for i in range(6)],
}
BAD_CELLS = {
    "id": [None, "", " a"],
    "welfare": ["0", "-3", "abc", None],
    "pkh": ["2", "x", None, "-1"],
    "size": ["0", "26", "-1"],
    "floor": ["marmer", "TANAH"],
    "roof": ["genteng"],
    "nik": ["74050112", "x" * 16, None, "74050112345678901"],
}


def _check(frame: pd.DataFrame) -> rows.RowCheck:
    raw = RawTable(frame, Path("t.csv"), np.arange(len(frame)) + 2, typed=False)
    return check_rows(raw, RULES, "id", ReadOptions(), AreaCodes(frozenset(), {}, {}))


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 6),
    faults=st.lists(
        st.sampled_from(list(BAD_CELLS)).flatmap(
            lambda c: st.tuples(st.just(c), st.integers(0, 5), st.sampled_from(BAD_CELLS[c]))
        ),
        max_size=2,
    ),
)
def test_rows_checked_with_and_without_the_pandera_report_agree(n, faults):
    # A clean table with at most two bad cells: without them the fast path must find
    # nothing to report, with them it must hand over to pandera's report.
    frame = pd.DataFrame({c: cells[:n] for c, cells in GOOD_CELLS.items()}, dtype=object)
    for column, row, value in faults:
        frame.loc[row % n, column] = value
    try:
        fast = _check(frame)
    except rows.TableError:  # a number column of mostly text stops, before any schema
        return
    original = rows._cells_pass
    rows._cells_pass = lambda values, rule: False  # always ask pandera
    try:
        slow = _check(frame)
    finally:
        rows._cells_pass = original
    pd.testing.assert_frame_equal(fast.clean, slow.clean)
    pd.testing.assert_frame_equal(fast.rejected, slow.rejected)
    pd.testing.assert_series_equal(fast.reason_counts, slow.reason_counts)
    if not faults:
        assert len(fast.rejected) == 0 and len(fast.clean) == n
