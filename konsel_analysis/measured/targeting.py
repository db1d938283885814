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
#: P = poor, E = extreme poor, n = not, m = persons in the household). The "not"
#: sums are kept as sums, not as differences of two large totals, which would lose
#: digits when a few households carry most of the weight.
SUMS = ("w", "wB", "wP", "wE", "wBP", "wBE", "wBnP", "wPnB", "wnP", "wm", "wmP")
INDICATORS = (
    "poverty_rate",
    "poverty_rate_households",
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
    """num / den, NaN where den is not positive (call within ``np.errstate``)."""
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


#: Each indicator as a function of the sums, by :data:`SUMS` index.
_INDICATOR_FORMULAS = {
    "poverty_rate": lambda s: _ratio(s[10], s[9]),
    "poverty_rate_households": lambda s: _ratio(s[2], s[0]),
    "beneficiary_rate": lambda s: _ratio(s[1], s[0]),
    "inclusion_error": lambda s: _ratio(s[6], s[1]),
    "exclusion_error": lambda s: _ratio(s[7], s[2]),
    "coverage": lambda s: _ratio(s[4], s[2]),
    "coverage_extreme_poor": lambda s: _ratio(s[5], s[3]),
    "leakage": lambda s: _ratio(s[6], s[0]),
    "undercoverage": lambda s: _ratio(s[7], s[0]),
    "targeting_differential": lambda s: _ratio(s[4], s[2]) - _ratio(s[6], s[8]),
    "cgh": lambda s: _ratio(_ratio(s[4], s[1]), _ratio(s[2], s[0])),
}


def indicators_from_sums(sums: np.ndarray, keys=None) -> dict[str, np.ndarray]:
    """Every indicator (or those in ``keys``) from weighted sums; the last axis of
    ``sums`` follows :data:`SUMS`.

    Undefined ratios (no beneficiaries, no poor) are NaN. ``poverty_rate`` is the
    share of persons (``wmP / wm``; of households when every household counts as
    one person), ``poverty_rate_households`` the share of households; every other
    indicator counts households, the unit a programme enrols. The bootstrap asks
    only for the indicators it gives intervals to (``keys``): each is computed
    alone, so the values do not depend on which others are asked for.

    >>> s = np.array([10.0, 4.0, 5.0, 1.0, 3.0, 1.0, 1.0, 2.0, 5.0, 40.0, 25.0])  # as SUMS
    >>> {k: round(float(v), 3) for k, v in indicators_from_sums(s).items()}["inclusion_error"]
    0.25
    >>> {k: float(v) for k, v in indicators_from_sums(s, keys=("coverage",)).items()}
    {'coverage': 0.6}
    """
    columns = [sums[..., i] for i in range(len(SUMS))]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {key: _INDICATOR_FORMULAS[key](columns) for key in (keys or INDICATORS)}


def household_sums(is_beneficiary, is_poor, is_extreme_poor, weight, persons=None) -> np.ndarray:
    """Per-household contributions to :data:`SUMS` (n x 11); ``persons`` 1 each when absent."""
    b = np.asarray(is_beneficiary, dtype=float)
    p = np.asarray(is_poor, dtype=float)
    e = np.asarray(is_extreme_poor, dtype=float)
    w = np.asarray(weight, dtype=float)
    m = np.ones(len(w)) if persons is None else np.asarray(persons, dtype=float)
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
            w * m,
            w * m * p,
        ]
    )


def targeting_indicators(
    is_beneficiary, is_poor, weight=None, is_extreme_poor=None, persons=None
) -> dict:
    """Point estimates for one group of households (plain arrays; hand-checkable).

    >>> targeting_indicators([1, 1, 0, 0], [1, 0, 1, 1])["exclusion_error"]
    0.6666666666666666
    >>> targeting_indicators([1, 1, 0, 0], [1, 0, 1, 1], persons=[5, 2, 1, 2])["poverty_rate"]
    0.8
    """
    n = len(is_beneficiary)
    weight = np.ones(n) if weight is None else weight
    extreme = np.zeros(n) if is_extreme_poor is None else is_extreme_poor
    sums = household_sums(is_beneficiary, is_poor, extreme, weight, persons).sum(axis=0)
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


