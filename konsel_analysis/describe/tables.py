"""The register and the survey by area: counts, shares, poverty rates, bands, coverage.

Plain functions of the accepted rows (canonical column names, :mod:`konsel_analysis.dictionary`):
every kecamatan of the regency's list and the regency itself (area ``74.05``), small
cells suppressed (:data:`~konsel_analysis.privacy.MIN_CELL_HOUSEHOLDS`). Survey figures
are survey-weighted (``design_weight``; persons: weight x household size).
:func:`describe_areas` gives all four tables; :func:`register_summary_by_kecamatan` is
the first one's register columns as the published register summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from konsel_analysis.dictionary import PROGRAM_FLAGS
from konsel_analysis.geography import REGENCY_CODE, load_kecamatan, load_villages
from konsel_analysis.parameters import load_parameters
from konsel_analysis.privacy import MIN_CELL_HOUSEHOLDS

#: The tables of :func:`describe_areas`, by name (the area summary step writes each).
TABLES = ("area_summary", "welfare_bands", "coverage_points", "desa_composition")

#: Programmes whose targeting is measured here; "pkh_or_bpnt" is either one.
MEASURED_PROGRAMMES = ("pkh", "bpnt", "pkh_or_bpnt")

#: The columns of the accepted rows the tables read.
REGISTER_COLUMNS = ["kecamatan_code", "village_code", "household_size", *PROGRAM_FLAGS, "desil"]
SURVEY_COLUMNS = [
    "kecamatan_code",
    "village_code",
    "design_weight",
    "household_size",
    "consumption_pc_month_idr",
    *PROGRAM_FLAGS,
]


@dataclass(frozen=True)
class SummarySettings:
    """The policy numbers the tables use (parameters.yml, or a report's own lines)."""

    poverty_line_idr: float  # Rp per person per month
    extreme_poverty_line_idr: float  # Rp per person per month
    eligible_desil_max: int  # DTSEN desil 1 to this one are eligible (Inpres 4/2025)

    @classmethod
    def from_parameters(cls) -> SummarySettings:
        """The numbers of parameters.yml (the main job's)."""
        params = load_parameters()
        return cls(
            poverty_line_idr=float(params.value("poverty_lines.poverty_line")),
            extreme_poverty_line_idr=float(params.value("poverty_lines.extreme_poverty_line")),
            eligible_desil_max=int(params.value("social_assistance.eligible_desil_max")),
        )


def weighted_share(is_in: np.ndarray, weights: np.ndarray) -> float:
    """Weighted share of ``True`` in ``is_in``; NaN when the weights sum to zero.

    >>> weighted_share(np.array([True, False, False]), np.array([2.0, 1.0, 1.0]))
    0.5
    """
    total = float(np.sum(weights))
    return float(np.sum(weights[np.asarray(is_in, dtype=bool)]) / total) if total > 0 else np.nan


def inclusion_error(is_recipient: np.ndarray, is_poor: np.ndarray, weights: np.ndarray) -> float:
    """Share of recipients who are not poor (weighted); NaN without recipients.

    >>> inclusion_error(np.array([1, 1, 0, 1]), np.array([1, 0, 1, 0]), np.ones(4))
    0.6666666666666666
    """
    rec = np.asarray(is_recipient, dtype=bool)
    return weighted_share(~np.asarray(is_poor, dtype=bool)[rec], np.asarray(weights)[rec])


def exclusion_error(is_recipient: np.ndarray, is_poor: np.ndarray, weights: np.ndarray) -> float:
    """Share of the poor who do not receive (weighted); NaN without poor households.

    >>> exclusion_error(np.array([1, 1, 0, 1]), np.array([1, 0, 1, 0]), np.ones(4))
    0.5
    """
    poor = np.asarray(is_poor, dtype=bool)
    return weighted_share(~np.asarray(is_recipient, dtype=bool)[poor], np.asarray(weights)[poor])


# --------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------


def _areas(frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """Each kecamatan of the geography (empty frame when it has no rows), then the regency."""
    groups = dict(tuple(frame.groupby("kecamatan_code", sort=True)))
    for code in load_kecamatan()["kecamatan_code"]:
        yield code, groups.get(code, frame.iloc[0:0])
    yield REGENCY_CODE, frame


def _receives(frame: pd.DataFrame, programme: str) -> np.ndarray:
    if programme == "pkh_or_bpnt":
        return (frame["is_pkh_recipient"] | frame["is_bpnt_recipient"]).to_numpy(bool)
    return frame[f"is_{programme}_recipient"].to_numpy(bool)


def prepare_survey(survey: pd.DataFrame, settings: SummarySettings) -> pd.DataFrame:
    consumption = survey["consumption_pc_month_idr"]
    return survey.assign(
        is_poor=consumption < settings.poverty_line_idr,
        is_extreme_poor=consumption < settings.extreme_poverty_line_idr,
        person_weight=survey["design_weight"] * survey["household_size"],
    )


def summarise_areas(
    register: pd.DataFrame, survey: pd.DataFrame, settings: SummarySettings
) -> pd.DataFrame:
    """One row per kecamatan and one for the regency: register counts, survey poverty."""
    rows = []
    survey_by_area = dict(_areas(survey))
    for code, reg in _areas(register):
        sample = survey_by_area[code]
        w, pw = sample["design_weight"].to_numpy(), sample["person_weight"].to_numpy()
        eligible = reg["desil"].to_numpy() <= settings.eligible_desil_max
        row = {
            "area_code": code,
            "households": len(reg),
            "persons": int(reg["household_size"].sum()),
            "villages": reg["village_code"].nunique(),
            "share_desil_eligible": float(eligible.mean()) if len(reg) else np.nan,
            "survey_households": len(sample),
            "survey_villages": sample["village_code"].nunique(),
            "survey_poor_households": int(sample["is_poor"].sum()),
            "survey_extreme_poor_households": int(sample["is_extreme_poor"].sum()),
            "poverty_rate_persons": weighted_share(sample["is_poor"].to_numpy(), pw),
            "extreme_poverty_rate_persons": weighted_share(
                sample["is_extreme_poor"].to_numpy(), pw
            ),
            "poverty_rate_households": weighted_share(sample["is_poor"].to_numpy(), w),
        }
        for flag in PROGRAM_FLAGS:
            short = flag.removeprefix("is_").removesuffix("_recipient")
            receives = reg[flag].to_numpy(bool)
            row[f"share_{short}"] = float(receives.mean()) if len(reg) else np.nan
            # DTSEN (Inpres 4/2025): social assistance goes to desil 1-4; recipients
            # outside them are ineligible by the register's own rule.
            outside = int((receives & ~eligible).sum())
            row[f"share_{short}_outside_eligible_desil"] = (
                outside / receives.sum() if receives.sum() >= MIN_CELL_HOUSEHOLDS else np.nan
            )
        rows.append(row)
    summary = pd.DataFrame(rows)
    names = load_kecamatan().set_index("kecamatan_code")["kecamatan_name"]
    summary.insert(1, "area_name", summary["area_code"].map(names).fillna("Konawe Selatan"))
    return summary


def measure_targeting_errors(survey: pd.DataFrame) -> pd.DataFrame:
    """Inclusion and exclusion error per area and programme, with their sample sizes.

    A rate from fewer than :data:`MIN_CELL_HOUSEHOLDS` sample households is left
    empty (suppressed); the sample sizes say how far each rate can be trusted.
    """
    rows = []
    for code, sample in _areas(survey):
        w, poor = sample["design_weight"].to_numpy(), sample["is_poor"].to_numpy(bool)
        for programme in MEASURED_PROGRAMMES:
            receives = _receives(sample, programme)
            n_recipients, n_poor = int(receives.sum()), int(poor.sum())
            inclusion = inclusion_error(receives, poor, w)
            exclusion = exclusion_error(receives, poor, w)
            rows.append(
                {
                    "area_code": code,
                    "programme": programme,
                    "survey_recipients": n_recipients,
                    "survey_poor_households": n_poor,
                    "inclusion_error": inclusion if n_recipients >= MIN_CELL_HOUSEHOLDS else np.nan,
                    "exclusion_error": exclusion if n_poor >= MIN_CELL_HOUSEHOLDS else np.nan,
                    "coverage_households": weighted_share(receives, w),
                    "coverage_poor": 1 - exclusion if n_poor >= MIN_CELL_HOUSEHOLDS else np.nan,
                }
            )
    return pd.DataFrame(rows)


def welfare_band_edges(settings: SummarySettings) -> list[tuple[str, float, float]]:
    """Consumption bands (Rp per capita per month) set by the two lines.

    Below the extreme-poverty line; between the two lines; vulnerable (1 to 1.5
    times the poverty line, BPS's "rentan miskin"); and not poor (1.5 times the
    line or more). Four bands keep each cell large enough to show in a
    kecamatan sample of about a hundred households.
    """
    gk, ext = settings.poverty_line_idr, settings.extreme_poverty_line_idr
    return [
        ("extreme_poor", 0.0, ext),
        ("poor", ext, gk),
        ("vulnerable", gk, 1.5 * gk),
        ("not_poor", 1.5 * gk, np.inf),
    ]


def tabulate_welfare_bands(survey: pd.DataFrame, settings: SummarySettings) -> pd.DataFrame:
    """Weighted share of PKH-or-BPNT recipients and of non-recipients in each band."""
    edges = welfare_band_edges(settings)
    rows = []
    for code, sample in _areas(survey):
        receives = _receives(sample, "pkh_or_bpnt")
        consumption = sample["consumption_pc_month_idr"].to_numpy()
        w = sample["design_weight"].to_numpy()
        for group, members in (("recipient", receives), ("non_recipient", ~receives)):
            group_weight = w[members].sum()
            for band, low, high in edges:
                in_band = members & (consumption >= low) & (consumption < high)
                n = int(in_band.sum())
                share = w[in_band].sum() / group_weight if group_weight > 0 else np.nan
                rows.append(
                    {
                        "area_code": code,
                        "group": group,
                        "band": band,
                        "lower_idr": low,
                        "upper_idr": high,
                        "group_households": int(members.sum()),
                        "share_households": share if n >= MIN_CELL_HOUSEHOLDS else np.nan,
                        "is_suppressed": n < MIN_CELL_HOUSEHOLDS,
                    }
                )
    return pd.DataFrame(rows)


def tabulate_coverage(survey: pd.DataFrame) -> pd.DataFrame:
    """Coverage when households are ranked by how many programmes they receive.

    The survey has no DTSEN desil and no PMT score yet, so the best stand-in for
    the current ranking is the number of programmes (PKH, BPNT, PBI-JK, BLT-DD) a
    household gets: households with all four come first. Each point says which
    share of households and which share of poor households are reached when
    every household with at least ``min_programmes`` is covered.
    """
    rows = []
    for code, sample in _areas(survey):
        w, poor = sample["design_weight"].to_numpy(), sample["is_poor"].to_numpy(bool)
        n_programmes = sample[list(PROGRAM_FLAGS)].sum(axis=1).to_numpy()
        for k in range(len(PROGRAM_FLAGS), 0, -1):
            covered = n_programmes >= k
            rows.append(
                {
                    "area_code": code,
                    "ranking": "programmes_received",
                    "min_programmes": k,
                    "share_households": weighted_share(covered, w),
                    "share_poor": weighted_share(covered[poor], w[poor]),
                    "is_suppressed": int(covered.sum()) < MIN_CELL_HOUSEHOLDS,
                }
            )
    return pd.DataFrame(rows)


def compose_desa(register: pd.DataFrame, settings: SummarySettings) -> pd.DataFrame:
    """Households and programme shares per desa; cells from fewer than 5 households hidden."""
    eligible = register["desil"] <= settings.eligible_desil_max
    counts = (
        register.assign(n_desil_eligible=eligible)
        .groupby("village_code")
        .agg(
            households=("household_size", "size"),
            persons=("household_size", "sum"),
            n_desil_eligible=("n_desil_eligible", "sum"),
            **{
                f"n_{f.removeprefix('is_').removesuffix('_recipient')}": (f, "sum")
                for f in PROGRAM_FLAGS
            },
        )
    )
    villages = load_villages().set_index("village_code")
    table = villages[["kecamatan_code", "village_name", "is_kelurahan"]].join(counts, how="left")
    table[["households", "persons"]] = table[["households", "persons"]].fillna(0).astype(int)
    share_columns = [c for c in counts.columns if c.startswith("n_")]
    for col in share_columns:
        n = table[col].fillna(0)
        share = n / table["households"].where(table["households"] > 0)
        table[f"share_{col.removeprefix('n_')}"] = share.where(n >= MIN_CELL_HOUSEHOLDS)
    small = table["households"] < MIN_CELL_HOUSEHOLDS
    table["is_suppressed"] = small
    table.loc[small, ["households", "persons"]] = np.nan
    # Counts of recipients are not published; the shares carry the information.
    return table.drop(columns=share_columns).reset_index()


def describe_areas(
    register: pd.DataFrame, survey: pd.DataFrame, settings: SummarySettings
) -> dict[str, pd.DataFrame]:
    """The four tables by name: ``area_summary``, ``welfare_bands``, ``coverage_points``,
    ``desa_composition`` (the survey rows as they were read: no derived columns)."""
    prepared = prepare_survey(survey, settings)
    return {
        "area_summary": summarise_areas(register, prepared, settings),
        "welfare_bands": tabulate_welfare_bands(prepared, settings),
        "coverage_points": tabulate_coverage(prepared),
        "desa_composition": compose_desa(register, settings),
    }


def register_summary_by_kecamatan(area_summary: pd.DataFrame) -> pd.DataFrame:
    """The published register summary: per kecamatan of the regency's list, desa,
    households, persons and programme shares (4 decimals), from ``area_summary``'s
    register columns; a kecamatan without register households is left empty."""
    shares = [f"share_{f.removeprefix('is_').removesuffix('_recipient')}" for f in PROGRAM_FLAGS]
    rows = area_summary[
        (area_summary["area_code"] != REGENCY_CODE) & (area_summary["households"] > 0)
    ]
    summary = pd.DataFrame(
        {
            "kecamatan_code": rows["area_code"].to_numpy(),
            "villages": rows["villages"].to_numpy(),
            "households": rows["households"].to_numpy(),
            "persons": rows["persons"].to_numpy(dtype=float),
            **{s: rows[s].to_numpy(dtype=float).round(4) for s in shares},
        }
    )
    names = load_kecamatan()[["kecamatan_code", "kecamatan_name"]]
    return names.merge(summary, on="kecamatan_code", how="left")
