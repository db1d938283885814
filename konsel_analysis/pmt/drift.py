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
(a tiny shift in a large sample passes one but rarely both) *and* the
difference is larger than sampling noise: more than :data:`NOISE_Z` standard
errors, each side's variance of the weighted mean (or level share) linearised
with the survey's clusters (villages), so that a second draw of the same
design is not flagged because it sampled a few more urban villages. A register
is the whole population and adds no sampling variance.
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
#: Standard errors a difference must exceed to be more than sampling noise: about
#: 35 proxies are compared, and 3 keeps the chance of a false flag in a second draw
#: of the same design near 35 x 0.27% = 9%.
NOISE_Z = 3.0


def mean_variance(x: np.ndarray, w: np.ndarray, cluster=None) -> float:
    """Variance of a weighted mean, linearised with clusters (each row its own without).

    v = C / (C - 1) * sum over clusters of (sum of w (x - mean))^2 / (sum w)^2.

    >>> round(mean_variance(np.array([0.0, 1, 0, 1]), np.ones(4)), 6)  # 4/3 * 4 * 0.25 / 16
    0.083333
    """
    seen = ~np.isnan(x)
    x, w = x[seen], w[seen]
    if len(x) < 2:
        return 0.0
    mean = np.sum(w * x) / w.sum()
    scores = w * (x - mean)
    if cluster is not None:
        codes = pd.factorize(pd.Series(np.asarray(cluster)[seen], dtype=object))[0]
        scores = np.bincount(codes, weights=scores)
    c = len(scores)
    return 0.0 if c < 2 else float(c / (c - 1) * np.sum(scores**2) / w.sum() ** 2)


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


def _levels(values: pd.Series) -> np.ndarray:
    return values.astype("string").fillna(MISSING_LEVEL).to_numpy(dtype=object)


def level_shares(values: pd.Series, w: np.ndarray) -> dict[str, float]:
    """Weighted share of each level, missing values as :data:`MISSING_LEVEL`."""
    shares = pd.Series(w / w.sum()).groupby(_levels(values)).sum()
    return {str(k): float(v) for k, v in shares.items()}


def share_variances(values: pd.Series, w: np.ndarray, cluster=None) -> dict[str, float]:
    """Variance of each level's weighted share (see :func:`mean_variance`)."""
    text = _levels(values)
    return {
        str(level): mean_variance((text == level).astype(float), w, cluster)
        for level in pd.unique(text)
    }


def _numeric_profile(x: np.ndarray, w: np.ndarray, cluster=None) -> dict:
    seen = ~np.isnan(x)
    if not seen.any():
        return {
            "kind": "numeric",
            "mean": None,
            "sd": None,
            "mean_var": 0.0,
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
        "mean_var": mean_variance(x, w, cluster),
        "missing_share": float(1 - w[seen].sum() / w.sum()),
        "edges": edges,
        "shares": bin_shares(x, w, edges),
    }


