"""Has the population moved since the PMT was fitted? Proxy profiles and their shift.

A saved PMT (:mod:`.artifact`) keeps a *profile* of each proxy in its training
survey, with survey weights:

- numeric proxy: weighted mean, standard deviation, share missing, and the
  inner edges of (up to) ten weighted-decile bins with the weighted share of
  households in each bin (missing values form one more bin);
- categorical proxy: the weighted share of each level (missing is a level).

A new wave (a second survey round, or the register) is profiled on the same
bins, and each proxy is compared with two measures:

- the *standardised difference* (Austin 2009, as in
  :mod:`konsel_analysis.intake.comparability`): difference in means over the
  pooled standard deviation for numeric proxies; for a categorical proxy the
  largest absolute standardised difference of its level shares
  (p1 - p0) / sqrt((p1 (1 - p1) + p0 (1 - p0)) / 2);
- the *population stability index* (credit scoring; Siddiqi 2006):
  PSI = sum over bins of (q - p) ln(q / p), bin shares floored at
  :data:`PSI_FLOOR` so an empty bin does not make it infinite.

Thresholds (:data:`SMD_FLAG`, :data:`PSI_FLAG`) are the conventional ones:
|SMD| > 0.1 marks an imbalance worth a look (Austin 2009), PSI > 0.25 a
significant shift and 0.1-0.25 a moderate one (Siddiqi 2006, Yurdakul 2018).
A proxy is flagged when both its SMD and its PSI exceed the first thresholds
(a tiny shift in a large sample passes one but rarely both).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: |standardised difference| above which a proxy is flagged (Austin 2009).
SMD_FLAG = 0.1
#: PSI above which a proxy's distribution has moderately shifted (Siddiqi 2006).
PSI_FLAG = 0.1
#: PSI above which the shift is significant: refit the model (Siddiqi 2006).
PSI_REFIT = 0.25
#: Smallest bin share used in the PSI (an empty bin would make it infinite).
PSI_FLOOR = 1e-4
#: Bins of a numeric proxy: weighted deciles.
DECILE_BINS = 10
MISSING_LEVEL = "(missing)"


def _weights(weight, n: int) -> np.ndarray:
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=float)
    return w / w.sum()


def _numeric(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float).to_numpy()
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def weighted_quantiles(x: np.ndarray, w: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Weighted quantiles: the smallest x whose cumulative weight share reaches each q.

    >>> weighted_quantiles(np.array([1.0, 2, 3, 4]), np.ones(4), np.array([0.5]))
    array([2.])
    """
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    return x[order][np.minimum(np.searchsorted(cum, q - 1e-12), len(x) - 1)]


def bin_shares(x: np.ndarray, w: np.ndarray, edges: list[float]) -> list[float]:
    """Weighted share of households in each bin (right-closed inner edges), then missing."""
    w = w / w.sum()
    missing = np.isnan(x)
    cell = np.searchsorted(np.asarray(edges, dtype=float), x[~missing], side="left")
    shares = np.bincount(cell, weights=w[~missing], minlength=len(edges) + 1)
    return [*shares.tolist(), float(w[missing].sum())]


def level_shares(values: pd.Series, w: np.ndarray) -> dict[str, float]:
    """Weighted share of each level, missing values as :data:`MISSING_LEVEL`."""
    text = values.astype("string").fillna(MISSING_LEVEL).to_numpy(dtype=object)
    shares = pd.Series(w / w.sum()).groupby(text).sum()
    return {str(k): float(v) for k, v in shares.items()}


def _numeric_profile(x: np.ndarray, w: np.ndarray) -> dict:
    seen = ~np.isnan(x)
    if not seen.any():
        return {
            "kind": "numeric",
            "mean": None,
            "sd": None,
            "missing_share": 1.0,
            "edges": [],
            "shares": [0.0, 1.0],
        }
    xs, ws = x[seen], w[seen] / w[seen].sum()
    mean = float(np.sum(ws * xs))
    inner = weighted_quantiles(xs, ws, np.arange(1, DECILE_BINS) / DECILE_BINS)
    edges = sorted({float(e) for e in inner if e < xs.max()})
    return {
        "kind": "numeric",
        "mean": mean,
        "sd": float(np.sqrt(np.sum(ws * (xs - mean) ** 2))),
        "missing_share": float(1 - w[seen].sum() / w.sum()),
        "edges": edges,
        "shares": bin_shares(x, w, edges),
    }


