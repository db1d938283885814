"""Measured targeting errors: from the survey, where welfare and receipt are both seen.

Every indicator is a ratio of survey-weighted totals, so each is computed from
nine sums per resampling unit (see :data:`SUMS`). That makes the cluster
bootstrap one matrix product per area: the replicate multiplicities of the
units times their sums.

Definitions (household level, each household weighted by its design weight;
"poor" = welfare strictly below the poverty line):

- inclusion error: share of beneficiaries who are not poor;
- exclusion error: share of the poor who are not beneficiaries;
- coverage of the poor (= 1 - exclusion error) and of the extreme poor;
- leakage: non-poor beneficiaries as a share of all households;
- undercoverage: poor non-beneficiaries as a share of all households;
- targeting differential (Ravallion 2009, "How relevant is targeting to the
  success of an antipoverty program?"): coverage of the poor minus the share of
  the non-poor who receive; 1 is perfect, 0 is no better than chance;
- CGH ratio (Coady, Grosh & Hoddinott 2004): the poor's share of beneficiaries
  divided by their share of households; 1 is neutral (random) targeting. With
  flags rather than amounts each beneficiary counts once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

#: The weighted sums every indicator is built from (w = weight, B = beneficiary,
#: P = poor, E = extreme poor, n = not). The "not" sums are kept as sums, not as
#: differences of two large totals, which would lose digits when a few households
#: carry most of the weight.
SUMS = ("w", "wB", "wP", "wE", "wBP", "wBE", "wBnP", "wPnB", "wnP")
INDICATORS = (
    "poverty_rate",
    "beneficiary_rate",
    "inclusion_error",
    "exclusion_error",
    "coverage",
    "coverage_extreme_poor",
    "leakage",
    "undercoverage",
    "targeting_differential",
    "cgh",
)
ALL_AREAS = "ALL"
#: An area whose estimate rests on fewer sampled households than this is shrunk
#: towards the regency value (the usual rule of thumb of 30 observations).
SHRINK_BELOW_HOUSEHOLDS = 30


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def indicators_from_sums(sums: np.ndarray) -> dict[str, np.ndarray]:
    """Every indicator from weighted sums; the last axis of ``sums`` follows :data:`SUMS`.

    Undefined ratios (no beneficiaries, no poor) are NaN.

    >>> s = np.array([10.0, 4.0, 5.0, 1.0, 3.0, 1.0, 1.0, 2.0, 5.0])  # as SUMS
    >>> {k: round(float(v), 3) for k, v in indicators_from_sums(s).items()}["inclusion_error"]
    0.25
    """
    w, wB, wP, wE, wBP, wBE, wBnP, wPnB, wnP = (sums[..., i] for i in range(len(SUMS)))
    return {
        "poverty_rate": _ratio(wP, w),
        "beneficiary_rate": _ratio(wB, w),
        "inclusion_error": _ratio(wBnP, wB),
        "exclusion_error": _ratio(wPnB, wP),
        "coverage": _ratio(wBP, wP),
        "coverage_extreme_poor": _ratio(wBE, wE),
        "leakage": _ratio(wBnP, w),
        "undercoverage": _ratio(wPnB, w),
        "targeting_differential": _ratio(wBP, wP) - _ratio(wBnP, wnP),
        "cgh": _ratio(_ratio(wBP, wB), _ratio(wP, w)),
    }


def household_sums(is_beneficiary, is_poor, is_extreme_poor, weight) -> np.ndarray:
    """Per-household contributions to :data:`SUMS` (n x 9)."""
    b = np.asarray(is_beneficiary, dtype=float)
    p = np.asarray(is_poor, dtype=float)
    e = np.asarray(is_extreme_poor, dtype=float)
    w = np.asarray(weight, dtype=float)
    return np.column_stack(
        [
            w,
            w * b,
            w * p,
            w * e,
            w * b * p,
            w * b * e,
            w * b * (1 - p),
            w * p * (1 - b),
            w * (1 - p),
        ]
    )


def targeting_indicators(is_beneficiary, is_poor, weight=None, is_extreme_poor=None) -> dict:
    """Point estimates for one group of households (plain arrays; hand-checkable).

    >>> targeting_indicators([1, 1, 0, 0], [1, 0, 1, 1])["exclusion_error"]
    0.6666666666666666
    """
    n = len(is_beneficiary)
    weight = np.ones(n) if weight is None else weight
    extreme = np.zeros(n) if is_extreme_poor is None else is_extreme_poor
    sums = household_sums(is_beneficiary, is_poor, extreme, weight).sum(axis=0)
    return {k: float(v) for k, v in indicators_from_sums(sums).items()}


# --------------------------------------------------------------------------------------
# Cluster bootstrap (Rao-Wu rescaling, areas as strata)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResamplingUnits:
    """Households grouped into the units the bootstrap resamples, nested in areas.

    A unit is a cluster (desa) within an area; in an area with a single sampled
    cluster the households themselves are the units, since between-cluster
    variation cannot be seen there (flagged in the results).
    """

    unit_of_household: np.ndarray  # unit index per household
    area_of_unit: np.ndarray  # area label per unit
    single_cluster_areas: frozenset


def resampling_units(area: np.ndarray, cluster: np.ndarray) -> ResamplingUnits:
    frame = pd.DataFrame({"area": area, "cluster": cluster})
    clusters_per_area = frame.groupby("area", sort=True)["cluster"].nunique()
    single = frozenset(clusters_per_area.index[clusters_per_area < 2])
    key = np.where(
        frame["area"].isin(single),
        "hh:" + frame.index.astype(str),
        "cl:" + frame["cluster"].astype(str),
    )
    units = pd.MultiIndex.from_arrays([frame["area"], key])
    codes, uniques = pd.factorize(units, sort=True)
    return ResamplingUnits(codes, np.asarray(uniques.get_level_values(0)), single)


def rao_wu_multiplicities(
    area_of_unit: np.ndarray, reps: int, rng: np.random.Generator
) -> np.ndarray:
    """Bootstrap weight multipliers (reps x units), Rao & Wu (1988) rescaling.

    Within each area with n units, n - 1 units are drawn with replacement and
    each draw is scaled by n / (n - 1), so the bootstrap variance of a total
    matches the with-replacement design variance. An area with one unit keeps
    multiplier 1 (it cannot be resampled).
    """
    mult = np.ones((reps, len(area_of_unit)))
    for area in np.unique(area_of_unit):
        idx = np.flatnonzero(area_of_unit == area)
        n = len(idx)
        if n < 2:
            continue
        draws = rng.multinomial(n - 1, np.full(n, 1.0 / n), size=reps)
        mult[:, idx] = draws * (n / (n - 1))
    return mult


# --------------------------------------------------------------------------------------
# Small-area shrinkage
# --------------------------------------------------------------------------------------


def between_area_variance(direct: np.ndarray, variance: np.ndarray) -> float:
    """Between-area variance of the Fay-Herriot model, by adjusted maximum likelihood.

    Li & Lahiri (2010) add ``log(s2)`` to the profile likelihood of
    ``direct_a ~ N(mu, s2 + v_a)`` so that the estimate is strictly positive: with
    two dozen areas and small samples the plain moment or ML estimate is often
    exactly 0, which would shrink every area onto the regency and claim an
    interval of zero width.
    """
    ok = np.isfinite(direct) & np.isfinite(variance) & (variance > 0)
    d, v = direct[ok], variance[ok]
    if len(d) < 2:
        return 0.0

    def negative_adjusted_loglik(log_s2: float) -> float:
        s2 = np.exp(log_s2)
        total = s2 + v
        mu = np.sum(d / total) / np.sum(1 / total)
        loglik = -0.5 * np.sum(np.log(total)) - 0.5 * np.sum((d - mu) ** 2 / total)
        return -(loglik + np.log(s2))

    scale = max(float(np.var(d)), float(np.mean(v)), 1e-6)
    result = optimize.minimize_scalar(
        negative_adjusted_loglik,
        method="bounded",
        bounds=(np.log(scale * 1e-6), np.log(scale * 100)),
    )
    return float(np.exp(result.x))


def shrink_towards(
    direct: np.ndarray, variance: np.ndarray, target: float, target_variance: float = 0.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """Empirical Bayes (Fay-Herriot) shrinkage of area estimates towards ``target``.

    Each area keeps the share ``gamma_a = s2 / (s2 + v_a)`` of its direct
    estimate, where ``s2`` is the between-area variance
    (:func:`between_area_variance`) and ``v_a`` the area's sampling variance.
    MSE: ``gamma v`` (area noise) plus ``(1 - gamma)^2 var(target)`` (the regency
    value is estimated too); the extra term for estimating ``s2`` is left out.

    Returns the shrunk estimates, their MSE and ``s2``.
    """
    direct = np.asarray(direct, dtype=float)
    variance = np.asarray(variance, dtype=float)
    between = between_area_variance(direct, variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(variance > 0, between / (between + variance), 1.0)
    shrunk = gamma * direct + (1 - gamma) * target
    mse = gamma * variance + (1 - gamma) ** 2 * target_variance
    return shrunk, mse, between


def binomial_variance_floor(variance, n, target: float) -> np.ndarray:
    """Floor a bootstrap variance at ``target (1 - target) / n``.

    An area whose few sampled households are all of one kind (three poor
    households, all covered) has bootstrap variance 0; that says nothing about
    precision, so its variance is taken as if its rate were the regency's.
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore"):
        floor = np.where(n > 0, target * (1 - target) / np.maximum(n, 1), np.nan)
    return np.fmax(np.asarray(variance, dtype=float), floor)


