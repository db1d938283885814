"""The Costa Rican household poverty data as one row per household, for PMT benchmarks.

The public IDB data (2018 challenge training file) has one row per *person*:
``idhogar`` is the household, ``parentesco1 == 1`` marks the head and ``Target``
is the household's welfare class (1 extreme poverty, 2 moderate poverty,
3 vulnerable, 4 non-vulnerable). :func:`build_household_table` turns it into the
household table that ``konsel_analysis/configs/costa_rica.yml`` describes: an
identifier, the welfare class, the region and the proxies a proxy-means test
would use, each listed once in :data:`FEATURES` (name, meaning, source columns).

How the file's quirks are handled (see docs/costa_rica.md for the reasons):

- ``welfare_class`` is the head's ``Target`` (members disagree in 85 households).
  Households with no head row (15) take the modal ``Target`` of their members,
  ties going to the poorest class, and keep their household-level columns from
  the first member row. Their head's schooling and sex come from ``edjefe`` /
  ``edjefa`` (which describe the head even when the head's row is missing); the
  head's age from the oldest member row present.
- ``edjefe``, ``edjefa`` mix numbers with "yes" (= 1) and "no" (= 0). The messy
  ``dependency`` column is not used: the dependency ratio is computed from ages.
- ``v18q1`` (tablets) is missing exactly when ``v18q == 0``: read as 0.
  ``v2a1`` (monthly rent or instalment) is missing for owners outright,
  precarious and other tenure: read as 0 with an ``is_rent_missing`` flag.
  ``rez_esc`` (years behind in school) exists only for ages 7-17: only
  "behind by at least a year" is counted. ``meaneduc`` and the ``SQB*`` /
  ``agesq`` squares are not used (recomputed or redundant).
- Nothing derived from ``Target`` and no identifier (``Id``, ``idhogar``) is a proxy.

A benchmark's helper, not part of the package (issue 12): the package reads any
household table a dataset config describes; this module only makes the Costa Rican
file one. In Python (with ``benchmarks/`` on the path, as the benchmark and its test
put it), ``load_costa_rica_households("households_raw.csv")``; from the shell::

    .venv/bin/python benchmarks/costa_rica_households.py --raw households_raw.csv \
        --out households.parquet
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.files import write_csv_atomic, write_parquet_atomic

WELFARE_CLASSES = (1, 2, 3, 4)  # IDB challenge coding of Target

# One-hot groups collapsed into one categorical each: dummy column -> category.
# Labels follow the challenge's data description. A group with no dummy set is
# "not_recorded" (roof: 66 person rows, electricity: 15 in the published file).
REGIONS = {
    "lugar1": "Central",
    "lugar2": "Chorotega",
    "lugar3": "Pacifico Central",
    "lugar4": "Brunca",
    "lugar5": "Huetar Atlantica",
    "lugar6": "Huetar Norte",
}
CATEGORY_GROUPS: dict[str, dict[str, str]] = {
    "wall_material": {
        "paredblolad": "block_or_brick",
        "paredzocalo": "socket_wood_zinc_asbestos",
        "paredpreb": "prefabricated_or_cement",
        "pareddes": "waste_material",
        "paredmad": "wood",
        "paredzinc": "zinc",
        "paredfibras": "natural_fibres",
        "paredother": "other",
    },
    "floor_material": {
        "pisomoscer": "mosaic_ceramic_terrazzo",
        "pisocemento": "cement",
        "pisomadera": "wood",
        "pisonatur": "natural_material",
        "pisonotiene": "no_floor",
        "pisoother": "other",
    },
    "roof_material": {
        "techozinc": "metal_or_zinc",
        "techoentrepiso": "fibre_cement_or_mezzanine",
        "techocane": "natural_fibres",
        "techootro": "other",
    },
    "water_source": {
        "abastaguadentro": "inside_dwelling",
        "abastaguafuera": "outside_dwelling",
        "abastaguano": "none",
    },
    "electricity_source": {
        "public": "public_utility",
        "coopele": "cooperative",
        "planpri": "private_plant",
        "noelec": "none",
    },
    "toilet_type": {
        "sanitario2": "sewer_or_cesspool",
        "sanitario3": "septic_tank",
        "sanitario5": "black_hole_or_latrine",
        "sanitario6": "other",
        "sanitario1": "none",
    },
    "cooking_energy": {
        "energcocinar2": "electricity",
        "energcocinar3": "gas",
        "energcocinar4": "wood_or_charcoal",
        "energcocinar1": "none",
    },
    "rubbish_disposal": {
        "elimbasu1": "collection_truck",
        "elimbasu2": "buried",
        "elimbasu3": "burned",
        "elimbasu4": "thrown_in_open_space",
        "elimbasu5": "thrown_in_river_or_sea",
        "elimbasu6": "other",
    },
    "tenure": {
        "tipovivi1": "owned_outright",
        "tipovivi2": "owned_paying_instalments",
        "tipovivi3": "rented",
        "tipovivi4": "precarious",
        "tipovivi5": "other_assigned_or_borrowed",
    },
}
NOT_RECORDED = "not_recorded"
# State of walls, roof and floor: bad / regular / good dummies -> 0 / 1 / 2.
STATE_GROUPS = {
    "wall_state_index": ("epared1", "epared2", "epared3"),
    "roof_state_index": ("etecho1", "etecho2", "etecho3"),
    "floor_state_index": ("eviv1", "eviv2", "eviv3"),
}
MARITAL_STATUS = {
    "estadocivil1": "under_10_years",
    "estadocivil2": "free_union",
    "estadocivil3": "married",
    "estadocivil4": "divorced",
    "estadocivil5": "separated",
    "estadocivil6": "widowed",
    "estadocivil7": "single",
}
# instlevel: 5 complete academic secondary, 7 complete technical secondary,
# 8 undergraduate and higher, 9 postgraduate (challenge data description).
SECONDARY_COMPLETE_LEVELS = ("instlevel5", "instlevel7", "instlevel8", "instlevel9")
TERTIARY_LEVELS = ("instlevel8", "instlevel9")
# Years of schooling from which adults in the file hold those levels (escolari by
# instlevel: complete secondary from 11; at 12 adults split between technical
# secondary and university, from 13 all are at university level). Used only for a
# missing head who stands in as the household's one adult (see _adult_schooling).
SECONDARY_COMPLETE_YEARS = 11
TERTIARY_YEARS = 13
ADULT_AGE = 18
ELDERLY_AGE = 65
CHILD_AGE_SPLIT = 6  # 0-5 and 6-17

# Household-level columns read once per household, from the head's row.
HOUSEHOLD_COLUMNS = (
    "v2a1",
    "hacdor",
    "rooms",
    "hacapo",
    "v14a",
    "refrig",
    "v18q",
    "v18q1",
    "tamviv",
    "hhsize",
    "cielorazo",
    "edjefe",
    "edjefa",
    "bedrooms",
    "overcrowding",
    "computer",
    "television",
    "qmobilephone",
    "area1",
    *REGIONS,
    *(dummy for group in CATEGORY_GROUPS.values() for dummy in group),
    *(dummy for group in STATE_GROUPS.values() for dummy in group),
)
PERSON_COLUMNS = (
    "idhogar",
    "parentesco1",
    "parentesco2",
    "Target",
    "age",
    "escolari",
    "rez_esc",
    "dis",
    "female",
    *MARITAL_STATUS,
    *(f"instlevel{i}" for i in range(1, 10)),
)
REQUIRED_COLUMNS = tuple(dict.fromkeys((*PERSON_COLUMNS, *HOUSEHOLD_COLUMNS)))


@dataclass(frozen=True)
class Feature:
    """One column of the household table: its role, meaning and the raw columns behind it."""

    name: str
    # "id", "label", "area" (the config's area: reporting unit and, with area_effects,
    # a categorical effect), "numeric" or "categorical" (proxies), or "info"
    role: str
    meaning: str
    sources: str


FEATURES: tuple[Feature, ...] = (
    Feature("household_id", "id", "Household identifier", "idhogar"),
    Feature(
        "welfare_class",
        "label",
        "1 extreme poor, 2 moderate poor, 3 vulnerable, 4 non-vulnerable: the head's Target "
        "(no head row: members' modal Target, ties to the poorest)",
        "Target, parentesco1",
    ),
    Feature(
        "has_head_row",
        "info",
        "1 if the household has a head row (15 households do not)",
        "parentesco1",
    ),
    Feature(
        "n_member_rows",
        "info",
        "Person rows in the file (below hhsize in 27 households)",
        "idhogar",
    ),
    # --- location
    Feature(
        "area", "area", "Planning region (6); a model effect through area_effects", "lugar1-lugar6"
    ),
    Feature("is_urban", "numeric", "1 if urban zone", "area1"),
    # --- dwelling
    Feature("n_rooms", "numeric", "Rooms in the dwelling", "rooms"),
    Feature("n_bedrooms", "numeric", "Bedrooms", "bedrooms"),
    Feature("rooms_per_person", "numeric", "Rooms per household member", "rooms, hhsize"),
    Feature("bedrooms_per_person", "numeric", "Bedrooms per household member", "bedrooms, hhsize"),
    Feature(
        "persons_per_bedroom",
        "numeric",
        "Persons living in the dwelling per bedroom",
        "overcrowding (= tamviv / bedrooms)",
    ),
    Feature("is_overcrowded_bedrooms", "numeric", "1 if overcrowded by bedrooms", "hacdor"),
    Feature("is_overcrowded_rooms", "numeric", "1 if overcrowded by rooms", "hacapo"),
    Feature(
        "n_persons_in_dwelling",
        "numeric",
        "Persons living in the dwelling (all households)",
        "tamviv",
    ),
    Feature(
        "wall_state_index", "numeric", "State of the walls: 0 bad, 1 regular, 2 good", "epared1-3"
    ),
    Feature(
        "roof_state_index", "numeric", "State of the roof: 0 bad, 1 regular, 2 good", "etecho1-3"
    ),
    Feature(
        "floor_state_index", "numeric", "State of the floor: 0 bad, 1 regular, 2 good", "eviv1-3"
    ),
    Feature(
        "dwelling_state_index",
        "numeric",
        "Sum of the three state indices (0-6)",
        "epared, etecho, eviv",
    ),
    Feature("has_ceiling", "numeric", "1 if the dwelling has a ceiling", "cielorazo"),
    Feature(
        "wall_material",
        "categorical",
        "Predominant outside wall material",
        "paredblolad, paredzocalo, paredpreb, pareddes, paredmad, paredzinc, paredfibras, "
        "paredother",
    ),
    Feature(
        "floor_material",
        "categorical",
        "Predominant floor material",
        "pisomoscer, pisocemento, pisoother, pisonatur, pisonotiene, pisomadera",
    ),
    Feature(
        "roof_material",
        "categorical",
        "Predominant roof material (none set: not_recorded)",
        "techozinc, techoentrepiso, techocane, techootro",
    ),
    Feature("tenure", "categorical", "Tenure of the dwelling", "tipovivi1-5"),
    Feature(
        "rent_monthly_crc", "info", "Monthly rent or instalment, colones (0 if not paid)", "v2a1"
    ),
    Feature(
        "log_rent_monthly_crc", "numeric", "log(1 + monthly rent or instalment), 0 if none", "v2a1"
    ),
    Feature(
        "log_rent_per_person_crc",
        "numeric",
        "log(1 + monthly rent or instalment per household member), 0 if none",
        "v2a1, hhsize",
    ),
    Feature("is_rent_missing", "numeric", "1 if no rent or instalment is reported", "v2a1"),
    # --- services
    Feature(
        "water_source",
        "categorical",
        "Water provision",
        "abastaguadentro, abastaguafuera, abastaguano",
    ),
    Feature(
        "electricity_source",
        "categorical",
        "Electricity (none set: not_recorded)",
        "public, planpri, noelec, coopele",
    ),
    Feature("toilet_type", "categorical", "Toilet connection", "sanitario1, 2, 3, 5, 6"),
    Feature("has_bathroom", "numeric", "1 if there is a bathroom in the dwelling", "v14a"),
    Feature(
        "cooking_energy", "categorical", "Main source of energy for cooking", "energcocinar1-4"
    ),
    Feature("rubbish_disposal", "categorical", "Rubbish disposal", "elimbasu1-6"),
    # --- assets
    Feature("has_refrigerator", "numeric", "1 if the household has a refrigerator", "refrig"),
    Feature("has_computer", "numeric", "1 if the household has a computer", "computer"),
    Feature("has_television", "numeric", "1 if the household has a television", "television"),
    Feature("n_tablets", "numeric", "Tablets owned (missing when none: 0)", "v18q1, v18q"),
    Feature("tablets_per_person", "numeric", "Tablets per household member", "v18q1, hhsize"),
    Feature("n_mobile_phones", "numeric", "Mobile phones", "qmobilephone"),
    Feature(
        "mobile_phones_per_person",
        "numeric",
        "Mobile phones per household member",
        "qmobilephone, hhsize",
    ),
    Feature(
        "n_assets",
        "numeric",
        "Count of refrigerator, computer, television, any tablet, any mobile phone (0-5)",
        "refrig, computer, television, v18q, qmobilephone",
    ),
    # --- household composition (member rows)
    Feature("household_size", "numeric", "Household members as reported", "hhsize"),
    Feature("log_household_size", "numeric", "log(household size)", "hhsize"),
    Feature("n_age_0_5", "numeric", "Members aged 0-5", "age"),
    Feature("n_age_6_17", "numeric", "Members aged 6-17", "age"),
    Feature("n_age_18_64", "numeric", "Members aged 18-64", "age"),
    Feature("n_age_65_plus", "numeric", "Members aged 65 and over", "age"),
    Feature("n_men_18_64", "numeric", "Men aged 18-64 (likely earners)", "age, female"),
    Feature("n_women_18_64", "numeric", "Women aged 18-64", "age, female"),
    Feature(
        "share_members_working_age", "numeric", "Members aged 18-64 / household size", "age, hhsize"
    ),
    Feature("dependency_ratio", "numeric", "(members 0-17 and 65+) / max(1, members 18-64)", "age"),
    Feature("has_working_age_member", "numeric", "1 if a member is aged 18-64", "age"),
    Feature("n_disabled", "numeric", "Members with a disability", "dis"),
    Feature(
        "has_spouse_or_partner",
        "numeric",
        "1 if a spouse or partner of the head lives here",
        "parentesco2",
    ),
    Feature(
        "n_children_behind_school",
        "numeric",
        "Members aged 7-17 at least one year behind in school",
        "rez_esc",
    ),
    # --- schooling
    Feature(
        "adults_schooling_mean_years",
        "numeric",
        "Mean years of schooling, members 18+",
        "escolari, age",
    ),
    Feature(
        "adults_schooling_max_years",
        "numeric",
        "Highest years of schooling, members 18+",
        "escolari, age",
    ),
    Feature(
        "share_adults_secondary_complete",
        "numeric",
        "Share of members 18+ with complete secondary or more",
        "instlevel5, 7, 8, 9",
    ),
    Feature(
        "share_adults_tertiary",
        "numeric",
        "Share of members 18+ with tertiary education",
        "instlevel8, 9",
    ),
    Feature(
        "adults_schooling_years_per_person",
        "numeric",
        "Years of schooling summed over members 18+, per household member",
        "escolari, age, hhsize",
    ),
    Feature(
        "adults_secondary_complete_per_person",
        "numeric",
        "Members 18+ with complete secondary or more, per household member",
        "instlevel5, 7, 8, 9, hhsize",
    ),
    Feature("share_adults_female", "numeric", "Share of women among members 18+", "female, age"),
    # --- head
    Feature(
        "head_schooling_years",
        "numeric",
        "Head's years of schooling",
        "escolari of the head (no head row: edjefe / edjefa)",
    ),
    Feature(
        "head_is_female",
        "numeric",
        "1 if the head is a woman",
        "female of the head (no head row: edjefa > 0)",
    ),
    Feature(
        "head_age_years",
        "numeric",
        "Head's age in years",
        "age of the head (no head row: oldest member row)",
    ),
    Feature(
        "head_marital_status", "categorical", "Head's marital status", "estadocivil1-7 of the head"
    ),
)
NUMERIC_PROXIES = tuple(f.name for f in FEATURES if f.role == "numeric")
CATEGORICAL_PROXIES = tuple(f.name for f in FEATURES if f.role == "categorical")


def feature_table_markdown() -> str:
    """The feature table as Markdown, for docs/costa_rica.md."""
    lines = ["| column | role | meaning | source columns |", "|---|---|---|---|"]
    lines += [f"| `{f.name}` | {f.role} | {f.meaning} | {f.sources} |" for f in FEATURES]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


def parse_yes_no_number(values: pd.Series) -> pd.Series:
    """Numbers written as text with "yes" for 1 and "no" for 0 (``edjefe``, ``edjefa``).

    >>> parse_yes_no_number(pd.Series(["yes", "no", "6", 11])).tolist()
    [1.0, 0.0, 6.0, 11.0]
    """
    text = values.astype("string").str.strip().str.lower()
    parsed = pd.to_numeric(text.replace({"yes": "1", "no": "0"}), errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        raise ValueError(
            f"column {values.name!r} holds {values[bad].iloc[0]!r}: expected a number, "
            "'yes' or 'no'"
        )
    return parsed.astype("float64")


def _collapse_one_hot(frame: pd.DataFrame, mapping: dict[str, str]) -> pd.Series:
    """The category whose dummy is set (the first in ``mapping`` if several); none: not_recorded."""
    dummies = frame[list(mapping)].to_numpy() == 1
    labels = np.array([*mapping.values(), NOT_RECORDED], dtype=object)
    first = np.where(dummies.any(axis=1), dummies.argmax(axis=1), len(mapping))
    return pd.Series(labels[first], index=frame.index, dtype="str")


def _state_index(frame: pd.DataFrame, dummies: tuple[str, str, str]) -> pd.Series:
    """0 bad, 1 regular, 2 good (a row with no dummy set counts as bad)."""
    return (frame[dummies[1]] + 2 * frame[dummies[2]]).clip(0, 2).astype("int64")


# --------------------------------------------------------------------------------------
# Heads and the welfare class
# --------------------------------------------------------------------------------------


def _head_rows(persons: pd.DataFrame) -> pd.DataFrame:
    """One row per household: the head's, or the first member row where no head row exists.

    A household with two head rows (none in the published file) keeps the first.
    """
    is_head = persons["parentesco1"].eq(1)
    heads = persons[is_head].drop_duplicates("idhogar")
    headless = persons[~persons["idhogar"].isin(heads["idhogar"])].drop_duplicates("idhogar")
    rows = pd.concat([heads, headless]).set_index("idhogar")
    rows["has_head_row"] = rows.index.isin(heads["idhogar"]).astype("int64")
    return rows


def _welfare_class(persons: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Head's Target; without a head row, the members' modal Target (ties: poorest class)."""
    counts = persons.groupby(["idhogar", "Target"]).size().rename("n").reset_index()
    counts = counts.sort_values(["idhogar", "n", "Target"], ascending=[True, False, True])
    modal = counts.drop_duplicates("idhogar").set_index("idhogar")["Target"]
    welfare = rows["Target"].where(rows["has_head_row"].eq(1), modal.reindex(rows.index))
    bad = ~welfare.isin(WELFARE_CLASSES)
    if bad.any():
        raise ValueError(
            f"column 'Target' holds {welfare[bad].iloc[0]} for household {welfare[bad].index[0]}"
            f": expected one of {list(WELFARE_CLASSES)}"
        )
    return welfare.astype("int64")


