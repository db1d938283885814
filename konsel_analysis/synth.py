"""Synthetic Konsel: a calibrated, fully synthetic register, survey and truth.

The default data of the toolkit. Nothing here describes a real person: names
and NIK are made up (but shaped like the real ones, so treat them as personal
data all the same). The generator follows how the data arise:

1. households are spread over the 351 real villages (Kemendagri codes);
2. each household has a latent wealth, richer near Kendari and poorer on the
   coast and in the south, that shapes its demography, schooling, housing and
   assets (the PMT proxies);
3. consumption depends on the proxies through a model the PMT does *not* fit
   (log household size, interactions of schooling with urban life and of land
   with farming, the latent wealth the proxies only partly reveal, village
   effects and noise whose spread differs by sector);
4. the level and spread of log consumption are set so that the person poverty
   and extreme-poverty rates hit their targets (``synthetic_calibration.yml``);
5. programmes are given by village meetings that see true consumption through
   noise, more noise in remote kecamatan, under kecamatan quotas: realistic
   mistargeting that differs between kecamatan;
6. a Susenas-like survey draws villages with probability proportional to size
   within each kecamatan and households at random within them.

Everything is vectorised with NumPy, so 2,000,000 households take seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from konsel_analysis.dictionary import COLUMNS, TABLES
from konsel_analysis.files import write_atomic, write_text_atomic
from konsel_analysis.geography import load_villages
from konsel_analysis.parameters import load_parameters
from konsel_analysis.paths import REFERENCE_DIR

CALIBRATION_FILE = REFERENCE_DIR / "synthetic_calibration.yml"
DEFAULT_SEED = 20240901  # the month the Bupati ordered re-verification (facts)
SURVEY_YEAR = 2024
TABLE_FILES = {table: f"{table}.parquet" for table in TABLES}
MANIFEST_FILE = "synthetic_manifest.json"

# Given names and family names common in Southeast Sulawesi (Tolaki, Bugis,
# Muna, Javanese and Balinese transmigrant families). Combined at random.
_MALE = (
    "Abdul Rahman",
    "Ahmad",
    "Andi",
    "Arman",
    "Asrul",
    "Baharuddin",
    "Darwis",
    "Edi",
    "Hamzah",
    "Haris",
    "Hasan",
    "Herman",
    "Ilham",
    "Irwan",
    "Jumadil",
    "Kadir",
    "Kasim",
    "La Ode",
    "Made",
    "Mansur",
    "Muhammad",
    "Nasrun",
    "Nur Alam",
    "Rahmat",
    "Ridwan",
    "Rusdin",
    "Safaruddin",
    "Samsul",
    "Sudirman",
    "Suparman",
    "Syamsul",
    "Taufik",
    "Tamrin",
    "Wayan",
    "Yusuf",
    "Zainal",
    "Agus",
    "Budi",
    "Joko",
    "Slamet",
    "Nyoman",
    "Bambang",
    "Hendra",
    "Rudi",
    "Sutrisno",
    "Amir",
    "Arifin",
)
_FEMALE = (
    "Aisyah",
    "Asmawati",
    "Darmawati",
    "Dewi",
    "Fatimah",
    "Hasnah",
    "Haslinda",
    "Hartini",
    "Indah",
    "Jumriah",
    "Kartini",
    "Kasmawati",
    "Mardiana",
    "Marlina",
    "Masita",
    "Nurhayati",
    "Nurlina",
    "Nurmala",
    "Rahmawati",
    "Ratna",
    "Rosmini",
    "Rusmiati",
    "Sitti",
    "Sri",
    "Suriani",
    "Syamsinar",
    "Wa Ode",
    "Wahyuni",
    "Yanti",
    "Yuliana",
    "Ani",
    "Endang",
    "Siti",
    "Sumiati",
    "Ni Made",
    "Komang",
    "Purwanti",
    "Lestari",
    "Murni",
    "Hasmiati",
    "Salmiah",
    "Nuraeni",
    "Halimah",
)
_FAMILY = (
    "Lakidende",
    "Tamburaka",
    "Konggoasa",
    "Sarita",
    "Rauf",
    "Ramli",
    "Rasyid",
    "Tahir",
    "Saleh",
    "Mustari",
    "Pangerang",
    "Kahar",
    "Hamid",
    "Basri",
    "Latif",
    "Arsyad",
    "Lasandara",
    "Lamaloe",
    "Lasami",
    "Mokole",
    "Rahim",
    "Sulaiman",
    "Umar",
    "Tosepu",
    "Wonua",
    "Anakia",
    "Bandu",
    "Mekuo",
    "Anawai",
    "Susanto",
    "Wijaya",
    "Santoso",
    "Suryadi",
    "Putra",
    "Sudarsono",
    "Wibowo",
    "Setiawan",
    "Hidayat",
    "Kurniawan",
    "Mahmud",
    "Nasir",
    "Syukur",
    "Yunus",
    "Jufri",
    "Ilyas",
)


@dataclass(frozen=True)
class SyntheticKonsel:
    """The three synthetic tables; ``register_truth`` is for validation only."""

    register: pd.DataFrame
    survey: pd.DataFrame
    register_truth: pd.DataFrame
    seed: int

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "register": self.register,
            "survey": self.survey,
            "register_truth": self.register_truth,
        }


@cache
def load_calibration() -> dict:
    with CALIBRATION_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --------------------------------------------------------------------------------------
# 1. Households over villages
# --------------------------------------------------------------------------------------


def allocate_households(n_households: int, rng: np.random.Generator) -> np.ndarray:
    """Households per village (in ``load_villages`` order), summing to ``n_households``.

    Village sizes follow a log-normal clipped to the 300-3,000 people of the
    facts; kelurahan and villages near Kendari are larger. Every village gets at
    least one household when there are enough households to go round.
    """
    villages = load_villages()
    cal = load_calibration()
    kec = cal["kecamatan"]
    lo, hi = cal["village_people"]["min"], cal["village_people"]["max"]
    people = np.exp(rng.normal(np.log(800), 0.5, len(villages))).clip(lo, hi)
    shift = villages["kecamatan_code"].map(lambda c: kec[c]["welfare"]).to_numpy()
    people *= np.where(villages["is_kelurahan"], 1.8, 1.0) * np.exp(0.5 * shift)
    share = people / people.sum()
    floor = 1 if n_households >= len(villages) else 0
    counts = np.maximum(np.floor(share * n_households).astype(np.int64), floor)
    remainder = n_households - counts.sum()
    order = np.argsort(-(share * n_households - np.floor(share * n_households)), kind="stable")
    if remainder > 0:
        counts[order[:remainder]] += 1
    elif remainder < 0:  # only possible when the floor of one lifted small villages
        for i in order[::-1]:
            if remainder == 0:
                break
            if counts[i] > floor:
                counts[i] -= 1
                remainder += 1
    return counts


# --------------------------------------------------------------------------------------
# 2-3. Households: latent wealth, proxies, consumption
# --------------------------------------------------------------------------------------


def _ordinal(latent: np.ndarray, cuts: list[float], categories: list[str]) -> pd.Categorical:
    """Cut a latent index into ordered categories (poorest first)."""
    codes = np.searchsorted(np.asarray(cuts), latent)
    return pd.Categorical.from_codes(codes, categories=categories)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _categories(name: str) -> list[str]:
    return list(COLUMNS[name].categories)


def _households(village_counts: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    villages = load_villages()
    cal = load_calibration()["kecamatan"]
    n = int(village_counts.sum())
    vid = np.repeat(np.arange(len(villages)), village_counts)
    kec_code = villages["kecamatan_code"].to_numpy()[vid]

    # Urban: every kelurahan, and a kecamatan-specific share of desa.
    desa_urban_share = villages["kecamatan_code"].map(lambda c: cal[c]["urban"]).to_numpy()
    village_urban = villages["is_kelurahan"].to_numpy() | (
        rng.random(len(villages)) < desa_urban_share
    )
    village_effect = rng.normal(0.0, 0.25, len(villages))
    is_urban = village_urban[vid]
    kec_shift = pd.Series(kec_code).map(lambda c: cal[c]["welfare"]).to_numpy()
    wealth = kec_shift + village_effect[vid] + 0.35 * is_urban + rng.normal(0.0, 1.0, n)

    # Head and household composition. Poorer households are larger (facts: a
    # poor household in Sultra had 5.63 members, against about 3.9 on average).
    head_age = np.clip(rng.normal(46, 13, n), 18, 92).round().astype(np.int64)
    is_female = rng.random(n) < np.where(head_age > 60, 0.25, 0.10)
    is_married = rng.random(n) < np.where(is_female, 0.25, 0.93)
    size = 1 + is_married + rng.poisson(np.clip(2.05 - 0.4 * wealth, 0.2, None))
    size = np.minimum(size, 14)
    others = size - 1 - is_married
    young = head_age < 45
    child_p = np.where(young, 0.55, np.where(head_age < 60, 0.35, 0.15))
    n_children = rng.binomial(others, child_p)
    n_0_6 = rng.binomial(n_children, np.where(head_age < 35, 0.6, 0.25))
    school_age = n_children - n_0_6
    enrol_senior = _sigmoid(0.3 + 0.8 * wealth)
    n_primary = rng.binomial(school_age, 0.5)
    rest = school_age - n_primary
    n_junior = rng.binomial(rest, 0.5)
    n_senior = rng.binomial(rest - n_junior, enrol_senior)
    adults = others - n_children
    # At most the dictionary's maximum: a register export with more is a data error.
    n_70 = np.minimum(
        rng.binomial(adults, 0.25) + (head_age >= 70), COLUMNS["n_members_age_70_plus"].maximum
    )
    n_disabled = rng.binomial(size, 0.008)
    has_pregnant = is_married & (head_age < 45) & (rng.random(n) < 0.07)

    edu_latent = 0.8 * wealth + 0.5 * is_urban - 0.02 * (head_age - 46) + rng.normal(0, 0.9, n)
    head_education = _ordinal(edu_latent, [-1.1, 0.1, 0.8, 2.0], _categories("head_education"))
    edu_years = np.array([3, 6, 9, 12, 16])[head_education.codes]
    max_edu = np.minimum(edu_years + rng.binomial(n_senior + adults, 0.3) * 3, 16)

    sector = _sector(wealth, is_urban, head_education.codes, head_age, kec_code, rng)
    is_agri = sector == "agriculture"
    is_fish = sector == "fishery"

    # Housing: floor area grows with wealth and size; materials on a wealth index.
    house = wealth + 0.4 * is_urban
    floor_area = np.exp(
        np.log(42) + 0.22 * house + 0.15 * np.log(size) + rng.normal(0, 0.35, n)
    ).clip(9, 600)

    def noisy(loc: float, scale: float = 0.8) -> np.ndarray:
        return house + loc + rng.normal(0, scale, n)

    frame = pd.DataFrame(
        {
            "kecamatan_code": kec_code,
            "village_code": villages["village_code"].to_numpy()[vid],
            "is_urban": is_urban,
            "household_size": size.astype(np.int64),
            "n_members_age_0_6": n_0_6.astype(np.int64),
            "n_members_primary_school": n_primary.astype(np.int64),
            "n_members_junior_secondary": n_junior.astype(np.int64),
            "n_members_senior_secondary": n_senior.astype(np.int64),
            "n_members_age_70_plus": n_70.astype(np.int64),
            "n_members_severe_disability": n_disabled.astype(np.int64),
            "has_pregnant_member": has_pregnant,
            "head_age_years": head_age,
            "is_head_female": is_female,
            "is_head_married": is_married,
            "is_head_disabled": rng.random(n) < 0.03 + 0.05 * (head_age >= 70),
            "head_education": head_education,
            "head_sector": pd.Categorical(sector, categories=_categories("head_sector")),
            "max_education_years": max_edu.astype(np.int64),
            "floor_area_m2": floor_area.round(1),
            "floor_material": _ordinal(
                noisy(0.0), [-1.9, -0.7, 0.9], _categories("floor_material")
            ),
            "wall_material": _ordinal(noisy(0.0), [-1.6, 0.1], _categories("wall_material")),
            "roof_material": _ordinal(noisy(0.0, 1.0), [-2.2, 1.2], _categories("roof_material")),
            "water_source": _ordinal(noisy(0.3), [-1.0, 0.9], _categories("water_source")),
            "toilet_facility": _ordinal(noisy(0.3), [-1.4, -0.6], _categories("toilet_facility")),
            "lighting_source": _ordinal(
                noisy(0.8), [-1.9, -1.3, -0.2], _categories("lighting_source")
            ),
            "cooking_fuel": _ordinal(noisy(0.0), [-0.3, -0.1, 1.8], _categories("cooking_fuel")),
            "home_ownership": pd.Categorical.from_codes(
                rng.choice(3, n, p=[0.10, 0.06, 0.84]) + 0 * is_urban,
                categories=_categories("home_ownership"),
            ),
            "has_refrigerator": rng.random(n) < _sigmoid(-0.6 + 1.3 * house),
            "has_gas_cylinder": rng.random(n) < _sigmoid(-2.6 + 1.2 * house),
            "has_television": rng.random(n) < _sigmoid(0.8 + 1.1 * house),
            "has_motorcycle": rng.random(n) < _sigmoid(0.9 + 1.0 * wealth),
            "has_car": rng.random(n) < _sigmoid(-4.0 + 1.4 * wealth),
            "has_boat": rng.random(n) < np.where(is_fish, 0.45, 0.01) * _sigmoid(0.5 + wealth),
            "n_cattle": rng.poisson(np.where(is_agri, np.exp(-0.9 + 0.5 * wealth), 0.02)),
            "n_goats": rng.poisson(
                np.where(is_agri | ~is_urban, np.exp(-1.2 + 0.2 * wealth), 0.02)
            ),
            "land_area_ha": np.where(
                is_agri & (rng.random(n) < 0.8),
                np.exp(rng.normal(-0.2 + 0.45 * wealth, 0.7, n)).clip(0.05, 60),
                0.0,
            ).round(2),
        }
    )
    frame["_wealth"] = wealth
    frame["_village_effect"] = village_effect[vid]
    return frame


def _sector(wealth, is_urban, edu_codes, head_age, kec_code, rng) -> np.ndarray:
    """Sector of the head: farming in the interior, fishing on the coast, services in towns."""
    coastal = np.isin(
        kec_code,
        ["74.05.01", "74.05.10", "74.05.11", "74.05.16", "74.05.19", "74.05.23", "74.05.09"],
    )
    n = len(wealth)
    scores = np.column_stack(
        [
            1.6 - 1.2 * is_urban - 0.25 * edu_codes,  # agriculture
            np.where(coastal, 0.6, -1.8) - 0.3 * edu_codes,  # fishery
            -1.2 + 0.05 * np.maximum(head_age - 60, 0) * 2,  # not working
            -0.8 + 0.5 * is_urban,  # industry_construction
            -0.6 + 1.0 * is_urban + 0.25 * edu_codes + 0.2 * wealth,  # trade_services
            -3.2 + 0.9 * edu_codes + 0.4 * wealth + 0.4 * is_urban,  # formal_public
        ]
    )
    gumbel = -np.log(-np.log(rng.random((n, scores.shape[1]))))
    return np.asarray(_categories("head_sector"))[np.argmax(scores + gumbel, axis=1)]


def _log_consumption(h: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Log per-capita consumption before calibration of its level and spread.

    Deliberately not the PMT's functional form: log size with scale economies,
    schooling that pays more in town, land that pays in farming, assets with
    diminishing returns, latent wealth the proxies only partly reveal, and noise
    whose spread differs by sector (heteroskedastic).
    """
    n = len(h)
    sector = h["head_sector"].astype(str).to_numpy()
    agri = sector == "agriculture"
    fish = sector == "fishery"
    formal = sector == "formal_public"
    urban = h["is_urban"].to_numpy()
    dependants = h["n_members_age_0_6"].to_numpy() + h["n_members_age_70_plus"].to_numpy()
    assets = (
        h["has_refrigerator"].astype(int)
        + h["has_motorcycle"]
        + 2 * h["has_car"]
        + h["has_gas_cylinder"]
        + h["has_television"]
    ).to_numpy()
    sd = 0.33 + 0.10 * (agri | fish) - 0.05 * formal
    return (
        0.30 * h["_wealth"].to_numpy()
        + 0.10 * h["_village_effect"].to_numpy()
        - 0.38 * np.log(h["household_size"].to_numpy())
        - 0.05 * dependants
        + 0.022 * h["max_education_years"].to_numpy() * (1 + 0.8 * urban)
        + 0.12 * np.log1p(assets)
        + 0.10 * agri * np.log1p(h["land_area_ha"].to_numpy())
        + 0.04 * np.log1p(h["n_cattle"].to_numpy())
        + 0.15 * formal
        + 0.08 * urban
        + 0.08 * h["has_boat"].to_numpy() * fish
        + 0.004 * np.log(h["floor_area_m2"].to_numpy() / h["household_size"].to_numpy()) ** 2
        + rng.normal(0.0, 1.0, n) * sd
    )


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile of ``values`` with ``weights`` (lower weighted quantile)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, q * cum[-1])])


