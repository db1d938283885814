"""What the report tables are computed from: the report's settings and the steps' outputs.

A report reads the outputs the pipeline steps wrote (:data:`STEP_OUTPUTS`), each only
when its step was computed from the same raw files and with the same policy numbers
as the report (:func:`locate_step_outputs`); otherwise the tables drawn from it are
left out and the reason kept (:data:`MISSING`, :data:`OTHER_DATA`,
:data:`OTHER_SETTINGS`). :class:`ReportData` is what every table function of
:mod:`.step_tables`, :mod:`.group_tables` and :mod:`.verification_tables` receives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from konsel_analysis import outputs
from konsel_analysis.build.keys import file_digest
from konsel_analysis.build.manifest import read_manifest
from konsel_analysis.errors import UserError
from konsel_analysis.parameters import load_parameters
from konsel_analysis.paths import ProjectPaths


@dataclass(frozen=True)
class ReportSettings:
    """The policy numbers a report uses; ``None`` arguments come from parameters.yml."""

    poverty_line_idr: float
    extreme_poverty_line_idr: float
    verification_budget_visits: int
    eligible_desil_max: int
    min_visits_per_kecamatan: int


def resolve_settings(
    poverty_line_idr: float | None = None,
    extreme_poverty_line_idr: float | None = None,
    verification_budget_visits: int | None = None,
) -> ReportSettings:
    """Settings for one report run; each ``None`` is read from ``parameters.yml``."""
    params = load_parameters()
    settings = ReportSettings(
        poverty_line_idr=float(
            poverty_line_idr
            if poverty_line_idr is not None
            else params.value("poverty_lines.poverty_line")
        ),
        extreme_poverty_line_idr=float(
            extreme_poverty_line_idr
            if extreme_poverty_line_idr is not None
            else params.value("poverty_lines.extreme_poverty_line")
        ),
        verification_budget_visits=int(
            verification_budget_visits
            if verification_budget_visits is not None
            else params.value("verification.budget_visits")
        ),
        eligible_desil_max=int(params.value("social_assistance.eligible_desil_max")),
        min_visits_per_kecamatan=int(params.value("verification.min_visits_per_kecamatan")),
    )
    if not 0 < settings.extreme_poverty_line_idr <= settings.poverty_line_idr:
        raise UserError(
            f"extreme poverty line Rp {settings.extreme_poverty_line_idr:,.0f} must be positive "
            f"and at most the poverty line Rp {settings.poverty_line_idr:,.0f}; "
            "fix the notebook parameters or reference/parameters.yml"
        )
    return settings


#: The outputs of each step (names in :mod:`konsel_analysis.outputs`, which declares
#: their files and columns) that the reports need: a step missing one is not read.
STEP_OUTPUTS = {
    "intake": ("intake_summary", "comparability"),
    "register_summary": (
        "summary_area_summary",
        "summary_welfare_bands",
        "summary_coverage_points",
        "summary_desa_composition",
    ),
    "pmt": ("model_card", "error_curves"),
    "targeting": ("targeting_by_area",),
    "score": ("register_scores", "expected_errors_by_area", "verification_allocation"),
    "impact": ("impact_by_area",),
    "poverty_map": ("poverty_map", "poverty_map_upper", "poverty_map_areas"),
    "verification": (
        "verification_by_area",
        "calibration_by_band",
        "outcomes_by_area",
        "decisions_by_area",
        "next_round_plan",
        "round",
    ),
}
#: Policy numbers that must match between a step and the report (the budget decides
#: who is visited, so only the steps that choose visits depend on it).
_POLICY_CHECKED = {
    "intake": (),
    "register_summary": ("poverty_line_idr", "extreme_poverty_line_idr"),
    "pmt": ("poverty_line_idr", "extreme_poverty_line_idr"),
    "targeting": ("poverty_line_idr", "extreme_poverty_line_idr"),
    "score": ("poverty_line_idr", "extreme_poverty_line_idr", "verification_budget_visits"),
    "impact": ("poverty_line_idr", "extreme_poverty_line_idr", "verification_budget_visits"),
    "poverty_map": ("poverty_line_idr", "extreme_poverty_line_idr"),
    "verification": (
        "poverty_line_idr",
        "extreme_poverty_line_idr",
        "verification_budget_visits",
    ),
}
#: Why a step's tables are missing (sections phrase these in the report's language).
MISSING, OTHER_DATA, OTHER_SETTINGS = "missing", "other_data", "other_settings"


@dataclass(frozen=True)
class StepFiles:
    """The step outputs a report may read, and why the others may not be read."""

    files: dict[str, Path]  # output name (konsel_analysis.outputs) -> path, usable steps
    unavailable: dict[str, str]  # step -> MISSING, OTHER_DATA or OTHER_SETTINGS

    def has(self, step: str) -> bool:
        return step not in self.unavailable

    def path(self, name: str) -> Path:
        """A needed output of a usable step (:data:`STEP_OUTPUTS`)."""
        return self.files[name]

    def optional(self, name: str) -> Path | None:
        """Another output of a usable step, when the step wrote it (``None`` otherwise)."""
        o = outputs.output(name)
        if not self.has(o.step) or not any(outputs.output(n).step == o.step for n in self.files):
            return None
        known = next(p for n, p in self.files.items() if outputs.output(n).step == o.step)
        path = known.parent / o.file
        return path if path.is_file() else None

    def digests(self) -> dict[str, str]:
        """sha256 of every usable file (part of the report tables' cache key)."""
        return {name: file_digest(path) for name, path in sorted(self.files.items())}


def _step_status(
    paths: ProjectPaths, step: str, source_digests: dict[str, str], settings: ReportSettings
) -> str | None:
    manifest = read_manifest(outputs.path(paths, f"{step}_manifest"))
    needed = [outputs.path(paths, n) for n in STEP_OUTPUTS[step]]
    if manifest is None or not all(p.is_file() for p in needed):
        return MISSING
    if any(source_digests.get(k) != v for k, v in manifest.get("sources", {}).items()):
        return OTHER_DATA
    policy = manifest.get("policy", {})
    mine = {
        "poverty_line_idr": settings.poverty_line_idr,
        "extreme_poverty_line_idr": settings.extreme_poverty_line_idr,
        "verification_budget_visits": settings.verification_budget_visits,
    }
    if any(policy.get(k) != mine[k] for k in _POLICY_CHECKED[step]):
        return OTHER_SETTINGS
    return None


def locate_step_outputs(
    paths: ProjectPaths, source_digests: dict[str, str], settings: ReportSettings
) -> StepFiles:
    """Find each step's outputs and check them against the report's raw files and settings.

    ``source_digests`` maps ``"survey"`` and ``"register"`` to the sha256 of the
    files the report reads; a step computed from other files is not used. Folders and
    file names come from :mod:`konsel_analysis.outputs`.
    """
    files, unavailable = {}, {}
    for step, names in STEP_OUTPUTS.items():
        status = _step_status(paths, step, source_digests, settings)
        if status is None:
            files.update({name: outputs.path(paths, name) for name in names})
        else:
            unavailable[step] = status
    return StepFiles(files, unavailable)


@dataclass(frozen=True)
class ReportData:
    """What the report tables are computed from: settings, step outputs and, only for a
    table no usable step wrote, the raw tables (read and checked when first needed)."""

    settings: ReportSettings
    steps: StepFiles
    root: Path  # the project, whose secret key makes the pseudonyms
    # The raw tables' accepted rows (register, survey), the columns the tables use.
    read_raw: Callable[[], tuple[pd.DataFrame, pd.DataFrame]]

    @cached_property
    def _raw(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return self.read_raw()

    @property
    def register(self) -> pd.DataFrame:
        return self._raw[0]

    @cached_property
    def survey(self) -> pd.DataFrame:
        """The survey's accepted rows, with who is poor and extreme poor by the settings'
        lines and each household's person weight."""
        from konsel_analysis.describe.tables import prepare_survey

        return prepare_survey(self._raw[1], self.summary_settings)

    @property
    def summary_settings(self):
        """The settings' policy numbers the area summary uses."""
        from konsel_analysis.describe.tables import SummarySettings

        s = self.settings
        return SummarySettings(s.poverty_line_idr, s.extreme_poverty_line_idr, s.eligible_desil_max)

    def pseudonym_key(self) -> bytes:
        from konsel_analysis.privacy import load_or_create_secret_key

        return load_or_create_secret_key(self.root)
