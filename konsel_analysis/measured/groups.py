"""Who is missed: targeting errors by group of households, measured on the survey.

A targeting review is asked first whether some kinds of households are left out
more than others (published PMT audits find exclusion errors about twice as high
for, e.g., poor elderly households). This module forms the groups and measures,
per group level and programme, the survey-weighted inclusion error, exclusion
error and coverage of the poor and of the extreme poor, each with a
cluster-bootstrap interval (the same Rao-Wu replicates as
:mod:`~konsel_analysis.measured.targeting`), and the **exclusion gap**: the
level's exclusion error minus that of the rest of the group's households, with
its interval taken from the same replicates (so the correlation of the two
through shared villages is kept) and a flag when the interval excludes 0.

Groups
------
By default every group the data dictionary can form from the columns a table has
(:data:`DEFAULT_GROUPS`): female head, a member aged 70+, a member or head with a
(severe) disability, household size bands, urban/rural and the head's education
band. A dataset config adds raw columns under ``groups: [col, ...]`` (each value a
level). A default or configured column that a table lacks is skipped with a note,
never a crash.

Levels are written as codes (``1``/``0`` for a flag, ``1+``/``0`` for "at least one
member", ``1-2`` ... ``7+`` for household size, education bands); a missing value
is its own level, ``(missing)``. :func:`level_label` gives the words for reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from konsel_analysis.dictionary import PERSONAL_COLUMNS, column
from konsel_analysis.measured.targeting import (
    ALL_AREAS,
    SHRINK_BELOW_HOUSEHOLDS,
    SUMS,
    TargetingDesign,
    _percentile_interval,
    household_sums,
    indicators_from_sums,
    rao_wu_multiplicities,
    resampling_units,
)

MISSING = "(missing)"
#: A configured group column with more distinct values than this is skipped: a
#: breakdown into dozens of levels has too few sampled poor in each to say anything.
MAX_LEVELS = 12
#: Household size bands (persons), the usual BPS tabulation bands.
SIZE_BANDS = ((1, 2, "1-2"), (3, 4, "3-4"), (5, 6, "5-6"), (7, None, "7+"))
EDUCATION_BANDS = {
    "none": "primary_or_less",
    "primary": "primary_or_less",
    "junior_secondary": "junior_secondary",
    "senior_secondary": "senior_secondary_or_more",
    "tertiary": "senior_secondary_or_more",
}
_LEVEL_WORDS = {
    # level code -> (English, Bahasa Indonesia)
    "primary_or_less": ("primary school or less", "SD ke bawah"),
    "junior_secondary": ("junior secondary", "SMP/sederajat"),
    "senior_secondary_or_more": ("senior secondary or more", "SMA ke atas"),
    MISSING: ("missing", "tidak tercatat"),
}


def _flag(series: pd.Series) -> pd.Series:
    """0/1 (or true/false, yes/no, ya/tidak) as a float 0/1; anything else missing."""
    text = series.astype("string").str.strip().str.lower()
    text = text.replace({"true": "1", "false": "0", "yes": "1", "no": "0", "ya": "1", "tidak": "0"})
    values = pd.to_numeric(text, errors="coerce")
    return values.where(values.isin([0, 1]))


def _as_levels(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna(MISSING).astype(object)


def _flag_levels(frame: pd.DataFrame, name: str) -> pd.Series:
    flag = _flag(frame[name])
    return _as_levels(flag.map({1.0: "1", 0.0: "0"}))


def _any_member(frame: pd.DataFrame, name: str) -> pd.Series:
    count = pd.to_numeric(frame[name], errors="coerce")
    return _as_levels(count.map(lambda v: np.nan if pd.isna(v) else ("1+" if v >= 1 else "0")))


def _disability(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.Series:
    parts = []
    if "n_members_severe_disability" in names:
        parts.append(pd.to_numeric(frame["n_members_severe_disability"], errors="coerce") >= 1)
        parts[-1] = parts[-1].where(frame["n_members_severe_disability"].notna())
    if "is_head_disabled" in names:
        parts.append(_flag(frame["is_head_disabled"]) == 1)
        parts[-1] = parts[-1].where(_flag(frame["is_head_disabled"]).notna())
    stacked = pd.concat(parts, axis=1)
    anyone = stacked.eq(True).any(axis=1)
    known = stacked.notna().all(axis=1) | anyone
    return _as_levels(anyone.map({True: "1", False: "0"}).where(known))


def _size_band(frame: pd.DataFrame, name: str) -> pd.Series:
    size = pd.to_numeric(frame[name], errors="coerce")
    out = pd.Series(np.nan, index=frame.index, dtype=object)
    for low, high, code in SIZE_BANDS:
        inside = (size >= low) & (size <= high if high is not None else True)
        out[inside] = code
    return _as_levels(out)


def _education_band(frame: pd.DataFrame, name: str) -> pd.Series:
    text = frame[name].astype("string").str.strip()
    return _as_levels(text.map(lambda v: EDUCATION_BANDS.get(v, v) if pd.notna(v) else np.nan))


@dataclass(frozen=True)
class GroupSpec:
    """One grouping of households: its name (the ``group`` column of the outputs),
    the table columns it needs (any one suffices when ``any_of``) and how levels form."""

    name: str
    columns: tuple[str, ...]
    levels_of: Callable[[pd.DataFrame], pd.Series]
    any_of: bool = False

    def available(self, frame_columns) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c in frame_columns)

    def usable(self, frame_columns) -> bool:
        have = self.available(frame_columns)
        return bool(have) if self.any_of else len(have) == len(self.columns)


#: The groups the data dictionary can form (issue 18), in report order.
DEFAULT_GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("is_head_female", ("is_head_female",), lambda f: _flag_levels(f, "is_head_female")),
    GroupSpec(
        "n_members_age_70_plus",
        ("n_members_age_70_plus",),
        lambda f: _any_member(f, "n_members_age_70_plus"),
    ),
    GroupSpec(
        "any_disability",
        ("n_members_severe_disability", "is_head_disabled"),
        lambda f: _disability(f, tuple(f.columns)),
        any_of=True,
    ),
    GroupSpec("household_size", ("household_size",), lambda f: _size_band(f, "household_size")),
    GroupSpec("is_urban", ("is_urban",), lambda f: _flag_levels(f, "is_urban")),
    GroupSpec(
        "head_education", ("head_education",), lambda f: _education_band(f, "head_education")
    ),
)
_DEFAULT_BY_NAME = {g.name: g for g in DEFAULT_GROUPS}


def _raw_group(name: str) -> GroupSpec:
    return GroupSpec(name, (name,), lambda f: _as_levels(_raw_text(f[name])))


def _raw_text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(series):
        finite = series.dropna()
        if len(finite) and np.all(np.mod(finite, 1) == 0):
            series = series.astype("Int64")
    return series.astype("string").str.strip()


@dataclass(frozen=True)
class GroupLevels:
    """Each household's level in every grouping that could be formed, and the notes
    on the groupings that could not."""

    levels: dict[str, np.ndarray]  # group name -> level code per household
    skipped: dict[str, str]  # group name -> why it was left out


def form_groups(
    frame: pd.DataFrame,
    configured: Sequence[str] = (),
    requested: Sequence[str] | None = None,
    personal: Sequence[str] = (),
) -> GroupLevels:
    """The groups of a household table.

    Parameters
    ----------
    frame
        The household table (survey or register), with its own column names.
    configured
        Columns a dataset config names under ``groups:``; added to the defaults.
    requested
        When given (``--groups``), only these: default group names
        (:data:`DEFAULT_GROUPS`) or raw columns.

    A group whose columns the table lacks, or with more than :data:`MAX_LEVELS`
    levels, is skipped and said so in ``skipped``; so is a personal column (the
    dictionary's NIK and names, and ``personal``), whose values must never become
    levels in an output.

    >>> f = pd.DataFrame({"is_head_female": [1, 0, 1], "household_size": [2, 5, 9]})
    >>> g = form_groups(f)
    >>> g.levels["household_size"].tolist(), sorted(g.skipped)[:1]
    (['1-2', '5-6', '7+'], ['any_disability'])
    """
    names = list(requested) if requested is not None else [g.name for g in DEFAULT_GROUPS]
    names += [c for c in configured if requested is None and c not in names]
    levels, skipped = {}, {}
    never = set(PERSONAL_COLUMNS) | set(personal)
    for name in names:
        if name in never:
            skipped[name] = "personal data (NIK or name): never a group; group skipped"
            continue
        spec = _DEFAULT_BY_NAME.get(name) or _raw_group(name)
        if not spec.usable(frame.columns):
            missing = [c for c in spec.columns if c not in frame.columns]
            skipped[name] = f"column(s) {', '.join(missing)} not in the table: group skipped"
            continue
        values = np.asarray(spec.levels_of(frame), dtype=object)
        distinct = len(set(values) - {MISSING})
        if distinct > MAX_LEVELS:
            skipped[name] = (
                f"{distinct} distinct values, more than {MAX_LEVELS}: band the column "
                "into a few levels first; group skipped"
            )
            continue
        levels[name] = values
    return GroupLevels(levels, skipped)


_GROUP_WORDS = {
    # group -> (English, Bahasa Indonesia), where the dictionary's label reads badly
    "any_disability": ("Member or head disabled", "Anggota atau kepala disabilitas"),
    "is_urban": ("Area", "Daerah"),
}


def group_label(name: str, language: str = "id") -> str:
    """Words for a group in reports."""
    if name in _GROUP_WORDS:
        return _GROUP_WORDS[name][0 if language == "en" else 1]
    try:
        return column(name).label(language)
    except KeyError:
        return name


def level_label(name: str, level: str, language: str = "id") -> str:
    """Words for a level in reports (``1``/``0`` read as yes/no)."""
    i = 0 if language == "en" else 1
    if level in _LEVEL_WORDS:
        return _LEVEL_WORDS[level][i]
    if name == "is_urban" and level in ("0", "1"):
        return (("rural", "perdesaan"), ("urban", "perkotaan"))[int(level)][i]
    if level in ("1", "1+"):
        return ("yes", "ya")[i]
    if level == "0":
        return ("no", "tidak")[i]
    if name == "household_size" and any(level == b[2] for b in SIZE_BANDS):
        return f"{level} {('persons', 'orang')[i]}"
    return level


# --------------------------------------------------------------------------------------
# Survey side
# --------------------------------------------------------------------------------------


def interval_columns(*measures: str) -> tuple[str, ...]:
    """Each measure followed by its ``_low`` and ``_high`` bounds.

    >>> interval_columns("exclusion_gap")
    ('exclusion_gap', 'exclusion_gap_low', 'exclusion_gap_high')
    """
    return tuple(f"{m}{s}" for m in measures for s in ("", "_low", "_high"))


#: Columns of the stable ``targeting_by_group.csv`` contract, in order; extras follow.
CONTRACT_COLUMNS = (
    "program",
    "group",
    "level",
    "households",
    "sampled_households",
    *interval_columns("inclusion_error", "exclusion_error", "exclusion_gap"),
)
_INTERVAL_KEYS = ("inclusion_error", "exclusion_error", "coverage", "coverage_extreme_poor")


@dataclass(frozen=True)
class _Cell:
    """The unit sums of one level and of the rest of its group, in one area (or ALL)."""

    level: np.ndarray  # units x SUMS
    rest: np.ndarray
    sampled: dict[str, int]


def _cell_row(cell: _Cell, mult: np.ndarray | None, alpha: float) -> dict:
    """Point estimates, percentile intervals and the exclusion gap of one cell
    (``mult`` None: a cell too small to publish; its intervals are not computed)."""
    keys, rest_keys = _INTERVAL_KEYS, ("exclusion_error",)
    direct = indicators_from_sums(cell.level.sum(axis=0), keys)
    rest_direct = indicators_from_sums(cell.rest.sum(axis=0), rest_keys)
    empty = np.full((1, len(SUMS)), np.nan)
    boot = indicators_from_sums(empty if mult is None else mult @ cell.level, keys)
    rest_boot = indicators_from_sums(empty if mult is None else mult @ cell.rest, rest_keys)
    row: dict = {"households": float(cell.level[:, 0].sum()), **cell.sampled}
    for key in _INTERVAL_KEYS:
        row[key] = float(direct[key])
        row[f"{key}_low"], row[f"{key}_high"] = _percentile_interval(boot[key], alpha)
    row["rest_exclusion_error"] = float(rest_direct["exclusion_error"])
    row["exclusion_gap"] = float(direct["exclusion_error"] - rest_direct["exclusion_error"])
    gap = boot["exclusion_error"] - rest_boot["exclusion_error"]
    row["exclusion_gap_low"], row["exclusion_gap_high"] = _percentile_interval(gap, alpha)
    return row


def _exclusion_notes(row: dict, min_poor: int, is_area: bool) -> list[str]:
    """Blank the exclusion-side figures that cannot stand; the reasons."""
    n = row["sampled_poor"]
    if n == 0:
        notes = ["no sampled poor households in this group: exclusion error undefined"]
    elif n < min_poor and is_area:
        notes = [
            f"only {n} sampled poor households in this group and kecamatan "
            f"(fewer than {min_poor}): too few for a group figure"
        ]
    elif n < min_poor:
        return [f"rests on {n} sampled poor households: read with care"]
    else:
        return []
    for key in ("exclusion_error", "coverage", "coverage_extreme_poor", "exclusion_gap"):
        row[key] = row[f"{key}_low"] = row[f"{key}_high"] = np.nan
    row["rest_exclusion_error"] = np.nan
    return notes


def _inclusion_notes(row: dict, min_beneficiaries: int, is_area: bool) -> list[str]:
    """Blank the inclusion error where it cannot stand; the reasons."""
    n = row["sampled_beneficiaries"]
    if n == 0:
        notes = ["no sampled beneficiaries in this group: inclusion error undefined"]
    elif n < min_beneficiaries and is_area:
        notes = [f"only {n} sampled beneficiaries in this group and kecamatan: left out"]
    else:
        return []
    for key in ("inclusion_error", "inclusion_error_low", "inclusion_error_high"):
        row[key] = np.nan
    return notes


def _notes(row: dict, min_households: int, is_area: bool) -> dict:
    """Empty values and the reason where a figure cannot stand; the gap's flag."""
    notes = _exclusion_notes(row, min_households, is_area)
    notes += _inclusion_notes(row, min_households, is_area)
    if np.isfinite(row["exclusion_error"]) and not np.isfinite(row["rest_exclusion_error"]):
        notes.append("no sampled poor households in the rest of the group: gap undefined")
    low, high = row["exclusion_gap_low"], row["exclusion_gap_high"]
    row["gap_excludes_zero"] = bool(np.isfinite(low) and (low > 0 or high < 0))
    row["note"] = "; ".join(notes)
    return row


def measure_group_targeting(
    design: TargetingDesign,
    programs: dict[str, np.ndarray],
    groups: GroupLevels,
    *,
    ci: float = 0.95,
    reps: int = 500,
    min_households: int = SHRINK_BELOW_HOUSEHOLDS,
    seed: int = 0,
    areas: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Survey-weighted targeting errors per programme, group and level, with intervals.

    Returns ``(regency, by_area)``: the regency table (the
    ``targeting_by_group.csv`` contract, :data:`CONTRACT_COLUMNS` then extras) and
    the same per kecamatan, where figures resting on fewer than
    ``min_households`` sampled poor households (exclusion error, coverage, gap)
    or beneficiaries (inclusion error) are left empty with the reason.

    The bootstrap resamples villages within kecamatan (Rao & Wu 1988), with the
    same generator seed as :func:`~.targeting.measure_targeting`, so the same
    ``seed`` gives the same replicates. ``areas=False`` leaves the kecamatan table
    empty (regency figures only).
    """
    from threadpoolctl import threadpool_limits

    units = resampling_units(design.area, design.cluster)
    mult = rao_wu_multiplicities(units.area_of_unit, reps, np.random.default_rng(seed))
    alpha = (1 - ci) / 2
    regency, by_area = [], []
    n_units = len(units.area_of_unit)
    with threadpool_limits(limits=1):
        for program, flags in programs.items():
            hh = household_sums(flags, design.is_poor, design.is_extreme_poor, design.weight)
            for group, levels in groups.levels.items():
                known = levels != MISSING
                for level in sorted(set(levels), key=level_sort_key):
                    mine = levels == level
                    rest = known & ~mine if level != MISSING else known
                    level_sums = np.zeros((n_units, len(SUMS)))
                    rest_sums = np.zeros((n_units, len(SUMS)))
                    np.add.at(level_sums, units.unit_of_household[mine], hh[mine])
                    np.add.at(rest_sums, units.unit_of_household[rest], hh[rest])
                    key = {"program": program, "group": group, "level": level}
                    cell = _Cell(level_sums, rest_sums, _sampled(flags, design, mine))
                    row = _cell_row(cell, mult, alpha)
                    regency.append({**key, "area": ALL_AREAS, **_notes(row, min_households, False)})
                    for area in sorted(set(units.area_of_unit)) if areas else ():
                        inside = units.area_of_unit == area
                        in_area = mine & (design.area == area)
                        cell = _Cell(
                            level_sums[inside],
                            rest_sums[inside],
                            _sampled(flags, design, in_area),
                        )
                        small = (
                            max(cell.sampled["sampled_poor"], cell.sampled["sampled_beneficiaries"])
                            < min_households
                        )
                        row = _cell_row(cell, None if small else mult[:, inside], alpha)
                        by_area.append({**key, "area": area, **_notes(row, min_households, True)})
    skipped = [
        {"program": p, "group": g, "level": "", "area": ALL_AREAS, "note": why}
        for p in programs
        for g, why in groups.skipped.items()
    ]
    return _finish(pd.DataFrame(regency + skipped)), _finish(pd.DataFrame(by_area), area=True)


def level_sort_key(level: str) -> tuple:
    """Levels in a reading order: yes before no, bands in order, missing last."""
    order = {"1": 0, "1+": 0, "0": 1, MISSING: 99}
    bands = {b[2]: i for i, b in enumerate(SIZE_BANDS)}
    edu = {v: i for i, v in enumerate(dict.fromkeys(EDUCATION_BANDS.values()))}
    return (order.get(level, bands.get(level, edu.get(level, 50))), level)


def _sampled(flags, design: TargetingDesign, mask: np.ndarray) -> dict[str, int]:
    return {
        "sampled_households": int(mask.sum()),
        "sampled_poor": int(np.asarray(design.is_poor, bool)[mask].sum()),
        "sampled_beneficiaries": int(np.asarray(flags, bool)[mask].sum()),
    }


def _finish(table: pd.DataFrame, area: bool = False) -> pd.DataFrame:
    first = list(CONTRACT_COLUMNS)
    if area:
        first.insert(1, "area")
    for name in first:
        if name not in table.columns:
            table[name] = np.nan
    extras = [c for c in table.columns if c not in first and not (c == "area" and not area)]
    out = table.loc[:, [*first, *extras]]
    for name in ("sampled_households", "sampled_poor", "sampled_beneficiaries"):
        if name in out.columns:
            out[name] = out[name].astype("Int64")
    if not area:
        out = out.drop(columns="area", errors="ignore")
    return out.reset_index(drop=True)


def requested_groups(option: str | None, frame: pd.DataFrame, data_path) -> list[str] | None:
    """The groups ``--groups col1,col2`` names (None: the defaults and the config's).

    A default group name (:data:`DEFAULT_GROUPS`) is always accepted (skipped with a
    note when the table lacks its columns); any other name must be a column.
    """
    from konsel_analysis.errors import UserError

    if option is None:
        return None
    names = [n.strip() for n in option.split(",") if n.strip()]
    if not names:
        raise UserError("--groups is empty; name columns, e.g. --groups is_head_female,is_urban")
    unknown = [n for n in names if n not in _DEFAULT_BY_NAME and n not in frame.columns]
    if unknown:
        raise UserError(
            f"--groups names column(s) {', '.join(map(repr, unknown))} that {data_path} "
            f"does not have; use columns of the table or the default groups "
            f"({', '.join(_DEFAULT_BY_NAME)})"
        )
    return names


def write_group_tables(
    dataset, design: TargetingDesign, programs, requested, *, ci, reps, seed, out
) -> list:
    """Measure by group and write ``targeting_by_group.csv`` (regency, the contract) and
    ``targeting_by_group_area.csv`` (per kecamatan); returns the paths written.

    ``requested``: :func:`requested_groups` of ``--groups`` (None: the defaults and
    the config's ``groups``)."""
    from konsel_analysis.files import write_csv_atomic

    groups = form_groups(
        dataset.frame, dataset.config.groups, requested, personal=dataset.config.personal
    )
    regency, by_area = measure_group_targeting(
        design, programs, groups, ci=ci, reps=reps, seed=seed
    )
    return [
        write_csv_atomic(regency, out / "targeting_by_group.csv"),
        write_csv_atomic(by_area, out / "targeting_by_group_area.csv"),
    ]
