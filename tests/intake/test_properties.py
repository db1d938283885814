"""Property-based tests (hypothesis): the loader's bookkeeping and the error metrics.

Loader: whatever cells are broken, accepted + rejected = rows read, exactly the
broken rows are rejected, and the accepted rows keep their values. Metrics: the PMT
validation's and the survey measurement's inclusion and exclusion errors agree for
any households and weights (that every rate stays in [0, 1] and ignores the weights'
scale and the households' order is tests/targeting/test_measured.py's property test).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from konsel_analysis.datasets import DatasetError, load_dataset_config, read_checked
from konsel_analysis.measured.targeting import targeting_indicators
from konsel_analysis.pmt.metrics import targeting_errors

CORPUS = Path(__file__).parent / "corpus"
GOOD = pd.read_csv(CORPUS / "good.csv", dtype=str)

# One way to break a row, and the reason the loader must give for it.
FAULTS = {
    "welfare_missing": ("pengeluaran", None, "'pengeluaran': missing (required)"),
    "welfare_negative": ("pengeluaran", "-5", "'pengeluaran': must be above zero"),
    "weight_zero": ("bobot", "0", "'bobot': must be above zero"),
    "size_zero": ("household_size", "0", "'household_size': below the minimum"),
    "size_text": ("household_size", "lima", "'household_size': not a number"),
    "flag_two": ("pkh", "2", "'pkh': must be 0 or 1"),
    "floor_unknown": ("floor_material", "marble", "'floor_material': not one of the data"),
    "desa_elsewhere": ("desa", "74.05.11.2001", "'desa': not a desa/kelurahan code"),
}


@pytest.fixture(scope="module")
def lenient_config(tmp_path_factory) -> Path:
    raw = yaml.safe_load((CORPUS / "config.yml").read_text(encoding="utf-8"))
    raw["max_rejected_share"] = 1.0  # every row may be rejected: test the bookkeeping
    path = tmp_path_factory.mktemp("config") / "config.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.integers(0, len(GOOD) - 1), min_size=1, max_size=25),
    faults=st.lists(st.sampled_from([None, *FAULTS]), min_size=25, max_size=25),
    suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]),
)
def test_accepted_plus_rejected_is_rows_read(tmp_path, lenient_config, rows, faults, suffix):
    # Distinct households (ids renumbered) with at most one fault each.
    table = GOOD.iloc[rows].reset_index(drop=True).copy()
    table["id_rt"] = [f"X{i:03d}" for i in range(len(table))]
    expected = {}
    for i, fault in enumerate(faults[: len(table)]):
        if fault is not None:
            column, value, reason = FAULTS[fault]
            table.loc[i, column] = value
            expected[i] = reason
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        table.to_csv(path, index=False)
    elif suffix == ".xlsx":
        table.to_excel(path, index=False)
    else:
        table.to_parquet(path, index=False)
    config = load_dataset_config(lenient_config)
    words = sum(f == "size_text" for f in faults[: len(table)])
    if words > 0.5 * len(table):  # mostly words in a number column: the wrong column
        with pytest.raises(DatasetError, match="'household_size' .* should hold numbers"):
            read_checked(path, config, "survey")
        return
    if len(expected) == len(table):  # nothing left to work with: a stop, not an empty table
        with pytest.raises(DatasetError, match="every one of its"):
            read_checked(path, config, "survey")
        return
    frame, report = read_checked(path, config, "survey")
    assert report.accepted + report.rejected == report.rows_read == len(table)
    first = 1 if suffix == ".parquet" else 2  # a header line above the first household
    rejected = report.rejected_rows
    got = dict(zip(rejected["source_row"] - first, rejected["reasons"], strict=True))
    assert set(got) == set(expected)
    for i, reason in expected.items():
        assert got[i].startswith(reason)
    kept = table.drop(index=list(expected)).reset_index(drop=True)
    assert frame["id_rt"].tolist() == kept["id_rt"].tolist()
    np.testing.assert_allclose(frame["pengeluaran"], kept["pengeluaran"].astype(float))


# --------------------------------------------------------------------------------------
# Error metrics
# --------------------------------------------------------------------------------------

households = st.integers(2, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n),  # poor
        st.lists(st.booleans(), min_size=n, max_size=n),  # beneficiary
        st.lists(st.floats(0.01, 1000.0), min_size=n, max_size=n),  # weight
    )
)


@settings(max_examples=200, deadline=None)
@given(households, st.floats(1e-3, 1e6))
def test_pmt_targeting_errors_agree_with_the_survey_indicators(data, scale):
    # Two implementations of inclusion and exclusion error (the PMT's validation and
    # the survey measurement) must agree, and both must ignore the weights' scale.
    poor, beneficiary, weight = (np.asarray(x) for x in data)
    pmt = targeting_errors(poor, beneficiary, weight * scale)
    survey = targeting_indicators(beneficiary, poor, weight)
    for key in ("inclusion_error", "exclusion_error"):
        if np.isnan(survey[key]):
            assert np.isnan(pmt[key]) or pmt[key] == 0.0
        else:
            assert pmt[key] == pytest.approx(float(survey[key]), rel=1e-9), key
