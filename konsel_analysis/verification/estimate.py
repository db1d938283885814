"""What a round measured, independent of the model: design-based error totals.

A household's verified error (``y``) is 1 when a beneficiary was found not
eligible (inclusion error) or a non-beneficiary found poor (exclusion error).
Every household of the register was in exactly one stratum of the round's
design: a priority visit (inclusion probability 1) or a stratum the audit drew
from (probability ``n_h / N_h``), so the plan alone tells the design.

**Non-contact** (moved, not found, refused, deceased, or a visit not done or not
returned) is treated as missing at random within response classes: the priority
visits of an area and band of predicted error, and each audit stratum. Within a
class ``c`` with ``N_c`` households (the planned visits for priority classes,
``n_h / pi_h`` for an audit stratum) and ``r_c`` households met, the met
households are a simple random sample of the class, so the class total of ``y``
over a domain (an area, or the regency) is estimated by reweighting the met
households, ``N_c * mean(z)``, with ``z = y * [in domain]``, and variance
``N_c^2 (1 - r_c / N_c) s_z^2 / r_c`` (Sarndal, Swensson & Wretman 1992, sec. 15.6:
response homogeneity groups). A priority class whose visits were all met is
known exactly (variance 0).

``s_z^2`` is computed as ``r/(r-1) p(1-p)`` with ``p = (sum z + 1/2) / (r + 1)``:
a stratum whose few met households show no error still has a variance (an
exact zero would give a zero-width interval; the half-count is the Jeffreys
prior's). A class with fewer than two met households borrows from its pool
(source, receipt and band, regency-wide): its unmet households are predicted at the pool's
error rate, with the prediction variance ``M^2 s^2 / R + M p (1 - p)`` (``M`` such
households, ``R`` met in the pool), added per pool so that the shared rate's
error is not averaged away. An area where no visit was done gets no estimate of
its own (it would be the pool's guess), nor do areas when the audit strata span
kecamatan (an audit too small for two draws per kecamatan and receipt); the
regency total still covers them.

Intervals are normal, ``T +/- z_{0.95} sqrt(V)``, never below the errors the round
found in the domain (a known part of the total).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from konsel_analysis.targeting.visit_plan import error_band
from konsel_analysis.verification.outcomes import CONTACTED, is_poor_outcome

#: Predicted-probability bands of the calibration table.
CALIBRATION_EDGES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


def visit_table(
    plan: pd.DataFrame, visits: pd.DataFrame, is_beneficiary: pd.Series
) -> pd.DataFrame:
    """The plan with each visit's outcome, error flags and response class.

    ``visits``: accepted visits (household_id, outcome); ``is_beneficiary`` indexed by
    household_id. Adds ``outcome`` (empty when not done), ``done``, ``met``,
    ``y_inclusion``, ``y_exclusion``, ``response_class`` and ``pool``.
    """
    table = plan.copy()
    table["household_id"] = table["household_id"].astype(str)
    table["area"] = table["area"].astype(str)
    found = visits.drop_duplicates("household_id").set_index("household_id")["outcome"]
    table["outcome"] = table["household_id"].map(found).fillna("")
    table["done"] = table["outcome"] != ""
    table["met"] = table["outcome"].isin(CONTACTED)
    benef = is_beneficiary.reindex(table["household_id"]).fillna(False).to_numpy(bool)
    table["is_beneficiary"] = benef
    poor = table["outcome"].map(is_poor_outcome).to_numpy(bool)
    table["y_inclusion"] = (table["met"] & benef & ~poor).astype(float)
    table["y_exclusion"] = (table["met"] & ~benef & poor).astype(float)
    audit = table["is_audit"].astype(bool).to_numpy()
    band = error_band(table["p_error"]).astype(str)
    if "stratum" in table and (table.loc[audit, "stratum"].astype(str) != "").all():
        audit_class = "A|" + table["stratum"].astype(str)
    else:  # a plan without strata: audit households of an area with the same probability
        audit_class = (
            "A|" + table["area"] + "|pi=" + table["inclusion_probability"].round(9).astype(str)
        )
    priority_class = "P|" + table["area"] + "|" + np.where(benef, "B", "N") + "|b" + band
    table["response_class"] = np.where(audit, audit_class, priority_class)
    status = np.where(benef, "B", "N")
    table["pool"] = np.char.add(np.char.add(np.where(audit, "A|", "P|"), status), "|b" + band)
    return table


def _adjusted_variance(total: np.ndarray, r: np.ndarray, at_risk=None) -> np.ndarray:
    """``r/(r-1) p(1-p)`` with ``p = (total + 1/2) / (r + 1)``, for ``r >= 2``.

    Where ``at_risk`` is 0 (no met household could have the error, e.g. no
    beneficiary for an inclusion error) the half-count is left out.
    """
    half = 0.5 if at_risk is None else np.where(np.asarray(at_risk) > 0, 0.5, 0.0)
    p = (total + half) / (r + 2 * half)
    return r / np.maximum(r - 1, 1) * p * (1 - p)


def domain_total(table: pd.DataFrame, y: str, in_domain: np.ndarray) -> tuple[float, float]:
    """Estimated total of ``y`` over the domain's households, and its variance."""
    at_risk = table["is_beneficiary"] if y == "y_inclusion" else ~table["is_beneficiary"]
    t = table.assign(
        z=np.where(in_domain, table[y], 0.0),
        at_risk=(at_risk & in_domain).astype(float),
        inside=in_domain,
        weight=1.0 / table["inclusion_probability"].astype(float),
    )
    classes = t.groupby("response_class", sort=True).agg(
        pool=("pool", "first"),
        N=("weight", "sum"),
        planned=("weight", "size"),
        planned_inside=("inside", "sum"),
    )
    met = (
        t[t["met"]]
        .groupby("response_class")
        .agg(r=("z", "size"), z=("z", "sum"), at_risk=("at_risk", "sum"))
    )
    classes = classes.join(met).fillna({"r": 0, "z": 0.0, "at_risk": 0.0})
    # Households of the class in the domain: all of it when its plan rows all are.
    share = classes["planned_inside"] / classes["planned"]
    classes = classes[share > 0]
    share = share[share > 0]
    N, r, z = classes["N"].to_numpy(), classes["r"].to_numpy(), classes["z"].to_numpy()
    own = r >= 2
    total = float((N[own] * z[own] / r[own]).sum())
    s2 = _adjusted_variance(z[own], r[own], classes["at_risk"].to_numpy()[own])
    variance = float((N[own] ** 2 * (1 - r[own] / N[own]) * s2 / r[own]).sum())
    # Classes met fewer than twice: what was met counts, the rest is predicted per pool.
    thin = classes[~own]
    if len(thin):
        total += float(thin["z"].sum())
        unmet = (share[~own] * thin["N"] - thin["r"]).clip(lower=0)
        met_all = t[t["met"]]
        for pool, m in unmet.groupby(thin["pool"]).sum().items():
            members = met_all[met_all["pool"] == pool]
            if members.empty:  # the source and receipt's other bands, then anything met
                members = met_all[met_all["pool"].str[:3] == pool[:3]]
            if members.empty:
                members = met_all
            if members.empty:
                return np.nan, np.nan
            rate = float(members[y].mean())
            n_pool = len(members)
            s2_pool = _adjusted_variance(np.array([members[y].sum()]), np.array([n_pool]))[0]
            total += m * rate
            variance += m**2 * s2_pool / n_pool + m * rate * (1 - rate)
    return total, variance


