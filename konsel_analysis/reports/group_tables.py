"""Report tables of targeting errors by group (issue 18), from the pipeline steps' outputs.

``group_errors``
    survey-measured exclusion and inclusion error per programme, group and level
    (regency), with intervals and the gap against the rest of the group
    (``targeting_by_group.csv`` of the targeting step).
``group_expected_errors``
    expected errors in the register per group level and area, with 90% intervals,
    and the visits against the level's share of errors
    (``expected_errors_by_group.csv`` of the scoring step).

Both files sit beside the step outputs the reports check
(:data:`~konsel_analysis.reports.report_data.STEP_OUTPUTS`); a step run by an
older toolkit lacks them, and the table is then empty (its section says so).
Cells resting on fewer than five households are left empty, as everywhere.
"""

from __future__ import annotations

import pandas as pd

from konsel_analysis.geography import REGENCY_CODE
from konsel_analysis.measured.groups import interval_columns
from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS
from konsel_analysis.reports.report_data import ReportData
from konsel_analysis.reports.step_tables import PROGRAMME_CODES

GROUP_ERROR_COLUMNS = [
    "area_code",
    "programme",
    "group",
    "level",
    "sampled_households",
    "sampled_poor",
    "sampled_beneficiaries",
    *interval_columns("exclusion_error", "exclusion_gap"),
    "gap_excludes_zero",
    *interval_columns("inclusion_error"),
]


def tabulate_group_errors(data: ReportData) -> pd.DataFrame:
    """Survey-measured errors by group level for the regency (see the module docstring)."""
    path = data.steps.optional("targeting_by_group")
    if path is None:
        return pd.DataFrame(columns=GROUP_ERROR_COLUMNS)
    table = pd.read_csv(
        path, dtype={"level": str, "group": str}, keep_default_na=False, na_values=[""]
    )
    table = table[table["program"].isin(PROGRAMME_CODES) & table["level"].notna()].copy()
    table["area_code"] = REGENCY_CODE
    table["programme"] = table["program"].map(PROGRAMME_CODES)
    for measure, basis in (
        ("exclusion_error", "sampled_poor"),
        ("exclusion_gap", "sampled_poor"),
        ("inclusion_error", "sampled_beneficiaries"),
    ):
        small = table[basis] < MIN_CELL_HOUSEHOLDS
        for suffix in ("", "_low", "_high"):
            table[measure + suffix] = table[measure + suffix].where(~small)
    flagged = table["gap_excludes_zero"].astype(str).eq("True")
    table["gap_excludes_zero"] = flagged & table["exclusion_gap_low"].notna()
    return table.loc[:, GROUP_ERROR_COLUMNS].reset_index(drop=True)


def tabulate_group_expected_errors(data: ReportData) -> pd.DataFrame:
    """Expected errors in the register by group level and area (see the module docstring)."""
    path = data.steps.optional("expected_errors_by_group")
    columns = ["area_code", "group", "level", "households"]
    if path is None:
        return pd.DataFrame(columns=columns)
    table = pd.read_csv(
        path, dtype={"area": str, "level": str, "group": str}, keep_default_na=False, na_values=[""]
    )
    table = table[table["level"].notna()].copy()
    table.insert(0, "area_code", table.pop("area").replace({"ALL": REGENCY_CODE}))
    counts = [c for c in table.columns if c.startswith("expected_")]
    small = table["households"] < MIN_CELL_HOUSEHOLDS
    table.loc[small, counts] = float("nan")
    return table.drop(columns=["note"], errors="ignore").reset_index(drop=True)
