"""The one output registry: every file the main job writes, declared once.

The data dictionary (:mod:`konsel_analysis.dictionary`) describes the columns the
toolkit reads; this module describes what it writes. Each :class:`Output` gives the
file (its folder under the project and its name, or a pattern for the files written
once per kecamatan, desa or round), the step that writes it, its key columns and its
columns in file order; each column's unit and meaning is in :data:`FIELDS` (or, for a
column of the raw tables, in the data dictionary). ``docs/outputs.md`` is generated
from here (:func:`to_markdown`) and a test keeps it equal; other tests hold every
file a build writes, and every output file name or column the package spells, to
this registry.

Readers locate outputs here, never by spelling a path:

>>> from konsel_analysis.outputs import output, path
>>> from pathlib import Path
>>> from konsel_analysis.paths import ProjectPaths
>>> path(ProjectPaths(Path("/p")), "expected_errors_by_area").as_posix()
'/p/data/processed/score/expected_errors_by_area.csv'
>>> output("expected_errors_by_area").key
('area',)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from konsel_analysis.dictionary import COLUMNS as INPUT_COLUMNS
from konsel_analysis.dictionary import PERSONAL_COLUMNS, TABLES
from konsel_analysis.paths import ProjectPaths

Kind = Literal["table", "json", "figure", "text", "workbook", "manifest", "cache"]

#: The folder (under the project root) each step of the main job writes to: the folders
#: of :class:`~konsel_analysis.paths.ProjectPaths`, relative to the root.
_AT = ProjectPaths(Path("."))
STEP_FOLDERS: dict[str, str] = {
    step: folder.as_posix()
    for step, folder in {
        "intake": _AT.intake,
        "rejected": _AT.rejected,
        "register_summary": _AT.processed,
        "pmt": _AT.pmt,
        "targeting": _AT.targeting,
        "score": _AT.score,
        "impact": _AT.impact,
        "poverty_map": _AT.processed / "poverty_map",
        "verification": _AT.processed / "verification",
        "report_tables": _AT.processed / "report_inputs",
        "field_lists": _AT.verification_lists,
        "verification_decisions": _AT.restricted / "verification_decisions",
    }.items()
}


@dataclass(frozen=True)
class Field:
    """One output column: its unit and what it means."""

    name: str
    unit: str
    meaning: str


@dataclass(frozen=True)
class Output:
    """One file a step writes."""

    name: str
    step: str
    file: str  # a name, or a glob pattern (``*``) for files written per area or round
    meaning: str
    kind: Kind = "table"
    key: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    # Rows a raw table's checks rejected: these columns, then the raw table's own.
    columns_of_raw_table: str | None = None
    restricted: bool = False  # carries names and NIK: never published
    folder_below_step: str = ""  # a sub-folder of the step's folder (may be a pattern)

    @property
    def folder(self) -> str:
        """The folder under the project root."""
        base = STEP_FOLDERS[self.step]
        return f"{base}/{self.folder_below_step}" if self.folder_below_step else base

    @property
    def is_pattern(self) -> bool:
        return "*" in self.file or "?" in self.file

    def matches(self, relative: str) -> bool:
        """Whether a path relative to the project root is this output."""
        folder, _, name = relative.rpartition("/")
        same_depth = folder.count("/") == self.folder.count("/")
        if not (same_depth and fnmatchcase(folder, self.folder)):
            return False
        return fnmatchcase(name, self.file) if self.is_pattern else name == self.file

    def expected_columns(self, config_columns: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The columns in file order (for rejected rows: with the raw table's columns)."""
        if self.columns_of_raw_table is None:
            return self.columns
        raw = config_columns or TABLES[self.columns_of_raw_table]
        return (*self.columns, *(c for c in raw if c not in PERSONAL_COLUMNS))


# --------------------------------------------------------------------------------------
# The columns: unit and meaning, once for every table that carries them
# --------------------------------------------------------------------------------------

_SHARE = "share (0 to 1)"
_HH = "households"
_SAMPLED = "sampled households"
_WEIGHTED_HH = "households (survey-weighted)"
_IDR_MONTH = "IDR per month"
_FLAG = "true/false"
_TEXT = "text"
_CODE = "code"

