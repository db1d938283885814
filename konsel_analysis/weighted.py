"""Survey weights and the weighted quantile: below everything that reads a survey.

A household counts for the households it stands for (its design weight); weights
only matter relative to each other. :func:`weighted_quantile` sets a poverty line
at a weighted share of households (a dataset config's ``poverty_line: {quantile:
0.2}``) and the PMT's cut-offs (:mod:`konsel_analysis.pmt.metrics` has the rest of
the weighted metrics).
"""

from __future__ import annotations

import numpy as np


def check_weights(weight, n: int) -> np.ndarray:
    """``n`` weights as floats (ones for ``None``); finite, non-negative, one per value."""
    if weight is None:
        return np.ones(n)
    w = np.asarray(weight, dtype=float)
    if w.shape != (n,):
        raise ValueError(f"weights have shape {w.shape}, expected ({n},)")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    return w


def weighted_quantile(values, weight, q: float) -> float:
    """The lower weighted ``q``-quantile: the smallest value with cumulative weight >= q.

    >>> weighted_quantile(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 1.0, 1.0, 1.0]), 0.5)
    2.0
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be between 0 and 1, got {q}")
    v = np.asarray(values, dtype=float)
    w = check_weights(weight, len(v))
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    if len(v) == 0 or cum[-1] <= 0:
        return float("nan")
    return float(v[order][min(np.searchsorted(cum, q * cum[-1]), len(v) - 1)])
