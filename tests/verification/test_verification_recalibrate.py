"""The recalibration recovers known kecamatan shifts and slopes; its intervals follow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from konsel_analysis.verification.recalibrate import expected_counts_after, recalibrate


def simulated_visits(n=6000, seed=0):
    """Model P(error) uniform on logit scale; truth: slope 1.3, shift +0.4 for beneficiaries,
    -0.2 for non-beneficiaries, kecamatan shifts -0.5 .. +0.5."""
    rng = np.random.default_rng(seed)
    areas = np.array(["A", "B", "C", "D", "E"])
    local = dict(zip(areas, [-0.5, -0.25, 0.0, 0.25, 0.5], strict=True))
    area = areas[rng.integers(0, 5, n)]
    benef = rng.random(n) < 0.5
    offset = rng.normal(-1.0, 1.2, n)
    eta = 1.3 * offset + np.where(benef, 0.4, -0.2) + pd.Series(area).map(local).to_numpy()
    found = rng.random(n) < expit(eta)
    return area, benef, offset, found, eta


def test_shifts_and_slope_are_recovered():
    area, benef, offset, found, eta = simulated_visits()
    r = recalibrate(expit(offset), benef, area, found)
    assert r.mean[2] == pytest.approx(0.3, abs=0.1)  # slope 1.3 (beneficiaries)
    assert r.mean[3] == pytest.approx(0.3, abs=0.1)
    fitted = r.log_odds(offset, area, benef)
    assert np.abs(fitted - eta).mean() < 0.12
    assert r.tau >= 0.2  # the kecamatan shifts (spread 0.35) are not shrunk away


def test_intervals_of_counts_cover_the_expected_truth():
    area, benef, offset, found, eta = simulated_visits()
    r = recalibrate(expit(offset), benef, area, found)
    # Households not visited, from the same model: the truth's expected count per area.
    _, b2, off2, _, eta2 = simulated_visits(n=4000, seed=1)
    area2 = simulated_visits(n=4000, seed=1)[0]
    pool = pd.DataFrame({"area": area2, "is_beneficiary": b2, "p_error": expit(off2)})
    out = expected_counts_after(r, pool, draws=200).set_index("area")
    truth = pd.Series(expit(eta2) * b2).groupby(area2).sum()
    inside = (out.loc[truth.index, "expected_inclusion_errors_after_low"] <= truth) & (
        truth <= out.loc[truth.index, "expected_inclusion_errors_after_high"]
    )
    assert inside.all()
    assert out.loc["ALL", "expected_inclusion_errors_after"] == pytest.approx(truth.sum(), rel=0.05)
    # Before the update the model is off (slope and shifts ignored) by far more.
    before = (expit(off2) * b2).sum()
    assert abs(before - truth.sum()) > 3 * abs(
        out.loc["ALL", "expected_inclusion_errors_after"] - truth.sum()
    )