_F = [
    # --- areas, groups, identifiers ------------------------------------------------------
    (
        "area",
        _CODE,
        "kecamatan code (74.05.NN), desa code in poverty_map.csv, or ALL for the regency",
    ),
    ("area_code", _CODE, "kecamatan code (74.05.NN), or 74.05 for the regency"),
    ("area_name", _TEXT, "kecamatan name, or Konawe Selatan for the regency"),
    ("kecamatan_name", _TEXT, "kecamatan name (reference/villages.csv)"),
    ("village_name", _TEXT, "desa or kelurahan name (reference/villages.csv)"),
    ("is_kelurahan", _FLAG, "urban kelurahan rather than desa"),
    ("parent_area", _CODE, "the kecamatan of a desa row"),
    (
        "cluster",
        _CODE,
        "the survey's cluster (desa code); in register_scores, the "
        "household's desa (empty when the dataset config names no cluster column)",
    ),
    ("program", _CODE, "programme flag column of the dataset config (or any_program)"),
    ("programme", _CODE, "pkh, bpnt or pkh_or_bpnt"),
    ("group", _CODE, "column that defines a group of households (e.g. is_head_female)"),
    ("level", _CODE, "the group's level (value of the group column; category level)"),
    ("scenario", _CODE, "verified (visits then corrections) or predicted (acting on scores)"),
    ("pseudonym", _CODE, "HMAC of the household id under the project's key (RT-...)"),
    ("field_list", "path", "the restricted field list with the same households, names and NIK"),
    ("stratum", _CODE, "priority (highest chance of error) or audit (random check)"),
    ("visit_kind", _CODE, "priority or audit visits"),
    ("band", _CODE, "a band of consumption, or of predicted chance of error"),
    ("round", "round", "the verification round's number"),
    ("table", _CODE, "raw table (survey, register)"),
    ("file", "path", "file the rows were read from"),
    ("row", "row", "row number in the returned file; in scorecard_points, the row's label"),
    ("reason", _TEXT, "why the row was rejected"),
    ("estimator", _CODE, "PMT estimator name"),
    ("method", _CODE, "EB (empirical best), synthetic (no sample) or direct"),
    ("ranking", _CODE, "what households are ranked by"),
    ("proxy", _CODE, "proxy column of the dataset config"),
    # --- counts ---------------------------------------------------------------------------
    (
        "households",
        _HH,
        "households of the area: the register's count; the sampled households in "
        "targeting_by_area and _by_cluster; survey-weighted in targeting_by_group(_area)",
    ),
    ("persons", "persons", "persons in the households counted"),
    ("villages", "desa", "desa and kelurahan with households"),
    ("beneficiaries", _HH, "register households receiving PKH or BPNT"),
    ("non_beneficiaries", _HH, "register households receiving neither PKH nor BPNT"),
    ("census_households", _HH, "register households of the area (the census of the map)"),
    ("sampled_households", _SAMPLED, "survey households of the area or group"),
    ("sampled_poor", _SAMPLED, "sampled households below the poverty line"),
    ("sampled_beneficiaries", _SAMPLED, "sampled households receiving the programme"),
    ("survey_households", _SAMPLED, "survey households of the area"),
    ("survey_villages", "desa", "desa with survey households (clusters)"),
    ("survey_poor_households", _SAMPLED, "sampled households below the poverty line"),
    ("survey_extreme_poor_households", _SAMPLED, "sampled households below the extreme line"),
    ("survey_recipients", _SAMPLED, "sampled households receiving the programme"),
    ("group_households", _SAMPLED, "sampled households of the group (recipients or not)"),
    ("poor_households", _SAMPLED, "sampled poor households the PMT was validated on"),
    ("resampled_units", "clusters", "clusters (or households) resampled by the bootstrap"),
    ("rows_read", "rows", "rows in the raw file"),
    ("accepted", "rows", "rows that passed the row checks"),
    ("rejected", "rows", "rows rejected by the row checks"),
    ("most_common_reason", _TEXT, "the most frequent reason for rejection"),
    ("source_row", "row", "row number in the raw file (first data row is 1)"),
    (
        "reasons",
        _TEXT,
        "reasons, in Bahasa Indonesia (rejected rows: the failed checks; "
        "scores: the household traits behind its score)",
    ),
    ("reasons_en", _TEXT, "the same reasons in English"),
    ("reasons_id", _TEXT, "the reasons in Bahasa Indonesia"),
    ("n", "households", "households in the bin"),
    ("folds", "folds", "cross-validation folds"),
    ("fold", "fold", "the household's cross-validation fold"),
    ("replicate", "replicate", "bootstrap replicate"),
    ("bootstrap_replicates", "replicates", "bootstrap replicates of the lead"),
    ("failed_estimators", "estimators", "estimators that failed to fit"),
    ("linear_terms", "terms", "terms of the linear PMT"),
    ("min_programmes", "programmes", "households receiving at least this many programmes"),
    # --- survey rates -------------------------------------------------------------------
    ("poverty_rate", _SHARE, "share of persons below the poverty line"),
    ("poverty_rate_households", _SHARE, "share of households below the poverty line"),
    ("poverty_rate_persons", _SHARE, "share of persons below the poverty line (survey)"),
    ("extreme_poverty_rate", _SHARE, "share of persons below the extreme-poverty line"),
    ("extreme_poverty_rate_persons", _SHARE, "share of persons below the extreme line (survey)"),
    ("overall_poverty_rate", _SHARE, "the regency's poverty rate (persons) on the map"),
    ("poverty_gap", "share of the line", "FGT1: mean shortfall below the line, persons"),
    ("poverty_severity", "share of the line squared", "FGT2: mean squared shortfall, persons"),
    ("poor_persons", "persons", "persons below the poverty line"),
    ("extreme_poor_persons", "persons", "persons below the extreme-poverty line"),
    ("beneficiary_rate", _SHARE, "share of households receiving the programme"),
    (
        "inclusion_error",
        _SHARE,
        "share of beneficiaries who are not poor (survey-weighted; "
        "small areas shrunk towards the regency)",
    ),
    (
        "exclusion_error",
        _SHARE,
        "share of the poor who do not receive (survey-weighted; "
        "small areas shrunk towards the regency)",
    ),
    ("inclusion_error_direct", _SHARE, "inclusion error from the area's sample alone"),
    ("exclusion_error_direct", _SHARE, "exclusion error from the area's sample alone"),
    ("inclusion_error_direct_weight", _SHARE, "weight of the direct estimate in the shrunk one"),
    ("exclusion_error_direct_weight", _SHARE, "weight of the direct estimate in the shrunk one"),
    (
        "coverage",
        _SHARE,
        "share of the poor who receive (1 - exclusion error); PMT curves: "
        "share of households selected",
    ),
    ("coverage_target", _SHARE, "share of households the PMT was asked to select"),
    ("coverage_extreme_poor", _SHARE, "share of the extreme poor who receive"),
    ("coverage_households", _SHARE, "share of households who receive"),
    ("coverage_poor", _SHARE, "share of poor households who receive"),
    ("leakage", _SHARE, "non-poor beneficiaries as a share of all households"),
    ("undercoverage", _SHARE, "poor non-beneficiaries as a share of all households"),
    (
        "targeting_differential",
        "difference of shares",
        "coverage of the poor minus the share "
        "of the non-poor who receive (Ravallion 2009); 1 perfect, 0 chance",
    ),
    (
        "cgh",
        "ratio",
        "poor share of beneficiaries over poor share of households (Coady, "
        "Grosh and Hoddinott 2004); 1 neutral",
    ),
    ("exclusion_gap", "difference of shares", "the group's exclusion error minus the rest's"),
    ("rest_exclusion_error", _SHARE, "exclusion error of the households outside the group"),
    ("gap_excludes_zero", _FLAG, "the interval of the exclusion gap excludes zero"),
    (
        "single_cluster",
        _FLAG,
        "the area's sample is one desa: its interval is not a between-cluster interval",
    ),
    ("is_single_village", _FLAG, "the area's sample is one desa"),
    ("is_shrunk", _FLAG, "the area's errors were shrunk towards the regency (small sample)"),
    ("is_shrunk_inclusion", _FLAG, "the inclusion error was shrunk (small sample)"),
    ("is_shrunk_exclusion", _FLAG, "the exclusion error was shrunk (small sample)"),
    ("small_sample", _FLAG, "fewer than 30 sampled beneficiaries or poor"),
    ("note", _TEXT, "what to bear in mind when reading the row (English)"),
    ("interval_note", _TEXT, "why the interval was widened (English)"),
    ("share_households", _SHARE, "share of households (of the group, or reached)"),
    ("share_poor", _SHARE, "share of poor households reached"),
    ("lower_idr", "IDR per capita per month", "lower edge of the consumption band"),
    ("upper_idr", "IDR per capita per month", "upper edge of the consumption band"),
    ("is_suppressed", _FLAG, "cell hidden: fewer than 5 households (small-cell rule)"),
    # --- register shares ----------------------------------------------------------------
    ("share_desil_eligible", _SHARE, "share of households in desil 1-4 (eligible, Inpres 4/2025)"),
    *[
        (f"share_{p}", _SHARE, f"share of households receiving {name}")
        for p, name in (
            ("pkh", "PKH"),
            ("bpnt", "BPNT"),
            ("pbi_jk", "PBI-JK"),
            ("blt_dd", "BLT-DD"),
        )
    ],
    *[
        (
            f"share_{p}_outside_eligible_desil",
            _SHARE,
            f"share of {name} recipients outside desil 1-4",
        )
        for p, name in (
            ("pkh", "PKH"),
            ("bpnt", "BPNT"),
            ("pbi_jk", "PBI-JK"),
            ("blt_dd", "BLT-DD"),
        )
    ],
    # --- intake -------------------------------------------------------------------------
    ("survey_mean", "proxy's unit or share", "survey-weighted mean (share for a level)"),
    ("register_mean", "proxy's unit or share", "register mean (share for a level)"),
    ("std_difference", "standard deviations", "standardised difference of the two means"),
    ("differs", _FLAG, "absolute std_difference above data_quality.comparability_warning_smd"),
    # --- PMT ----------------------------------------------------------------------------
    ("target", _CODE, "poor or extreme_poor"),
    ("bin", "bin", "bin of predicted probability (1 = lowest)"),
    ("weight_share", _SHARE, "share of the survey weight in the bin"),
    ("mean_predicted", _SHARE, "mean predicted probability (or chance of error) in the bin"),
    ("observed_rate", _SHARE, "observed share poor in the bin"),
    ("term", _CODE, "scorecard term"),
    ("kind", _CODE, "intercept, numeric, boolean or level"),
    ("variable", _CODE, "proxy column"),
    (
        "weight",
        "log IDR per capita per month (scorecard) or design weight",
        "the term's weight in predicted log welfare; workbench: the survey design weight",
    ),
    ("fill_value", "the proxy's unit", "value used when the proxy is missing"),
    ("label_id", _TEXT, "the proxy's label in Bahasa Indonesia"),
    ("label_en", _TEXT, "the proxy's label in English"),
    ("value_id", _TEXT, "the value's label in Bahasa Indonesia"),
    ("value_en", _TEXT, "the value's label in English"),
    ("low", "the proxy's unit", "lower edge of the value range"),
    ("high", "the proxy's unit", "upper edge of the value range"),
    ("points", "points", "scorecard points (more points: poorer)"),
    ("is_chosen", _FLAG, "the estimator the step chose"),
    ("r2", "R²", "out-of-sample R² of log welfare"),
    ("auc", "AUC", "out-of-sample area under the ROC curve for being poor"),
    ("exclusion_error_at_rate", _SHARE, "exclusion error selecting the poverty rate's share"),
    ("inclusion_error_at_rate", _SHARE, "inclusion error selecting the poverty rate's share"),
    (
        "exclusion_error_at_line",
        _SHARE,
        "exclusion error selecting predicted welfare below the line",
    ),
    (
        "inclusion_error_at_line",
        _SHARE,
        "inclusion error selecting predicted welfare below the line",
    ),
    ("coverage_at_line", _SHARE, "share of households with predicted welfare below the line"),
    ("chosen", _CODE, "the chosen estimator"),
    ("runner_up", _CODE, "the second-best estimator"),
    ("lead_std_err", _SHARE, "bootstrap standard error of the chosen one's lead"),
    ("share_replicates_chosen_ahead", _SHARE, "share of bootstrap replicates the chosen one leads"),
    ("linear_r2_in_sample", "R²", "in-sample R² of the linear PMT"),
    ("left_out_estimators", _TEXT, "estimators this run did not compare (comma-separated)"),
    # --- register scores, expected errors, visits ----------------------------------------
    ("predicted_welfare", "IDR per capita per month", "PMT-predicted consumption"),
    ("p_poor", _SHARE, "chance the household is poor"),
    ("p_extreme_poor", _SHARE, "chance the household is extremely poor"),
    (
        "p_error",
        _SHARE,
        "chance the household is a targeting error (a beneficiary not "
        "poor, or a poor non-beneficiary)",
    ),
    ("is_beneficiary", _FLAG, "receives PKH or BPNT"),
    ("priority", "IDR per month", "expected benefit moved by visiting the household"),
    ("worth", _IDR_MONTH, "benefit the household's status moves (PKH and BPNT amounts)"),
    ("is_visited", _FLAG, "in the verification budget's visits"),
    ("rank_in_area", "rank", "the household's place in its kecamatan's visit order"),
    ("visit_rank", "rank", "place in the kecamatan's visit order"),
    ("is_audit", _FLAG, "a random audit visit (not chosen by priority)"),
    ("inclusion_probability", _SHARE, "chance the household was drawn for a visit"),
    ("expected_inclusion_errors", _HH, "beneficiaries probably not poor (sum of chances)"),
    ("expected_exclusion_errors", _HH, "registered non-beneficiaries probably poor"),
    ("expected_extreme_poor_not_covered", _HH, "non-beneficiaries probably extremely poor"),
    (
        "is_uninformed",
        _FLAG,
        "the survey could not measure targeting here: the interval is "
        "widened to the spread between areas",
    ),
    ("visits", "visits", "verification visits allocated"),
    ("share_of_visits", _SHARE, "share of all visits"),
    ("share_of_expected_errors", _SHARE, "share of all expected errors"),
    ("visit_error_ratio", "ratio", "share of visits over share of expected errors"),
    ("expected_corrections", "visits", "visits expected to find an error"),
    ("expected_value", _IDR_MONTH, "benefits the expected corrections move"),
    ("expected_value_idr_per_month", _IDR_MONTH, "benefits the expected corrections move"),
    ("corrections_per_100_visits", "corrections", "expected corrections per 100 visits"),
    ("rank_by_visits", "rank", "the kecamatan's rank by visits (1 = most)"),
    # --- impact --------------------------------------------------------------------------
    *[
        (
            f"{line}_fgt{a}_{when}",
            _SHARE if a == 0 else "share of the line" + (" squared" if a == 2 else ""),
            f"FGT{a} ({('headcount', 'gap', 'severity')[a]}) of persons below the "
            f"{'poverty' if line == 'poverty' else 'extreme-poverty'} line, {when} the round",
        )
        for line in ("poverty", "extreme")
        for a in (0, 1, 2)
        for when in ("before", "after")
    ],
    ("extreme_poor_lifted_persons", "persons", "extreme-poor persons lifted above the line"),
    ("extreme_poor_added_persons", "persons", "persons pushed below the extreme line"),
    ("sampled_households_changed", _SAMPLED, "sampled households whose receipt changes"),
    ("sampled_extreme_poor_lifted", _SAMPLED, "sampled households lifted above the extreme line"),
    ("sampled_extreme_poor_added", _SAMPLED, "sampled households pushed below the extreme line"),
    ("budget_rp_per_month", _IDR_MONTH, "the programmes' budget before the round"),
    ("budget_given_rp_per_month", _IDR_MONTH, "the budget handed out after the round"),
    ("households_removed", _WEIGHTED_HH, "beneficiaries removed by the round"),
    ("households_added", _WEIGHTED_HH, "households added by the round"),
    # --- poverty map --------------------------------------------------------------------
    ("rmse", _SHARE, "root mean squared error of poverty_rate (parametric bootstrap)"),
    ("rank", "rank", "the desa's rank by poverty rate (1 = poorest)"),
    ("cv", "ratio", "coefficient of variation of the poverty rate (rmse / estimate)"),
    ("plausible_rank_best", "rank", "best rank within the bootstrap's 90% range"),
    ("plausible_rank_worst", "rank", "worst rank within the bootstrap's 90% range"),
    ("rankable", _FLAG, "the plausible ranks span at most half of the areas' ranks"),
    ("stands_out", _TEXT, "above or below: the 90% interval lies above (below) the overall rate"),
    # --- workbench ------------------------------------------------------------------------
    ("welfare", "IDR per capita per month", "survey consumption"),
    ("benefit_is_pkh_recipient", _IDR_MONTH, "PKH amount the household would receive"),
    ("benefit_is_bpnt_recipient", _IDR_MONTH, "BPNT amount the household would receive"),
    ("log_welfare_index", "log IDR per capita per month", "the PMT's predicted log welfare"),
    ("any_receipt", _FLAG, "receives PKH or BPNT"),
    ("index", "log IDR per capita per month", "replicate draw of predicted log welfare"),
    # --- verification round ---------------------------------------------------------------
    ("planned_visits", "visits", "visits in the round's plan"),
    ("visits_done", "visits", "visits done"),
    ("audit_visits_done", "visits", "audit visits done"),
    ("found_inclusion_errors", _HH, "beneficiaries found not eligible"),
    ("found_exclusion_errors", _HH, "poor non-beneficiaries found"),
    (
        "estimated_inclusion_errors",
        _HH,
        "inclusion errors in the register, estimated from the visits (design-based)",
    ),
    (
        "estimated_exclusion_errors",
        _HH,
        "exclusion errors in the register, estimated from the visits",
    ),
    ("expected_inclusion_errors_before", _HH, "expected inclusion errors before the round"),
    ("expected_inclusion_errors_after", _HH, "expected inclusion errors left after it"),
    ("eligible", _HH, "visited households found eligible"),
    ("not_eligible", _HH, "visited households found not eligible"),
    ("poor_not_receiving", _HH, "visited poor non-beneficiaries"),
    ("moved", _HH, "households that had moved"),
    ("not_found", _HH, "households not found"),
    ("refused", _HH, "households that refused"),
    ("deceased", _HH, "households whose head had died"),
    ("predicted_errors_met", _HH, "errors the scores predicted among the households met"),
    ("found_errors_met", _HH, "errors found among the households met"),
    ("proposals_remove", _HH, "proposals to remove from the programmes"),
    ("proposals_add", _HH, "proposals to add"),
    ("proposals_correct", "rows", "proposed corrections of register data"),
    ("next_round_visits", "visits", "visits planned for the next round"),
    ("next_round_audits", "visits", "audit visits planned for the next round"),
    ("next_round_expected_corrections", "visits", "next round's expected corrections"),
    ("visits_met", "visits", "visits that met the household"),
    ("predicted_errors", _HH, "errors the scores predicted"),
    ("found_errors", _HH, "errors found"),
    ("hit_rate", _SHARE, "share of visits that found an error"),
]