# --------------------------------------------------------------------------------------
# The table: one row per (programme, area) plus ALL
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetingDesign:
    """What the survey says about each household; arrays of equal length."""

    is_poor: np.ndarray
    is_extreme_poor: np.ndarray
    weight: np.ndarray
    area: np.ndarray
    cluster: np.ndarray


def measure_targeting(
    design: TargetingDesign,
    programs: dict[str, np.ndarray],
    *,
    ci: float = 0.95,
    reps: int = 500,
    min_households: int = SHRINK_BELOW_HOUSEHOLDS,
    seed: int = 0,
) -> pd.DataFrame:
    """Survey-weighted targeting errors per programme and area, with bootstrap intervals.

    Parameters
    ----------
    design
        Poverty status, weights, areas and clusters of the surveyed households.
    programs
        Programme name -> 0/1 receipt per household; add an ``any`` entry
        yourself if wanted (see :func:`with_any_programme`).
    ci
        Coverage of the percentile intervals.
    reps
        Bootstrap replicates (Rao-Wu cluster bootstrap, areas as strata).
    min_households
        An area whose estimate rests on fewer sampled beneficiaries (inclusion
        error) or poor households (exclusion error) than this is shrunk towards
        the regency value and flagged.
    seed
        Seed of the bootstrap; the same seed gives the same intervals.
    """
    from threadpoolctl import threadpool_limits

    units = resampling_units(design.area, design.cluster)
    rng = np.random.default_rng(seed)
    mult = rao_wu_multiplicities(units.area_of_unit, reps, rng)
    alpha = (1 - ci) / 2
    with threadpool_limits(limits=1):  # one BLAS thread: the same bits in any process
        rows = _measure(design, programs, units, mult, alpha)
    table = _apply_shrinkage(pd.DataFrame(rows), min_households, stats.norm.ppf(1 - alpha))
    return _finish(table)