def estimate_by_area(table: pd.DataFrame, ci: float = 0.90) -> pd.DataFrame:
    """Per area and ``ALL``: visits, errors found and design-based error totals with intervals."""
    areas = sorted(table["area"].unique())
    z = norm.ppf(0.5 + ci / 2)
    # Audit strata across kecamatan (an audit too small for two draws per kecamatan and
    # receipt) support no kecamatan estimate: a kecamatan's few draws, or none, would
    # be its estimate, with a variance that cannot see what was not drawn.
    by_kecamatan = bool((table.groupby("response_class")["area"].nunique() == 1).all())
    rows = []
    for area in [*areas, "ALL"]:
        inside = np.ones(len(table), bool) if area == "ALL" else (table["area"] == area).to_numpy()
        part = table[inside]
        row = {
            "area": area,
            "planned_visits": int(len(part)),
            "visits_done": int(part["done"].sum()),
            "audit_visits_done": int((part["done"] & part["is_audit"].astype(bool)).sum()),
            "found_inclusion_errors": int(part["y_inclusion"].sum()),
            "found_exclusion_errors": int(part["y_exclusion"].sum()),
        }
        for kind in ("inclusion", "exclusion"):
            name = f"estimated_{kind}_errors"
            if area != "ALL" and (row["visits_done"] == 0 or not by_kecamatan):
                total = variance = np.nan
            else:
                total, variance = domain_total(table, f"y_{kind}", inside)
            half = z * np.sqrt(variance)
            found = row[f"found_{kind}_errors"]
            row[name] = total
            row[f"{name}_low"] = max(total - half, found) if np.isfinite(total) else np.nan
            row[f"{name}_high"] = total + half
        rows.append(row)
    return pd.DataFrame(rows)


def wilson_interval(hits, n, ci: float = 0.90) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion (elementwise); NaN where ``n`` is 0.

    >>> lo, hi = wilson_interval(5, 10, 0.90)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.269, 0.731)
    """
    hits, n = np.asarray(hits, float), np.asarray(n, float)
    z = norm.ppf(0.5 + ci / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def calibration_table(table: pd.DataFrame, ci: float = 0.90) -> pd.DataFrame:
    """Predicted against found errors of the households met, by kind of visit and band.

    Columns: visit_kind (priority, audit), band, visits_met, predicted_errors (sum of
    P(error)), found_errors, mean_predicted, hit_rate, hit_rate_low, hit_rate_high.
    """
    met = table[table["met"]].copy()
    met["hit"] = met["y_inclusion"] + met["y_exclusion"]
    edges = np.asarray(CALIBRATION_EDGES)
    met["band_index"] = np.clip(np.searchsorted(edges[1:-1], met["p_error"], side="right"), 0, None)
    met["visit_kind"] = np.where(met["is_audit"].astype(bool), "audit", "priority")
    grouped = (
        met.groupby(["visit_kind", "band_index"], sort=True)
        .agg(
            visits_met=("hit", "size"),
            predicted_errors=("p_error", "sum"),
            found_errors=("hit", "sum"),
        )
        .reset_index()
        .sort_values(
            ["visit_kind", "band_index"], key=lambda s: s.map({"priority": 0, "audit": 1}).fillna(s)
        )
    )
    grouped.insert(
        1,
        "band",
        [f"{100 * edges[b]:.0f}-{100 * edges[b + 1]:.0f}%" for b in grouped["band_index"]],
    )
    grouped["mean_predicted"] = grouped["predicted_errors"] / grouped["visits_met"]
    grouped["hit_rate"] = grouped["found_errors"] / grouped["visits_met"]
    lo, hi = wilson_interval(grouped["found_errors"], grouped["visits_met"], ci)
    grouped["hit_rate_low"], grouped["hit_rate_high"] = lo, hi
    grouped["found_errors"] = grouped["found_errors"].astype(int)
    return grouped.drop(columns="band_index").reset_index(drop=True)
