"""Each figure on a page comes from one place: the reports read the steps' estimates.

The targeting step measures inclusion and exclusion errors once (direct, and shrunk
towards the regency where the sample is small); the report tables quote those, so a
page that gives the coverage of the poor and the exclusion error gives one estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from konsel_analysis.reports.report_data import ReportData, StepFiles
from konsel_analysis.reports.step_tables import tabulate_targeting_errors

COLUMNS = [
    "program", "area", "sampled_beneficiaries", "sampled_poor", "beneficiary_rate",
    "inclusion_error_direct", "exclusion_error_direct", "exclusion_error", "coverage",
]  # fmt: skip
# Tinanggea: 12 sampled poor, its direct exclusion error 0.50 shrunk to 0.40 (coverage
# 0.60); 4 sampled PKH recipients (fewer than five: the inclusion error is hidden).
# The regency: direct and shrunk equal. PBI-JK is not a programme the reports measure.
ROWS = [
    ("is_pkh_recipient", "74.05.01", 4, 12, 0.10, 0.25, 0.50, 0.40, 0.60),
    ("is_bpnt_recipient", "74.05.01", 6, 12, 0.15, 0.50, 0.75, 0.70, 0.30),
    ("any", "74.05.01", 8, 12, 0.20, 0.375, 0.25, 0.25, 0.75),
    ("is_pbi_jk_recipient", "74.05.01", 9, 12, 0.30, 0.40, 0.20, 0.20, 0.80),
    ("is_pkh_recipient", "ALL", 40, 50, 0.08, 0.30, 0.45, 0.45, 0.55),
]


@pytest.fixture
def figures(tmp_path) -> pd.DataFrame:
    path = tmp_path / "targeting_by_area.csv"
    pd.DataFrame(ROWS, columns=COLUMNS).to_csv(path, index=False)
    steps = StepFiles({"targeting_by_area": path}, {})
    return tabulate_targeting_errors(ReportData(None, steps, tmp_path, read_raw=_no_raw))


def _no_raw():
    raise AssertionError("the targeting figures are the step's: no raw table is read")


def test_the_targeting_steps_estimates_are_quoted(figures):
    t = figures.set_index(["area_code", "programme"])
    pkh = t.loc[("74.05.01", "pkh")]
    assert np.isnan(pkh["inclusion_error"])  # 4 recipients: hidden
    assert pkh["exclusion_error"] == 0.50  # the direct estimate, beside the shrunk one
    assert pkh["coverage_poor"] == 0.60  # 1 - the shrunk 0.40, as the targeting section says
    assert pkh["coverage_households"] == 0.10
    assert (pkh["survey_recipients"], pkh["survey_poor_households"]) == (4, 12)
    assert t.loc[("74.05.01", "bpnt"), "inclusion_error"] == 0.50
    assert t.loc[("74.05", "pkh"), "coverage_poor"] == 0.55


def test_every_area_and_programme_has_a_row(figures):
    assert len(figures) == (25 + 1) * 3  # 25 kecamatan and the regency, three programmes
    empty = figures.set_index(["area_code", "programme"]).loc[("74.05.11", "bpnt")]
    assert (empty["survey_recipients"], empty["survey_poor_households"]) == (0, 0)
    assert np.isnan(empty["coverage_poor"]) and np.isnan(empty["exclusion_error"])
    assert list(figures["programme"].iloc[:3]) == ["pkh", "bpnt", "pkh_or_bpnt"]


def test_a_page_quotes_one_coverage_of_the_poor(built):
    """On the build: coverage of the poor = 1 - the exclusion error the targeting section
    shows (with its interval), wherever both are shown."""
    folder = built.root / "data/processed/report_inputs"
    errors = pd.read_csv(folder / "targeting_errors.csv", dtype={"area_code": str})
    intervals = pd.read_csv(folder / "targeting_intervals.csv", dtype={"area_code": str})
    both = errors.merge(intervals, on=["area_code", "programme"], suffixes=("", "_shown"))
    shown = both.dropna(subset=["coverage_poor", "exclusion_error_shown"])
    assert len(shown) >= 10 and shown["is_shrunk_exclusion"].any()  # shrunk areas too
    np.testing.assert_allclose(shown["coverage_poor"], 1 - shown["exclusion_error_shown"])
