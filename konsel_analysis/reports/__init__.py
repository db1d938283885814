"""Rendering the reports: shared tables once, then one notebook per report.

- ``inputs``    the shared computation, cached in data/processed/report_inputs;
- ``step_tables`` report tables from the pipeline steps' outputs (PMT, targeting, score, impact);
- ``text``      the reports' words in Bahasa Indonesia and English, number formats;
- ``charts``    matplotlib/seaborn figures drawn from the cached tables;
- ``sections``  one function per report section: what the notebooks call;
- ``html``      notebook to self-contained HTML, the index page;
- ``runner``    papermill in parallel, failures collected, progress shown.

Notebooks import :mod:`konsel_analysis.reports.sections` only.
"""