#: Suffixes and prefixes that derive a column from another (``x_low`` from ``x``).
_DERIVED = (
    (r"(.+)_low", "lower end of the interval of {base} (level: see the table)"),
    (r"(.+)_high", "upper end of the interval of {base} (level: see the table)"),
    (r"(.+)_rmse", "root mean squared error of {base} (parametric bootstrap)"),
    (r"direct_(.+)", "{base} estimated from the area's survey sample alone (direct)"),
)

FIELDS: dict[str, Field] = {name: Field(name, unit, meaning) for name, unit, meaning in _F}

#: Field-list headers (restricted; Bahasa Indonesia, as the teams read them).
FIELD_LIST_COLUMNS = (
    "Urutan kunjungan",
    "Desa/kelurahan",
    "ID rumah tangga",
    "NIK kepala rumah tangga",
    "Nama kepala rumah tangga",
    "Status bantuan",
    "Yang perlu diperiksa",
    "Alasan (ciri rumah tangga)",
    "Kode samaran (di laporan)",
)


def field(name: str) -> Field:
    """The unit and meaning of an output column (or of a raw table's column)."""
    if name in FIELDS:
        return FIELDS[name]
    if name in INPUT_COLUMNS:
        c = INPUT_COLUMNS[name]
        return Field(name, c.unit or c.dtype, c.description_en)
    if name in FIELD_LIST_COLUMNS:
        return Field(name, _TEXT, "field-list header (restricted; see targeting/field_lists.py)")
    for pattern, text in _DERIVED:
        match = re.fullmatch(pattern, name)
        if match and is_declared_column(match.group(1)):
            base = field(match.group(1))
            return Field(name, base.unit, text.format(base=f"`{base.name}`"))
    raise KeyError(f"column {name!r} is declared neither in outputs.FIELDS nor in the dictionary")


