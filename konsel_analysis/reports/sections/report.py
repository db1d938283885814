"""Opening a report: its area, language and the cached tables every section reads.

:class:`Report` holds them; :func:`open_kecamatan_report` and
:func:`open_regency_report` check the area, make or reuse the shared report tables
and read the tables drawn from the pipeline steps (:data:`STEP_TABLES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from konsel_analysis.errors import UserError
from konsel_analysis.geography import REGENCY_CODE, load_kecamatan, normalize_area_code
from konsel_analysis.paths import ProjectPaths, project_paths
from konsel_analysis.reports import charts
from konsel_analysis.reports.inputs import (
    ReportInputs,
    prepare_report_inputs,
    resolve_settings,
)
from konsel_analysis.reports.text import check_language, tr

REGENCY_NAME = "Konawe Selatan"


#: Tables drawn from the pipeline steps' outputs (present once `konsel reports` ran).
STEP_TABLES = (
    "targeting_intervals",
    "expected_errors",
    "desa_expected_errors",
    "verification_allocation",
    "priority_households",
    "impact_simulation",
    "pmt_estimators",
    "pmt_summary",
    "pmt_curve",
    "intake_counts",
    "proxy_differences",
    "poverty_map_desa",
    "poverty_map_kecamatan",
    "group_errors",
    "group_expected_errors",
    "verification_results",
    "verification_calibration",
)


@dataclass(frozen=True)
class Report:
    """One report being drawn: its area, language and the cached tables it reads."""

    area_code: str
    area_name: str
    language: str
    inputs: ReportInputs
    summary: pd.DataFrame  # area_summary, indexed by area_code; the regency is the last row
    errors: pd.DataFrame
    bands: pd.DataFrame
    coverage: pd.DataFrame
    desa: pd.DataFrame
    steps: dict[str, pd.DataFrame]  # tables drawn from the pipeline steps, by name

    @property
    def is_regency(self) -> bool:
        return self.area_code == REGENCY_CODE

    @property
    def area(self) -> pd.Series:
        return self.summary.loc[self.area_code]

    @property
    def regency(self) -> pd.Series:
        return self.summary.loc[REGENCY_CODE]

    def tr(self, id_text: str, en_text: str) -> str:
        return tr(self.language, id_text, en_text)

    def errors_of(self, area_code: str, programme: str) -> pd.Series:
        rows = self.errors[(self.errors["area_code"] == area_code)]
        return rows.set_index("programme").loc[programme]

    def table(self, name: str) -> pd.DataFrame | None:
        """A table from the pipeline steps, or ``None`` when it could not be built."""
        return self.steps.get(name)

    def row(self, name: str, area_code: str, **match: str) -> pd.Series | None:
        """The row of ``area_code`` (and ``match``) in a step table; ``None`` if absent."""
        table = self.table(name)
        if table is None:
            return None
        chosen = table["area_code"] == area_code
        for column, value in match.items():
            chosen &= table[column] == value
        return table[chosen].iloc[0] if chosen.any() else None

    def measured(self, area_code: str, programme: str) -> pd.Series:
        """Measured errors of a programme: with intervals when the targeting step ran.

        The estimate is then the targeting step's (shrunk towards the regency for
        small samples); otherwise the direct survey estimate without interval.
        """
        direct = self.errors_of(area_code, programme)
        ci = self.row("targeting_intervals", area_code, programme=programme)
        if ci is None:
            return direct.rename({"survey_recipients": "sampled_beneficiaries"}).rename(
                {"survey_poor_households": "sampled_poor"}
            )
        return pd.concat(
            [
                ci,
                pd.Series(
                    {
                        "direct_inclusion_error": direct["inclusion_error"],
                        "direct_exclusion_error": direct["exclusion_error"],
                    }
                ),
            ]
        )

    @property
    def kecamatan_names(self) -> pd.Series:
        """Kecamatan code -> name (the regency left out)."""
        return self.summary["area_name"].drop(REGENCY_CODE)


def _open(
    area_code: str,
    language: str,
    project_root: str,
    register_path: str,
    survey_path: str,
    inputs_dir: str,
    poverty_line_idr: float | None,
    extreme_poverty_line_idr: float | None,
    verification_budget_visits: int | None,
    inputs_key: str = "",
) -> Report:
    check_language(language)
    paths = ProjectPaths(Path(project_root).resolve()) if project_root else project_paths()
    settings = resolve_settings(
        poverty_line_idr, extreme_poverty_line_idr, verification_budget_visits
    )
    inputs = prepare_report_inputs(
        paths,
        register_path=register_path or None,
        survey_path=survey_path or None,
        inputs_dir=inputs_dir or None,
        settings=settings,
        key=inputs_key,
    )
    summary = inputs.read("area_summary").set_index("area_code")
    charts.use_report_style()
    return Report(
        area_code=area_code,
        area_name=str(summary.loc[area_code, "area_name"]),
        language=language,
        inputs=inputs,
        summary=summary,
        errors=inputs.read("targeting_errors"),
        bands=inputs.read("welfare_bands"),
        coverage=inputs.read("coverage_points"),
        desa=inputs.read("desa_composition"),
        steps={name: inputs.read(name) for name in STEP_TABLES if inputs.has(name)},
    )


def open_kecamatan_report(
    kecamatan_code: str,
    language: str = "id",
    project_root: str = "",
    register_path: str = "",
    survey_path: str = "",
    inputs_dir: str = "",
    poverty_line_idr: float | None = None,
    extreme_poverty_line_idr: float | None = None,
    verification_budget_visits: int | None = None,
    inputs_key: str = "",
) -> Report:
    """Open the report of one kecamatan: check its code, make or reuse the cached tables.

    Empty paths and ``None`` numbers mean the project defaults (data/raw,
    data/processed/report_inputs, parameters.yml). ``inputs_key``: the key of the tables
    ``konsel reports`` has just made (see :func:`prepare_report_inputs`). Raises
    :class:`UserError` when the code is not a Konsel kecamatan or the register has no
    household in it.
    """
    try:
        code = normalize_area_code(kecamatan_code)
    except ValueError as err:
        raise UserError(f"{err}; use a Kemendagri code such as 74.05.01") from None
    known = set(load_kecamatan()["kecamatan_code"])
    if code not in known:
        raise UserError(
            f"{code} is not one of the 25 kecamatan of Konawe Selatan (74.05.01 to 74.05.25)"
        )
    report = _open(
        code,
        language,
        project_root,
        register_path,
        survey_path,
        inputs_dir,
        poverty_line_idr,
        extreme_poverty_line_idr,
        verification_budget_visits,
        inputs_key,
    )
    if report.area["households"] == 0:
        raise UserError(
            f"kecamatan {code} ({report.area_name}) has no household in the register "
            f"({report.inputs.folder.name} built from "
            f"{register_path or 'data/raw/register.parquet'}): check the kecamatan_code column "
            "of the register export, or leave this kecamatan out with --only"
        )
    return report


def open_regency_report(
    language: str = "id",
    project_root: str = "",
    register_path: str = "",
    survey_path: str = "",
    inputs_dir: str = "",
    poverty_line_idr: float | None = None,
    extreme_poverty_line_idr: float | None = None,
    verification_budget_visits: int | None = None,
    inputs_key: str = "",
) -> Report:
    """Open the report of the whole regency (all kecamatan side by side)."""
    return _open(
        REGENCY_CODE,
        language,
        project_root,
        register_path,
        survey_path,
        inputs_dir,
        poverty_line_idr,
        extreme_poverty_line_idr,
        verification_budget_visits,
        inputs_key,
    )
