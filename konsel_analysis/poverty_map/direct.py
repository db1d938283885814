"""Direct (survey-only) estimates of the poverty measures by area, with 90% intervals.

Each area's measure is the survey-weighted (Hájek) mean of the household
values, households weighted by ``weight * persons`` (rates over persons) or by
``weight``. Its variance is the linearisation of the ratio with clusters (the
survey's primary sampling units; each household its own cluster when none are
given) taken as drawn with replacement within the area:

    v = m/(m-1) * sum_c (sum_{i in c} w_i (v_i - p))^2 / (sum_i w_i)^2

over the area's ``m`` clusters. Rates get a Wilson interval on the effective
sample size ``p(1-p)/v`` (the Kish size ``(sum w)^2 / sum w^2`` when ``v`` is 0,
so a desa where no sampled household is poor gets ``[0, upper]``, not ``[0, 0]``);
gap and severity get ``p -/+ z sqrt(v)`` clipped to [0, 1]. Areas without survey
households get no direct estimate (NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def wilson(p: np.ndarray, n_eff: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a share ``p`` on ``n_eff`` observations."""
    z = stats.norm.ppf(0.5 + level / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 + z * z / n_eff
        centre = (p + z * z / (2 * n_eff)) / denom
        half = z * np.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def direct_estimates(
    values: dict[str, np.ndarray],
    area: np.ndarray,
    areas: np.ndarray,
    weight: np.ndarray,
    cluster: np.ndarray | None = None,
    level: float = 0.90,
    shares: tuple[str, ...] = ("poverty_rate", "extreme_poverty_rate"),
) -> pd.DataFrame:
    """Direct estimate, low and high of each measure, one row per entry of ``areas``.

    ``values`` maps a measure to each household's value (0/1 for rates, the FGT
    term for gap and severity); ``weight`` already includes persons when rates
    are over persons. Columns ``direct_M``, ``direct_M_low``, ``direct_M_high``.
    """
    area = np.asarray(area).astype(str)
    cluster = (
        np.arange(len(area)).astype(str) if cluster is None else np.asarray(cluster).astype(str)
    )
    frame = pd.DataFrame({"area": area, "cluster": cluster, "w": np.asarray(weight, float)})
    z = stats.norm.ppf(0.5 + level / 2.0)
    wsum = frame.groupby("area")["w"].sum()
    w2sum = (frame["w"] ** 2).groupby(frame["area"]).sum()
    m = frame.groupby("area")["cluster"].nunique()
    out = pd.DataFrame(index=pd.Index(np.asarray(areas).astype(str), name="area"))
    for name, v in values.items():
        frame["wv"] = frame["w"] * np.asarray(v, float)
        p = frame.groupby("area")["wv"].sum() / wsum
        resid = frame["w"] * (np.asarray(v, float) - p.reindex(frame["area"]).to_numpy())
        totals = resid.groupby([frame["area"], frame["cluster"]]).sum()
        ss = (totals**2).groupby(level=0).sum()
        factor = (m / (m - 1)).where(m > 1, 1.0)
        var = factor * ss / wsum**2
        if name in shares:
            kish = wsum**2 / w2sum
            with np.errstate(divide="ignore", invalid="ignore"):
                n_eff = (p * (1 - p) / var).where(var > 0, kish)
            lo, hi = wilson(p.to_numpy(), n_eff.to_numpy(), level)
            lo, hi = pd.Series(lo, index=p.index), pd.Series(hi, index=p.index)
        else:
            half = z * np.sqrt(var)
            lo, hi = (p - half).clip(0.0, 1.0), (p + half).clip(0.0, 1.0)
        out[f"direct_{name}"] = p.reindex(out.index)
        out[f"direct_{name}_low"] = lo.reindex(out.index)
        out[f"direct_{name}_high"] = hi.reindex(out.index)
    return out.reset_index()