def proxy_profile(X: pd.DataFrame, weight=None, categorical=()) -> dict[str, dict]:
    """The profile of every proxy column of ``X`` (see the module documentation).

    Columns named in ``categorical``, and columns that are not numeric, are
    profiled by level.

    >>> profile = proxy_profile(pd.DataFrame({"roof": ["tin", "tin", "leaf", None]}))
    >>> profile["roof"]["shares"]
    {'(missing)': 0.25, 'leaf': 0.25, 'tin': 0.5}
    """
    w = _weights(weight, len(X))
    out = {}
    for col in X.columns:
        series = X[col]
        numeric = pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
        if col in set(categorical) or not numeric:
            out[col] = {"kind": "categorical", "shares": level_shares(series, w)}
        else:
            out[col] = _numeric_profile(_numeric(series), w)
    return out


def population_stability_index(expected, actual, floor: float = PSI_FLOOR) -> float:
    """PSI = sum (q - p) ln(q / p) over bins; p the training shares, q the new ones.

    >>> round(population_stability_index([0.5, 0.5], [0.25, 0.75]), 4)
    0.2747
    """
    p = np.maximum(np.asarray(expected, dtype=float), floor)
    q = np.maximum(np.asarray(actual, dtype=float), floor)
    return float(np.sum((q - p) * np.log(q / p)))


def _share_smd(p0: float, p1: float) -> float:
    pooled = np.sqrt((p0 * (1 - p0) + p1 * (1 - p1)) / 2)
    return 0.0 if pooled == 0 else float((p1 - p0) / pooled)


def compare_proxy(train: dict, series: pd.Series, w: np.ndarray) -> dict:
    """SMD and PSI of one proxy in a new table against its training profile."""
    w = w / w.sum()
    if train["kind"] == "categorical":
        new = level_shares(series, w)
        levels = sorted(set(train["shares"]) | set(new))
        p = [train["shares"].get(level, 0.0) for level in levels]
        q = [new.get(level, 0.0) for level in levels]
        smds = [_share_smd(a, b) for a, b in zip(p, q, strict=True)]
        worst = int(np.argmax(np.abs(smds)))
        return {
            "smd": smds[worst],
            "psi": population_stability_index(p, q),
            "detail": f"level {levels[worst]}: {p[worst]:.3f} -> {q[worst]:.3f}",
        }
    x = _numeric(series)
    seen = ~np.isnan(x)
    q = bin_shares(x, w, train["edges"])
    psi = population_stability_index(train["shares"], q)
    if not seen.any() or train["mean"] is None:
        return {"smd": None, "psi": psi, "detail": "no values to compare"}
    ws = w[seen] / w[seen].sum()
    mean = float(np.sum(ws * x[seen]))
    sd = float(np.sqrt(np.sum(ws * (x[seen] - mean) ** 2)))
    pooled = np.sqrt((sd**2 + train["sd"] ** 2) / 2)
    smd = 0.0 if pooled == 0 else (mean - train["mean"]) / pooled
    return {"smd": float(smd), "psi": psi, "detail": f"mean {train['mean']:.4g} -> {mean:.4g}"}


def proxy_drift(profile: dict[str, dict], X: pd.DataFrame, weight=None) -> pd.DataFrame:
    """One row per proxy: smd, psi, flagged, shift ('none', 'moderate', 'significant').

    ``flagged`` when |smd| > :data:`SMD_FLAG` and psi > :data:`PSI_FLAG`;
    ``shift`` 'significant' when flagged and psi > :data:`PSI_REFIT`.
    """
    w = _weights(weight, len(X))
    rows = []
    for col, train in profile.items():
        c = compare_proxy(train, X[col], w)
        flagged = c["smd"] is not None and abs(c["smd"]) > SMD_FLAG and c["psi"] > PSI_FLAG
        shift = (
            "significant"
            if flagged and c["psi"] > PSI_REFIT
            else ("moderate" if flagged else "none")
        )
        rows.append(
            {
                "proxy": col,
                "kind": train["kind"],
                "smd": c["smd"],
                "psi": c["psi"],
                "flagged": flagged,
                "shift": shift,
                "detail": c["detail"],
            }
        )
    return pd.DataFrame(rows, columns=["proxy", "kind", "smd", "psi", "flagged", "shift", "detail"])
