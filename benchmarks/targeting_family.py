"""A family of synthetic registers that break the selection model's assumptions.

`konsel synth` writes consumption and programme receipt the way the selection
model of ``targeting/expected.py`` expects them (normal-ish errors, a receipt
rule that sees log consumption through noise). The registers here are drawn
independently of those assumptions, to check that the expected-error intervals
stay honest when the model is wrong:

- **area-varying targeting quality**: in each kecamatan the village meetings'
  ranking correlates with true welfare by ``rho_a``, drawn from close to random
  (0.05) to close to perfect (0.97);
- **heavy tails**: the welfare error is a Student t with 3 degrees of freedom
  (same standard deviation as the normal one);
- **an unobserved shock**: a household shock (illness, harvest failure; 10% of
  households) lowers consumption and the meeting favours the households it hits
  far beyond that; and in a third of the kecamatan, households connected to the
  village head (more often the better off) get benefits whatever their welfare;
- **thin survey**: in six kecamatan the survey visited one village and eight
  households (weights scaled so that the kecamatan keeps its total), and there
  the programme quota is a third of the usual, so few recipients are sampled.

Geography, proxies, household composition, identities and the survey design
come from :mod:`konsel_analysis.synth`; consumption and receipt are drawn here.
The tables have the columns of ``konsel synth`` (the default dataset config reads
them).

    from targeting_family import VARIANTS, generate_variant
    data = generate_variant("all", households=20_000, seed=1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from konsel_analysis.dictionary import TABLES
from konsel_analysis.parameters import load_parameters
from konsel_analysis.synth import (
    SyntheticKonsel,
    _desil,
    _households,
    _identities,
    _ids,
    _select_by_quota,
    allocate_households,
    calibrate_log_consumption,
    draw_survey_sample,
    load_calibration,
)

#: Survey households per village outside the thin kecamatan (as `konsel synth`).
PER_CLUSTER = 15
THIN_AREAS = 6
THIN_HOUSEHOLDS = 8
THIN_QUOTA = 1 / 3


@dataclass(frozen=True)
class Variant:
    """Which departures from the selection model's assumptions a register has."""

    quality_varies: bool = True  # rho_a from close to random to close to perfect
    heavy_tails: bool = False
    shock: bool = False  # unobserved shock and connected households
    thin_survey: bool = False


VARIANTS = {
    "area_quality": Variant(),
    "heavy_tails": Variant(heavy_tails=True),
    "shock": Variant(shock=True),
    "thin_survey": Variant(thin_survey=True),
    "all": Variant(heavy_tails=True, shock=True, thin_survey=True),
}


def _welfare(h: pd.DataFrame, variant: Variant, rng: np.random.Generator):
    """Raw log consumption and the unobserved shock (before calibration)."""
    n = len(h)
    assets = (
        h["has_refrigerator"].astype(int)
        + h["has_motorcycle"]
        + 2 * h["has_car"]
        + h["has_television"]
    ).to_numpy()
    if variant.heavy_tails:
        error = 0.35 * rng.standard_t(3, n) / np.sqrt(3.0)  # sd 0.35, tails of a t(3)
    else:
        error = rng.normal(0.0, 0.35, n)
    shock = rng.random(n) < 0.10 if variant.shock else np.zeros(n, bool)
    raw = (
        0.35 * h["_wealth"].to_numpy()
        + 0.15 * h["_village_effect"].to_numpy()
        - 0.42 * np.log(h["household_size"].to_numpy())
        + 0.03 * h["max_education_years"].to_numpy()
        + 0.10 * np.log1p(assets)
        + 0.06 * h["is_urban"].to_numpy()
        - 0.35 * shock
        + error
    )
    return raw, shock


