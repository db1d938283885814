"""Work the estimators of one PMT validation share: design matrices, folds, table slices.

The estimators a validation compares fit the same proxies on the same folds with
the same survey weights: each would fit an identical
:class:`~konsel_analysis.pmt.features.ProxyFeatures`, build the identical design
matrix, and draw the identical inner folds (a fold assignment depends only on the
groups, their number and the seed). Inside :func:`shared_work` the first
estimator's results are kept and handed to the others, so every estimator sees
the numbers it would have computed itself (matrices are copies; a fitted
transformer is not changed after fit, so one object serves all). Outside the
block nothing is kept and every call computes afresh.

Tables are recognised by identity: the very same DataFrame object, which the
block keeps alive so that its id cannot be taken by another table. Weights,
settings and groups are compared by value. :func:`rows_of` gives each fold's
slice of the survey once, so that every estimator is handed the same object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from konsel_analysis.pmt.features import ProxyFeatures

_SHARED: ContextVar[dict | None] = ContextVar("pmt_shared_work", default=None)


@contextmanager
def shared_work() -> Iterator[None]:
    """Within the block, design matrices, inner folds and slices are computed once."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _settings_key(features: ProxyFeatures) -> str:
    return repr(sorted(features.get_params().items()))


def fit_design(
    make: Callable[[], ProxyFeatures], frame: pd.DataFrame, w: np.ndarray, source
) -> tuple[ProxyFeatures, np.ndarray]:
    """A fitted transformer and the training design matrix of ``frame`` (``source``
    as the caller was given it: the table recognised by identity)."""
    cache = _SHARED.get()
    if cache is None or not isinstance(source, pd.DataFrame):
        features = make()
        return features, features.fit(frame, sample_weight=w).transform(frame)
    features = make()
    key = ("fit", id(source), _settings_key(features), np.asarray(w, dtype=float).tobytes())
    if key not in cache:
        Z = features.fit(frame, sample_weight=w).transform(frame)
        cache[key] = (source, features, Z)
        cache[("transform", id(features), id(source))] = (source, features, Z)
    _, features, Z = cache[key]
    return features, Z.copy()


def transform(features: ProxyFeatures, frame: pd.DataFrame, source) -> np.ndarray:
    """``features.transform(frame)``, once per fitted transformer and table."""
    cache = _SHARED.get()
    if cache is None or not isinstance(source, pd.DataFrame):
        return features.transform(frame)
    key = ("transform", id(features), id(source))
    if key not in cache:
        cache[key] = (source, features, features.transform(frame))
    return cache[key][2].copy()


def splits(cv, n: int, groups) -> list[tuple[np.ndarray, np.ndarray]]:
    """``list(cv.split(...))`` of ``n`` rows (grouped when ``groups`` is given), once per
    splitter settings and groups."""
    dummy = np.zeros((n, 1))

    def split() -> list:
        if groups is None:
            return list(cv.split(dummy))
        return list(cv.split(dummy, groups=groups))

    cache = _SHARED.get()
    seed = getattr(cv, "random_state", None)
    if cache is None or not (seed is None or isinstance(seed, int)):  # a RandomState moves on
        return split()
    labels = None if groups is None else tuple(np.asarray(groups).tolist())
    key = ("splits", type(cv).__name__, repr(cv), n, labels)
    if key not in cache:
        cache[key] = split()
    return [(train.copy(), test.copy()) for train, test in cache[key]]


def rows_of(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame.iloc[rows]``, the same object for the same rows within the block."""
    cache = _SHARED.get()
    if cache is None:
        return frame.iloc[rows]
    key = ("rows", id(frame), np.asarray(rows).tobytes())
    if key not in cache:
        cache[key] = (frame, frame.iloc[rows])
    return cache[key][1]
