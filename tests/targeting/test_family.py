"""The generator family of benchmarks/targeting_family.py has the properties it claims.

Measured on the tables it writes (not read back from its own parameters): targeting
quality that differs by kecamatan, heavy-tailed welfare, a shock and connections that
put better-off households on the lists, thin survey areas. 8,000-household registers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from targeting_family import THIN_AREAS, THIN_HOUSEHOLDS, generate_variant  # noqa: E402

HOUSEHOLDS = 8_000


@pytest.fixture(scope="module")
def family():
    return {v: generate_variant(v, HOUSEHOLDS, seed=3) for v in ("area_quality", "heavy_tails")}


def _receipt(data) -> np.ndarray:
    r = data.register
    return (r["is_pkh_recipient"] | r["is_bpnt_recipient"]).to_numpy()


def _area_quality(data) -> pd.Series:
    """Per kecamatan: correlation of receipt with minus log consumption (1 = perfect)."""
    frame = pd.DataFrame(
        {
            "area": data.register["kecamatan_code"].to_numpy(),
            "receipt": _receipt(data).astype(float),
            "poorer": -np.log(data.register_truth["consumption_pc_month_idr"].to_numpy()),
        }
    )
    return frame.groupby("area")[["receipt", "poorer"]].apply(
        lambda g: g["receipt"].corr(g["poorer"])
    )


def test_targeting_quality_differs_by_kecamatan_as_drawn(family):
    data = family["area_quality"]
    measured = _area_quality(data)
    drawn = (
        pd.Series(data.register_truth["targeting_quality"].to_numpy())
        .groupby(data.register["kecamatan_code"].to_numpy())
        .first()
    )
    assert len(measured) == 25
    # from close to random to clearly targeted, and ordered as drawn
    assert measured.min() < 0.1 and measured.max() > 0.4
    assert measured.corr(drawn.reindex(measured.index), method="spearman") > 0.8


def _residual_kurtosis(data) -> float:
    """Excess kurtosis of log consumption after a least-squares fit on a few proxies."""
    r = data.register
    X = np.column_stack(
        [
            np.ones(len(r)),
            np.log(r["household_size"]),
            r["max_education_years"],
            r["has_refrigerator"].astype(float),
            r["has_motorcycle"].astype(float),
            r["is_urban"].astype(float),
            np.log(r["floor_area_m2"]),
        ]
    )
    y = np.log(data.register_truth["consumption_pc_month_idr"].to_numpy())
    e = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    return float(np.mean(e**4) / np.mean(e**2) ** 2 - 3)


def test_heavy_tailed_welfare_has_heavier_tails(family):
    normal, heavy = (_residual_kurtosis(family[v]) for v in ("area_quality", "heavy_tails"))
    assert heavy > normal + 1.0, (normal, heavy)


def test_the_shock_puts_better_off_households_on_the_lists():
    """Connected households in a third of the kecamatan get benefits whatever their welfare:
    more beneficiaries among the richest 40% than without the shock (same seed)."""

    def rich_share(data) -> float:
        c = data.register_truth["consumption_pc_month_idr"].to_numpy()
        return float(_receipt(data)[c > np.quantile(c, 0.6)].mean())

    plain = generate_variant("area_quality", HOUSEHOLDS, seed=4)
    shocked = generate_variant("shock", HOUSEHOLDS, seed=4)
    assert rich_share(shocked) > rich_share(plain) + 0.01


def test_thin_areas_have_one_village_few_households_and_keep_their_weight():
    data = generate_variant("thin_survey", HOUSEHOLDS, seed=3)
    survey = data.survey
    thin = set(data.register.loc[data.register_truth["is_thin_survey_area"], "kecamatan_code"])
    assert len(thin) == THIN_AREAS
    by_area = survey.groupby("kecamatan_code")
    for area in thin:
        rows = by_area.get_group(area)
        assert len(rows) <= THIN_HOUSEHOLDS and rows["village_code"].nunique() == 1
        households = (data.register["kecamatan_code"] == area).sum()
        assert rows["design_weight"].sum() == pytest.approx(households, rel=0.25)
    others = survey[~survey["kecamatan_code"].isin(thin)]
    assert others.groupby("kecamatan_code")["village_code"].nunique().min() >= 2