def collapse_lonely_strata(psus_per_stratum: dict) -> dict:
    """The stratum group each stratum is resampled in: strata with one PSU are collapsed.

    A stratum with a single sampled PSU (cluster) has no within-stratum variance
    to resample. As survey packages do (the collapsed-strata estimator, Wolter
    2007, "Introduction to Variance Estimation", sec. 2.5; R survey's
    ``lonely.psu``), such a stratum is pooled with its neighbour: strata are taken
    in sorted order and a lonely stratum joins the group before it (the first
    stratum joins the group after it). Conservative: the pooled variance also
    counts the difference between the strata's means. A design whose strata hold
    one PSU in all cannot be resampled (its one group keeps one unit).

    >>> collapse_lonely_strata({"a": 3, "b": 1, "c": 2})
    {'a': 'a', 'b': 'a', 'c': 'c'}
    >>> collapse_lonely_strata({"a": 1, "b": 1, "c": 2})
    {'a': 'a', 'b': 'a', 'c': 'c'}
    >>> collapse_lonely_strata({"a": 1, "b": 4})
    {'a': 'a', 'b': 'a'}
    """
    groups: list[list] = []
    sizes: list[int] = []
    for stratum, n in sorted(psus_per_stratum.items(), key=lambda kv: str(kv[0])):
        if n >= 2 or not groups:
            groups.append([stratum])
            sizes.append(int(n))
        else:
            groups[-1].append(stratum)
            sizes[-1] += int(n)
    if len(groups) > 1 and sizes[0] < 2:
        groups[1] = groups[0] + groups[1]
        del groups[0]
    return {stratum: group[0] for group in groups for stratum in group}


@dataclass(frozen=True)
class BootstrapDesign:
    """The units the cluster bootstrap resamples and the strata it resamples them in.

    Without strata (the default), the area is the stratum and its clusters the
    units (:func:`resampling_units`). With strata, units are the clusters within
    each stratum, lonely strata collapsed (:func:`collapse_lonely_strata`), and
    an area is a domain: its estimate sums over whichever units it has households in.
    """

    unit_of_household: np.ndarray
    stratum_of_unit: np.ndarray
    single_cluster_areas: frozenset = frozenset()
    collapsed: tuple = ()  # (lonely stratum, the strata it is resampled with)

    @property
    def resampled(self) -> np.ndarray:
        """Per unit: whether its stratum group has two units or more (so it varies)."""
        labels, codes = np.unique(self.stratum_of_unit.astype(str), return_inverse=True)
        return np.bincount(codes, minlength=len(labels))[codes] >= 2


