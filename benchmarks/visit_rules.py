"""Judging visit lists against the truth (synthetic data only): a benchmark's helper.

Used by ``benchmarks/verification_rules.py`` and its test (tests/targeting/test_score.py),
never by the package: only synthetic data has the truth to judge against.

A visit *corrects an error* when the household visited is misclassified: a
beneficiary that is not poor, or a non-beneficiary that is poor. The toolkit's
list is compared with two simple rules a Dinas Sosial could use without it:

- random: visit households drawn at random from the register;
- desil only: visit beneficiaries in the richest DTSEN desil and
  non-beneficiaries in the poorest, the most "out of place" first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def is_targeting_error(is_beneficiary, is_poor) -> np.ndarray:
    b = np.asarray(is_beneficiary, bool)
    p = np.asarray(is_poor, bool)
    return (b & ~p) | (~b & p)


def random_visits(n: int, budget: int, seed: int = 0) -> np.ndarray:
    chosen = np.zeros(n, bool)
    chosen[np.random.default_rng(seed).choice(n, size=min(budget, n), replace=False)] = True
    return chosen


def desil_visits(desil, is_beneficiary, budget: int, seed: int = 0) -> np.ndarray:
    """Beneficiaries by descending desil, non-beneficiaries by ascending desil, interleaved.

    A beneficiary in desil 10 and a non-beneficiary in desil 1 are equally out of
    place (score 10); ties are broken at random.
    """
    d = np.asarray(desil, float)
    b = np.asarray(is_beneficiary, bool)
    out_of_place = np.where(b, d, 11 - d)
    tie = np.random.default_rng(seed).random(len(d))
    order = np.lexsort((tie, -out_of_place))
    chosen = np.zeros(len(d), bool)
    chosen[order[:budget]] = True
    return chosen


def corrections_per_1000_visits(chosen, is_beneficiary, is_poor) -> float:
    chosen = np.asarray(chosen, bool)
    errors = is_targeting_error(is_beneficiary, is_poor)
    return float(1000 * errors[chosen].sum() / max(chosen.sum(), 1))


def compare_visit_rules(
    toolkit_chosen, desil, is_beneficiary, is_poor, seed: int = 0
) -> pd.DataFrame:
    """Corrected errors per 1,000 visits: the toolkit's list, random visits, desil only."""
    budget = int(np.asarray(toolkit_chosen, bool).sum())
    rules = {
        "toolkit priority list": np.asarray(toolkit_chosen, bool),
        "random visits": random_visits(len(desil), budget, seed),
        "desil only": desil_visits(desil, is_beneficiary, budget, seed),
    }
    return pd.DataFrame(
        [
            {
                "rule": name,
                "visits": int(chosen.sum()),
                "corrected_errors_per_1000_visits": corrections_per_1000_visits(
                    chosen, is_beneficiary, is_poor
                ),
            }
            for name, chosen in rules.items()
        ]
    )