def _head_features(persons: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Head's schooling, sex, age and marital status; stand-ins where the head row is missing."""
    has_head = rows["has_head_row"].eq(1)
    male_head_years = parse_yes_no_number(rows["edjefe"])
    female_head_years = parse_yes_no_number(rows["edjefa"])
    oldest = persons.sort_values("age", ascending=False, kind="stable").drop_duplicates("idhogar")
    oldest = oldest.set_index("idhogar").reindex(rows.index)
    # A missing head's sex: edjefa > 0 says a woman, edjefe > 0 a man; with both 0
    # (a head without schooling) the oldest member row present stands in.
    female = np.select(
        [has_head, female_head_years.gt(0), male_head_years.gt(0)],
        [rows["female"], 1, 0],
        default=oldest["female"],
    )
    return pd.DataFrame(
        {
            "head_schooling_years": rows["escolari"]
            .where(has_head, np.maximum(male_head_years, female_head_years))
            .astype("float64"),
            "head_is_female": pd.Series(female, index=rows.index).astype("int64"),
            "head_age_years": rows["age"].where(has_head, oldest["age"]).astype("float64"),
            "head_marital_status": _collapse_one_hot(rows, MARITAL_STATUS).where(
                has_head, NOT_RECORDED
            ),
        },
        index=rows.index,
    )


# --------------------------------------------------------------------------------------
# Aggregates over member rows
# --------------------------------------------------------------------------------------


def _member_counts(persons: pd.DataFrame) -> pd.DataFrame:
    """Counts by age group, disability, partner and schooling delay, per household."""
    age = persons["age"]
    flags = pd.DataFrame(
        {
            "idhogar": persons["idhogar"],
            "n_member_rows": 1,
            "n_age_0_5": age.lt(CHILD_AGE_SPLIT),
            "n_age_6_17": age.between(CHILD_AGE_SPLIT, ADULT_AGE - 1),
            "n_age_18_64": age.between(ADULT_AGE, ELDERLY_AGE - 1),
            "n_age_65_plus": age.ge(ELDERLY_AGE),
            "n_men_18_64": age.between(ADULT_AGE, ELDERLY_AGE - 1) & persons["female"].ne(1),
            "n_women_18_64": age.between(ADULT_AGE, ELDERLY_AGE - 1) & persons["female"].eq(1),
            "n_disabled": persons["dis"].eq(1),
            "has_spouse_or_partner": persons["parentesco2"].eq(1),
            # rez_esc is recorded only for ages 7-17; missing elsewhere means "not applicable".
            "n_children_behind_school": persons["rez_esc"].fillna(0).gt(0),
        }
    )
    counts = flags.groupby("idhogar").sum().astype("int64")
    counts["has_spouse_or_partner"] = counts["has_spouse_or_partner"].clip(upper=1)
    dependants = counts["n_age_0_5"] + counts["n_age_6_17"] + counts["n_age_65_plus"]
    counts["dependency_ratio"] = dependants / counts["n_age_18_64"].clip(lower=1)
    counts["has_working_age_member"] = counts["n_age_18_64"].gt(0).astype("int64")
    return counts


def _adult_schooling(persons: pd.DataFrame, head: pd.DataFrame) -> pd.DataFrame:
    """Schooling, education shares and sex of members aged 18+, per household.

    Households whose rows hold no adult (9 in the file, all without a head row)
    use the head's schooling from edjefe / edjefa, as the one adult known.
    """
    adults = persons[persons["age"].ge(ADULT_AGE)]
    records = pd.DataFrame(
        {
            "idhogar": adults["idhogar"],
            "years": adults["escolari"].astype("float64"),
            "secondary": adults[list(SECONDARY_COMPLETE_LEVELS)].eq(1).any(axis=1),
            "tertiary": adults[list(TERTIARY_LEVELS)].eq(1).any(axis=1),
            "female": adults["female"].eq(1),
        }
    )
    missing = head.index.difference(records["idhogar"].unique())
    years = head.loc[missing, "head_schooling_years"]
    virtual = pd.DataFrame(
        {
            "idhogar": missing,
            "years": years.to_numpy(),
            "secondary": years.ge(SECONDARY_COMPLETE_YEARS).to_numpy(),
            "tertiary": years.ge(TERTIARY_YEARS).to_numpy(),
            "female": head.loc[missing, "head_is_female"].eq(1).to_numpy(),
        }
    )
    grouped = pd.concat([records, virtual], ignore_index=True).groupby("idhogar")
    return pd.DataFrame(
        {
            "adults_schooling_mean_years": grouped["years"].mean(),
            "adults_schooling_max_years": grouped["years"].max(),
            "share_adults_secondary_complete": grouped["secondary"].mean(),
            "share_adults_tertiary": grouped["tertiary"].mean(),
            "share_adults_female": grouped["female"].mean(),
            "adults_schooling_years": grouped["years"].sum(),
            "n_adults_secondary_complete": grouped["secondary"].sum(),
        }
    )


# --------------------------------------------------------------------------------------
# Household-level columns
# --------------------------------------------------------------------------------------


def _dwelling_features(rows: pd.DataFrame) -> pd.DataFrame:
    """Dwelling, services, assets and location, from the household-level columns."""
    size = rows["hhsize"].clip(lower=1).astype("float64")
    rent = rows["v2a1"].fillna(0).clip(lower=0).astype("float64")
    # v18q1 is missing exactly when v18q == 0 (no tablet) in the published file.
    tablets = rows["v18q1"].fillna(0).astype("int64")
    out = pd.DataFrame(
        {
            "area": _collapse_one_hot(rows, REGIONS),
            "is_urban": rows["area1"],
            "household_size": rows["hhsize"],
            "log_household_size": np.log(size),
            "n_rooms": rows["rooms"],
            "n_bedrooms": rows["bedrooms"],
            "rooms_per_person": rows["rooms"] / size,
            "bedrooms_per_person": rows["bedrooms"] / size,
            "persons_per_bedroom": rows["overcrowding"].astype("float64"),
            "is_overcrowded_bedrooms": rows["hacdor"],
            "is_overcrowded_rooms": rows["hacapo"],
            "n_persons_in_dwelling": rows["tamviv"],
            "has_ceiling": rows["cielorazo"],
            "has_bathroom": rows["v14a"],
            "rent_monthly_crc": rent,
            "log_rent_monthly_crc": np.log1p(rent),
            "log_rent_per_person_crc": np.log1p(rent / size),
            "is_rent_missing": rows["v2a1"].isna().astype("int64"),
            "has_refrigerator": rows["refrig"],
            "has_computer": rows["computer"],
            "has_television": rows["television"],
            "n_tablets": tablets,
            "tablets_per_person": tablets / size,
            "n_mobile_phones": rows["qmobilephone"],
            "mobile_phones_per_person": rows["qmobilephone"] / size,
            "n_assets": rows["refrig"]
            + rows["computer"]
            + rows["television"]
            + tablets.gt(0)
            + rows["qmobilephone"].gt(0),
        },
        index=rows.index,
    )
    for name, dummies in STATE_GROUPS.items():
        out[name] = _state_index(rows, dummies)
    out["dwelling_state_index"] = out[list(STATE_GROUPS)].sum(axis=1)
    for name, mapping in CATEGORY_GROUPS.items():
        out[name] = _collapse_one_hot(rows, mapping)
    return out


def _add_per_person(table: pd.DataFrame) -> pd.DataFrame:
    """Ratios of member aggregates to the reported household size."""
    size = table["household_size"].clip(lower=1)
    return table.assign(
        share_members_working_age=table["n_age_18_64"] / size,
        adults_schooling_years_per_person=table["adults_schooling_years"] / size,
        adults_secondary_complete_per_person=table["n_adults_secondary_complete"] / size,
    )


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------


def _check_columns(persons: pd.DataFrame, source: str) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in persons.columns]
    if missing:
        raise ValueError(
            f"{source} lacks column(s) {', '.join(missing[:5])}"
            f"{' and more' if len(missing) > 5 else ''}: pass the person-level training file "
            "of the IDB Costa Rican household poverty challenge"
        )
    if persons["idhogar"].isna().any():
        raise ValueError(
            f"{source}: column 'idhogar' is empty in some rows; every person row "
            "needs its household id"
        )