def calibrate_log_consumption(
    raw: np.ndarray,
    persons: np.ndarray,
    poverty_line: float,
    extreme_line: float,
    poverty_rate: float,
    extreme_rate: float,
) -> np.ndarray:
    """Affine map of log consumption so that person-weighted rates hit their targets.

    The person at the ``poverty_rate`` quantile lands on the poverty line and the
    one at the ``extreme_rate`` quantile on the extreme line; the shape of the
    distribution, and so every model fitted to it up to scale, is unchanged.
    """
    q_pov = weighted_quantile(raw, persons, poverty_rate)
    q_ext = weighted_quantile(raw, persons, extreme_rate)
    scale = (np.log(poverty_line) - np.log(extreme_line)) / (q_pov - q_ext)
    # Nudge by a hair so that the household at each quantile is strictly below its line.
    return np.log(poverty_line) + scale * (raw - q_pov) + 1e-9


# --------------------------------------------------------------------------------------
# 5. Programmes and desil
# --------------------------------------------------------------------------------------


def _rank_within(groups: np.ndarray, score: np.ndarray) -> np.ndarray:
    """0-based rank of ``score`` (ascending) within each group."""
    order = np.lexsort((score, groups))
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order)) - run_start
    return ranks


def _select_by_quota(
    groups: np.ndarray, score: np.ndarray, eligible: np.ndarray, quota: np.ndarray
) -> np.ndarray:
    """Select, within each group, the ``quota[group]`` eligible units of lowest score."""
    masked = np.where(eligible, score, np.inf)
    return eligible & (_rank_within(groups, masked) < quota[groups])