def area_quality(areas: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """Per kecamatan, the correlation of the meetings' ranking with true log consumption."""
    rho = rng.uniform(0.05, 0.97, len(areas))
    return dict(zip(areas, rho, strict=True))


def _receipt(h, log_c, shock, variant: Variant, rng, thin: set) -> tuple[pd.DataFrame, dict]:
    """Programme flags: per kecamatan quotas filled by a ranking of quality ``rho_a``."""
    cal = load_calibration()
    shares = {k: v["value"] for k, v in cal["programmes"].items()}
    n = len(h)
    kec = h["kecamatan_code"].to_numpy()
    areas, kec_idx = np.unique(kec, return_inverse=True)
    rho = area_quality(areas, rng) if variant.quality_varies else dict.fromkeys(areas, 0.8)
    r = np.array([rho[a] for a in areas])[kec_idx]
    z = (log_c - log_c.mean()) / log_c.std()
    seen = r * z + np.sqrt(1 - r**2) * rng.normal(0.0, 1.0, n)
    if variant.shock:
        seen -= 1.5 * shock  # the meeting sees the shock, more than its effect on welfare
        captured = rng.permutation(areas)[: len(areas) // 3]
        connected = np.isin(kec, captured) & (rng.random(n) < 0.06 * np.exp(0.5 * z))
        seen -= 4.0 * connected
    factor = np.where(np.isin(areas, sorted(thin)), THIN_QUOTA, 1.0)
    households = np.bincount(kec_idx)

    def quota(share: float) -> np.ndarray:
        return np.round(share * factor * households).astype(np.int64)

    # PKH needs a child, an elderly or a pregnant member (a simpler rule than synth's).
    components = (
        h["n_members_age_0_6"] + h["n_members_primary_school"] + h["n_members_age_70_plus"]
    ).to_numpy() + h["has_pregnant_member"].to_numpy() > 0
    pkh = _select_by_quota(kec_idx, seen, components, quota(shares["pkh_share"]))
    bpnt_rank = seen + rng.normal(0, 0.2, n) - 0.3 * pkh  # most PKH families get BPNT too
    bpnt = _select_by_quota(kec_idx, bpnt_rank, np.ones(n, bool), quota(shares["bpnt_share"]))
    # PBI-JK and BLT-DD are not among the config's programmes: drawn at random.
    pbi = rng.random(n) < shares["pbi_jk_share"]
    blt = ~pkh & ~bpnt & (rng.random(n) < shares["blt_dd_share"])
    flags = pd.DataFrame(
        {
            "is_pkh_recipient": pkh,
            "is_bpnt_recipient": bpnt,
            "is_pbi_jk_recipient": pbi,
            "is_blt_dd_recipient": blt,
        }
    )
    return flags, rho


def _thin_survey(rows, weights, kec, village, thin, rng):
    """Keep one village and ``THIN_HOUSEHOLDS`` households in each thin kecamatan.

    ``rows`` are register positions of the sampled households; ``kec`` and ``village``
    are per register row. The kept households' weights are scaled so that the
    kecamatan keeps its weighted total of households.
    """
    keep = np.ones(len(rows), bool)
    weights = weights.copy()
    for area in sorted(thin):
        members = np.flatnonzero(kec[rows] == area)
        if len(members) == 0:
            continue
        total = weights[members].sum()
        chosen_village = rng.choice(np.unique(village[rows[members]]))
        chosen = members[village[rows[members]] == chosen_village]
        chosen = rng.choice(chosen, min(THIN_HOUSEHOLDS, len(chosen)), replace=False)
        keep[members] = False
        keep[chosen] = True
        weights[chosen] *= total / weights[chosen].sum()
    return rows[keep], weights[keep]


def generate_variant(
    name: str, households: int = 20_000, seed: int = 1, survey_households: int | None = None
) -> SyntheticKonsel:
    """Register, survey and truth of one variant (``VARIANTS``), with `konsel synth` columns.

    ``register_truth`` also carries ``targeting_quality`` (the kecamatan's ``rho_a``).
    """
    variant = VARIANTS[name]
    cal = load_calibration()
    params = load_parameters()
    rng = np.random.default_rng([seed, sorted(VARIANTS).index(name)])
    counts = allocate_households(households, rng)
    h = _households(counts, rng)
    kec = h["kecamatan_code"].to_numpy()
    areas = np.unique(kec)
    thin = set(rng.permutation(areas)[:THIN_AREAS]) if variant.thin_survey else set()
    raw, shock = _welfare(h, variant, rng)
    poverty_line = params.value("poverty_lines.poverty_line")
    extreme_line = params.value("poverty_lines.extreme_poverty_line")
    log_c = calibrate_log_consumption(
        raw,
        h["household_size"].to_numpy().astype(float),
        poverty_line,
        extreme_line,
        cal["poverty_rate_persons"]["value"],
        cal["extreme_poverty_rate_persons"]["value"],
    )
    consumption = np.exp(log_c).round(0)
    flags, rho = _receipt(h, log_c, shock, variant, rng, thin)
    h = pd.concat([h, flags], axis=1)
    h["desil"] = _desil(h, rng)
    h = pd.concat([h, _identities(h, rng)], axis=1)
    h["household_id"] = _ids("R", households)

    n_survey = survey_households or cal["survey"]["households"]
    n_survey = max(1, min(int(n_survey), households // 4 or 1))
    rows, weights = draw_survey_sample(counts, n_survey, PER_CLUSTER, rng)
    village = h["village_code"].to_numpy()
    rows, weights = _thin_survey(rows, weights, kec, village, thin, rng)
    survey = h.iloc[rows].reset_index(drop=True)
    survey["household_id"] = _ids("S", len(survey))
    survey["design_weight"] = weights.round(4)
    survey["consumption_pc_month_idr"] = consumption[rows]
    truth = pd.DataFrame(
        {
            "household_id": h["household_id"],
            "consumption_pc_month_idr": consumption,
            "is_poor": consumption < poverty_line,
            "is_extreme_poor": consumption < extreme_line,
            "targeting_quality": pd.Series(kec).map(rho).to_numpy(),
            "is_thin_survey_area": np.isin(kec, sorted(thin)),
        }
    )
    return SyntheticKonsel(
        register=h.loc[:, list(TABLES["register"])],
        survey=survey.loc[:, list(TABLES["survey"])],
        register_truth=truth,
        seed=seed,
    )