def build_household_table(
    persons: pd.DataFrame, *, source: str = "the person table"
) -> pd.DataFrame:
    """One row per household: id, welfare class, region and the PMT proxies of :data:`FEATURES`.

    Parameters
    ----------
    persons
        The challenge's person-level table (one row per person, ``idhogar`` the household).
    source
        How to name the table in error messages (a file name).

    Returns
    -------
    DataFrame
        Columns in the order of :data:`FEATURES`, households sorted by ``household_id``.
        No proxy column has a missing value. On the published file: 2,988
        households, 22.2% of them in classes 1-2.
    """
    _check_columns(persons, source)
    persons = persons[list(REQUIRED_COLUMNS)].copy()
    persons["idhogar"] = persons["idhogar"].astype("str")
    rows = _head_rows(persons)
    head = _head_features(persons, rows)
    parts = [
        rows[["has_head_row"]],
        _welfare_class(persons, rows).rename("welfare_class"),
        _member_counts(persons),
        _dwelling_features(rows),
        _adult_schooling(persons, head),
        head,
    ]
    table = _add_per_person(pd.concat(parts, axis=1)).rename_axis("household_id").reset_index()
    return table[[f.name for f in FEATURES]].sort_values("household_id", ignore_index=True)


def load_costa_rica_households(path: str | os.PathLike) -> pd.DataFrame:
    """Read the challenge's person-level CSV and return the household table.

    Raises ``FileNotFoundError`` or ``ValueError`` with one sentence naming the
    file, the column and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: pass the challenge's training CSV (households_raw.csv)"
        )
    persons = pd.read_csv(path, usecols=lambda c: c in REQUIRED_COLUMNS)
    return build_household_table(persons, source=str(path))


def write_table_atomic(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write CSV or Parquet (by suffix) under a temporary name, then rename into place."""
    path = Path(path)
    writers = {".csv": write_csv_atomic, ".parquet": write_parquet_atomic}
    if path.suffix.lower() not in writers:
        raise ValueError(f"{path}: the output must end in .csv or .parquet")
    return writers[path.suffix.lower()](table, path)


def main(argv: Sequence[str] | None = None) -> int:
    """``benchmarks/costa_rica_households.py --raw PATH --out FILE``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="costa_rica_households.py",
        description="Build the Costa Rican household table (one row per household) "
        "from the IDB challenge's person-level CSV.",
    )
    parser.add_argument("--raw", required=True, help="person-level CSV (households_raw.csv)")
    parser.add_argument("--out", required=True, help="household table to write, .csv or .parquet")
    args = parser.parse_args(argv)
    try:
        if Path(args.out).suffix.lower() not in {".csv", ".parquet"}:
            raise ValueError(f"{args.out}: the output must end in .csv or .parquet")
        table = load_costa_rica_households(args.raw)
        written = write_table_atomic(table, args.out)
    except (FileNotFoundError, ValueError) as err:
        print(f"costa_rica: error: {err}", file=sys.stderr)
        return 2
    poor = table["welfare_class"].le(2).mean()
    print(
        f"{len(table):,} households ({poor:.1%} in classes 1-2), "
        f"{len(NUMERIC_PROXIES)} numeric and {len(CATEGORICAL_PROXIES)} categorical proxies: "
        f"wrote {written}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