def _measure(
    design: TargetingDesign,
    programs: dict[str, np.ndarray],
    units: ResamplingUnits,
    mult: np.ndarray,
    alpha: float,
) -> list[dict]:
    """One row per programme and area: point estimates and bootstrap percentiles."""
    rows = []
    for name, flags in programs.items():
        hh = household_sums(flags, design.is_poor, design.is_extreme_poor, design.weight)
        unit_sums = np.zeros((len(units.area_of_unit), len(SUMS)))
        np.add.at(unit_sums, units.unit_of_household, hh)
        counts = _sample_counts(flags, design)
        areas = sorted(set(units.area_of_unit))
        for area in [ALL_AREAS, *areas]:
            in_area = (
                np.ones(len(units.area_of_unit), bool)
                if area == ALL_AREAS
                else units.area_of_unit == area
            )
            direct = indicators_from_sums(unit_sums[in_area].sum(axis=0))
            boot = indicators_from_sums(mult[:, in_area] @ unit_sums[in_area])
            row = {"program": name, "area": area, **counts[area]}
            for key in INDICATORS:
                row[key] = float(direct[key])
            for key in ("inclusion_error", "exclusion_error", "coverage", "cgh"):
                low, high = _percentile_interval(boot[key], alpha)
                row[f"{key}_low"], row[f"{key}_high"] = low, high
                row[f"{key}_var"] = (
                    float(np.nanvar(boot[key])) if np.isfinite(boot[key]).sum() > 1 else np.nan
                )
            row["single_cluster"] = area in units.single_cluster_areas
            rows.append(row)
    return rows