def is_declared_column(name: str) -> bool:
    """Whether ``name`` is an output column or a raw table's column."""
    try:
        field(name)
    except KeyError:
        return False
    return True


# --------------------------------------------------------------------------------------
# The outputs, step by step
# --------------------------------------------------------------------------------------

_EXPECTED = tuple(
    f"{m}{s}"
    for m in ("expected_inclusion_errors", "expected_exclusion_errors",
              "expected_extreme_poor_not_covered")
    for s in ("", "_low", "_high")
)  # fmt: skip
_CI = tuple(
    f"{m}{s}" for m in ("inclusion_error", "exclusion_error") for s in ("", "_low", "_high")
)
_TARGETING = (
    "households", "poverty_rate", "beneficiary_rate", *_CI, "coverage", "cgh",
    *(f"{m}_direct{s}" for m in ("inclusion_error", "exclusion_error")
      for s in ("", "_low", "_high")),
    "inclusion_error_direct_weight", "exclusion_error_direct_weight",
    "sampled_beneficiaries", "sampled_poor", "poverty_rate_households",
    "coverage_extreme_poor", "leakage", "undercoverage", "targeting_differential",
    "resampled_units", "coverage_low", "coverage_high", "cgh_low", "cgh_high",
    "single_cluster", "is_shrunk", "note", "small_sample",
)  # fmt: skip
_GROUPS = (
    "households", "sampled_households", *_CI,
    "exclusion_gap", "exclusion_gap_low", "exclusion_gap_high", "sampled_poor",
    "sampled_beneficiaries", "coverage", "coverage_low", "coverage_high",
    "coverage_extreme_poor", "coverage_extreme_poor_low", "coverage_extreme_poor_high",
    "rest_exclusion_error", "gap_excludes_zero", "note",
)  # fmt: skip
_MAP = (
    "census_households", "sampled_households",
    "direct_poverty_rate", "direct_poverty_rate_low", "direct_poverty_rate_high",
    "poverty_rate", "poverty_rate_low", "poverty_rate_high", "rmse", "method",
    *(
        f"{prefix}{m}{s}"
        for m in ("extreme_poverty_rate", "poverty_gap", "poverty_severity", "poor_persons")
        for prefix, suffixes in (("direct_", ("", "_low", "_high")),
                                 ("", ("", "_low", "_high", "_rmse")))
        for s in suffixes
    ),
)  # fmt: skip
_MAP_AREAS = (
    "persons", "rank", "cv", "plausible_rank_best", "plausible_rank_worst", "rankable",
    "stands_out", "extreme_poor_persons", "extreme_poor_persons_low",
    "extreme_poor_persons_high", "overall_poverty_rate",
)  # fmt: skip
_FGT = tuple(
    f"{line}_fgt{a}_{when}"
    for line in ("poverty", "extreme") for a in (0, 1, 2) for when in ("before", "after")
)  # fmt: skip
_IMPACT = (
    *_FGT, "extreme_poor_lifted_persons", "extreme_poor_added_persons", "sampled_households",
    "sampled_households_changed", "sampled_extreme_poor_lifted", "sampled_extreme_poor_added",
    "budget_rp_per_month", "budget_given_rp_per_month", "households_removed",
    "households_added",
)  # fmt: skip
_PLAN = (
    "household_id", "area", "visit_rank", "is_audit", "inclusion_probability", "p_error",
    "stratum",
)  # fmt: skip
_INTAKE = ("table", "file", "rows_read", "accepted", "rejected", "most_common_reason")
_PROXIES = ("proxy", "level", "survey_mean", "register_mean", "std_difference", "differs")
_VERIFIED = (
    "planned_visits", "visits_done", "audit_visits_done", "found_inclusion_errors",
    "found_exclusion_errors",
    *(f"estimated_{m}{s}" for m in ("inclusion_errors", "exclusion_errors")
      for s in ("", "_low", "_high")),
    "expected_inclusion_errors_before", "expected_inclusion_errors_after",
    "expected_inclusion_errors_after_low", "expected_inclusion_errors_after_high",
)  # fmt: skip
_OUTCOMES = (
    "eligible", "not_eligible", "poor_not_receiving", "moved", "not_found", "refused",
    "deceased", "predicted_errors_met", "found_errors_met",
)  # fmt: skip
_DECISIONS = ("proposals_remove", "proposals_add", "proposals_correct")
_CALIBRATION = (
    "visit_kind", "band", "visits_met", "predicted_errors", "found_errors", "mean_predicted",
    "hit_rate", "hit_rate_low", "hit_rate_high",
)  # fmt: skip
_REGISTER_SHARES = ("share_pkh", "share_bpnt", "share_pbi_jk", "share_blt_dd")

