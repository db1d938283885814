"""Targeting metrics: plain functions of arrays and survey weights.

Every rate here is a *weighted* share: with survey weights, a household counts
for the households it stands for. Weights only matter relative to each other,
so multiplying all of them by a constant changes nothing, and an integer weight
of 2 is the same as writing the household twice. Where a rate has no
denominator (no poor household, nobody selected) it is NaN, which the
validation files write as ``null``.

>>> import numpy as np
>>> is_poor = np.array([True, True, False, False])
>>> selected = np.array([True, False, True, False])
>>> targeting_errors(is_poor, selected, np.array([1.0, 1.0, 1.0, 1.0]))
{'exclusion_error': 0.5, 'inclusion_error': 0.5, 'coverage': 0.5}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from konsel_analysis.weighted import check_weights

#: Coverages (weighted shares of households selected) of the error curves.
CURVE_COVERAGES = tuple(round(0.05 * k, 2) for k in range(1, 13))  # 5%, 10%, ..., 60%


def _share(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def weighted_mean(values, weight=None) -> float:
    """Weighted mean; NaN when the weights sum to zero."""
    v = np.asarray(values, dtype=float)
    w = check_weights(weight, len(v))
    return _share(np.sum(w * v), np.sum(w))


def weighted_r2(y_true, y_pred, weight=None) -> float:
    """Weighted coefficient of determination, 1 - SSE / SST around the weighted mean.

    NaN when ``y_true`` does not vary (SST = 0).
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    w = check_weights(weight, len(y))
    mean = np.sum(w * y) / np.sum(w)
    sst = np.sum(w * (y - mean) ** 2)
    if sst <= 0:
        return float("nan")
    return float(1.0 - np.sum(w * (y - p) ** 2) / sst)


def weighted_auc(is_positive, score, weight=None) -> float:
    """Weighted area under the ROC curve: P(score of a positive > score of a negative).

    Pairs are weighted by the product of their weights; a tie counts one half.
    NaN when there is no positive or no negative household.
    """
    pos = np.asarray(is_positive, dtype=bool)
    s = np.asarray(score, dtype=float)
    w = check_weights(weight, len(s))
    w_pos, w_neg = np.sum(w[pos]), np.sum(w[~pos])
    if w_pos <= 0 or w_neg <= 0:
        return float("nan")
    # Per distinct score: weight of positives and of negatives holding it.
    levels, idx = np.unique(s, return_inverse=True)
    pos_at = np.bincount(idx, weights=w * pos, minlength=len(levels))
    neg_at = np.bincount(idx, weights=w * ~pos, minlength=len(levels))
    neg_below = np.cumsum(neg_at) - neg_at
    wins = np.sum(pos_at * neg_below) + 0.5 * np.sum(pos_at * neg_at)
    return float(wins / (w_pos * w_neg))


def targeting_errors(is_poor, is_selected, weight=None) -> dict[str, float]:
    """Exclusion error, inclusion error and coverage of a selection.

    - exclusion error: weighted share of the poor who are not selected;
    - inclusion error: weighted share of the selected who are not poor;
    - coverage: weighted share of all households that are selected.

    NaN where undefined: exclusion without poor households, inclusion when
    nobody is selected.
    """
    poor = np.asarray(is_poor, dtype=bool)
    sel = np.asarray(is_selected, dtype=bool)
    if poor.shape != sel.shape:
        raise ValueError(f"is_poor has shape {poor.shape} but is_selected {sel.shape}")
    w = check_weights(weight, len(poor))
    return {
        "exclusion_error": _share(np.sum(w[poor & ~sel]), np.sum(w[poor])),
        "inclusion_error": _share(np.sum(w[sel & ~poor]), np.sum(w[sel])),
        "coverage": _share(np.sum(w[sel]), np.sum(w)),
    }


def select_at_line(predicted_welfare, poverty_line: float) -> np.ndarray:
    """Households whose predicted welfare is strictly below the poverty line."""
    return np.asarray(predicted_welfare, dtype=float) < poverty_line


def select_at_rate(score, weight, rate: float) -> np.ndarray:
    """The poorest weighted share ``rate`` of households, poorest = lowest ``score``.

    Households are taken from the lowest score up; a household is selected when
    the weight before it plus half its own weight is at most ``rate`` of the
    total, so the selected share is the achievable share nearest to ``rate``.
    Ties are broken by row order (a stable sort), so the result is
    deterministic. Use predicted welfare as the score, or ``-P(poor)``.

    >>> select_at_rate(np.array([3.0, 1.0, 2.0, 4.0]), np.ones(4), 0.5).tolist()
    [False, True, True, False]
    """
    s = np.asarray(score, dtype=float)
    w = check_weights(weight, len(s))
    order = np.argsort(s, kind="stable")
    cum_before = np.cumsum(w[order]) - w[order]
    selected = np.zeros(len(s), dtype=bool)
    selected[order] = cum_before + 0.5 * w[order] <= rate * np.sum(w)
    return selected


def error_curve(
    is_poor, score, weight=None, coverages: Sequence[float] = CURVE_COVERAGES
) -> pd.DataFrame:
    """Targeting errors when selecting the poorest ``c`` share by ``score``, for each ``c``."""
    rows = []
    for target in coverages:
        errors = targeting_errors(is_poor, select_at_rate(score, weight, target), weight)
        rows.append({"coverage_target": float(target), **errors})
    return pd.DataFrame(rows)


def reliability_table(is_event, probability, weight=None, bins: int = 10) -> pd.DataFrame:
    """Weighted mean predicted probability against the observed rate, by bin of probability.

    Households are sorted by predicted probability and cut into ``bins`` groups
    of equal weight (deciles by default); a household falls in the bin of its
    weight's midpoint, ties by row order. A calibrated model has
    ``mean_predicted`` close to ``observed_rate`` in every bin.
    """
    event = np.asarray(is_event, dtype=bool)
    p = np.asarray(probability, dtype=float)
    w = check_weights(weight, len(p))
    order = np.argsort(p, kind="stable")
    midpoint = (np.cumsum(w[order]) - 0.5 * w[order]) / np.sum(w)
    bin_of = np.empty(len(p), dtype=np.int64)
    bin_of[order] = np.minimum((midpoint * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        m = bin_of == b
        rows.append(
            {
                "bin": b + 1,
                "n": int(m.sum()),
                "weight_share": _share(np.sum(w[m]), np.sum(w)),
                "mean_predicted": _share(np.sum(w[m] * p[m]), np.sum(w[m])),
                "observed_rate": _share(np.sum(w[m] * event[m]), np.sum(w[m])),
            }
        )
    return pd.DataFrame(rows)