def bootstrap_design(area, cluster, strata=None) -> BootstrapDesign:
    """Resampling units and strata of a survey (see :class:`BootstrapDesign`)."""
    if strata is None:
        units = resampling_units(np.asarray(area), np.asarray(cluster))
        return BootstrapDesign(
            units.unit_of_household, units.area_of_unit, units.single_cluster_areas
        )
    frame = pd.DataFrame(
        {"stratum": np.asarray(strata).astype(str), "cluster": np.asarray(cluster)}
    )
    psus = frame.groupby("stratum", sort=True)["cluster"].nunique()
    group = collapse_lonely_strata(psus.to_dict())
    codes, uniques = pd.factorize(
        pd.MultiIndex.from_arrays([frame["stratum"], frame["cluster"].astype(str)]), sort=True
    )
    stratum_of_unit = np.array([group[s] for s in uniques.get_level_values(0)], dtype=object)
    collapsed = tuple(
        (s, tuple(o for o, g in group.items() if g == group[s] and o != s))
        for s in psus.index
        if psus[s] < 2
    )
    return BootstrapDesign(codes, stratum_of_unit, frozenset(), collapsed)


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
    """What the survey says about each household; arrays of equal length.

    ``strata`` (None: the area is the stratum) and ``persons`` (household size;
    None: the poverty rate counts households) come from the dataset config's
    ``strata`` and ``persons`` keys.
    """

    is_poor: np.ndarray
    is_extreme_poor: np.ndarray
    weight: np.ndarray
    area: np.ndarray
    cluster: np.ndarray
    strata: np.ndarray | None = None
    persons: np.ndarray | None = None


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
        Poverty status, weights, areas, clusters (and optionally strata and
        household sizes) of the surveyed households.
    programs
        Programme name -> 0/1 receipt per household; add an ``any`` entry
        yourself if wanted (see :func:`with_any_programme`).
    ci
        Coverage of the percentile intervals.
    reps
        Bootstrap replicates (Rao-Wu cluster bootstrap within strata; the areas
        are the strata when the design names none).
    min_households
        An area whose estimate rests on fewer sampled beneficiaries (inclusion
        error) or poor households (exclusion error) than this is shrunk towards
        the regency value and flagged; the direct estimate stays in the
        ``*_direct`` columns.
    seed
        Seed of the bootstrap; the same seed gives the same intervals.
    """
    from threadpoolctl import threadpool_limits

    boot = bootstrap_design(design.area, design.cluster, design.strata)
    rng = np.random.default_rng(seed)
    mult = rao_wu_multiplicities(boot.stratum_of_unit, reps, rng)
    alpha = (1 - ci) / 2
    with threadpool_limits(limits=1):  # one BLAS thread: the same bits in any process
        rows = _measure(design, programs, boot, mult, alpha)
    table = _apply_shrinkage(pd.DataFrame(rows), min_households, stats.norm.ppf(1 - alpha))
    table = _flag_small_samples(table, min_households)
    table = _explain_design(table, boot)
    return _finish(table)


#: Indicators given a bootstrap interval.
INTERVALS = ("inclusion_error", "exclusion_error", "coverage", "cgh")


def _measure(
    design: TargetingDesign,
    programs: dict[str, np.ndarray],
    boot: BootstrapDesign,
    mult: np.ndarray,
    alpha: float,
) -> list[dict]:
    """One row per programme and area: point estimates and bootstrap percentiles.

    Sums are kept per (unit, area) cell, so that a unit spanning several areas
    (strata that cut across areas) adds to each the part it holds.
    """
    area = np.asarray(design.area)
    cell_of_household, cells = pd.factorize(
        pd.MultiIndex.from_arrays([boot.unit_of_household, area]), sort=True
    )
    cell_unit = np.asarray(cells.get_level_values(0))
    cell_area = np.asarray(cells.get_level_values(1))
    cell_varies = boot.resampled[cell_unit]
    areas = sorted(set(cell_area))
    rows = []
    for name, flags in programs.items():
        hh = household_sums(
            flags, design.is_poor, design.is_extreme_poor, design.weight, design.persons
        )
        cell_sums = np.zeros((len(cells), len(SUMS)))
        np.add.at(cell_sums, cell_of_household, hh)
        counts = _sample_counts(flags, design)
        for label in [ALL_AREAS, *areas]:
            in_area = np.ones(len(cells), bool) if label == ALL_AREAS else cell_area == label
            direct = indicators_from_sums(cell_sums[in_area].sum(axis=0))
            resampled = len(np.unique(cell_unit[in_area & cell_varies]))
            row = {"program": name, "area": label, **counts[label]}
            row.update({key: float(direct[key]) for key in INDICATORS})
            row["resampled_units"] = resampled
            replicates = (
                indicators_from_sums(mult[:, cell_unit[in_area]] @ cell_sums[in_area], INTERVALS)
                if resampled >= 2
                else {key: np.full(1, np.nan) for key in INTERVALS}
            )
            for key in INTERVALS:
                values = replicates[key]
                row[f"{key}_low"], row[f"{key}_high"] = _percentile_interval(values, alpha)
                row[f"{key}_var"] = (
                    float(np.nanvar(values)) if np.isfinite(values).sum() > 1 else np.nan
                )
            row["single_cluster"] = label in boot.single_cluster_areas
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
    low, high = np.quantile(finite, [alpha, 1 - alpha])  # each as np.quantile(finite, q)
    return float(low), float(high)


def _apply_shrinkage(table: pd.DataFrame, min_households: int, z: float) -> pd.DataFrame:
    """Shrink small areas' inclusion and exclusion errors towards the regency (ALL) value.

    The survey-weighted (direct) estimate and its bootstrap interval stay, for every
    row whatever its sample, in ``<key>_direct``, ``_direct_low``, ``_direct_high``;
    ``<key>_direct_weight`` is the share of the direct value in ``<key>`` (1 where
    not shrunk, ``gamma`` of :func:`shrink_towards` where shrunk).
    """
    table = table.copy()
    table["is_shrunk"] = False
    table["note"] = ""
    for key in ("inclusion_error", "exclusion_error"):
        for suffix in ("", "_low", "_high"):
            table[f"{key}_direct{suffix}"] = table[f"{key}{suffix}"]
        table[f"{key}_direct_weight"] = np.where(table[key].notna(), 1.0, np.nan)
    for key in ("inclusion_error", "exclusion_error", "coverage", "cgh"):
        _drop_degenerate(table, key)
    for key in ("inclusion_error", "exclusion_error"):
        _drop_degenerate(table, f"{key}_direct")
    for _, rows in table.groupby("program"):
        regency = rows[rows["area"] == ALL_AREAS].iloc[0]
        areas = rows[rows["area"] != ALL_AREAS]
        for key, basis in (
            ("inclusion_error", "sampled_beneficiaries"),
            ("exclusion_error", "sampled_poor"),
        ):
            _shrink_key(table, areas, regency, key, basis, min_households, z)
    # Each row's reasons in this order (rows apart, one column write per reason).
    _add_notes(
        table,
        (table["sampled_beneficiaries"] == 0).to_numpy(bool),
        "no sampled beneficiaries: inclusion error undefined",
    )
    _add_notes(
        table,
        (table["sampled_poor"] == 0).to_numpy(bool),
        "no sampled poor households: exclusion error and coverage undefined",
    )
    _add_notes(
        table,
        table["single_cluster"].to_numpy(bool),
        "one sampled village: interval ignores variation between villages",
    )
    few = (table["resampled_units"] < 2).to_numpy(bool)
    _add_notes(
        table,
        few,
        [
            f"{int(n)} resampled cluster(s): too few clusters to bootstrap, so no interval"
            for n in table["resampled_units"].to_numpy()[few]
        ],
    )
    return table


def _add_notes(table: pd.DataFrame, rows: np.ndarray, reasons) -> None:
    """Add a reason (one text, or one per selected row) to the notes of ``rows`` (a
    boolean mask), in place: one write of the column, not one per row."""
    if not rows.any():
        return
    reasons = [reasons] * int(rows.sum()) if isinstance(reasons, str) else list(reasons)
    where = table.index[rows]
    notes = table.loc[where, "note"].tolist()
    table.loc[where, "note"] = [_join(n, r) for n, r in zip(notes, reasons, strict=True)]


def _shrink_key(table, areas, regency, key, basis, min_households, z) -> None:
    """Shrink one indicator of one programme's small areas, in place (see above)."""
    if areas.empty:
        return
    target = float(regency[key])
    variance = binomial_variance_floor(areas[f"{key}_var"], areas[basis], target)
    direct = areas[key].to_numpy(dtype=float)
    shrunk, mse, between = shrink_towards(direct, variance, target, float(regency[f"{key}_var"]))
    small = (areas[basis] < min_households).to_numpy() & np.isfinite(direct)
    if not np.isfinite(target) or not small.any():
        return
    idx = areas.index[small]
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(variance > 0, between / (between + variance), 1.0)
    table.loc[idx, key] = shrunk[small]
    table.loc[idx, f"{key}_direct_weight"] = np.asarray(gamma, dtype=float)[small]
    # An area the bootstrap cannot resample has no sampling variance of its own (the
    # binomial floor ignores its clustering): its shrunk value gets no interval either.
    half = np.where(
        areas["resampled_units"].to_numpy()[small] >= 2, z * np.sqrt(mse[small]), np.nan
    )
    table.loc[idx, f"{key}_low"] = np.clip(shrunk[small] - half, 0, 1)
    table.loc[idx, f"{key}_high"] = np.clip(shrunk[small] + half, 0, 1)
    table.loc[idx, "is_shrunk"] = True
    if key == "exclusion_error":  # keep coverage = 1 - exclusion error
        table.loc[idx, "coverage"] = 1 - shrunk[small]
        table.loc[idx, "coverage_low"] = 1 - table.loc[idx, "exclusion_error_high"]
        table.loc[idx, "coverage_high"] = 1 - table.loc[idx, "exclusion_error_low"]
    shrunk_rows = table.index.isin(idx)
    _add_notes(
        table,
        shrunk_rows,
        [
            f"{key} shrunk towards the regency value ({int(n)} sampled; "
            f"direct value in {key}_direct)"
            for n in table.loc[shrunk_rows, basis]
        ],
    )