_O = Output
_AREA_SUMMARY = (
    "area_code",
    "area_name",
    "households",
    "persons",
    "villages",
    "share_desil_eligible",
    "survey_households",
    "survey_villages",
    "survey_poor_households",
    "survey_extreme_poor_households",
    "poverty_rate_persons",
    "extreme_poverty_rate_persons",
    "poverty_rate_households",
    *(f"{s}{x}" for s in _REGISTER_SHARES for x in ("", "_outside_eligible_desil")),
)
_WELFARE_BANDS = (
    "area_code",
    "group",
    "band",
    "lower_idr",
    "upper_idr",
    "group_households",
    "share_households",
    "is_suppressed",
)
_COVERAGE_POINTS = (
    "area_code",
    "ranking",
    "min_programmes",
    "share_households",
    "share_poor",
    "is_suppressed",
)
_DESA_COMPOSITION = (
    "village_code",
    "kecamatan_code",
    "village_name",
    "is_kelurahan",
    "households",
    "persons",
    "share_desil_eligible",
    *_REGISTER_SHARES,
    "is_suppressed",
)
#: The area summary step's tables, each copied as it is into the report tables.
_SUMMARY = {
    "area_summary": (
        "register counts and programme shares; survey sample and poverty rates, "
        "per kecamatan and regency",
        ("area_code",),
        _AREA_SUMMARY,
    ),
    "welfare_bands": (
        "recipients and non-recipients in bands of consumption",
        ("area_code", "group", "band"),
        _WELFARE_BANDS,
    ),
    "coverage_points": (
        "coverage when households are ranked by programmes received",
        ("area_code", "min_programmes"),
        _COVERAGE_POINTS,
    ),
    "desa_composition": (
        "households and programme shares per desa, small cells hidden",
        ("village_code",),
        _DESA_COMPOSITION,
    ),
}

