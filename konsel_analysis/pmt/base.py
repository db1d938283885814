"""What every PMT estimator shares: input checks, weights, and the P(poor) output.

An estimator fitted on a DataFrame remembers its column names (scikit-learn's
``feature_names_in_``) and expects the same columns later; one fitted on a
numeric array reads its columns as numeric proxies ``x0, x1, ...``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted, column_or_1d

from konsel_analysis.pmt import sharing
from konsel_analysis.pmt.features import ProxyFeatures, checked_frame, sample_weights

__all__ = [
    "P_EXTREME",
    "P_POOR",
    "PovertyModel",
    "sample_weights",
    "target_vector",
    "welfare_vector",
]

P_POOR = "p_poor"
P_EXTREME = "p_extreme_poor"


def target_vector(estimator, y, n: int) -> np.ndarray:
    """y as a 1-D array of length n (a column vector is raveled, with a warning)."""
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None"
        )
    array = column_or_1d(y, warn=True)
    if array.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {array.shape[0]}")
    if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
        raise ValueError("Input y contains NaN or infinity.")
    return array


def welfare_vector(estimator, y, n: int) -> np.ndarray:
    """Per-capita welfare as positive floats (the models work on its logarithm)."""
    values = target_vector(estimator, y, n).astype(float)
    if not np.all(np.isfinite(values)):
        raise ValueError("Input y contains NaN or infinity.")
    if np.any(values <= 0):
        raise ValueError("welfare y must be positive: the PMT models its logarithm")
    return values


class PovertyModel:
    """Mixin: design matrix of a fitted estimator and the P(poor) table."""

    def _fit_features(self, frame: pd.DataFrame, w: np.ndarray, source=None) -> np.ndarray:
        """Fit ``features_`` on the training proxies; their design matrix. ``source`` is
        X as ``fit`` was given it (see :mod:`konsel_analysis.pmt.sharing`)."""
        self.features_, Z = sharing.fit_design(
            lambda: ProxyFeatures(
                squared=self.squared, min_count=self.min_count, log1p=getattr(self, "log1p", None)
            ),
            frame,
            w,
            source,
        )
        return Z

    def _design(self, X) -> tuple[np.ndarray, pd.Index | None]:
        check_is_fitted(self, "features_")
        frame = checked_frame(self, X, reset=False)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return sharing.transform(self.features_, frame, X), index

    @property
    def feature_names_(self) -> np.ndarray:
        """Names of the design-matrix columns (``COL``, ``COL^2``, ``COL=LEVEL``)."""
        return self.features_.get_feature_names_out()

    def _has_extreme(self) -> bool:
        raise NotImplementedError

    def _poverty_probabilities(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def predict_poverty_proba(self, X) -> pd.DataFrame:
        """P(poor) and, where an extreme line or classes are set, P(extreme poor).

        Returns a DataFrame with column ``p_poor`` (and ``p_extreme_poor``),
        indexed like X when X is a DataFrame.
        """
        Z, index = self._design(X)
        p_poor, p_extreme = self._poverty_probabilities(Z)
        out = {P_POOR: p_poor}
        if p_extreme is not None:
            out[P_EXTREME] = np.minimum(p_extreme, p_poor)
        return pd.DataFrame(out, index=index)
