"""The workbench's impact on extreme poverty: the impact step's correction round, at any setting.

:func:`~konsel_analysis.impact.simulate_correction_round` (the reports' impact
simulation) spends the whole visit budget by priority on the survey households,
each standing for ``weight`` register households. The workbench's sliders change
the plan, so :func:`correction_round` follows the visit plan the workbench shows
(:func:`konsel_analysis.explore.split_visits`):

- ``budget x (1 - audit share)`` priority visits, at least ``minimum_per_area``
  per kecamatan (capped, as :func:`~konsel_analysis.targeting.verification.
  allocate_visits` caps it, at the list's size over the number of kecamatan): in
  each kecamatan its highest priorities while their weights add up to at most the
  minimum, then regency-wide by priority while the weights add up to at most the
  list's size (with no minimum: exactly the impact step's rule);
- the audit visits, drawn at random among the households not on the list: each
  of those stands for ``weight x q`` visited and ``weight x (1 - q)`` unvisited
  register households, ``q`` the audit visits over their weight (the expected
  value over the random draw);
- a visit reveals the truth; the money of visited beneficiaries not poor (and
  still not poor without their benefit) goes to visited poor non-beneficiaries,
  extreme poor first (:func:`~konsel_analysis.impact.reallocate`), at the
  poverty and extreme lines chosen.

With no minimum and no audit share this is the impact step's ``verified``
scenario, number for number (tested).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from konsel_analysis.impact import reallocate
from konsel_analysis.parameters import Parameters, load_parameters
from konsel_analysis.targeting.verification import priority_scores

ALL = "ALL"
#: Bonus that puts the extreme poor first in line for the money freed (as the impact step).
_EXTREME_FIRST = 10.0


def weighted_priority_list(area, priority, weight, size: float, minimum: float) -> np.ndarray:
    """Which survey households the priority list reaches, counting each as ``weight`` visits.

    >>> weighted_priority_list(["A", "A", "B", "B"], [4, 3, 2, 1], [1, 1, 1, 1], 3, 1).tolist()
    [True, True, True, False]
    >>> weighted_priority_list(["A", "A", "B", "B"], [4, 3, 2, 1], [2, 2, 2, 2], 4, 2).tolist()
    [True, False, True, False]
    """
    area = np.asarray(area)
    w = np.asarray(weight, float)
    order = np.lexsort((np.arange(len(w)), -np.asarray(priority, float)))
    areas = np.unique(area)
    minimum = min(minimum, size // max(len(areas), 1))
    listed = np.zeros(len(w), bool)
    within = pd.Series(w[order]).groupby(area[order]).cumsum().to_numpy()
    listed[order[within <= minimum]] = True
    rest = order[~listed[order]]
    listed[rest[w[listed].sum() + np.cumsum(w[rest]) <= size]] = True
    return listed


def _visited_parts(listed: np.ndarray, weight: np.ndarray, audit_visits: float):
    """Rows of the round: each listed household once (visited); each other household as
    a visited part (``weight x q``) and an unvisited part. Returns (row of the household,
    weight, visited)."""
    n = len(weight)
    rest_weight = float(weight[~listed].sum())
    q = min(1.0, audit_visits / rest_weight) if rest_weight > 0 else 0.0
    household = np.r_[np.arange(n), np.flatnonzero(~listed)]
    part_weight = np.r_[np.where(listed, weight, weight * q), weight[~listed] * (1 - q)]
    visited = np.r_[listed | (q > 0), np.zeros(int((~listed).sum()), bool)]
    keep = part_weight > 0
    return household[keep], part_weight[keep], visited[keep]


def correction_round(
    area,
    welfare,
    weight,
    persons,
    p_poor,
    p_extreme,
    benefit_now,
    benefit_if_given,
    *,
    budget: float,
    minimum_per_area: float,
    audit_share: float,
    poverty_line: float,
    extreme_line: float,
    params: Parameters | None = None,
) -> pd.DataFrame:
    """Extreme poverty before and after one correction round, per area and ``ALL``.

    Arrays are per surveyed household (welfare per capita per month, benefits per
    household per month, probabilities cross-fitted). Columns: persons in extreme
    poverty before and after, those lifted above the extreme line and those pushed
    below it (persons, survey-weighted), the same as shares of persons, the
    poor before and after, the visits spent, and ``sampled_extreme_poor_lifted``
    (surveyed households behind the lifted count: below five, too few to publish).
    """
    params = params or load_parameters()
    y, w, size = (np.asarray(v, float) for v in (welfare, weight, persons))
    now, if_given = np.asarray(benefit_now, float), np.asarray(benefit_if_given, float)
    p, e = np.asarray(p_poor, float), np.asarray(p_extreme, float)
    beneficiary = now > 0
    k = float(params.value("verification.extreme_poor_weight"))
    _, priority = priority_scores(beneficiary, p, e, np.where(beneficiary, now, if_given), params)
    n_list = round(budget * (1 - audit_share))
    listed = weighted_priority_list(area, priority, w, n_list, minimum_per_area)
    row, part_w, visited = _visited_parts(listed, w, budget - n_list)
    y_, now_, given_, size_ = y[row], now[row], if_given[row], size[row]
    truly_poor, is_extreme = y_ < poverty_line, y_ < extreme_line
    stays_above = (y_ - now_ / size_) >= poverty_line
    round_ = reallocate(
        now_,
        np.where(visited & truly_poor, given_, 0.0),
        part_w,
        (visited & beneficiary[row] & stays_above).astype(float),
        p[row] + (k - 1) * e[row] + _EXTREME_FIRST * is_extreme,
    )
    after = y_ + (given_ * round_.added - now_ * round_.removed) / size_
    frame = pd.DataFrame(
        {
            "area": np.asarray(area, dtype=object)[row],
            "household": row,
            "persons": part_w * size_,
            "visits": part_w * visited,
            "extreme_before": is_extreme,
            "extreme_after": after < extreme_line,
            "poor_before": truly_poor,
            "poor_after": after < poverty_line,
        }
    )
    frame["lifted"] = frame["extreme_before"] & ~frame["extreme_after"]
    frame["pushed"] = ~frame["extreme_before"] & frame["extreme_after"]
    return _by_area(frame)


def _by_area(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for name, g in [*frame.groupby("area", sort=True), (ALL, frame)]:
        pw = g["persons"].to_numpy()
        row = {"area": name, "persons": pw.sum(), "visits": g["visits"].sum()}
        for flag in ("extreme_before", "extreme_after", "poor_before", "poor_after"):
            row[f"{flag}_persons"] = float(pw[g[flag].to_numpy()].sum())
            row[f"{flag}_share"] = row[f"{flag}_persons"] / row["persons"] if pw.sum() else None
        row["extreme_poor_lifted_persons"] = float(pw[g["lifted"].to_numpy()].sum())
        row["extreme_poor_added_persons"] = float(pw[g["pushed"].to_numpy()].sum())
        row["sampled_households"] = g["household"].nunique()
        row["sampled_extreme_poor_lifted"] = g.loc[g["lifted"], "household"].nunique()
        rows.append(row)
    return pd.DataFrame(rows)