OUTPUTS: tuple[Output, ...] = (
    # --- intake (intake/step.py) --------------------------------------------------------
    _O("intake_summary", "intake", "intake_summary.csv", "rows read, accepted and rejected "
       "per raw table", key=("table",), columns=_INTAKE),
    _O("comparability", "intake", "comparability.csv", "each proxy's survey and register mean "
       "and standardised difference (are the survey and the register alike?)",
       key=("proxy", "level"), columns=_PROXIES),
    _O("rejected_survey", "rejected", "survey.csv", "survey rows the row checks rejected, "
       "with the reasons", key=("source_row",), columns=("source_row", "reasons"),
       columns_of_raw_table="survey"),
    _O("rejected_register", "rejected", "register.csv", "register rows the row checks "
       "rejected, with the reasons (no name or NIK)", key=("source_row",),
       columns=("source_row", "reasons"), columns_of_raw_table="register"),
    # --- area summary (describe/step.py) -----------------------------------------------
    *(
        _O(f"summary_{name}", "register_summary", f"{name}.csv", meaning, key=key,
           columns=columns, folder_below_step="summary")
        for name, (meaning, key, columns) in _SUMMARY.items()
    ),
    _O("register_summary_by_kecamatan", "register_summary", "register_summary_by_kecamatan.csv",
       "register households, persons and programme shares per kecamatan (area_summary's, "
       "to 4 decimals)",
       key=("kecamatan_code",),
       columns=("kecamatan_code", "kecamatan_name", "villages", "households", "persons",
                *_REGISTER_SHARES)),
    # --- PMT validation (pmt/step.py) ---------------------------------------------------
    _O("validation", "pmt", "validation.json", "cross-validated accuracy of every PMT "
       "estimator (the contract `konsel validate-pmt` prints)", kind="json"),
    _O("model_card", "pmt", "model_card.json", "the PMT model card: data, validation, every "
       "estimator's accuracy, the chosen one and its lead, calibration, scorecard",
       kind="json"),
    _O("model_card_text", "pmt", "model_card.md", "the model card as Markdown", kind="text"),
    _O("scorecard", "pmt", "scorecard.csv", "the linear PMT as weights on log welfare",
       key=("term",),
       columns=("term", "kind", "variable", "level", "weight", "fill_value", "note")),
    _O("scorecard_points", "pmt", "scorecard_points.csv", "the PMT as integer points a "
       "field officer adds up", key=("row",),
       columns=("row", "variable", "label_id", "label_en", "value_id", "value_en", "low",
                "high", "level", "points")),
    _O("error_curves", "pmt", "error_curves.csv", "out-of-sample errors of each estimator "
       "for each share of households selected", key=("estimator", "coverage_target"),
       columns=("estimator", "coverage_target", "coverage", "exclusion_error",
                "inclusion_error")),
    _O("reliability", "pmt", "reliability.csv", "calibration: predicted against observed "
       "chance of being poor, per bin", key=("estimator", "target", "bin"),
       columns=("estimator", "target", "bin", "n", "weight_share", "mean_predicted",
                "observed_rate")),
    # --- survey-measured targeting (targeting/step.py, measured/) -----------------------
    _O("targeting_by_area", "targeting", "targeting_by_area.csv", "targeting errors measured "
       "on the survey per programme and area, 95% cluster-bootstrap intervals; areas under "
       "30 sampled beneficiaries (or poor) shrunk towards the regency",
       key=("program", "area"), columns=("program", "area", *_TARGETING)),
    _O("targeting_by_cluster", "targeting", "targeting_by_cluster.csv", "the same per "
       "desa (household bootstrap)", key=("program", "area"),
       columns=("program", "area", "parent_area", *_TARGETING)),
    _O("targeting_by_group", "targeting", "targeting_by_group.csv", "targeting errors per "
       "group of households, regency-wide, 95% intervals", key=("program", "group", "level"),
       columns=("program", "group", "level", *_GROUPS)),
    _O("targeting_by_group_area", "targeting", "targeting_by_group_area.csv", "the same "
       "per kecamatan", key=("program", "area", "group", "level"),
       columns=("program", "area", "group", "level", *_GROUPS)),
    # --- register scoring (targeting/score.py) ------------------------------------------
    _O("register_scores", "score", "register_scores.parquet", "each register household's "
       "predicted welfare, chance of error, priority and visit rank",
       key=("household_id",),
       columns=("household_id", "area", "cluster", "predicted_welfare", "p_poor",
                "p_extreme_poor", "is_beneficiary", "priority", "reasons", "reasons_en",
                "p_error", "worth", "is_visited", "rank_in_area")),
    _O("expected_errors_by_area", "score", "expected_errors_by_area.csv", "expected errors "
       "in the register per kecamatan and for the regency (ALL), 90% intervals",
       key=("area",),
       columns=("area", "beneficiaries", "non_beneficiaries", *_EXPECTED, "is_uninformed",
                "interval_note")),
    _O("expected_errors_by_group", "score", "expected_errors_by_group.csv", "expected "
       "errors and visits per group of households and kecamatan, 90% intervals",
       key=("group", "level", "area"),
       columns=("group", "level", "area", "households", "beneficiaries", "non_beneficiaries",
                *_EXPECTED, "visits", "share_of_visits", "share_of_expected_errors",
                "visit_error_ratio", "note")),
    _O("verification_allocation", "score", "verification_allocation.csv", "the split of the "
       "verification budget across kecamatan", key=("area",),
       columns=("area", "households", "visits", "expected_corrections", "expected_value")),
    _O("verification_plan", "score", "verification_plan.csv", "the households to visit, in "
       "order, per kecamatan (ids only; names are in the field lists)",
       key=("household_id",), columns=_PLAN),
    _O("workbench_register", "score", "workbench_register.parquet", "what the workbench "
       "needs of the register (no id)", columns=("area", "is_pkh_recipient",
       "is_bpnt_recipient", "worth", "log_welfare_index")),
    _O("workbench_replicates", "score", "workbench_replicates.parquet", "replicate draws "
       "of predicted welfare per area and receipt (the workbench's intervals)",
       key=("area", "any_receipt", "replicate"),
       columns=("area", "any_receipt", "households", "is_pkh_recipient", "is_bpnt_recipient",
                "index", "replicate")),
    _O("workbench_models", "score", "workbench_models.json", "the receipt model and its "
       "replicates, for the workbench", kind="json"),
    _O("field_list_csv", "field_lists", "74.05.??-*.csv", "the households to visit per "
       "kecamatan with names and NIK, for authorised field staff", kind="table",
       key=("Urutan kunjungan",), columns=FIELD_LIST_COLUMNS, restricted=True),
    _O("field_list_xlsx", "field_lists", "74.05.??-*.xlsx", "the same as a workbook (sheet "
       "Daftar kunjungan)", kind="workbook", columns=FIELD_LIST_COLUMNS, restricted=True),
    # --- impact (impact.py) -------------------------------------------------------------
    _O("impact_by_area", "impact", "impact_by_area.csv", "FGT 0/1/2 before and after a "
       "correction round, per scenario and area", key=("scenario", "area"),
       columns=("scenario", "area", *_IMPACT)),
    _O("workbench_survey", "impact", "workbench_survey.parquet", "what the workbench needs "
       "of the survey (no id)",
       columns=("area", "cluster", "welfare", "weight", "persons", "is_pkh_recipient",
                "is_bpnt_recipient", "benefit_is_pkh_recipient", "benefit_is_bpnt_recipient",
                "fold", "log_welfare_index")),
    _O("workbench_folds", "impact", "workbench_folds.json", "the PMT folds and lines the "
       "workbench re-fits with", kind="json"),
    # --- poverty map (poverty_map/) -----------------------------------------------------
    _O("poverty_map", "poverty_map", "poverty_map.csv", "the desa poverty map (EBP, 90% "
       "intervals): direct and model estimates per desa", key=("area",),
       columns=("area", *_MAP)),
    _O("poverty_map_upper", "poverty_map", "poverty_map_upper.csv", "the same per kecamatan "
       "(desa summed)", key=("area",), columns=("area", *_MAP)),
    _O("poverty_map_areas", "poverty_map", "poverty_map_areas.csv", "ranks and precision of "
       "each desa", key=("area",), columns=("area", *_MAP_AREAS)),
    _O("poverty_map_meta", "poverty_map", "poverty_map.json", "the map's model, data and "
       "diagnostics", kind="json"),
    _O("poverty_map_plot", "poverty_map", "direct_vs_model.png", "direct against model "
       "estimates per desa", kind="figure"),
    # --- verification round (verification/) ---------------------------------------------
    _O("verification_by_area", "verification", "verification_by_area.csv", "what the "
       "round's visits found and the errors estimated from them, 90% intervals",
       key=("area",), columns=("area", *_VERIFIED)),
    _O("calibration_by_band", "verification", "calibration_by_band.csv", "predicted against "
       "found errors per band of predicted chance", key=("visit_kind", "band"),
       columns=_CALIBRATION),
    _O("outcomes_by_area", "verification", "outcomes_by_area.csv", "visit outcomes per "
       "kecamatan", key=("area",), columns=("area", *_OUTCOMES)),
    _O("decisions_by_area", "verification", "decisions_by_area.csv", "proposals to the "
       "programmes per kecamatan", key=("area",), columns=("area", *_DECISIONS)),
    _O("next_round_plan", "verification", "next_round_plan.csv", "the next round's visits",
       key=("household_id",), columns=_PLAN),
    _O("rejected_verification_results", "verification", "verification_results.csv",
       "returned result rows that could not be used", folder_below_step="rejected",
       columns=("file", "row", "household_id", "reason")),
    _O("round", "verification", "round.json", "the round's counts and recalibration",
       kind="json"),
    _O("verification_decisions", "verification_decisions", "keputusan_*.xlsx", "per desa "
       "and round: proposals with names and NIK (sheets Usulan dikeluarkan, "
       "Usulan ditambahkan, Perbaikan data)", kind="workbook", restricted=True,
       folder_below_step="round_*"),
    # --- report tables (reports/inputs.py and the table modules) ------------------------
    *(
        _O(name, "report_tables", f"{name}.csv", f"{meaning} (the area summary step's "
           "table, copied)", key=key, columns=columns)
        for name, (meaning, key, columns) in _SUMMARY.items()
    ),
    _O("targeting_errors", "report_tables", "targeting_errors.csv", "coverage of households "
       "and of the poor per area and programme, with the survey sample sizes",
       key=("area_code", "programme"),
       columns=("area_code", "programme", "survey_recipients", "survey_poor_households",
                "inclusion_error", "exclusion_error", "coverage_households",
                "coverage_poor")),
    _O("targeting_intervals", "report_tables", "targeting_intervals.csv", "targeting_by_area "
       "for the reports: programmes renamed, cells under 5 households hidden",
       key=("area_code", "programme"),
       columns=("area_code", "programme", "sampled_households", "sampled_beneficiaries",
                "sampled_poor", "inclusion_error", "inclusion_error_low",
                "inclusion_error_high", "is_shrunk_inclusion", "exclusion_error",
                "exclusion_error_low", "exclusion_error_high", "is_shrunk_exclusion",
                "is_single_village")),
    _O("expected_errors", "report_tables", "expected_errors.csv", "expected_errors_by_area "
       "for the reports, small cells hidden", key=("area_code",),
       columns=("area_code", "beneficiaries", "non_beneficiaries", *_EXPECTED,
                "is_uninformed", "interval_note")),
    _O("desa_expected_errors", "report_tables", "desa_expected_errors.csv", "expected errors "
       "and visits per desa (sums of register_scores)", key=("village_code",),
       columns=("village_code", "expected_inclusion_errors", "expected_exclusion_errors",
                "visits")),
    _O("report_verification_allocation", "report_tables", "verification_allocation.csv",
       "verification_allocation with the regency total, shares and ranks",
       key=("area_code",),
       columns=("area_code", "households", "visits", "expected_corrections",
                "expected_value_idr_per_month", "share_of_visits",
                "corrections_per_100_visits", "rank_by_visits")),
    _O("priority_households", "report_tables", "priority_households.csv", "the first 20 "
       "households to visit per kecamatan, by pseudonym", key=("area_code", "rank_in_area"),
       columns=("area_code", "rank_in_area", "pseudonym", "village_code", "village_name",
                "is_beneficiary", "p_error", "reasons_id", "reasons_en", "field_list")),
    _O("impact_simulation", "report_tables", "impact_simulation.csv", "impact_by_area for "
       "the reports, thin cells hidden", key=("area_code", "scenario"),
       columns=("area_code", "scenario", *_IMPACT, "is_suppressed")),
    _O("pmt_estimators", "report_tables", "pmt_estimators.csv", "every estimator's "
       "out-of-sample accuracy (from model_card.json), the chosen one first",
       key=("estimator",),
       columns=("estimator", "is_chosen", "r2", "auc", "exclusion_error_at_rate",
                "inclusion_error_at_rate", "exclusion_error_at_line",
                "inclusion_error_at_line", "coverage_at_line")),
    _O("pmt_summary", "report_tables", "pmt_summary.csv", "one row: the PMT's data, the "
       "chosen estimator and how sure (from model_card.json)",
       columns=("households", "villages", "poor_households", "poverty_rate_households",
                "folds", "chosen", "runner_up", "lead_std_err",
                "share_replicates_chosen_ahead", "bootstrap_replicates",
                "linear_r2_in_sample", "linear_terms", "failed_estimators",
                "left_out_estimators")),
    _O("pmt_curve", "report_tables", "pmt_curve.csv", "the chosen PMT's coverage of the "
       "poor per share selected (from error_curves.csv)", key=("share_households",),
       columns=("estimator", "share_households", "share_poor")),
    _O("intake_counts", "report_tables", "intake_counts.csv", "intake_summary as published",
       key=("table",), columns=_INTAKE),
    _O("proxy_differences", "report_tables", "proxy_differences.csv", "comparability as "
       "published", key=("proxy", "level"), columns=_PROXIES),
    _O("poverty_map_desa", "report_tables", "poverty_map_desa.csv", "poverty_map with "
       "poverty_map_areas and desa names, small desa hidden", key=("village_code",),
       columns=("area_code", "village_code", "village_name", *_MAP, *_MAP_AREAS)),
    _O("poverty_map_kecamatan", "report_tables", "poverty_map_kecamatan.csv",
       "poverty_map_upper as published", key=("area_code",), columns=("area_code", *_MAP)),
    _O("group_errors", "report_tables", "group_errors.csv", "targeting_by_group(_area) "
       "for the reports", key=("area_code", "programme", "group", "level"),
       columns=("area_code", "programme", "group", "level", "sampled_households",
                "sampled_poor", "sampled_beneficiaries", *_CI[3:],
                "exclusion_gap", "exclusion_gap_low", "exclusion_gap_high",
                "gap_excludes_zero", *_CI[:3])),
    _O("group_expected_errors", "report_tables", "group_expected_errors.csv",
       "expected_errors_by_group for the reports", key=("area_code", "group", "level"),
       columns=("area_code", "group", "level", "households", "beneficiaries",
                "non_beneficiaries", *_EXPECTED, "visits", "share_of_visits",
                "share_of_expected_errors", "visit_error_ratio")),
    _O("verification_results", "report_tables", "verification_results.csv", "the round's "
       "findings, outcomes, decisions and next round per kecamatan", key=("area_code",),
       columns=("area_code", *_VERIFIED, *_OUTCOMES, *_DECISIONS, "next_round_visits",
                "next_round_audits", "next_round_expected_corrections", "round")),
    _O("verification_calibration", "report_tables", "verification_calibration.csv",
       "calibration_by_band as published", key=("visit_kind", "band"), columns=_CALIBRATION),
    # --- manifests and caches (the build's own files, not tables) -------------------------
    *(
        _O(f"{step}_manifest", step, "manifest.json", "the step's cache key, outputs, the "
           "digests of the raw files it read and the policy numbers", kind="manifest")
        for step in ("intake", "pmt", "targeting", "score", "impact", "poverty_map",
                     "verification", "report_tables")
    ),
    _O("register_summary_manifest", "register_summary",
       "register_summary_by_kecamatan.manifest.json", "the area summary step's manifest",
       kind="manifest"),
    _O("chart_drawings", "report_tables", "*-*.npz", "cached chart drawings (reports/shaded.py)",
       kind="cache", folder_below_step="charts"),
    _O("chart_locks", "report_tables", "*-*.lock", "locks of the chart drawings",
       kind="cache", folder_below_step="charts"),
    _O("chart_records", "report_tables", "*-*.json", "the chart drawings' records: key and "
       "sha256 of the drawing (build/manifest.py)", kind="manifest", folder_below_step="charts"),
)  # fmt: skip

