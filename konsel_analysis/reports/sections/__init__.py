"""One function per report section: what the notebooks call.

A notebook opens its report (:func:`open_kecamatan_report` or
:func:`open_regency_report`) and then calls ``show_*`` functions in order. Each
displays its own heading, words, table and chart in the report's language, from
the cached report tables only: no section reads raw data, and none ever sees a
NIK or a name (households to verify are shown by pseudonymous key). Sections
drawn from the pipeline steps (PMT, expected errors, verification, impact) say
plainly what to run when their tables are missing (e.g. a notebook opened on
other data before ``konsel reports`` ran on it).

Where each section lives:

- ``report``        :class:`Report`, :func:`open_kecamatan_report`, :func:`open_regency_report`;
- ``html_parts``    headings, paragraphs, tables, the "not yet available" box; displays them;
- ``summary``       ``show_title``, ``show_summary``;
- ``targeting_errors``  ``show_targeting_errors``, ``show_expected_errors``;
- ``welfare``       ``show_welfare_distribution``, ``show_coverage_curve``;
- ``areas``         ``show_desa_breakdown``, ``show_kecamatan_table``;
- ``verification``  ``show_verification_allocation``, ``show_priority_households``;
- ``impact``        ``show_impact_simulation``;
- ``verification_results``  ``show_verification_results`` (when a round was imported);
- ``model_card``    ``show_pmt_model_card``;
- ``quality``       ``show_data_quality``, ``show_methods_note``;
- ``poverty_pockets``  ``show_poverty_pockets`` (the desa poverty map).
- ``fairness``      ``show_group_fairness`` (Keadilan sasaran: errors by group).

Every module of this package is imported here: the rendered pages' keys
(:data:`konsel_analysis.reports.runner.REPORT_CODE`) follow these imports.
"""

from __future__ import annotations

from konsel_analysis.reports.sections import html_parts  # noqa: F401 (in the pages' render key)
from konsel_analysis.reports.sections.areas import show_desa_breakdown, show_kecamatan_table
from konsel_analysis.reports.sections.fairness import show_group_fairness
from konsel_analysis.reports.sections.impact import show_impact_simulation
from konsel_analysis.reports.sections.model_card import show_pmt_model_card
from konsel_analysis.reports.sections.poverty_pockets import show_poverty_pockets
from konsel_analysis.reports.sections.quality import show_data_quality, show_methods_note
from konsel_analysis.reports.sections.report import (
    Report,
    open_kecamatan_report,
    open_regency_report,
)
from konsel_analysis.reports.sections.summary import show_summary, show_title
from konsel_analysis.reports.sections.targeting_errors import (
    show_expected_errors,
    show_targeting_errors,
)
from konsel_analysis.reports.sections.verification import (
    show_priority_households,
    show_verification_allocation,
)
from konsel_analysis.reports.sections.verification_results import show_verification_results
from konsel_analysis.reports.sections.welfare import show_coverage_curve, show_welfare_distribution

__all__ = [
    "Report",
    "open_kecamatan_report",
    "open_regency_report",
    "show_coverage_curve",
    "show_data_quality",
    "show_desa_breakdown",
    "show_expected_errors",
    "show_group_fairness",
    "show_impact_simulation",
    "show_kecamatan_table",
    "show_methods_note",
    "show_pmt_model_card",
    "show_poverty_pockets",
    "show_priority_households",
    "show_summary",
    "show_targeting_errors",
    "show_title",
    "show_verification_allocation",
    "show_verification_results",
    "show_welfare_distribution",
]