def _programmes(h: pd.DataFrame, log_c: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Programme flags from village meetings that see consumption through noise."""
    cal = load_calibration()
    kec = cal["kecamatan"]
    shares = {k: v["value"] for k, v in cal["programmes"].items()}
    n = len(h)
    kec_codes, kec_idx = np.unique(h["kecamatan_code"].to_numpy(), return_inverse=True)
    village_codes, village_idx = np.unique(h["village_code"].to_numpy(), return_inverse=True)
    noise_sd = np.array([kec[c]["meeting_noise"] for c in kec_codes])[kec_idx]
    quota_factor = np.array([kec[c]["quota"] for c in kec_codes])
    kec_households = np.bincount(kec_idx)
    # Noise is in standard deviations of log consumption, so it keeps its meaning
    # whatever the calibrated spread.
    spread = float(np.std(log_c))
    village_bias = rng.normal(0.0, 0.15, len(village_codes))[village_idx]
    seen = log_c + spread * (village_bias + rng.normal(0.0, 1.0, n) * noise_sd)

    def quota(share: float) -> np.ndarray:
        return np.round(share * quota_factor * kec_households).astype(np.int64)

    pkh_components = (
        h["n_members_age_0_6"]
        + h["n_members_primary_school"]
        + h["n_members_junior_secondary"]
        + h["n_members_senior_secondary"]
        + h["n_members_age_70_plus"]
        + h["n_members_severe_disability"]
        + h["has_pregnant_member"]
    ).to_numpy() > 0
    pkh = _select_by_quota(kec_idx, seen, pkh_components, quota(shares["pkh_share"]))
    bpnt = _select_by_quota(
        kec_idx,
        seen + rng.normal(0, 0.15, n) - 0.3 * pkh,
        np.ones(n, bool),
        quota(shares["bpnt_share"]),
    )
    pbi = _select_by_quota(
        kec_idx, seen + rng.normal(0, 0.35, n), np.ones(n, bool), quota(shares["pbi_jk_share"])
    )
    is_desa = pd.Series(h["village_code"].to_numpy()).str[9].eq("2").to_numpy()
    village_households = np.bincount(village_idx)
    blt_quota = np.round(shares["blt_dd_share"] * village_households).astype(np.int64)
    blt = _select_by_quota(
        village_idx, seen + rng.normal(0, 0.3, n), is_desa & ~pkh & ~bpnt, blt_quota
    )
    return pd.DataFrame(
        {
            "is_pkh_recipient": pkh,
            "is_bpnt_recipient": bpnt,
            "is_pbi_jk_recipient": pbi,
            "is_blt_dd_recipient": blt,
        }
    )


def _desil(h: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """DTSEN-like desil 1-10 from an official-style proxy score, ranked over the register."""
    score = (
        -0.35 * np.log(h["household_size"].to_numpy())
        + 0.04 * h["max_education_years"].to_numpy()
        + 0.10 * h["floor_material"].cat.codes.to_numpy()
        + 0.08 * h["wall_material"].cat.codes.to_numpy()
        + 0.06 * h["cooking_fuel"].cat.codes.to_numpy()
        + 0.15 * h["has_refrigerator"].to_numpy()
        + 0.10 * h["has_motorcycle"].to_numpy()
        + 0.35 * h["has_car"].to_numpy()
        + 0.10 * h["is_urban"].to_numpy()
        + rng.normal(0, 0.25, len(h))
    )
    ranks = np.argsort(np.argsort(score, kind="stable"), kind="stable")
    return (ranks * 10 // len(h) + 1).astype(np.int64)


# --------------------------------------------------------------------------------------
# Identity (personal data, synthetic)
# --------------------------------------------------------------------------------------


def _identities(h: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Synthetic NIK and names, shaped like the real ones (NIK: region, birth date, serial)."""
    n = len(h)
    female = h["is_head_female"].to_numpy()
    birth_year = SURVEY_YEAR - h["head_age_years"].to_numpy()
    day = rng.integers(1, 29, n) + 40 * female  # NIK adds 40 to a woman's birth day
    month = rng.integers(1, 13, n)
    region = h["kecamatan_code"].str.replace(".", "", regex=False).to_numpy().astype("U6")
    serial = rng.integers(1, 10000, n)
    stem = np.char.add(region, np.char.zfill(day.astype("U2"), 2))
    stem = np.char.add(stem, np.char.zfill(month.astype("U2"), 2))
    stem = np.char.add(stem, np.char.zfill((birth_year % 100).astype("U2"), 2))
    nik = np.char.add(stem, np.char.zfill(serial.astype("U4"), 4))
    nik = _make_unique(nik, stem, rng)
    first = np.where(
        female,
        np.asarray(_FEMALE)[rng.integers(0, len(_FEMALE), n)],
        np.asarray(_MALE)[rng.integers(0, len(_MALE), n)],
    )
    family = np.asarray(_FAMILY)[rng.integers(0, len(_FAMILY), n)]
    names = np.char.add(np.char.add(first.astype("U24"), " "), family)
    return pd.DataFrame({"nik_head": nik.astype(object), "name_head": names.astype(object)})


def _make_unique(nik: np.ndarray, stem: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Redraw the serial of duplicated NIK until all are unique, as Dukcapil's are."""
    nik = nik.copy()
    while True:
        dup = pd.Series(nik).duplicated().to_numpy()
        if not dup.any():
            return nik
        serial = rng.integers(1, 10000, dup.sum())
        nik[dup] = np.char.add(stem[dup], np.char.zfill(serial.astype("U4"), 4))


# --------------------------------------------------------------------------------------
# 6. Survey
# --------------------------------------------------------------------------------------


def _systematic_pps(sizes: np.ndarray, n_draw: int, rng: np.random.Generator) -> np.ndarray:
    """Inclusion probabilities and a systematic PPS draw without replacement.

    Returns the inclusion probability of each unit, with 0 for units not drawn
    (so ``pi > 0`` marks the sample). Units too large for the interval are taken
    with certainty and the rest re-allocated, the textbook treatment.
    """
    n_draw = min(n_draw, len(sizes))
    pi = np.zeros(len(sizes))
    certain = np.zeros(len(sizes), bool)
    while True:
        remaining = n_draw - certain.sum()
        if remaining <= 0 or certain.all():
            pi = certain.astype(float)
            break
        pi = np.where(certain, 1.0, remaining * sizes / sizes[~certain].sum())
        newly = (pi >= 1.0) & ~certain
        if not newly.any():
            break
        certain |= newly
    cum = np.cumsum(pi)
    points = rng.random() + np.arange(int(round(cum[-1])))
    drawn = np.unique(np.searchsorted(cum, points, side="right"))
    drawn = drawn[drawn < len(sizes)]
    return np.where(np.isin(np.arange(len(sizes)), drawn), pi, 0.0)


def draw_survey_sample(
    village_counts: np.ndarray, n_households: int, per_cluster: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Two-stage sample: villages PPS within kecamatan, then households at random.

    Returns the register row positions of the sampled households and their design
    weights (inverse inclusion probabilities, in households).
    """
    villages = load_villages()
    n_clusters = max(1, int(np.ceil(n_households / per_cluster)))
    kec = villages["kecamatan_code"].to_numpy()
    kec_households = pd.Series(village_counts).groupby(kec).sum()
    alloc = np.maximum(2, np.round(n_clusters * kec_households / kec_households.sum()))
    village_pi = np.zeros(len(villages))
    for code, n_k in alloc.items():
        members = np.flatnonzero((kec == code) & (village_counts > 0))
        if len(members) == 0:  # a tiny register can leave a kecamatan empty
            continue
        village_pi[members] = _systematic_pps(village_counts[members].astype(float), int(n_k), rng)
    starts = np.r_[0, np.cumsum(village_counts)[:-1]]
    rows, weights = [], []
    for v in np.flatnonzero(village_pi > 0):
        take = min(per_cluster, int(village_counts[v]))
        picked = starts[v] + rng.choice(village_counts[v], take, replace=False)
        rows.append(np.sort(picked))
        weights.append(np.full(take, village_counts[v] / (village_pi[v] * take)))
    return np.concatenate(rows), np.concatenate(weights)


# --------------------------------------------------------------------------------------
# The whole data set
# --------------------------------------------------------------------------------------


def generate_konsel(
    households: int | None = None, seed: int = DEFAULT_SEED, survey_households: int | None = None
) -> SyntheticKonsel:
    """Generate the synthetic register, survey and register truth.

    Parameters
    ----------
    households
        Register size; default the whole regency (about 83,000 households).
    seed
        Seed of the random generator; the same seed gives the same tables.
    survey_households
        Target survey size; default from the calibration file (3,000), at most a
        quarter of the register.

    Examples
    --------
    >>> data = generate_konsel(households=2_000, seed=1)
    >>> len(data.register)
    2000
    """
    cal = load_calibration()
    params = load_parameters()
    n = int(households if households is not None else cal["households"]["value"])
    if n < 1:
        raise ValueError("households must be at least 1")
    rng = np.random.default_rng(seed)
    counts = allocate_households(n, rng)
    h = _households(counts, rng)
    poverty_line = params.value("poverty_lines.poverty_line")
    extreme_line = params.value("poverty_lines.extreme_poverty_line")
    log_c = calibrate_log_consumption(
        _log_consumption(h, rng),
        h["household_size"].to_numpy().astype(float),
        poverty_line,
        extreme_line,
        cal["poverty_rate_persons"]["value"],
        cal["extreme_poverty_rate_persons"]["value"],
    )
    consumption = np.exp(log_c).round(0)
    h = pd.concat([h, _programmes(h, log_c, rng)], axis=1)
    h["desil"] = _desil(h, rng)
    ids = _identities(h, rng)
    h["household_id"] = _ids("R", n)
    h = pd.concat([h, ids], axis=1)

    register = h.loc[:, list(TABLES["register"])]
    truth = pd.DataFrame(
        {
            "household_id": h["household_id"],
            "consumption_pc_month_idr": consumption,
            "is_poor": consumption < poverty_line,
            "is_extreme_poor": consumption < extreme_line,
        }
    )
    survey_cfg = cal["survey"]
    n_survey = survey_households if survey_households is not None else survey_cfg["households"]
    n_survey = max(1, min(int(n_survey), n // 4 or 1))
    rows, weights = draw_survey_sample(counts, n_survey, survey_cfg["households_per_cluster"], rng)
    survey = h.iloc[rows].reset_index(drop=True)
    survey["household_id"] = _ids("S", len(survey))
    survey["design_weight"] = weights.round(4)
    survey["consumption_pc_month_idr"] = consumption[rows]
    survey = survey.loc[:, list(TABLES["survey"])]
    return SyntheticKonsel(register=register, survey=survey, register_truth=truth, seed=seed)


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.char.add(
        prefix, np.char.zfill(np.arange(1, n + 1).astype(f"U{width}"), width)
    ).astype(object)


def write_konsel(data: SyntheticKonsel, raw_dir: Path) -> list[Path]:
    """Write the three tables and a manifest to ``raw_dir``; returns the paths written."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for table, frame in data.tables().items():
        path = raw_dir / TABLE_FILES[table]
        # Raw data carries (synthetic) NIK and names: owner-only, as personal data.
        write_atomic(
            path,
            lambda tmp, f=frame: f.to_parquet(
                tmp, index=False, engine="pyarrow", compression="zstd"
            ),
            mode=0o600,
        )
        written.append(path)
    manifest = {
        "generator": "konsel_analysis.synth",
        "seed": data.seed,
        "households": len(data.register),
        "survey_households": len(data.survey),
        "note": "Fully synthetic data. register_truth is for validation and tests only.",
    }
    manifest_path = raw_dir / MANIFEST_FILE
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return [*written, manifest_path]


def has_raw_data(raw_dir: Path) -> bool:
    """True when ``raw_dir`` already holds the register and the survey."""
    return all((raw_dir / TABLE_FILES[t]).exists() for t in ("register", "survey"))
