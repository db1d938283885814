"""The validated-inputs step: the row checks on the survey and the register, and whether
the register's proxies look like the survey's.

The entry of the main job's first step (:mod:`konsel_analysis.build.steps`); ``konsel
check`` (:mod:`.cli`) checks single files. :func:`run` writes the rejected rows of each
table (``rejected_dir/<file stem>.csv``, never a personal column), ``intake_summary.csv``
(rows read, accepted and rejected per table, the most common reason) and
``comparability.csv`` (:mod:`.comparability`) to ``intake_dir``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from konsel_analysis.files import write_csv_atomic
from konsel_analysis.intake.checks import write_rejected
from konsel_analysis.intake.comparability import compare_survey_register
from konsel_analysis.intake.dataset import load_dataset, load_register


def run(
    survey_path: Path, register_path: Path, config: Path, *, intake_dir: Path, rejected_dir: Path
) -> list[Path]:
    """The row checks on both raw tables, their counts, and survey-register comparability;
    the files written."""
    survey = load_dataset(survey_path, config, rejected_dir=rejected_dir)
    register = load_register(register_path, survey.config, rejected_dir=rejected_dir)
    summary = pd.DataFrame(
        [
            {
                "table": table,
                "file": report.data_path.name,
                "rows_read": report.rows_read,
                "accepted": report.accepted,
                "rejected": report.rejected,
                "most_common_reason": report.reason_counts.index[0] if report.rejected else "",
            }
            for table, report in (("survey", survey.intake), ("register", register.intake))
        ]
    )
    written = [write_rejected(survey.intake), write_rejected(register.intake)]
    written.append(write_csv_atomic(summary, intake_dir / "intake_summary.csv"))
    comparability = compare_survey_register(survey, register)
    written.append(write_csv_atomic(comparability.round(4), intake_dir / "comparability.csv"))
    return written