#: Files other commands write to a folder the user names (not the main job's);
#: declared by name and meaning so that the source scan knows them.
OTHER_COMMAND_FILES: dict[str, str] = {
    "verification_priority.parquet": "konsel score-partitioned: the visit order on dask",
    "drift_by_proxy.csv": "konsel pmt-drift: each proxy's drift since the model was saved",
    "drift.json": "konsel pmt-drift: the drift summary",
    "openspp_scoring_model.json": "konsel pmt-export: the scorecard for OpenSPP",
    "openg2p_pmt_params.json": "konsel pmt-export: the scorecard's parameters for OpenG2P",
    "kartu_skor_pmt.xlsx": "konsel pmt-export: the scorecard as a workbook",
    "training_profile.json": "konsel save-pmt: the training data's profile",
    "model_tables.json": "konsel save-pmt: the saved model's tables",
    "verification_plan.csv": "konsel score --out: the visit plan (as in data/processed/score)",
    "build.json": "konsel reports: reports/build.json, what the build did",
    "render_keys.json": "konsel reports: the render keys of the pages (build cache)",
    "kernel.json": "the report workers' Jupyter kernel spec (temporary)",
}

_BY_NAME = {o.name: o for o in OUTPUTS}


def output(name: str) -> Output:
    """One declared output, by its registry name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"output {name!r} is not declared in konsel_analysis.outputs") from None


def outputs_of(step: str) -> tuple[Output, ...]:
    """The outputs a step writes, in declaration order."""
    return tuple(o for o in OUTPUTS if o.step == step)


def step_folder(paths: ProjectPaths, step: str) -> Path:
    """The folder a step writes to."""
    return paths.root / STEP_FOLDERS[step]


def below_processed(step: str) -> str:
    """A step's folder relative to data/processed (for readers given that folder).

    >>> below_processed("score")
    'score'
    """
    return Path(STEP_FOLDERS[step]).relative_to("data/processed").as_posix()


def path(paths: ProjectPaths, name: str) -> Path:
    """Where one (single-file) output is in a project."""
    o = output(name)
    if o.is_pattern:
        raise ValueError(f"output {name!r} is one file per area or round: use its folder")
    return paths.root / o.folder / o.file


def find(relative: str) -> Output | None:
    """The declared output a path (relative to the project root) is, or ``None``."""
    return next((o for o in OUTPUTS if o.matches(relative)), None)


def declared_file_names() -> set[str]:
    """Every declared output file name (patterns as written), and the other commands'."""
    return {o.file for o in OUTPUTS} | set(OTHER_COMMAND_FILES)