def with_any_programme(programs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Add ``any``: receives at least one of the programmes."""
    stacked = np.column_stack([np.asarray(v, dtype=bool) for v in programs.values()])
    return {**programs, "any": stacked.any(axis=1)}


def _sample_counts(flags, design: TargetingDesign) -> dict[str, dict[str, int]]:
    frame = pd.DataFrame(
        {"area": design.area, "b": np.asarray(flags, bool), "p": np.asarray(design.is_poor, bool)}
    )
    per_area = frame.groupby("area").agg(
        households=("b", "size"), sampled_beneficiaries=("b", "sum"), sampled_poor=("p", "sum")
    )
    out = {a: {k: int(v) for k, v in r.items()} for a, r in per_area.iterrows()}
    out[ALL_AREAS] = {
        "households": len(frame),
        "sampled_beneficiaries": int(frame["b"].sum()),
        "sampled_poor": int(frame["p"].sum()),
    }
    return out


def _percentile_interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return np.nan, np.nan
    return float(np.quantile(finite, alpha)), float(np.quantile(finite, 1 - alpha))


def _apply_shrinkage(table: pd.DataFrame, min_households: int, z: float) -> pd.DataFrame:
    """Shrink small areas' inclusion and exclusion errors towards the regency (ALL) value."""
    table = table.copy()
    table["is_shrunk"] = False
    table["note"] = ""
    for _, rows in table.groupby("program"):
        regency = rows[rows["area"] == ALL_AREAS].iloc[0]
        areas = rows[rows["area"] != ALL_AREAS]
        for key, basis in (
            ("inclusion_error", "sampled_beneficiaries"),
            ("exclusion_error", "sampled_poor"),
        ):
            target = float(regency[key])
            variance = binomial_variance_floor(areas[f"{key}_var"], areas[basis], target)
            shrunk, mse, _ = shrink_towards(
                areas[key].to_numpy(), variance, target, float(regency[f"{key}_var"])
            )
            small = (areas[basis] < min_households).to_numpy() & np.isfinite(areas[key].to_numpy())
            idx = areas.index[small]
            table.loc[idx, key] = shrunk[small]
            half = z * np.sqrt(mse[small])
            table.loc[idx, f"{key}_low"] = np.clip(shrunk[small] - half, 0, 1)
            table.loc[idx, f"{key}_high"] = np.clip(shrunk[small] + half, 0, 1)
            table.loc[idx, "is_shrunk"] = True
            if key == "exclusion_error":  # keep coverage = 1 - exclusion error
                table.loc[idx, "coverage"] = 1 - shrunk[small]
                table.loc[idx, "coverage_low"] = 1 - table.loc[idx, "exclusion_error_high"]
                table.loc[idx, "coverage_high"] = 1 - table.loc[idx, "exclusion_error_low"]
            for i in idx:
                table.loc[i, "note"] = _join(
                    table.loc[i, "note"],
                    f"{key} shrunk towards the regency value ({int(table.loc[i, basis])} sampled)",
                )
    for i, row in table.iterrows():
        if row["sampled_beneficiaries"] == 0:
            table.loc[i, "note"] = _join(
                row["note"], "no sampled beneficiaries: inclusion error undefined"
            )
        if row["sampled_poor"] == 0:
            table.loc[i, "note"] = _join(
                table.loc[i, "note"],
                "no sampled poor households: exclusion error and coverage undefined",
            )
        if row["single_cluster"]:
            table.loc[i, "note"] = _join(
                table.loc[i, "note"],
                "one sampled village: interval ignores variation between villages",
            )
    return table


def _join(note: str, more: str) -> str:
    return f"{note}; {more}" if note else more


#: Columns of the stable ``targeting_by_area.csv`` contract, in order; extras follow.
CONTRACT_COLUMNS = (
    "program",
    "area",
    "households",
    "poverty_rate",
    "beneficiary_rate",
    "inclusion_error",
    "inclusion_error_low",
    "inclusion_error_high",
    "exclusion_error",
    "exclusion_error_low",
    "exclusion_error_high",
    "coverage",
    "cgh",
)


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    extras = [c for c in table.columns if c not in CONTRACT_COLUMNS and not c.endswith("_var")]
    return table.loc[:, [*CONTRACT_COLUMNS, *extras]].reset_index(drop=True)
