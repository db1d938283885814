"""The visit plan of a round: priority visits plus an audit share drawn at random.

Priority visits (the highest expected value of a visit, :mod:`~konsel_analysis.
targeting.verification`) find errors but say nothing about the households left
out: they were chosen because the model expected errors there. An audit share of
the budget therefore goes to households drawn at random from the rest of the
candidate pool, by stratified simple random sampling without replacement:

- strata are kecamatan x receipt (beneficiary or not) x band of predicted error
  (:data:`BAND_EDGES`); when the audit is too small for two draws in every such
  stratum, bands are dropped, then kecamatan (bands regency-wide), then both;
- every non-empty stratum gets ``min(2, N_h)`` draws (two, so that a variance can be
  estimated within it), the rest in proportion to ``N_h sqrt(p_h (1 - p_h))`` with
  ``p_h`` the stratum's mean predicted error (Neyman allocation with the model's
  predicted spread), largest remainders first, never more than ``N_h``;
- each audit household's inclusion probability is ``n_h / N_h``; a priority visit's
  is 1.

The field lists show audit and priority visits alike: within each kecamatan the
audit visits are put at random places among the priority visits (``visit_rank``),
so that a team that does not finish its list leaves out both kinds alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError
from konsel_analysis.targeting.verification import allocate_visits

#: Bands of predicted P(error) the audit is stratified by, and the calibration table's.
BAND_EDGES = (0.0, 0.1, 0.3, 1.0)
#: Draws at least per audit stratum: two, for a within-stratum variance.
MIN_PER_STRATUM = 2
#: The plan's columns (``konsel score`` and ``konsel verification import`` write them).
PLAN_COLUMNS = [
    "household_id",
    "area",
    "visit_rank",
    "is_audit",
    "inclusion_probability",
    "p_error",
    "stratum",
]


def error_band(p_error) -> np.ndarray:
    """Index of each probability's band in :data:`BAND_EDGES` (0 = lowest).

    >>> error_band([0.0, 0.1, 0.29, 0.3, 1.0]).tolist()
    [0, 1, 1, 2, 2]
    """
    inner = np.asarray(BAND_EDGES[1:-1])
    return np.searchsorted(inner, np.asarray(p_error, float), side="right")


def band_label(band: int) -> str:
    """``"10-30%"`` for band 1."""
    lo, hi = BAND_EDGES[band], BAND_EDGES[band + 1]
    return f"{100 * lo:.0f}-{100 * hi:.0f}%"


def audit_strata(area, is_beneficiary, p_error, n_audit: int) -> np.ndarray:
    """Stratum label of each candidate: the finest level with two draws per stratum.

    Levels: kecamatan x receipt x band, kecamatan x receipt, receipt x band (regency),
    receipt. Receipt (``B`` beneficiary, ``N`` not) keeps the two kinds of error apart:
    an inclusion error can only be found among beneficiaries.
    """
    area = np.asarray(area).astype(str)
    status = np.where(np.asarray(is_beneficiary, bool), "B", "N")
    band = np.char.add("b", error_band(p_error).astype(str))
    join = lambda *parts: np.array(["|".join(p) for p in zip(*parts, strict=True)])  # noqa: E731
    # Each level's labels are made only when the finer ones have too few draws.
    levels = [
        lambda: join(area, status, band),
        lambda: join(area, status),
        lambda: join(status, band),
    ]
    for level in levels:
        labels = level()
        if MIN_PER_STRATUM * len(np.unique(labels)) <= n_audit:
            return labels
    return status


def allocate_audit(sizes: np.ndarray, spread: np.ndarray, n: int) -> np.ndarray:
    """Draws per stratum: ``min(2, N_h)`` each, the rest by ``N_h * spread_h``, capped at N_h.

    >>> allocate_audit(np.array([10, 30, 1]), np.array([0.5, 0.5, 0.5]), 9).tolist()
    [3, 5, 1]
    """
    sizes = np.asarray(sizes, np.int64)
    n = min(int(n), int(sizes.sum()))
    take = np.minimum(MIN_PER_STRATUM, sizes)
    if take.sum() > n:  # fewer draws than strata x 2: one each, largest first
        take = np.zeros_like(sizes)
        take[np.argsort(-sizes, kind="stable")[:n]] = 1
        return take
    weight = sizes * np.maximum(np.asarray(spread, float), 1e-6)
    while take.sum() < n:
        room = sizes - take
        w = np.where(room > 0, weight, 0.0)
        ideal = (n - take.sum()) * w / w.sum()
        add = np.minimum(np.floor(ideal).astype(np.int64), room)
        left = n - take.sum() - add.sum()
        if left > 0:  # largest remainders, among strata with room
            frac = np.where(room - add > 0, ideal - np.floor(ideal), -1.0)
            for j in np.argsort(-frac, kind="stable")[:left]:
                if frac[j] >= 0:
                    add[j] += 1
        take += add
    return take


def draw_audit(frame: pd.DataFrame, n_audit: int, rng: np.random.Generator) -> pd.DataFrame:
    """Stratified random draw of ``n_audit`` rows of ``frame`` (area, is_beneficiary, p_error).

    Returns the drawn rows with ``stratum`` and ``inclusion_probability``.
    """
    if n_audit <= 0 or frame.empty:
        return frame.iloc[:0].assign(stratum=pd.Series(dtype=str), inclusion_probability=1.0)
    strata = audit_strata(frame["area"], frame["is_beneficiary"], frame["p_error"], n_audit)
    labels, idx = np.unique(strata, return_inverse=True)
    sizes = np.bincount(idx)
    p_mean = np.bincount(idx, weights=frame["p_error"].to_numpy(float)) / sizes
    take = allocate_audit(sizes, np.sqrt(p_mean * (1 - p_mean)), n_audit)
    chosen = []
    for h in range(len(labels)):
        members = np.flatnonzero(idx == h)
        if take[h]:
            chosen.append(np.sort(rng.choice(members, size=take[h], replace=False)))
    rows = np.concatenate(chosen) if chosen else np.zeros(0, np.int64)
    drawn = frame.iloc[rows].copy()
    drawn["stratum"] = labels[idx[rows]]
    drawn["inclusion_probability"] = take[idx[rows]] / sizes[idx[rows]]
    return drawn


def plan_round(
    candidates: pd.DataFrame,
    budget: int,
    minimum_per_area: int,
    audit_share: float,
    seed: int = 0,
) -> pd.DataFrame:
    """The plan of a round over ``candidates`` (household_id, area, is_beneficiary,
    priority, p_error).

    ``round(audit_share * budget)`` visits are audits, the rest priority visits
    (:func:`~konsel_analysis.targeting.verification.allocate_visits`). Returns the
    plan in :data:`PLAN_COLUMNS`, sorted by area and visit rank.

    Examples
    --------
    >>> c = pd.DataFrame({"household_id": list("abcdef"), "area": ["A"] * 6, "is_beneficiary": 0,
    ...                   "priority": [6, 5, 4, 3, 2, 1], "p_error": [.6, .5, .4, .05, .04, .03]})
    >>> p = plan_round(c, budget=4, minimum_per_area=0, audit_share=0.5)
    >>> sorted(p.loc[~p.is_audit, "household_id"]), int(p["is_audit"].sum())
    (['a', 'b'], 2)
    """
    budget = min(int(budget), len(candidates))
    audit_share, n_audit = audit_visits(budget, audit_share)
    area = candidates["area"].astype(str).to_numpy()
    allocation = allocate_visits(
        area,
        candidates["priority"].to_numpy(float),
        candidates["p_error"].to_numpy(float),
        budget - n_audit,
        minimum_per_area,
    )
    rng = np.random.default_rng([seed, 16])  # 16: this module's stream
    priority = candidates[allocation.is_visited].copy()
    priority["stratum"] = "priority"
    priority["inclusion_probability"] = 1.0
    audit = draw_audit(candidates[~allocation.is_visited], n_audit, rng)
    priority["is_audit"], audit["is_audit"] = False, True
    plan = pd.concat([priority, audit])
    plan["area"] = plan["area"].astype(str)
    return rank_visits(plan, rng)


def audit_visits(budget: int, audit_share: float | None) -> tuple[float, int]:
    """The audit share (as given, else parameters.yml) and the audit visits of a budget.

    Raises :class:`UserError` for a share outside ``[0, 1)``.
    """
    if audit_share is None:
        from konsel_analysis.parameters import load_parameters

        audit_share = float(load_parameters().value("verification.audit_share"))
    if not 0 <= audit_share < 1:
        raise UserError(f"--audit-share {audit_share}: give a share from 0 to below 1, e.g. 0.10")
    return audit_share, int(round(audit_share * budget))


def planned_scores(scores: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """The scores with ``is_visited`` and ``rank_in_area`` of the plan (for the field lists)."""
    rank = plan.set_index("household_id")["visit_rank"]
    ids = scores["household_id"]
    out = scores.copy()
    out["is_visited"] = ids.isin(rank.index).to_numpy()
    out["rank_in_area"] = ids.map(rank).fillna(0).astype(np.int64).to_numpy()
    return out


def rank_visits(plan: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """``visit_rank`` within each area: priority visits by priority, audits at random places."""
    key = np.empty(len(plan))
    audit = plan["is_audit"].to_numpy(bool)
    order = np.lexsort((np.arange(len(plan)), -plan["priority"].to_numpy(float)))
    position = np.empty(len(plan))
    position[order] = np.arange(len(plan))
    # Priority visits keep their order; each audit gets a uniform place among them.
    prio_rank = pd.Series(np.where(audit, np.nan, position)).groupby(plan["area"].to_numpy()).rank()
    n_prio = (~pd.Series(audit)).groupby(plan["area"].to_numpy()).transform("sum").to_numpy()
    key[~audit] = prio_rank.to_numpy()[~audit]
    key[audit] = rng.uniform(0, n_prio[audit] + 1)
    frame = plan.assign(_key=key).sort_values(["area", "_key"], kind="stable")
    frame["visit_rank"] = frame.groupby("area").cumcount() + 1
    frame["p_error"] = frame["p_error"].astype(float)
    return frame[PLAN_COLUMNS].reset_index(drop=True)
