"""Who to visit first: priority scores and the split of a verification budget.

A visit corrects an error when the household turns out to be misclassified:
a beneficiary that is not eligible (an inclusion error; its benefit is freed),
or a non-beneficiary that is poor (an exclusion error; it gets the benefit).
The priority of a household is the expected value of visiting it: the chance
the visit finds an error times what correcting it is worth (Rp per month of
benefit moved to where it belongs). Extreme-poor households count
``extreme_poor_weight`` times (parameters.yml), for the zero-extreme-poverty
target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError
from konsel_analysis.parameters import Parameters, load_parameters


def priority_scores(
    is_beneficiary, p_poor, p_extreme_poor, worth, params: Parameters | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Expected corrections and expected value of visiting each household.

    Returns ``(p_error, priority)``: for a beneficiary ``p_error = 1 - P(poor)``
    (not eligible); for a non-beneficiary ``P(poor)``. ``priority`` is
    ``p_error * worth`` for beneficiaries and
    ``worth * (P(poor) + (k - 1) P(extreme poor))`` for non-beneficiaries, with
    ``k`` the extreme-poor weight.

    >>> p_err, prio = priority_scores([1, 0], [0.25, 0.5], [0.0, 0.25], [100, 100])
    >>> p_err.tolist(), prio.tolist()  # with k = 2: 100 * (0.5 + 0.25)
    ([0.75, 0.5], [75.0, 75.0])
    """
    params = params or load_parameters()
    k = float(params.value("verification.extreme_poor_weight"))
    b = np.asarray(is_beneficiary, dtype=bool)
    p = np.asarray(p_poor, dtype=float)
    e = np.asarray(p_extreme_poor, dtype=float)
    value = np.asarray(worth, dtype=float)
    p_error = np.where(b, 1 - p, p)
    priority = np.where(b, (1 - p) * value, value * (p + (k - 1) * e))
    return p_error, priority


@dataclass(frozen=True)
class Allocation:
    """The visits chosen and the split of the budget across areas."""

    is_visited: np.ndarray  # bool per household
    by_area: pd.DataFrame  # area, households, visits, expected_corrections, expected_value


def allocate_visits(area, priority, p_error, budget: int, minimum_per_area: int) -> Allocation:
    """Choose ``budget`` households to visit, at least ``minimum_per_area`` in each area.

    With additive expected yields the greedy choice is optimal: each area first
    gets its minimum (its own highest priorities, or all its households if it has
    fewer), then the rest of the budget goes to the highest priorities regency-wide.
    Ties are broken by position, so the choice is deterministic.
    """
    area = np.asarray(area)
    priority = np.asarray(priority, dtype=float)
    n = len(priority)
    budget = min(int(budget), n)
    order = np.lexsort((np.arange(n), -priority))  # highest priority first, stable
    rank_in_area = pd.Series(area[order]).groupby(area[order]).cumcount().to_numpy()
    visited = np.zeros(n, bool)
    areas = np.unique(area)
    minimum = min(minimum_per_area, budget // max(len(areas), 1))
    visited[order[rank_in_area < minimum]] = True
    remaining = budget - int(visited.sum())
    rest = order[~visited[order]]
    visited[rest[:remaining]] = True
    frame = pd.DataFrame(
        {"area": area, "visit": visited, "p": np.asarray(p_error, float), "v": priority}
    )
    frame["p_visit"] = frame["p"] * frame["visit"]
    frame["v_visit"] = frame["v"] * frame["visit"]
    by_area = (
        frame.groupby("area", sort=True)
        .agg(
            households=("visit", "size"),
            visits=("visit", "sum"),
            expected_corrections=("p_visit", "sum"),
            expected_value=("v_visit", "sum"),
        )
        .reset_index()
    )
    return Allocation(visited, by_area)


def visit_budget(budget: int | None, minimum_per_area: int | None) -> tuple[int, int]:
    """The visits in all and at least per area: as given, else from parameters.yml.

    Raises :class:`UserError` for a budget below one visit or a negative minimum.
    """
    params = load_parameters()
    if budget is None:
        budget = int(params.value("verification.budget_visits"))
    if minimum_per_area is None:
        minimum_per_area = int(params.value("verification.min_visits_per_kecamatan"))
    if budget < 1:
        raise UserError(f"--budget {budget}: give a positive number of visits, e.g. 3000")
    if minimum_per_area < 0:
        raise UserError(
            f"--min-per-area {minimum_per_area}: give zero or more visits per area, e.g. 40"
        )
    return budget, minimum_per_area