def declared_columns() -> set[str]:
    """Every column some declared output has."""
    return {c for o in OUTPUTS for c in o.expected_columns()}


# --------------------------------------------------------------------------------------
# The documentation (docs/outputs.md)
# --------------------------------------------------------------------------------------


def to_markdown() -> str:
    """The registry as Markdown: one section per step, one table of columns per output."""
    lines: list[str] = []
    for step in dict.fromkeys(o.step for o in OUTPUTS):
        lines += [f"### {step}: `{STEP_FOLDERS[step]}/`", ""]
        for o in outputs_of(step):
            where = f"{o.folder_below_step}/{o.file}" if o.folder_below_step else o.file
            flags = " **Restricted: names and NIK.**" if o.restricted else ""
            key = f" Key: {', '.join(f'`{k}`' for k in o.key)}." if o.key else ""
            lines.append(f"- **`{where}`** ({o.kind}, `{o.name}`): {o.meaning}.{key}{flags}")
            if o.columns_of_raw_table:
                lines.append(
                    f"  Columns: {', '.join(f'`{c}`' for c in o.columns)}, then the "
                    f"{o.columns_of_raw_table} table's own columns (less names and NIK)."
                )
            elif o.columns:
                lines += ["", "  | column | unit | meaning |", "  |---|---|---|"]
                for c in o.columns:
                    f = field(c)
                    lines.append(f"  | `{c}` | {f.unit} | {f.meaning} |")
                lines.append("")
        lines.append("")
    lines += ["### Files of other commands (a folder the user names)", ""]
    lines += [f"- `{name}`: {text}" for name, text in OTHER_COMMAND_FILES.items()]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # python -m konsel_analysis.outputs > the generated part
    print(to_markdown(), end="")
