"""The register and the survey described by area: the figures every report page opens with.

:mod:`.tables` holds the tables (plain functions of the accepted rows: register counts
and programme shares, survey poverty rates, welfare bands, coverage, desa composition);
:mod:`.step` is the main job's step that writes them, with the register summary by
kecamatan, to ``data/processed/``. The reports read them from there
(:mod:`konsel_analysis.reports.inputs`).
"""
