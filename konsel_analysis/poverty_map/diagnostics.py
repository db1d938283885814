"""Diagnostics of a fitted poverty map, as emdi and povmap show them.

- normality of the unit residuals and of the predicted area effects: skewness,
  excess kurtosis and the Shapiro-Wilk test (on at most 5,000 residuals);
- the intra-class correlation ``s2u / (s2u + s2e)`` on the transformed scale;
- for sampled areas, direct against model-based estimates (correlation, the
  mean ratio of their RMSEs);
- per area (:func:`area_diagnostics`): the coefficient of variation
  ``rmse / estimate``, the plausible ranks (the ranks the 90% interval spans among
  the point estimates, 1 = poorest), ``rankable`` (false when the interval spans
  more than half of the areas' ranks: too uncertain to rank) and whether the area
  stands out from the whole (its interval lies above or below the overall rate).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def _normality(values: np.ndarray) -> dict:
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if len(values) < 3:
        return {"n": int(len(values))}
    sample = values if len(values) <= 5000 else np.random.default_rng(0).choice(values, 5000)
    sw = stats.shapiro(sample)
    return {
        "n": int(len(values)),
        "skewness": float(stats.skew(values)),
        "excess_kurtosis": float(stats.kurtosis(values)),
        "shapiro_w": float(sw.statistic),
        "shapiro_p": float(sw.pvalue),
    }


def area_diagnostics(table: pd.DataFrame, overall_rate: float, measure="poverty_rate"):
    """CV, plausible ranks, rankable and stands-out flags, one row per area of ``table``."""
    est = table[measure].to_numpy(float)
    lo, hi = table[f"{measure}_low"].to_numpy(float), table[f"{measure}_high"].to_numpy(float)
    rmse = table["rmse" if measure == "poverty_rate" else f"{measure}_rmse"].to_numpy(float)
    order = np.sort(est)[::-1]  # poorest first
    n = len(est)
    # rank 1 = highest rate: ranks of the interval's ends among the point estimates
    best = 1 + np.searchsorted(-order, -hi, side="left")
    worst = np.searchsorted(-order, -lo, side="right")
    best = np.clip(best, 1, n)
    worst = np.clip(np.maximum(worst, best), 1, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(est > 0, rmse / est, np.nan)
    stands = np.where(lo > overall_rate, "above", np.where(hi < overall_rate, "below", ""))
    return pd.DataFrame(
        {
            "area": table["area"].to_numpy(),
            "rank": 1 + np.argsort(np.argsort(-est, kind="stable"), kind="stable"),
            "cv": cv,
            "plausible_rank_best": best,
            "plausible_rank_worst": worst,
            "rankable": (worst - best + 1) <= n / 2,
            "stands_out": stands,
        }
    )


def diagnostics(pm, survey) -> dict:
    """The model-level diagnostics recorded in ``poverty_map.json``."""
    model = pm.model_
    sampled = pm.table_["sampled_households"].to_numpy() > 0
    t = pm.table_
    both = sampled & t["direct_poverty_rate"].notna().to_numpy()
    out = {
        "icc": model.icc_,
        "residuals": _normality(model.residuals_),
        "area_effects": _normality(model.u_[sampled]),
        "sampled_areas": int(sampled.sum()),
    }
    if both.sum() >= 3:
        d, m = t.loc[both, "direct_poverty_rate"], t.loc[both, "poverty_rate"]
        out["direct_vs_model"] = {
            "correlation": float(np.corrcoef(d, m)[0, 1]),
            "mean_direct": float(d.mean()),
            "mean_model": float(m.mean()),
        }
    cv = (t["rmse"] / t["poverty_rate"]).replace([np.inf], np.nan)
    out["cv_poverty_rate"] = {
        "median_sampled": float(np.nanmedian(cv[sampled])) if sampled.any() else None,
        "median_unsampled": float(np.nanmedian(cv[~sampled])) if (~sampled).any() else None,
    }
    return out