def _drop_degenerate(table: pd.DataFrame, key: str) -> None:
    """Empty an interval of zero width that excludes its estimate, and say why (in place).

    Percentiles of replicates that all take one value, another than the estimate
    (a domain whose few units are rarely drawn), claim a precision the bootstrap
    did not find.
    """
    low, high, value = table[f"{key}_low"], table[f"{key}_high"], table[key]
    bad = (high - low).abs().le(1e-12) & ~((value - low).abs().le(1e-12))
    bad &= low.notna() & value.notna()
    if bad.any():
        table.loc[bad, [f"{key}_low", f"{key}_high"]] = np.nan
        _add_notes(
            table,
            bad.to_numpy(bool),
            f"{key} interval left empty: every bootstrap replicate gave one value, "
            "not the estimate",
        )


#: Indicators not shrunk, so read with care where few households are behind them.
UNSHRUNK_INDICATORS = ("leakage", "undercoverage", "cgh", "targeting_differential")


def _flag_small_samples(table: pd.DataFrame, min_households: int) -> pd.DataFrame:
    """``small_sample``: leakage, undercoverage, CGH and the targeting differential (direct
    estimates, never shrunk) rest on fewer than ``min_households`` sampled households,
    beneficiaries or poor households."""
    table = table.copy()
    basis = table[["households", "sampled_beneficiaries", "sampled_poor"]].min(axis=1)
    table["small_sample"] = basis < min_households
    small = table["small_sample"].to_numpy(bool)
    _add_notes(
        table,
        small,
        [
            f"small sample ({int(b)} beneficiaries, {int(p)} poor sampled): "
            f"{', '.join(UNSHRUNK_INDICATORS)} are direct estimates, read with care"
            for b, p in zip(
                table["sampled_beneficiaries"].to_numpy()[small],
                table["sampled_poor"].to_numpy()[small],
                strict=True,
            )
        ],
    )
    return table


def _explain_design(table: pd.DataFrame, boot: BootstrapDesign) -> pd.DataFrame:
    """Say on the regency rows which lonely strata were resampled with a neighbour."""
    if not boot.collapsed:
        return table
    said = "; ".join(
        f"stratum {s} has one PSU: resampled with "
        + (", ".join(map(str, others)) if others else "nothing (too few clusters)")
        for s, others in boot.collapsed
    )
    table = table.copy()
    _add_notes(table, (table["area"] == ALL_AREAS).to_numpy(bool), said)
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
    "inclusion_error_direct",
    "inclusion_error_direct_low",
    "inclusion_error_direct_high",
    "exclusion_error_direct",
    "exclusion_error_direct_low",
    "exclusion_error_direct_high",
    "inclusion_error_direct_weight",
    "exclusion_error_direct_weight",
)


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    extras = [c for c in table.columns if c not in CONTRACT_COLUMNS and not c.endswith("_var")]
    return table.loc[:, [*CONTRACT_COLUMNS, *extras]].reset_index(drop=True)
