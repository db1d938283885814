"""The area summary step: the register and the survey described by area, once per build.

From the accepted rows of both raw tables (the row checks of :mod:`konsel_analysis.intake`),
the tables of :func:`.tables.describe_areas` go to ``data/processed/summary/`` and the
register summary by kecamatan to ``data/processed/register_summary_by_kecamatan.csv``;
the report pages quote these (:mod:`konsel_analysis.reports.inputs`) instead of counting
again.
"""

from __future__ import annotations

from pathlib import Path

from konsel_analysis.describe.tables import (
    REGISTER_COLUMNS,
    SURVEY_COLUMNS,
    SummarySettings,
    describe_areas,
    register_summary_by_kecamatan,
)
from konsel_analysis.files import write_csv_atomic
from konsel_analysis.intake.checked import read_checked
from konsel_analysis.intake.config import load_dataset_config


def run(
    survey_path: Path,
    register_path: Path,
    config_path: Path,
    settings: SummarySettings,
    tables: dict[str, Path],
    register_summary: Path,
) -> list[Path]:
    """Write each table of :func:`describe_areas` to ``tables[name]`` and the register
    summary to ``register_summary``; returns the files written."""
    config = load_dataset_config(config_path)
    register, _ = read_checked(register_path, config, "register")
    survey, _ = read_checked(survey_path, config, "survey")
    described = describe_areas(register[REGISTER_COLUMNS], survey[SURVEY_COLUMNS], settings)
    written = [write_csv_atomic(described[name], path) for name, path in tables.items()]
    summary = register_summary_by_kecamatan(described["area_summary"])
    return [write_csv_atomic(summary, register_summary), *written]