def proxy_profile(X: pd.DataFrame, weight=None, categorical=(), cluster=None) -> dict[str, dict]:
    """The profile of every proxy column of ``X`` (see the module documentation).

    Columns named in ``categorical``, and columns that are not numeric, are
    profiled by level. ``cluster`` (the survey's villages) linearises the
    sampling variances; without it each household is its own cluster.

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
            out[col] = {
                "kind": "categorical",
                "shares": level_shares(series, w),
                "share_var": share_variances(series, w, cluster),
            }
        else:
            out[col] = _numeric_profile(_numeric(series), w, cluster)
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


def _z(diff: float, train_var: float, new_var: float) -> float:
    """The difference in standard errors (infinite when neither side has sampling noise)."""
    se = np.sqrt(train_var + new_var)
    return float(abs(diff) / se) if se > 0 else (np.inf if diff else 0.0)


def compare_proxy(train: dict, series: pd.Series, w: np.ndarray, cluster=None) -> dict:
    """SMD, PSI and noise z of one proxy in a new table against its training profile.

    ``cluster`` is None for a register (no sampling variance on the new side).
    """
    w = w / w.sum()
    if train["kind"] == "categorical":
        new = level_shares(series, w)
        levels = sorted(set(train["shares"]) | set(new))
        p = [train["shares"].get(level, 0.0) for level in levels]
        q = [new.get(level, 0.0) for level in levels]
        smds = [_share_smd(a, b) for a, b in zip(p, q, strict=True)]
        worst = int(np.argmax(np.abs(smds)))
        new_var = (
            share_variances(series, w, cluster).get(levels[worst], 0.0)
            if cluster is not None
            else 0.0
        )
        return {
            "smd": smds[worst],
            "psi": population_stability_index(p, q),
            "z": _z(q[worst] - p[worst], train["share_var"].get(levels[worst], 0.0), new_var),
            "detail": f"level {levels[worst]}: {p[worst]:.3f} -> {q[worst]:.3f}",
        }
    x = _numeric(series)
    seen = ~np.isnan(x)
    psi = population_stability_index(train["shares"], bin_shares(x, w, train["edges"]))
    if not seen.any() or train["mean"] is None:
        return {"smd": None, "psi": psi, "z": None, "detail": "no values to compare"}
    ws = w[seen] / w[seen].sum()
    mean = float(np.sum(ws * x[seen]))
    sd = float(np.sqrt(np.sum(ws * (x[seen] - mean) ** 2)))
    pooled = np.sqrt((sd**2 + train["sd"] ** 2) / 2)
    new_var = mean_variance(x, w, cluster) if cluster is not None else 0.0
    return {
        "smd": 0.0 if pooled == 0 else float((mean - train["mean"]) / pooled),
        "psi": psi,
        "z": _z(mean - train["mean"], train["mean_var"], new_var),
        "detail": f"mean {train['mean']:.4g} -> {mean:.4g}",
    }


DRIFT_COLUMNS = ["proxy", "kind", "smd", "psi", "z", "flagged", "shift", "detail"]


def proxy_drift(profile: dict[str, dict], X: pd.DataFrame, weight=None, cluster=None):
    """One row per proxy: smd, psi, z, flagged, shift ('none', 'moderate', 'significant').

    ``flagged`` when |smd| > :data:`SMD_FLAG`, psi > :data:`PSI_FLAG` and z >
    :data:`NOISE_Z`; ``shift`` 'significant' when flagged and psi > :data:`PSI_REFIT`.
    A new survey passes its ``cluster`` (villages) and ``weight``; a register neither.
    """
    w = _weights(weight, len(X))
    if weight is not None and cluster is None:
        cluster = np.arange(len(X))  # a survey without clusters: households are the units
    rows = []
    for col, train in profile.items():
        c = compare_proxy(train, X[col], w, cluster)
        flagged = (
            c["smd"] is not None
            and abs(c["smd"]) > SMD_FLAG
            and c["psi"] > PSI_FLAG
            and c["z"] > NOISE_Z
        )
        significant = flagged and c["psi"] > PSI_REFIT
        shift = "significant" if significant else ("moderate" if flagged else "none")
        rows.append({"proxy": col, "kind": train["kind"], **c, "flagged": flagged, "shift": shift})
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)


# --------------------------------------------------------------------------------------
# A changed second wave, for demonstrations and tests
# --------------------------------------------------------------------------------------

#: The documented change of :func:`shift_wave`: share of households without the asset
#: that gain it, and the growth factor of floor area. Consumption is left as it was.
WAVE_SHIFT = {
    "has_motorcycle": 0.5,  # credit-financed motorcycles
    "has_gas_cylinder": 0.6,  # the LPG conversion programme reaching rural desa
    "floor_area_m2": 1.25,  # extensions built with remittances
}


def shift_wave(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A second wave whose assets moved while consumption did not (see :data:`WAVE_SHIFT`).

    Half of the households without a motorcycle get one, 60% of those without a
    gas cylinder get one (and then cook with 3 kg LPG), floor area grows by a
    quarter; consumption, weights and every other column are unchanged. A PMT
    fitted on the first wave then overstates the welfare of the households whose
    assets moved: the case for refitting that ``konsel drift`` should flag.
    """
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for column in ("has_motorcycle", "has_gas_cylinder"):
        if column in out:
            has = out[column].astype(bool).to_numpy()
            gains = ~has & (rng.random(len(out)) < WAVE_SHIFT[column])
            out[column] = (has | gains).astype(frame[column].dtype)
            if column == "has_gas_cylinder" and "cooking_fuel" in out:
                fuel = np.array(out["cooking_fuel"].astype(object), dtype=object)
                fuel[gains] = "lpg_3kg"
                out["cooking_fuel"] = pd.Series(fuel, index=out.index).astype(
                    frame["cooking_fuel"].dtype
                )
    if "floor_area_m2" in out:
        out["floor_area_m2"] = (out["floor_area_m2"] * WAVE_SHIFT["floor_area_m2"]).round(1)
    return out
